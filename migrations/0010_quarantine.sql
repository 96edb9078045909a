-- Communities the engine stopped serving after repeated failures, so `doctor`
-- can report them. The reason is a kind of failure, never content.
CREATE TABLE quarantine (
    community TEXT PRIMARY KEY NOT NULL,
    since     INTEGER NOT NULL,
    reason    TEXT NOT NULL
);
