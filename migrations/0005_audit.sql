-- Host and moderator actions: who, what, when, to whom. Never message content.
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    community TEXT NOT NULL,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT,
    circle    INTEGER
);
CREATE INDEX audit_community_at ON audit (community, at);
