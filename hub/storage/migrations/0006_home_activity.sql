-- When each home last showed its person active (movement, door, bed or chair, a press), kept
-- with the events, for the inactivity rule.
CREATE TABLE home_activity (
    home_id           text PRIMARY KEY REFERENCES homes ON DELETE CASCADE,
    last_activity_at  timestamptz NOT NULL
);
