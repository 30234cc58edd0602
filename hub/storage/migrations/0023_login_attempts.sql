-- Sign-in attempts for throttling, shared by every hub replica and kept across restarts.
-- The typed user name is kept only as a hash: people type passwords into that field.
-- `forgiven` marks a user's earlier slips from an address once they signed in from it: they
-- no longer count for that user at that address, but still count for the address and for the
-- user name. Rows older than the throttling window are deleted as new attempts come.
CREATE TABLE login_attempts (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_key  text NOT NULL,
    source    text NOT NULL,
    at        timestamptz NOT NULL,
    forgiven  boolean NOT NULL DEFAULT false
);
CREATE INDEX login_attempts_user ON login_attempts (user_key, at);
CREATE INDEX login_attempts_source ON login_attempts (source, at);
CREATE INDEX login_attempts_at ON login_attempts (at);
