-- Casts between vector and arrays.  Arrays of integer, real, double
-- precision and numeric convert to vector (assignment casts); vector
-- converts to real[] (implicit cast), as in pgvector.

SELECT ARRAY[1,2,3]::vector;
SELECT ARRAY[1.5,-2.25,3]::real[]::vector;
SELECT ARRAY[0.1,2,3]::double precision[]::vector;
SELECT ARRAY[0.1,2.5,-3]::numeric[]::vector;
SELECT ARRAY[16777217, -2147483648]::integer[]::vector;
SELECT ARRAY[1e-50, 1e-45, 3.4028235e38]::double precision[]::vector;
SELECT ARRAY[1,2,3]::vector(3);
SELECT ARRAY[1,2,3]::real[]::vector(3);
SELECT ARRAY[1,2,3]::double precision[]::vector(3);
SELECT ARRAY[1,2,3]::numeric[]::vector(3);
SELECT '[0:2]={4,5,6}'::integer[]::vector;

-- vector to real[], and on to other arrays through real[]
SELECT '[1,2.5,-3]'::vector::real[];
SELECT '[0.1,1e-45]'::vector::real[];
SELECT '[1,2.5,-3]'::vector::real[]::double precision[];
SELECT '[1,2.5,-3]'::vector::real[]::numeric[];
SELECT array_length('[1,2,3,4]'::vector::real[], 1);
SELECT v::real[]::vector = v AS round_trip
FROM (VALUES ('[0.1,-0.2,3.4028235e38,1e-45]'::vector)) t(v);

-- the cast to real[] is implicit; the casts from arrays apply on assignment
CREATE TABLE casts_t (a real[], v vector);
INSERT INTO casts_t (a) VALUES ('[1,2,3]'::vector);
INSERT INTO casts_t (v) VALUES (ARRAY[1,2,3]), (ARRAY[1.5,2,3]::real[]),
	(ARRAY[1.5,2,3]::double precision[]), (ARRAY[1.5,2,3]::numeric[]);
SELECT * FROM casts_t;
DROP TABLE casts_t;
CREATE FUNCTION casts_sum(a real[]) RETURNS real
	LANGUAGE sql AS 'SELECT sum(x) FROM unnest(a) x';
SELECT casts_sum('[1,2,3.5]'::vector);
DROP FUNCTION casts_sum(real[]);
-- but arrays are not converted implicitly
SELECT vector_dims(ARRAY[1,2,3]);

-- errors
SELECT ARRAY[1,2,3]::vector(2);
SELECT ARRAY[1,2,3]::real[]::vector(2);
SELECT ARRAY[1,2,3]::double precision[]::vector(2);
SELECT ARRAY[1,2,3]::numeric[]::vector(2);
SELECT ARRAY[[1,2],[3,4]]::vector;
SELECT ARRAY[[1,2],[3,4]]::real[]::vector;
SELECT ARRAY[1,NULL,3]::vector;
SELECT ARRAY[1,NULL,3]::double precision[]::vector;
SELECT ARRAY[NULL]::numeric[]::vector;
SELECT '{}'::integer[]::vector;
SELECT '{}'::real[]::vector;
SELECT array_fill(1, ARRAY[16001])::vector;
SELECT array_fill(1::real, ARRAY[16001])::vector;
SELECT ARRAY['NaN']::real[]::vector;
SELECT ARRAY[1,'Infinity']::real[]::vector;
SELECT ARRAY['NaN']::double precision[]::vector;
SELECT ARRAY['-Infinity']::double precision[]::vector;
SELECT ARRAY[1e39]::double precision[]::vector;
SELECT ARRAY[-1e300]::double precision[]::vector;
SELECT ARRAY['NaN']::numeric[]::vector;
SELECT ARRAY[1e39]::numeric[]::vector;
SELECT ARRAY['1','2']::text[]::vector;
