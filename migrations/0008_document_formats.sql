-- Each stored document records the format it was written in, so a later
-- release can upgrade it when loading. Rows written before this have format 1.
ALTER TABLE communities ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE decks ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE members ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE circles ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
