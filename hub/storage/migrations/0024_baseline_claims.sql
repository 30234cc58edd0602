-- Which hub replica is working out which home's baseline, until when: replicas share the
-- daily renewal instead of each doing all of it. A claim past its time (a replica that died
-- mid-way) is taken over by the next round.
CREATE TABLE baseline_claims (
    home_id  text PRIMARY KEY REFERENCES homes ON DELETE CASCADE,
    until    timestamptz NOT NULL
);
