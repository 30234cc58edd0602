-- Wellbeing rule settings per home; each bed, door and thermometer's latest reading, kept with
-- the events for the night and temperature rules; each home's baseline, worked out once a day.
ALTER TABLE home_rules ADD COLUMN wellbeing jsonb NOT NULL DEFAULT '{}';

CREATE TABLE sensor_state (
    home_id    text NOT NULL REFERENCES homes ON DELETE CASCADE,
    device_id  text NOT NULL,
    kind       text NOT NULL,
    value      jsonb NOT NULL,
    -- the latest reading's time: the device's, never later than the hub received it
    ts         timestamptz NOT NULL,
    -- a door contact's latest opening
    opened_at  timestamptz,
    PRIMARY KEY (home_id, device_id)
);
CREATE INDEX sensor_state_kind ON sensor_state (kind, ts);

CREATE TABLE home_baselines (
    home_id        text PRIMARY KEY REFERENCES homes ON DELETE CASCADE,
    local_day      date NOT NULL,
    -- the usual longest quiet spell (minutes) covering each local hour of the week, Monday
    -- 00:00 first; NULL where there is too little history
    quiet_minutes  integer[] NOT NULL,
    up_by          time
);
CREATE INDEX home_baselines_day ON home_baselines (local_day);
