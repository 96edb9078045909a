-- What an adapter changed to hold the floor (a permission overwrite, a power
-- level, a voice mute), with the value it had before, written before the
-- change is made so that a restart can put it back exactly. One row per
-- changed thing; the row goes when the thing is restored.
CREATE TABLE floor_holds (
    platform  TEXT NOT NULL,
    channel   TEXT NOT NULL,
    target    TEXT NOT NULL,
    original  TEXT NOT NULL,
    held_at   INTEGER NOT NULL,
    PRIMARY KEY (platform, channel, target)
);
