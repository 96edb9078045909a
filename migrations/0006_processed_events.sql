-- Platform event ids already applied, so a replayed event changes nothing.
CREATE TABLE processed_events (
    community TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (community, event_id)
);
