-- What the console adapter keeps between runs of the same database: who its
-- moderator is (a member key) and, with the manual clock, where the clock stood.
CREATE TABLE console_state (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
