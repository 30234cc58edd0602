-- A device may report more than one kind (a door contact with a thermometer in it): its
-- latest reading is kept per kind, so one kind does not hide the other from its rule.
ALTER TABLE sensor_state DROP CONSTRAINT sensor_state_pkey;
ALTER TABLE sensor_state ADD PRIMARY KEY (home_id, device_id, kind);
