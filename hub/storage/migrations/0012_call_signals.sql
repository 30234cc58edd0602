-- A home unit's call signalling received by one hub replica for a console on another: kept
-- for a moment, and announced with NOTIFY so the replica holding the call delivers it.
CREATE UNLOGGED TABLE call_signals (
    signal_id   bigserial PRIMARY KEY,
    call_id     uuid NOT NULL,
    payload     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION notify_call_signal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('telecare_call_signals', json_build_object(
        'signal_id', NEW.signal_id, 'call_id', NEW.call_id
    )::text);
    RETURN NULL;
END $$;
CREATE TRIGGER call_signals_notify AFTER INSERT ON call_signals
    FOR EACH ROW EXECUTE FUNCTION notify_call_signal();
