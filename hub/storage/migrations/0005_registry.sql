-- Who lives in each home and whom to call: the people the operators help.
CREATE TABLE residents (
    resident_id    uuid PRIMARY KEY,
    home_id        text NOT NULL REFERENCES homes ON DELETE CASCADE,
    full_name      text NOT NULL,
    address        text NOT NULL,
    date_of_birth  date,
    language       text NOT NULL DEFAULT 'it',
    medical_notes  text NOT NULL DEFAULT '',
    care_notes     text NOT NULL DEFAULT '',
    key_safe       text NOT NULL DEFAULT '',
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX residents_home ON residents (home_id);

-- Relatives, neighbours and responders, in the order the operator calls them.
CREATE TABLE contacts (
    home_id      text NOT NULL REFERENCES homes ON DELETE CASCADE,
    position     smallint NOT NULL CHECK (position >= 1),
    name         text NOT NULL,
    relation     text NOT NULL DEFAULT '',
    phone        text NOT NULL,
    responder    boolean NOT NULL DEFAULT false,
    has_key      boolean NOT NULL DEFAULT false,
    notes        text NOT NULL DEFAULT '',
    PRIMARY KEY (home_id, position)
);
