-- A technical alarm (tamper, mains lost, battery low) belongs to one device: two devices'
-- low batteries are two alarms, each closed when its own device is seen to. Other alarms
-- keep device_id null and stay one open alarm per home and kind.
ALTER TABLE alarms ADD COLUMN device_id text;
DROP INDEX alarms_one_open_per_kind;
CREATE UNIQUE INDEX alarms_one_open_per_kind ON alarms (home_id, kind, (coalesce(device_id, '')))
    WHERE state IN ('raised', 'claimed', 'in_progress');
