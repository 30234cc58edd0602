"""Daily indicators: each person's day reduced to numbers once, for the social workers' views."""
