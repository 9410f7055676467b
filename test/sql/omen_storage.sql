-- Compact storage (storage = half | int8): the index keeps a lossy copy of
-- each vector, hands PostgreSQL a lower bound of every distance and lets the
-- executor recheck it against the heap row, so results come back in exact
-- distance order, equal to a sequential scan's.
SET enable_seqscan = off;
SELECT setseed(0.7);
CREATE TABLE t (id int PRIMARY KEY, v vector(8));
INSERT INTO t SELECT i, ARRAY(SELECT round((random() * 20 - 10)::numeric, 4) FROM generate_series(1, 8) WHERE i > 0)::float4[]::vector
FROM generate_series(1, 300) i;
-- near-duplicates, which compact storage cannot tell apart on its own
INSERT INTO t SELECT 1000 + i, ARRAY[3, 3, 3, 3, 3, 3, 3, 3 + i * 1e-4]::float4[]::vector FROM generate_series(1, 20) i;
CREATE TABLE q (id int PRIMARY KEY, v vector(8));
INSERT INTO q SELECT i, ARRAY(SELECT round((random() * 20 - 10)::numeric, 4) FROM generate_series(1, 8) WHERE i > 0)::float4[]::vector
FROM generate_series(1, 20) i;
INSERT INTO q VALUES (100, '[3,3,3,3,3,3,3,3.001]');

-- Ids and distances of the top 15, through the index or a sequential scan.
CREATE FUNCTION top(op text, qv vector, exact bool) RETURNS text AS $$
DECLARE r text;
BEGIN
	IF exact THEN
		SET LOCAL enable_indexscan = off;
		SET LOCAL enable_seqscan = on;
	END IF;
	EXECUTE format('SELECT string_agg(id || ''@'' || d, '','') FROM (SELECT id, v %1$s $1 AS d FROM t ORDER BY v %1$s $1 LIMIT 15) s', op)
		INTO r USING qv;
	RETURN r;
END $$ LANGUAGE plpgsql;
-- Rows whose distance is below the previous row's, through the index.
CREATE FUNCTION disorder(op text, qv vector, k int) RETURNS int AS $$
DECLARE n int;
BEGIN
	EXECUTE format('SELECT count(*) FROM (SELECT d < lag(d) OVER (ORDER BY rn) AS bad FROM
		(SELECT v %1$s $1 AS d, row_number() OVER () AS rn FROM (SELECT v FROM t ORDER BY v %1$s $1 LIMIT %2$s) s) s) s WHERE bad', op, k)
		INTO n USING qv;
	RETURN n;
END $$ LANGUAGE plpgsql;

SET omen.ef_search = 400;
CREATE INDEX t_idx ON t USING omen (v vector_l2_ops) WITH (storage = int8);
SELECT reloptions FROM pg_class WHERE relname = 't_idx';
EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v <-> '[1,2,3,4,5,6,7,8]' LIMIT 5;
-- The near-duplicates come back: the right five, in their exact order (ties,
-- 1008 and 1012 at 0.0002, may come either way, so the list is shown sorted
-- and the order is checked on its own).
SELECT id, d FROM (SELECT id, round((v <-> '[3,3,3,3,3,3,3,3.001]')::numeric, 6) AS d FROM t
	ORDER BY v <-> '[3,3,3,3,3,3,3,3.001]' LIMIT 5) s ORDER BY d, id;
SELECT disorder('<->', '[3,3,3,3,3,3,3,3.001]', 5);
DROP INDEX t_idx;

-- Every storage and operator class: identical to the sequential scan.
DO $$
DECLARE st text; m record; same int; total int;
BEGIN
	FOREACH st IN ARRAY ARRAY['float4', 'half', 'int8'] LOOP
		FOR m IN SELECT * FROM (VALUES ('vector_l2_ops', '<->'), ('vector_ip_ops', '<#>'),
				('vector_cosine_ops', '<=>'), ('vector_l1_ops', '<+>')) x(opc, op) LOOP
			EXECUTE format('CREATE INDEX t_idx ON t USING omen (v %s) WITH (storage = %s, build_threads = 1)', m.opc, st);
			SELECT count(*) FILTER (WHERE top(m.op, v, false) = top(m.op, v, true)), count(*)
				INTO same, total FROM q;
			RAISE NOTICE '% %: % of % queries identical to a sequential scan', st, m.opc, same, total;
			DROP INDEX t_idx;
		END LOOP;
	END LOOP;
END $$;

-- Rows inserted after the build, and a vacuum after deletes, keep the order exact.
CREATE INDEX t_idx ON t USING omen (v vector_cosine_ops) WITH (storage = half);
INSERT INTO t SELECT 2000 + i, ARRAY(SELECT round((random() * 20 - 10)::numeric, 4) FROM generate_series(1, 8) WHERE i > 0)::float4[]::vector
FROM generate_series(1, 200) i;
SELECT count(*) FILTER (WHERE top('<=>', v, false) = top('<=>', v, true)) AS cosine_identical_after_inserts FROM q;
DELETE FROM t WHERE id % 3 = 0;
VACUUM t;
SELECT count(*) FILTER (WHERE top('<=>', v, false) = top('<=>', v, true)) AS cosine_identical_after_vacuum FROM q;
DROP INDEX t_idx;

