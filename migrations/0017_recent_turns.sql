-- The finished turns of a live circle that `turns` doesn't hold yet, as a JSON
-- array in the circle's own row (NULL when there are none). A turn's end then
-- rewrites only the circle's page; the turns move to `turns` a few at a time
-- and when the circle ends, so the row stays small. Never what was said.
ALTER TABLE circles ADD COLUMN recent TEXT;
