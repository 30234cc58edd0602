"""Early signs of decline: the review list of people whose routine is slipping (docs/social-work.md)."""
