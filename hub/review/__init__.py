"""Early signs of decline: the review list of people whose routine slips (docs/social-work.md)."""
