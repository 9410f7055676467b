-- The demo's queries (run by scripts/demo.sh against the loaded tables).
\pset footer off
\echo
\echo '== Fashion-MNIST in PostgreSQL: 60,000 vectors of 784 dimensions'
SELECT count(*) AS items, pg_size_pretty(pg_total_relation_size('items')) AS table_size FROM items;

\echo '== exact search (sequential scan): the 5 nearest items to test image 1'
SET enable_indexscan = off;
\timing on
SELECT id, round((embedding <-> (SELECT embedding FROM queries WHERE id = 1))::numeric, 1) AS l2_distance
FROM items ORDER BY embedding <-> (SELECT embedding FROM queries WHERE id = 1) LIMIT 5;
\timing off

\echo '== ground truth: exact 10 nearest neighbours of' :nq 'test images'
CREATE TEMP TABLE truth AS
SELECT q.id AS qid,
       ARRAY(SELECT i.id FROM items i ORDER BY i.embedding <-> q.embedding LIMIT 10) AS ids,
       0::float8 AS ms
FROM queries q WHERE q.id <= :nq;

-- Times each query of a set through whatever plan the settings allow.
CREATE FUNCTION pg_temp.run_queries(n int) RETURNS TABLE (qid int, ids int[], ms float8) AS $$
DECLARE
	q record;
	t0 timestamptz;
BEGIN
	FOR q IN SELECT id, embedding FROM queries WHERE id <= n ORDER BY id LOOP
		t0 := clock_timestamp();
		ids := ARRAY(SELECT i.id FROM items i ORDER BY i.embedding <-> q.embedding LIMIT 10);
		ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
		qid := q.id;
		RETURN NEXT;
	END LOOP;
END $$ LANGUAGE plpgsql;

CREATE TEMP TABLE exact_run AS SELECT * FROM pg_temp.run_queries(:nq);

\echo '== CREATE INDEX ... USING omen (embedding vector_l2_ops)'
\timing on
CREATE INDEX items_embedding_idx ON items USING omen (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64);
\timing off
SELECT pg_size_pretty(pg_relation_size('items_embedding_idx')) AS index_size,
       round(pg_relation_size('items_embedding_idx')::numeric / (SELECT count(*) FROM items)) AS bytes_per_vector;

RESET enable_indexscan;
SET enable_seqscan = off;
\echo '== the plan'
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <-> (SELECT embedding FROM queries WHERE id = 1) LIMIT 10;

\echo '== approximate search through the index: the 5 nearest items to test image 1'
SELECT id, round((embedding <-> (SELECT embedding FROM queries WHERE id = 1))::numeric, 1) AS l2_distance
FROM items ORDER BY embedding <-> (SELECT embedding FROM queries WHERE id = 1) LIMIT 5;

\echo '== recall@10 and speed, exact search vs omen at several omen.ef_search'
CREATE TEMP TABLE results (method text, ef int, recall numeric, qps numeric, p50_ms numeric);
INSERT INTO results
SELECT 'exact (seq scan)', NULL, 1.0,
       round((count(*) / (sum(ms) / 1000))::numeric, 1),
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 2)
FROM exact_run;

-- Runs the query set at one ef_search and records recall and speed.
CREATE FUNCTION pg_temp.measure(ef int, n int) RETURNS void AS $$
	SELECT set_config('omen.ef_search', ef::text, true);
	INSERT INTO results
	SELECT 'omen', ef,
	       round(avg((SELECT count(*) FROM unnest(r.ids) x WHERE x = ANY (t.ids)) / 10.0), 4),
	       round((count(*) / (sum(r.ms) / 1000))::numeric, 1),
	       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY r.ms))::numeric, 2)
	FROM pg_temp.run_queries(n) r JOIN truth t USING (qid);
$$ LANGUAGE sql;

SELECT pg_temp.measure(ef, :nq) FROM unnest(ARRAY[10, 20, 40, 100, 200]) ef \g /dev/null
SELECT method, ef AS ef_search, recall AS "recall@10", qps AS queries_per_s, p50_ms FROM results;

\echo '== the same index with storage = int8: a quarter of the size, results still in exact order'
DROP INDEX items_embedding_idx;
\timing on
CREATE INDEX items_embedding_int8 ON items USING omen (embedding vector_l2_ops) WITH (storage = int8);
\timing off
SELECT pg_size_pretty(pg_relation_size('items_embedding_int8')) AS index_size,
       round(pg_relation_size('items_embedding_int8')::numeric / (SELECT count(*) FROM items)) AS bytes_per_vector;
DELETE FROM results WHERE method = 'omen';
SELECT pg_temp.measure(ef, :nq) FROM unnest(ARRAY[10, 40, 200]) ef \g /dev/null
SELECT 'omen, int8' AS method, ef AS ef_search, recall AS "recall@10", qps AS queries_per_s, p50_ms
FROM results WHERE method = 'omen';
