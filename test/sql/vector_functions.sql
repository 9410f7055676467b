-- Distance functions, their operators, and the other vector functions.
-- Inputs are chosen so that every result is exact (or rounded here), so the
-- expected output does not depend on which SIMD kernel the CPU selects.

-- a = [1,2,3], b = [4,5,6]: differences 3,3,3; dot product 32
SELECT l2_distance('[1,2,3]', '[4,5,6]');					-- sqrt(27)
SELECT '[1,2,3]'::vector <-> '[4,5,6]';
SELECT vector_l2_squared_distance('[1,2,3]', '[4,5,6]');	-- 27
SELECT inner_product('[1,2,3]', '[4,5,6]');				-- 32
SELECT vector_negative_inner_product('[1,2,3]', '[4,5,6]');
SELECT '[1,2,3]'::vector <#> '[4,5,6]';
SELECT l1_distance('[1,2,3]', '[4,5,6]');					-- 9
SELECT '[1,2,3]'::vector <+> '[4,5,6]';
SELECT round(cosine_distance('[1,2,3]', '[4,5,6]')::numeric, 6);	-- 1 - 32/sqrt(14*77)
SELECT round(('[1,2,3]'::vector <=> '[4,5,6]')::numeric, 6);

-- cosine distance: orthogonal 1, same direction 0, opposite 2
SELECT cosine_distance('[1,0]', '[0,1]'), cosine_distance('[2,2]', '[3,3]'),
	cosine_distance('[1,0]', '[-1,0]');
SELECT round(cosine_distance('[3,4]', '[4,3]')::numeric, 6);		-- 1 - 24/25
-- a zero vector has no direction: NaN, as in pgvector
SELECT cosine_distance('[0,0]', '[1,1]'), '[1,1]'::vector <=> '[0,0]',
	cosine_distance('[0,0]', '[0,0]');

-- spherical (angular) distance of unit vectors, acos(a.b) / pi
SELECT vector_spherical_distance('[1,0]', '[0,1]'),
	vector_spherical_distance('[1,0]', '[1,0]'),
	vector_spherical_distance('[1,0]', '[-1,0]');

-- the distance operators commute
SELECT a <-> b = b <-> a, a <#> b = b <#> a, a <=> b = b <=> a, a <+> b = b <+> a
FROM (VALUES ('[1,-2,3.5]'::vector, '[0.5,4,-1]'::vector)) t(a, b);

-- lengths that exercise the kernels' remainder loops: [1..17] against zero
SELECT vector_l2_squared_distance(v, z), l1_distance(v, z), inner_product(v, v),
	round(l2_distance(v, z)::numeric, 6)
FROM (SELECT array_agg(i)::vector AS v, array_fill(0, ARRAY[17])::vector AS z
	  FROM generate_series(1, 17) i) t;
-- and the largest vectors
SELECT l2_distance(array_fill(1, ARRAY[16000])::vector, array_fill(0, ARRAY[16000])::vector),
	inner_product(array_fill(2, ARRAY[16000])::vector, array_fill(3, ARRAY[16000])::vector),
	l1_distance(array_fill(1, ARRAY[16000])::vector, array_fill(-1, ARRAY[16000])::vector);

-- dimensions and norm (the norm is accumulated in double precision)
SELECT vector_dims('[1,2,3]'), vector_dims('[1]');
SELECT vector_norm('[3,4]'), vector_norm('[0,0,0]'), vector_norm('[-5]');
SELECT vector_norm('[3.4028235e38,3.4028235e38]');

-- l2_normalize: unit length; a zero vector stays zero
SELECT l2_normalize('[3,4]');
SELECT l2_normalize('[0,0,5]');
SELECT l2_normalize('[0,0]');
SELECT l2_normalize('[1e-45]');
SELECT l2_normalize('[3.4028235e38,3.4028235e38]');
SELECT round(vector_norm(l2_normalize('[1,2,3,4,5]'))::numeric, 6);

-- element-wise arithmetic
SELECT '[1,2,3]'::vector + '[4,5,6]';
SELECT '[1,2,3]'::vector - '[4,5,6]';
SELECT '[1,2,3]'::vector * '[4,5,6]';
SELECT vector_add('[1,2]', '[0.5,0.25]'), vector_sub('[1,2]', '[0.5,0.25]'),
	vector_mul('[1,2]', '[0.5,0.25]');
