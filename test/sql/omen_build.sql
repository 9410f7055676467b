-- The omen index answers ORDER BY <distance> LIMIT exactly on small tables
-- (ef_search above the row count), for every operator class.
SET enable_seqscan = off;
SELECT setseed(0.42);
CREATE TABLE t (id int PRIMARY KEY, v vector(8));
INSERT INTO t SELECT i, ARRAY(SELECT round((random() * 20 - 10)::numeric, 3) FROM generate_series(1, 8) WHERE i > 0)::float4[]::vector
FROM generate_series(1, 300) i;
CREATE TABLE q (id int PRIMARY KEY, v vector(8));
INSERT INTO q SELECT i, ARRAY(SELECT round((random() * 20 - 10)::numeric, 3) FROM generate_series(1, 8) WHERE i > 0)::float4[]::vector
FROM generate_series(1, 20) i;

-- Exact top-10 through a sequential scan, per query and operator.
CREATE FUNCTION exact_top(op text, qv vector) RETURNS int[] AS $$
DECLARE r int[];
BEGIN
	SET LOCAL enable_indexscan = off;
	SET LOCAL enable_seqscan = on;
	EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM t ORDER BY v %s $1, id LIMIT 10) s', op) INTO r USING qv;
	RETURN r;
END $$ LANGUAGE plpgsql;
CREATE FUNCTION index_top(op text, qv vector) RETURNS int[] AS $$
DECLARE r int[];
BEGIN
	EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM t ORDER BY v %s $1 LIMIT 10) s', op) INTO r USING qv;
	RETURN r;
END $$ LANGUAGE plpgsql;

SET omen.ef_search = 400;

CREATE INDEX t_l2 ON t USING omen (v vector_l2_ops);
EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v <-> '[1,2,3,4,5,6,7,8]' LIMIT 5;
SELECT count(*) FILTER (WHERE index_top('<->', v) = exact_top('<->', v)) AS l2_exact FROM q;
DROP INDEX t_l2;

CREATE INDEX t_ip ON t USING omen (v vector_ip_ops);
EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v <#> '[1,2,3,4,5,6,7,8]' LIMIT 5;
SELECT count(*) FILTER (WHERE index_top('<#>', v) = exact_top('<#>', v)) AS ip_exact FROM q;
DROP INDEX t_ip;

CREATE INDEX t_cos ON t USING omen (v vector_cosine_ops);
EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v <=> '[1,2,3,4,5,6,7,8]' LIMIT 5;
SELECT count(*) FILTER (WHERE index_top('<=>', v) = exact_top('<=>', v)) AS cosine_exact FROM q;
DROP INDEX t_cos;

CREATE INDEX t_l1 ON t USING omen (v vector_l1_ops);
EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v <+> '[1,2,3,4,5,6,7,8]' LIMIT 5;
SELECT count(*) FILTER (WHERE index_top('<+>', v) = exact_top('<+>', v)) AS l1_exact FROM q;

-- Rows inserted after the build are found too, and the scan returns every row.
INSERT INTO t SELECT 1000 + i, ARRAY[i, i, i, i, i, i, i, i]::float4[]::vector FROM generate_series(1, 50) i;
SELECT id FROM t ORDER BY v <+> '[20.1,20.1,20.1,20.1,20.1,20.1,20.1,20.1]' LIMIT 3;
SELECT count(*) FILTER (WHERE index_top('<+>', v) = exact_top('<+>', v)) AS l1_exact_after_inserts FROM q;
SET omen.ef_search = 40;
SELECT count(*) AS all_rows FROM (SELECT id FROM t ORDER BY v <+> '[0,0,0,0,0,0,0,0]' LIMIT 1000) s;
DROP INDEX t_l1;

-- An index built on an empty table grows by inserts alone.
CREATE TABLE e (id int, v vector(3));
CREATE INDEX e_idx ON e USING omen (v vector_l2_ops) WITH (m = 4, ef_construction = 16);
SELECT * FROM e ORDER BY v <-> '[0,0,0]' LIMIT 1;
INSERT INTO e SELECT i, ARRAY[i, -i, i * 2]::float4[]::vector FROM generate_series(1, 500) i;
SET omen.ef_search = 1000;
SELECT id FROM e ORDER BY v <-> '[100.2,-100,200]' LIMIT 3;
SELECT count(*) FROM (SELECT id FROM e ORDER BY v <-> '[1,1,1]' LIMIT 600) s;
RESET omen.ef_search;
DROP TABLE e;
DROP TABLE t, q;
DROP FUNCTION exact_top, index_top;
