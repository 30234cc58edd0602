-- When each resident joined the service and, once they leave the register, when they left: the
-- district's monthly figures count the people served, joined and left from these dates.
-- Residents already registered are taken to have joined with their home (the earliest date on
-- record for them).
ALTER TABLE residents ADD COLUMN joined_at timestamptz;
UPDATE residents r SET joined_at = h.created_at FROM homes h WHERE h.home_id = r.home_id;
ALTER TABLE residents ALTER COLUMN joined_at SET DEFAULT now(),
    ALTER COLUMN joined_at SET NOT NULL;

-- A resident removed from the register (moved out, died) leaves their dates here and nothing
-- personal: no name, no notes. The district is the one their home was in when they left, and
-- the row outlives the home, so past months keep their figures.
CREATE TABLE resident_departures (
    resident_id  uuid PRIMARY KEY,
    home_id      text NOT NULL,
    district     text NOT NULL,
    joined_at    timestamptz NOT NULL,
    left_at      timestamptz NOT NULL
);
CREATE INDEX resident_departures_district ON resident_departures (district, left_at);
