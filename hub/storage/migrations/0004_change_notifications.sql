-- Every change of an alarm or of a home's presence is announced with NOTIFY, so that consoles
-- connected to any hub replica hear of changes made through any other (or by the ingest).
CREATE FUNCTION notify_alarm_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('telecare_alarms', json_build_object(
        'alarm_id', NEW.alarm_id, 'home_id', NEW.home_id,
        'district', (SELECT district FROM homes WHERE home_id = NEW.home_id),
        'kind', NEW.kind, 'priority', NEW.priority, 'state', NEW.state,
        'reason_key', NEW.reason_key, 'reason_params', NEW.reason_params,
        'raised_at', NEW.raised_at, 'last_trigger_at', NEW.last_trigger_at,
        'trigger_count', NEW.trigger_count, 'escalated_at', NEW.escalated_at,
        'claimed_by', NEW.claimed_by, 'closed_at', NEW.closed_at, 'outcome', NEW.outcome
    )::text);
    RETURN NULL;
END $$;
CREATE TRIGGER alarms_notify AFTER INSERT OR UPDATE ON alarms
    FOR EACH ROW EXECUTE FUNCTION notify_alarm_change();

CREATE FUNCTION notify_presence_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.online IS DISTINCT FROM OLD.online THEN
        PERFORM pg_notify('telecare_presence', json_build_object(
            'home_id', NEW.home_id,
            'district', (SELECT district FROM homes WHERE home_id = NEW.home_id),
            'online', NEW.online, 'status_reason', NEW.status_reason,
            'last_seen', NEW.last_seen
        )::text);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER presence_notify AFTER INSERT OR UPDATE ON presence
    FOR EACH ROW EXECUTE FUNCTION notify_presence_change();
