-- Nothing looks circles up by `live` alone: loading and the purge go through the
-- community's primary key. The index only cost a page write whenever a circle
-- was written, which is at every turn.
DROP INDEX IF EXISTS circles_live;
