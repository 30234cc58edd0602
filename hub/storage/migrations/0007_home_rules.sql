-- Per-home rule settings: the daily "I'm OK" check-in deadline, in the home's time zone.
CREATE TABLE home_rules (
    home_id          text PRIMARY KEY REFERENCES homes ON DELETE CASCADE,
    time_zone        text NOT NULL DEFAULT 'Europe/Rome',
    check_in_before  time
);
