-- Deliveries that must not be lost to a crash between their commit and the
-- moment they are handed to the adapter: a crisis resources card offered after
-- a match, and a member's page to the moderators. Written in the same
-- transaction as the change that caused them, deleted once handed on, and
-- delivered after a restart if still here. Never message text: the card is
-- rebuilt from the community's resources, the page names only the member.
CREATE TABLE outbox (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    community TEXT NOT NULL,
    member    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    display   TEXT,
    at        INTEGER NOT NULL
);
CREATE INDEX outbox_community ON outbox (community);