-- Beyond the first round (ef_search 10, LIMIT 100) rows keep coming, none twice, none lost.
CREATE INDEX t_idx ON t USING omen (v vector_l1_ops) WITH (storage = int8);
SET omen.ef_search = 10;
SELECT count(*) AS rows, count(DISTINCT id) AS distinct_ids FROM (SELECT id FROM t ORDER BY v <+> '[0,0,0,0,0,0,0,0]' LIMIT 100) s;
-- Within the first round the order is exact.
SELECT sum(disorder('<+>', v, 5)) AS l1_disorder_in_first_round FROM q;
SET omen.ef_search = 40;
SELECT sum(disorder('<+>', v, 20)) AS l1_disorder_in_first_round FROM q;
-- ORDER BY v <+> NULL orders nothing: every row comes back.
SELECT count(*) AS null_query_rows FROM (SELECT id FROM t ORDER BY v <+> NULL LIMIT 1000) s;
DROP INDEX t_idx;

-- Values far outside half's range, and inner products float would overflow:
-- the bound gives up (-inf) rather than ever exceeding the true distance.
CREATE TABLE big (id int, v vector(4));
INSERT INTO big VALUES (1, '[1e30,2e30,-1e30,5]'), (2, '[100000,0,0,0]'), (3, '[1,2,3,4]'), (4, '[-1e15,1e15,0,0]');
CREATE INDEX ON big USING omen (v vector_ip_ops) WITH (storage = half);
SELECT id FROM big ORDER BY v <#> '[1e10,1,1,1]';
SELECT id FROM big ORDER BY v <#> '[1,1,1,1]';
CREATE INDEX big_l2 ON big USING omen (v vector_l2_ops) WITH (storage = half);
SELECT id FROM big ORDER BY v <-> '[100001,0,0,0]';
DROP TABLE big;

-- Every dimension the type allows can be indexed with every storage.
CREATE TABLE wide (id int, v vector(16000));
INSERT INTO wide SELECT i, array_fill((i * 0.25)::real, ARRAY[16000])::vector FROM generate_series(1, 12) i;
DO $$
DECLARE st text; r text;
BEGIN
	FOREACH st IN ARRAY ARRAY['float4', 'half', 'int8'] LOOP
		EXECUTE format('CREATE INDEX wide_idx ON wide USING omen (v vector_l2_ops) WITH (storage = %s)', st);
		SELECT string_agg(id::text, ',') INTO r FROM (SELECT id FROM wide ORDER BY v <-> array_fill(1.6::real, ARRAY[16000])::vector LIMIT 4) s;
		RAISE NOTICE '16000 dimensions, %: % (% bytes)', st, r, pg_relation_size('wide_idx');
		DROP INDEX wide_idx;
	END LOOP;
END $$;
DROP TABLE wide;

-- Bytes per vector at 128 dimensions, m = 16: int8 stays under 300.
CREATE TABLE d128 (id int, v vector(128));
INSERT INTO d128 SELECT i, ARRAY(SELECT random() FROM generate_series(1, 128) WHERE i > 0)::float4[]::vector FROM generate_series(1, 5000) i;
CREATE INDEX d128_int8 ON d128 USING omen (v vector_l2_ops) WITH (storage = int8);
CREATE INDEX d128_half ON d128 USING omen (v vector_l2_ops) WITH (storage = half);
SELECT pg_relation_size('d128_int8') / 5000.0 < 300 AS int8_under_300_bytes,
	pg_relation_size('d128_half') / 5000.0 < 440 AS half_under_440_bytes;
DROP TABLE d128;

-- Compact indexes carry format version 2 in their metapage, so binaries from
-- before compact storage refuse them; float4 indexes keep version 1.
CREATE EXTENSION pageinspect;
CREATE TABLE fv (v vector(3));
CREATE INDEX fv_float4 ON fv USING omen (v vector_l2_ops);
CREATE INDEX fv_half ON fv USING omen (v vector_l2_ops) WITH (storage = half);
SELECT i.relname, get_byte(get_raw_page(i.relname::text, 0), 28) AS format_version
FROM pg_class i WHERE i.relname IN ('fv_float4', 'fv_half') ORDER BY 1;
DROP TABLE fv;
DROP EXTENSION pageinspect;

-- Bad values for the option name the valid ones.
CREATE INDEX ON t USING omen (v vector_l2_ops) WITH (storage = int4);
CREATE INDEX ON t USING omen (v vector_l2_ops) WITH (storage = '');
DROP TABLE t, q;
DROP FUNCTION top(text, vector, bool), disorder(text, vector, int);
