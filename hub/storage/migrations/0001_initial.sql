-- Homes, devices, events (partitioned by day of device time), presence, dead letters and the
-- hourly activity rollup.

CREATE TABLE homes (
    home_id     text PRIMARY KEY CHECK (home_id ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
    district    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devices (
    home_id          text NOT NULL REFERENCES homes ON DELETE CASCADE,
    device_id        text NOT NULL,
    battery_percent  smallint,
    signal_dbm       smallint,
    last_seen        timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home_id, device_id)
);

-- Partitioned by the device's time, so that a resent event (same event_id, same ts) lands in
-- the same partition and the primary key absorbs it. Times outside the partitions made ahead
-- (a unit whose clock was reset) go to the default partition.
CREATE TABLE events (
    event_id     uuid NOT NULL,
    ts           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    home_id      text NOT NULL,
    device_id    text NOT NULL,
    kind         text NOT NULL,
    seq          bigint NOT NULL,
    location     text,
    value        jsonb NOT NULL,
    PRIMARY KEY (event_id, ts)
) PARTITION BY RANGE (ts);

CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_home_ts ON events (home_id, ts);
CREATE INDEX events_ts_brin ON events USING brin (ts);

CREATE TABLE presence (
    home_id          text PRIMARY KEY REFERENCES homes ON DELETE CASCADE,
    online           boolean NOT NULL,
    status_reason    text,
    status_ts        timestamptz,
    last_seen        timestamptz NOT NULL,
    heartbeat_ts     timestamptz,
    interval_s       integer,
    uptime_s         bigint,
    power            text,
    battery_percent  smallint,
    signal_dbm       smallint,
    outbox_depth     bigint,
    outbox_dropped   bigint,
    firmware         text
);

CREATE TABLE dead_letters (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at  timestamptz NOT NULL,
    topic        text NOT NULL,
    payload      bytea NOT NULL,
    reason       text NOT NULL,
    fields       text[] NOT NULL DEFAULT '{}',
    detail       text NOT NULL
);
CREATE INDEX dead_letters_received_at ON dead_letters (received_at);

-- Events per home, hour and kind; kept up by the hub in the same transaction as the events.
CREATE TABLE activity_hourly (
    home_id  text NOT NULL,
    hour     timestamptz NOT NULL,
    kind     text NOT NULL,
    events   integer NOT NULL,
    PRIMARY KEY (home_id, hour, kind)
);
