-- Refused messages beyond each home's sample: a flood from one home keeps its first few
-- messages a minute (and reason) in dead_letters, and only a count of the rest here.
CREATE TABLE dead_letter_counts (
    minute    timestamptz NOT NULL,
    home_id   text NOT NULL,
    reason    text NOT NULL,
    messages  bigint NOT NULL,
    PRIMARY KEY (minute, home_id, reason)
);
