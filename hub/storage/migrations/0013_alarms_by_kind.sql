-- The timer rules ask, for a home, whether an alarm of a kind is open or was raised since a
-- moment: looked up by this index rather than by reading the home's whole alarm history.
CREATE INDEX alarms_home_kind ON alarms (home_id, kind, raised_at);
