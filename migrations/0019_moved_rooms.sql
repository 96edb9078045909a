-- A room that replaced another (a Matrix room upgrade: the old room's tombstone
-- names the new one): the new room belongs to the old room's community. Only ids.
CREATE TABLE moved_rooms (
    room        TEXT PRIMARY KEY,
    predecessor TEXT NOT NULL
);
