-- Alarms: at most one open alarm per home and kind (a repeated trigger joins it), every
-- change logged with who, when and what.
CREATE TABLE alarms (
    alarm_id         uuid PRIMARY KEY,
    home_id          text NOT NULL REFERENCES homes ON DELETE CASCADE,
    kind             text NOT NULL,
    priority         smallint NOT NULL CHECK (priority BETWEEN 1 AND 5),
    state            text NOT NULL
                     CHECK (state IN ('raised', 'claimed', 'in_progress', 'resolved', 'cancelled')),
    reason_key       text NOT NULL,
    reason_params    jsonb NOT NULL DEFAULT '{}',
    raised_at        timestamptz NOT NULL,
    last_trigger_at  timestamptz NOT NULL,
    trigger_count    integer NOT NULL DEFAULT 1,
    escalated_at     timestamptz,
    claimed_by       text,
    claimed_at       timestamptz,
    closed_at        timestamptz,
    outcome          text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alarms_one_open_per_kind ON alarms (home_id, kind)
    WHERE state IN ('raised', 'claimed', 'in_progress');
CREATE INDEX alarms_open_queue ON alarms (priority, raised_at)
    WHERE state IN ('raised', 'claimed', 'in_progress');
CREATE INDEX alarms_home ON alarms (home_id, raised_at);

-- Which event raised or joined which alarm: a redelivered event finds its alarm here and
-- joins nothing twice.
CREATE TABLE alarm_events (
    event_id  uuid PRIMARY KEY,
    alarm_id  uuid NOT NULL REFERENCES alarms ON DELETE CASCADE
);
CREATE INDEX alarm_events_alarm ON alarm_events (alarm_id);

CREATE TABLE alarm_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alarm_id    uuid NOT NULL REFERENCES alarms ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    from_state  text,
    to_state    text,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alarm_log_alarm ON alarm_log (alarm_id, at);
