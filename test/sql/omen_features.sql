-- NULLs, partial and expression indexes, unlogged tables, filtered queries.
-- Indexes whose approximate results are printed are built with one thread,
-- so their graph, and so the output, is the same on every run.
SET enable_seqscan = off;
CREATE TABLE f (id int PRIMARY KEY, cat int, v vector(2));
INSERT INTO f SELECT i, i % 5, ARRAY[i, i * 0.5]::float4[]::vector FROM generate_series(1, 400) i;
INSERT INTO f VALUES (1001, 0, NULL), (1002, 1, NULL);

-- NULL vectors are not indexed; a full index scan returns only the non-NULL rows.
CREATE INDEX f_idx ON f USING omen (v vector_l2_ops) WITH (build_threads = 1);
SELECT count(*) FROM (SELECT id FROM f ORDER BY v <-> '[0,0]' LIMIT 1000) s;
-- ORDER BY a NULL query vector (a generic plan keeps the index scan): any
-- order is right, and every indexed row comes back.
SET plan_cache_mode = force_generic_plan;
PREPARE nullq(vector) AS SELECT count(*) FROM (SELECT id FROM f ORDER BY v <-> $1 LIMIT 1000) s;
EXPLAIN (COSTS OFF) EXECUTE nullq(NULL);
EXECUTE nullq(NULL);
DEALLOCATE nullq;
RESET plan_cache_mode;

-- Filtered queries keep scanning past ef_search until LIMIT rows match.
SET omen.ef_search = 10;
SELECT id FROM f WHERE cat = 3 ORDER BY v <-> '[200,100]' LIMIT 5;
SELECT count(*) FROM (SELECT id FROM f WHERE cat = 3 ORDER BY v <-> '[200,100]' LIMIT 50) s;
-- ... but no further than omen.max_scan_tuples rows.
SET omen.max_scan_tuples = 20;
SELECT count(*) FROM (SELECT id FROM f WHERE cat = 3 ORDER BY v <-> '[200,100]' LIMIT 50) s;
RESET omen.max_scan_tuples;
RESET omen.ef_search;
DROP INDEX f_idx;

-- A partial index is used only for queries that imply its predicate.
CREATE INDEX f_part ON f USING omen (v vector_l2_ops) WITH (build_threads = 1) WHERE cat = 1;
EXPLAIN (COSTS OFF) SELECT id FROM f WHERE cat = 1 ORDER BY v <-> '[10,5]' LIMIT 3;
SELECT id FROM f WHERE cat = 1 ORDER BY v <-> '[10,5]' LIMIT 3;
EXPLAIN (COSTS OFF) SELECT id FROM f WHERE cat = 2 ORDER BY v <-> '[10,5]' LIMIT 3;
DROP INDEX f_part;

-- An expression index answers queries on the same expression.
CREATE INDEX f_expr ON f USING omen (((v * '[2,2]')::vector(2)) vector_l1_ops) WITH (build_threads = 1);
EXPLAIN (COSTS OFF) SELECT id FROM f ORDER BY (v * '[2,2]')::vector(2) <+> '[20.1,10.05]' LIMIT 3;
SELECT id FROM f ORDER BY (v * '[2,2]')::vector(2) <+> '[20.1,10.05]' LIMIT 3;
DROP TABLE f;

-- Unlogged tables get an unlogged index with an init fork.
CREATE UNLOGGED TABLE u (id int, v vector(3));
INSERT INTO u SELECT i, ARRAY[i, i % 3, 0]::float4[]::vector FROM generate_series(1, 50) i;
CREATE INDEX u_idx ON u USING omen (v vector_cosine_ops) WITH (build_threads = 1);
SELECT relpersistence FROM pg_class WHERE relname = 'u_idx';
SELECT pg_relation_size('u_idx', 'init') > 0 AS has_init_fork;
-- A zero vector has no direction: it is not indexed under cosine.
INSERT INTO u VALUES (100, '[0,1,0]'), (101, '[0,0,0]');
SELECT id FROM u ORDER BY v <=> '[0,2,0.01]' LIMIT 1;
SELECT count(*) FROM (SELECT id FROM u ORDER BY v <=> '[1,1,1]' LIMIT 100) s;
TRUNCATE u;
SELECT count(*) FROM (SELECT id FROM u ORDER BY v <=> '[1,1,1]' LIMIT 10) s;
INSERT INTO u VALUES (1, '[1,2,3]');
SELECT id FROM u ORDER BY v <=> '[1,2,3]' LIMIT 1;
DROP TABLE u;

-- Index size: bytes per vector stay close to vector + links + header.
CREATE TABLE s (v vector(128));
INSERT INTO s SELECT ARRAY(SELECT random() FROM generate_series(1, 128) WHERE i > 0)::float4[]::vector
FROM generate_series(1, 3000) i;
CREATE INDEX s_idx ON s USING omen (v vector_l2_ops) WITH (m = 16);
SELECT pg_relation_size('s_idx') / 3000 BETWEEN 656 AND 689 AS bytes_per_vector_within_5_percent;
DROP TABLE s;
