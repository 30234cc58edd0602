-- API tokens get an id to tell them apart, the time of their last use, and a revocation time:
-- a revoked token is kept on record, not deleted, so the audit trail can still name it.
ALTER TABLE api_tokens
    ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    ADD COLUMN last_used_at timestamptz,
    ADD COLUMN revoked_at timestamptz;

-- A user's live tokens have distinct names, so a name says which one to revoke. Tokens made
-- before this rule may share a name: all but the first get their id appended.
UPDATE api_tokens t SET name = t.name || ' #' || t.id
WHERE EXISTS (
    SELECT 1 FROM api_tokens o WHERE o.username = t.username AND o.name = t.name AND o.id < t.id
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (username, name) WHERE revoked_at IS NULL;
