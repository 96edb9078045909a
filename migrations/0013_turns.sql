-- The turn log, one row per finished turn, written once when the turn ends:
-- who spoke, which kind of turn, which round, when, and how it ended. Never
-- what was said. A turn's end appends one small row instead of rewriting its
-- circle's whole document with an ever longer log.
CREATE TABLE turns (
    community TEXT NOT NULL,
    circle    INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    speaker   TEXT NOT NULL,
    doc       TEXT NOT NULL,
    format    INTEGER NOT NULL,
    PRIMARY KEY (community, circle, seq),
    FOREIGN KEY (community, circle) REFERENCES circles(community, id) ON DELETE CASCADE
) WITHOUT ROWID;
