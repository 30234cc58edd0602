"""Who may use the centre's API: users, roles and districts, sessions, tokens, throttling."""
