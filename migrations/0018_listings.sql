-- A scheduled circle's entry in the platform's calendar (a Discord scheduled
-- event): its id there, so a moved, started, ended or cancelled circle updates
-- the same entry, also after a restart. Only ids.
CREATE TABLE listings (
    community TEXT NOT NULL,
    circle    INTEGER NOT NULL,
    entry     TEXT NOT NULL,
    PRIMARY KEY (community, circle)
);
