-- avg(vector) and sum(vector), serial and parallel.

CREATE TABLE agg_t (g int, v vector);
INSERT INTO agg_t VALUES
	(1, '[1,2,3]'), (1, '[3,4,5]'), (1, NULL),
	(2, '[1]'), (2, '[2]'), (2, '[2]'),
	(3, '[0.5,-0.5]');

SELECT g, avg(v), sum(v), count(v) FROM agg_t GROUP BY g ORDER BY g;

-- no rows, only NULLs: NULL
SELECT avg(v), sum(v) FROM agg_t WHERE false;
SELECT avg(v), sum(v) FROM agg_t WHERE v IS NULL;

-- averages stay within float4 range even when the sum would not
SELECT avg(v) FROM (VALUES ('[3.4028235e38,-3.4028235e38]'::vector),
	('[3.4028235e38,-3.4028235e38]')) t(v);

-- as window functions
SELECT g, v, avg(v) OVER w, sum(v) OVER w FROM agg_t WHERE g = 1 AND v IS NOT NULL
WINDOW w AS (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) ORDER BY v;

-- the support functions, called directly: state = {count, sum_1, ..., sum_n}
SELECT vector_accum('{0}', '[1,2]');
SELECT vector_accum('{1,1,2}', '[3,4]');
SELECT vector_combine('{1,1,2}', '{2,3,4}');
SELECT vector_combine('{0}', '{2,3,4}'), vector_combine('{2,3,4}', '{0}'),
	vector_combine('{0}', '{0}');
SELECT vector_avg('{2,3,4}'), vector_avg('{0}');

-- parallel aggregation: partial states are merged with vector_combine
-- (avg) and vector_add (sum)
CREATE TABLE agg_big (v vector);
INSERT INTO agg_big SELECT ARRAY[i % 10, 1, -i % 7]::vector FROM generate_series(1, 10000) i;
ANALYZE agg_big;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM agg_big;
SELECT avg(v), sum(v) FROM agg_big;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SELECT avg(v), sum(v) FROM agg_big;

SELECT p.oid::regprocedure, p.proparallel, a.aggcombinefn
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE a.aggfnoid IN ('avg(vector)'::regprocedure, 'sum(vector)'::regprocedure)
ORDER BY 1::text;

-- errors
SELECT avg(v) FROM agg_t;
SELECT sum(v) FROM agg_t;
SELECT sum(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v);
SELECT vector_accum('{1,1,2}', '[1,2,3]');
SELECT vector_combine('{1,1,2}', '{1,1}');
SELECT vector_avg('{}');
SELECT vector_avg('{{1,2}}');
SELECT vector_avg('{1,NULL}');
SELECT vector_accum('{0}'::float8[], NULL) IS NULL AS strict;

DROP TABLE agg_t, agg_big;
