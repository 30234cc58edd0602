-- Each home's day in numbers, worked out once after the day is over (in the home's time zone)
-- from its events, alarms and calls: the social workers' views read these, never raw events.
CREATE TABLE daily_indicators (
    home_id                   text NOT NULL REFERENCES homes ON DELETE CASCADE,
    day                       date NOT NULL,
    time_zone                 text NOT NULL,
    active_hours              real NOT NULL,
    -- wall-clock minutes after local midnight
    rise_min                  integer,
    last_activity_min         integer,
    out_minutes               integer NOT NULL,
    outings                   integer NOT NULL,
    -- NULL where the home has no sensor that could tell
    night_bathroom_visits     integer,
    night_out_of_bed_minutes  integer,
    kitchen_visits            integer,
    check_ins                 integer NOT NULL,
    events                    integer NOT NULL,
    -- {room: [24 counts of activity readings by local hour]}
    room_hours                jsonb NOT NULL DEFAULT '{}',
    -- {alarm kind: count} raised, {call outcome: count} closed that day
    alarms                    jsonb NOT NULL DEFAULT '{}',
    calls                     jsonb NOT NULL DEFAULT '{}',
    computed_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home_id, day)
);
CREATE INDEX daily_indicators_day ON daily_indicators (day);
