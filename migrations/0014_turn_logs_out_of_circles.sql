-- Circle documents of formats 1 and 2 carry their turn log inline. Move each
-- entry to `turns` (in order, keeping the document's format) and drop the log
-- from the document, so every circle is read and written the same way.
INSERT INTO turns (community, circle, seq, speaker, doc, format)
    SELECT c.community, c.id, CAST(j.key AS INTEGER), json_extract(j.value, '$.speaker'), j.value, c.format
    FROM circles c, json_each(c.doc, '$.log') j;
UPDATE circles SET doc = json_remove(doc, '$.log') WHERE json_type(doc, '$.log') IS NOT NULL;
