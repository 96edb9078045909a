-- Circle metadata and what a restart needs to resume: order, turn, deadline, timer generation.
CREATE TABLE circles (
    community TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    id        INTEGER NOT NULL,
    channel   TEXT NOT NULL,
    phase     TEXT NOT NULL,
    live      INTEGER NOT NULL,
    ended_at  INTEGER,
    doc       TEXT NOT NULL,
    PRIMARY KEY (community, id)
);
CREATE INDEX circles_live ON circles (live);
