-- Index options, settings and bad input give clear errors.
CREATE TABLE o (id int, v vector(3));
INSERT INTO o VALUES (1, '[1,2,3]'), (2, '[4,5,6]');

CREATE INDEX ON o USING omen (v vector_l2_ops) WITH (m = 1);
CREATE INDEX ON o USING omen (v vector_l2_ops) WITH (m = 101);
CREATE INDEX ON o USING omen (v vector_l2_ops) WITH (ef_construction = 3);
CREATE INDEX ON o USING omen (v vector_l2_ops) WITH (ef_construction = 1001);
CREATE INDEX ON o USING omen (v vector_l2_ops) WITH (m = 16, ef_construction = 31);
CREATE INDEX ON o USING omen (v vector_l2_ops) WITH (lists = 5);
CREATE INDEX ON o USING omen (v vector_l2_ops) WITH (m = 'many');
CREATE INDEX ON o USING omen (v);
CREATE INDEX ON o USING omen (v vector_l2_ops, id);

-- A column without dimensions cannot be indexed; an expression with them can.
CREATE TABLE nodim (v vector);
CREATE INDEX ON nodim USING omen (v vector_l2_ops);
CREATE INDEX ON nodim USING omen ((v::vector(2)) vector_l2_ops);
INSERT INTO nodim VALUES ('[1,2]');
INSERT INTO nodim VALUES ('[1,2,3]');
DROP TABLE nodim;

CREATE INDEX o_idx ON o USING omen (v vector_l2_ops) WITH (m = 8, ef_construction = 32);
SELECT reloptions FROM pg_class WHERE relname = 'o_idx';
SET enable_seqscan = off;
SELECT id FROM o ORDER BY v <-> '[1,2]' LIMIT 1;
SELECT id FROM o ORDER BY v <-> '[1,2,3]' LIMIT 1;
-- ALTER INDEX ... SET checks the options together, so REINDEX can never
-- meet a pair it refuses; the index keeps the layout it was built with
-- (inserts follow its metapage) until REINDEX applies the new options.
ALTER INDEX o_idx SET (ef_construction = 15);
ALTER INDEX o_idx SET (m = 17);
ALTER INDEX o_idx SET (m = 20, ef_construction = 40, storage = int8);
SELECT reloptions FROM pg_class WHERE relname = 'o_idx';
INSERT INTO o VALUES (3, '[1,2,4]');
SELECT id FROM o ORDER BY v <-> '[1,2,4]' LIMIT 2;
REINDEX INDEX o_idx;
SELECT id FROM o ORDER BY v <-> '[1,2,4]' LIMIT 2;
ALTER INDEX o_idx RESET (m, ef_construction, storage);
ALTER INDEX o_idx SET (m = 8, ef_construction = 32);
SET omen.ef_search = 0;
SET omen.ef_search = 1001;
SET omen.max_scan_tuples = 0;
SET omen.ef_search = 10;
SHOW omen.ef_search;
SET omen.no_such_setting = 1;
-- On a table this small a sequential scan is cheaper, and the planner knows.
RESET enable_seqscan;
ANALYZE o;
EXPLAIN (COSTS OFF) SELECT id FROM o ORDER BY v <-> '[1,2,3]' LIMIT 1;
SET enable_seqscan = off;
-- Without ORDER BY the planner never picks the index.
EXPLAIN (COSTS OFF) SELECT id FROM o WHERE v = '[1,2,3]';
DROP TABLE o;
