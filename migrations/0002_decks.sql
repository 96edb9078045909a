-- A community's prompt decks, one row per deck.
CREATE TABLE decks (
    community TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    doc       TEXT NOT NULL,
    PRIMARY KEY (community, name)
);