SELECT '[1e-30]'::vector * '[1e-30]';					-- underflow to zero is fine
SELECT '[3e38]'::vector + '[-3e38]', '[3e38]'::vector - '[3e38]';

-- concatenation, subvector, binary quantization
SELECT '[1,2]'::vector || '[3]';
SELECT vector_dims(array_fill(1, ARRAY[15999])::vector || '[2]');
SELECT subvector('[1,2,3,4,5]', 2, 3);
SELECT subvector('[1,2,3,4,5]', 0, 3);
SELECT subvector('[1,2,3,4,5]', 4, 10);
SELECT subvector('[1,2,3,4,5]', 2, 2147483647);
SELECT binary_quantize('[1,-2,0,3,0.5,-0,1e-45,-1e-45,7]');

-- NULL in, NULL out
SELECT l2_distance(NULL, '[1]'), '[1]'::vector <=> NULL, vector_norm(NULL),
	('[1]'::vector + NULL) IS NULL;

-- errors: different dimensions
SELECT l2_distance('[1,2,3]', '[1,2,3,4]');
SELECT '[1,2,3]'::vector <-> '[1,2]';
SELECT vector_l2_squared_distance('[1,2,3]', '[1,2]');
SELECT inner_product('[1,2,3]', '[1,2]');
SELECT '[1,2,3]'::vector <#> '[1,2]';
SELECT cosine_distance('[1,2,3]', '[1,2]');
SELECT '[1,2,3]'::vector <=> '[1,2]';
SELECT l1_distance('[1,2,3]', '[1,2]');
SELECT '[1,2,3]'::vector <+> '[1,2]';
SELECT vector_spherical_distance('[1,2,3]', '[1,2]');
SELECT '[1,2,3]'::vector + '[1,2]';
SELECT '[1,2,3]'::vector - '[1,2]';
SELECT '[1,2,3]'::vector * '[1,2]';

-- errors: overflow
SELECT '[3e38]'::vector + '[3e38]';
SELECT '[1,-3e38]'::vector - '[1,3e38]';
SELECT '[1e20,1]'::vector * '[1e20,1]';
SELECT array_fill(1, ARRAY[16000])::vector || '[2]';
SELECT subvector('[1,2,3]', 4, 1);
SELECT subvector('[1,2,3]', 1, 0);
SELECT subvector('[1,2,3]', 2, -1);
SELECT subvector('[1,2,3,4,5]', -2147483648, 2147483647);

-- Distances to vectors stored out of line (TOAST) equal those to in-memory
-- copies, whatever query, operator or transaction asks: the backend
-- remembers recent results per (TOAST value, function, query), and a stale
-- or mixed-up entry would show here.
CREATE TABLE toasted (id int, v vector(600));
INSERT INTO toasted
SELECT i, (SELECT array_agg(((i * 131 + j * 17 + i * j) % 997) / 10.0) FROM generate_series(1, 600) j)::vector
FROM generate_series(1, 200) i;
SELECT pg_relation_size(reltoastrelid) > 0 AS out_of_line FROM pg_class WHERE relname = 'toasted';
CREATE TEMP TABLE probe AS
SELECT (SELECT array_agg((j % 7) / 2.0) FROM generate_series(1, 600) j)::vector AS a,
       (SELECT array_agg((j % 5) / 3.0) FROM generate_series(1, 600) j)::vector AS b;
SELECT count(*) AS rows,
       bool_and(v <-> a = w <-> a AND v <-> b = w <-> b AND v <-> a = w <-> a) AS l2,
       bool_and(v <#> a = w <#> a AND v <=> a = w <=> a AND v <+> a = w <+> a) AS others,
       bool_and(l2_distance(v, b) = l2_distance(w, b) AND a <-> v = a <-> w) AS swapped,
       count(DISTINCT v <-> a) > 150 AS distinct_values
FROM toasted, probe, LATERAL (SELECT v::text::vector AS w) m;
BEGIN;
SELECT sum(v <-> a) = sum(v::text::vector <-> a) AS same FROM toasted, probe;
UPDATE toasted SET v = v * (SELECT array_fill(2, ARRAY[600])::vector) WHERE id % 2 = 0;
SELECT bool_and(v <-> a = v::text::vector <-> a) AS after_update FROM toasted, probe;
COMMIT;
SELECT bool_and(v <-> a = v::text::vector <-> a) AS next_transaction FROM toasted, probe;
DROP TABLE toasted;
