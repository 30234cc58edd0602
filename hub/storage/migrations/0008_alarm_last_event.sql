-- The event that last raised or joined each alarm: a resident's cancel counts only if it
-- names that one (a cancel of an earlier press, arriving late, must not close a new one).
ALTER TABLE alarms ADD COLUMN last_event_id uuid;
