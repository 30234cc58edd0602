"""The hub's background loops: alarm timers and housekeeping, each against the database."""
