-- What is kept about a member: consent, preferences, timers. Never what they share.
CREATE TABLE members (
    community TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    member    TEXT NOT NULL,
    doc       TEXT NOT NULL,
    PRIMARY KEY (community, member)
);
