"""The social workers' side measured: the person's page, the district's month, the review."""
