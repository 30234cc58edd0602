-- People who use the centre's console and API, their sessions and tokens, and the audit log
-- of every read of a person's data and every alarm action.
CREATE TABLE users (
    username       text PRIMARY KEY,
    password_hash  text NOT NULL,
    role           text NOT NULL
                   CHECK (role IN ('operator', 'supervisor', 'social_worker', 'admin')),
    districts      text[] NOT NULL DEFAULT '{}',
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    username    text NOT NULL REFERENCES users ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    token_hash  bytea PRIMARY KEY,
    username    text NOT NULL REFERENCES users ON DELETE CASCADE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL,
    action   text NOT NULL,
    subject  text NOT NULL,
    detail   jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_subject ON audit_log (subject, at);
