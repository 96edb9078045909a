-- The private room attune opened with a member for one community (a Matrix DM
-- room), so a restart reuses it instead of opening another, and a message in it
-- is known to belong to that community. Only ids: nothing anyone wrote.
CREATE TABLE private_rooms (
    community TEXT NOT NULL,
    member    TEXT NOT NULL,
    room      TEXT NOT NULL,
    PRIMARY KEY (community, member)
);
CREATE UNIQUE INDEX private_rooms_room ON private_rooms (room);
