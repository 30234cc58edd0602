-- The review list: a person whose routine has changed for a fortnight, for their district's
-- social workers to look at (docs/social-work.md, "Early signs of decline"). Not an alarm: no
-- trigger here tells the console's stream, and nothing of it reaches the operators' queue.
CREATE TABLE review_entries (
    entry_id       uuid PRIMARY KEY,
    home_id        text NOT NULL REFERENCES homes ON DELETE CASCADE,
    indicator      text NOT NULL,
    direction      text NOT NULL CHECK (direction IN ('up', 'down')),
    -- the home's local day the change was first found, and the latest day it was found
    opened_on      date NOT NULL,
    last_found_on  date NOT NULL,
    state          text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'seen')),
    outcome        text CHECK (outcome IN ('home_visit', 'gp_informed', 'family_called',
                                           'nothing_to_do')),
    seen_by        text,
    seen_at        timestamptz,
    note           text NOT NULL DEFAULT '',
    -- the numbers as last found while open (as seen, once seen): the last 14 days, the 8
    -- weeks before, their spread, the change (for outings: days without one), days counted
    recent         double precision NOT NULL,
    usual          double precision NOT NULL,
    spread         double precision NOT NULL,
    change         double precision NOT NULL,
    days           integer NOT NULL,
    reason_key     text NOT NULL,
    reason_params  jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'seen') = (outcome IS NOT NULL AND seen_by IS NOT NULL AND seen_at IS NOT NULL))
);
-- One open entry per home and indicator: a change found again updates it.
CREATE UNIQUE INDEX review_entries_open ON review_entries (home_id, indicator) WHERE state = 'open';
CREATE INDEX review_entries_home ON review_entries (home_id, indicator, opened_on DESC);
CREATE INDEX review_entries_opened ON review_entries (opened_on);

-- Each district's thresholds (hub.review.settings.ReviewSettings as JSON); a district without
-- a row has the defaults.
CREATE TABLE review_settings (
    district    text PRIMARY KEY,
    settings    jsonb NOT NULL,
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
