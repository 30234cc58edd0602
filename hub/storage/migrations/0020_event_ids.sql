-- Exactly once by the event id alone. `events` is partitioned by the device time, so its key
-- must hold `ts`, and a unit that sent the same event again with another time (against the
-- protocol, but a hand-written client did) had it stored twice. Every stored event's id is
-- also kept here, under a key of its own; an event whose id is here is a copy, whatever its
-- time. Ids are deleted with the events' retention, by the time they were received.
CREATE TABLE event_ids (
    event_id     uuid PRIMARY KEY,
    received_at  timestamptz NOT NULL
);
CREATE INDEX event_ids_received_brin ON event_ids USING brin (received_at);

INSERT INTO event_ids (event_id, received_at)
SELECT event_id, min(received_at) FROM events GROUP BY event_id;
