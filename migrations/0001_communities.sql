-- One row per community: settings, templates, agreements, resources and
-- pending suggestions, as a JSON document owned by the store's row struct.
CREATE TABLE communities (
    id         TEXT PRIMARY KEY NOT NULL,
    doc        TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
