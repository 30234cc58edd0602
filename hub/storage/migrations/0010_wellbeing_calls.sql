-- Scheduled well-being calls (telecontrollo): each resident's schedule, and the call tasks it
-- puts in the operators' queue, with every attempt kept for the service's records.
CREATE TABLE call_schedules (
    schedule_id    uuid PRIMARY KEY,
    home_id        text NOT NULL REFERENCES homes ON DELETE CASCADE,
    resident_id    uuid REFERENCES residents ON DELETE CASCADE,
    weekdays       smallint[] NOT NULL,
    at             time NOT NULL,
    retry_minutes  integer NOT NULL,
    attempts       integer NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX call_schedules_home ON call_schedules (home_id);

CREATE TABLE call_tasks (
    task_id        uuid PRIMARY KEY,
    home_id        text NOT NULL REFERENCES homes ON DELETE CASCADE,
    resident_id    uuid REFERENCES residents ON DELETE SET NULL,
    schedule_id    uuid REFERENCES call_schedules ON DELETE SET NULL,
    planned_at     timestamptz NOT NULL,
    next_try_at    timestamptz NOT NULL,
    state          text NOT NULL,
    attempts       integer NOT NULL DEFAULT 0,
    max_attempts   integer NOT NULL,
    retry_minutes  integer NOT NULL,
    claimed_by     text,
    outcome        text,
    -- every attempt: who, when, what came of it, notes
    log            jsonb NOT NULL DEFAULT '[]',
    alarm_id       uuid REFERENCES alarms ON DELETE SET NULL,
    closed_at      timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (schedule_id, planned_at)
);
CREATE INDEX call_tasks_queue ON call_tasks (next_try_at) WHERE state IN ('open', 'claimed');
CREATE INDEX call_tasks_home ON call_tasks (home_id, planned_at);

CREATE FUNCTION notify_call_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('telecare_calls', json_build_object(
        'task_id', NEW.task_id, 'home_id', NEW.home_id,
        'district', (SELECT district FROM homes WHERE home_id = NEW.home_id),
        'resident_id', NEW.resident_id, 'planned_at', NEW.planned_at,
        'next_try_at', NEW.next_try_at, 'state', NEW.state, 'attempts', NEW.attempts,
        'max_attempts', NEW.max_attempts, 'claimed_by', NEW.claimed_by,
        'outcome', NEW.outcome, 'alarm_id', NEW.alarm_id, 'closed_at', NEW.closed_at
    )::text);
    RETURN NULL;
END $$;
CREATE TRIGGER call_tasks_notify AFTER INSERT OR UPDATE ON call_tasks
    FOR EACH ROW EXECUTE FUNCTION notify_call_change();
