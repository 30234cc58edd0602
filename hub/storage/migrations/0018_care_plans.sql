-- Care plans (piano assistenziale individualizzato, PAI): per home, the goals, the services
-- agreed and who provides them, the responsible social worker and the next review date.
-- A change is a new version, never an update in place: a home's rows are its plan's history,
-- each with who saved it and when, and the current plan is the highest version.
CREATE TABLE care_plans (
    home_id      text NOT NULL REFERENCES homes ON DELETE CASCADE,
    version      integer NOT NULL CHECK (version >= 1),
    -- The resident the plan is for (NULL: the home as a whole). No foreign key: a resident
    -- who moves out leaves the register, and the versions written for them stay as written.
    resident_id  uuid,
    goals        text[] NOT NULL,
    -- [{what, provider, times, per}], in the order agreed; per is 'day', 'week' or 'month'
    services     jsonb NOT NULL,
    -- Users are disabled, never deleted, so these always name someone.
    responsible  text NOT NULL REFERENCES users (username),
    next_review  date NOT NULL,
    notes        text NOT NULL DEFAULT '',
    saved_by     text NOT NULL REFERENCES users (username),
    saved_at     timestamptz NOT NULL,
    PRIMARY KEY (home_id, version)
);
-- The list of plans due for review reads each home's latest version by its date.
CREATE INDEX care_plans_review ON care_plans (next_review);
