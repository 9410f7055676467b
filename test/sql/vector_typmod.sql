-- The type modifier vector(n): 1 <= n <= 16000, checked on input, on
-- assignment and by the length-coercion cast.

CREATE TABLE typmod_t (v vector(3));
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'typmod_t'::regclass AND attname = 'v';

INSERT INTO typmod_t VALUES ('[1,2,3]');
INSERT INTO typmod_t VALUES ('[1,2]');
INSERT INTO typmod_t VALUES ('[1,2,3,4]');
INSERT INTO typmod_t VALUES ('[1,2]'::vector + '[3,4]');
INSERT INTO typmod_t VALUES ('[1,2,3]'::vector + '[3,4,5]');
INSERT INTO typmod_t VALUES (ARRAY[7,8,9]);
INSERT INTO typmod_t VALUES (ARRAY[7,8]);
INSERT INTO typmod_t VALUES (ARRAY[7.5,8,9]::real[]);
UPDATE typmod_t SET v = v || '[1]';
COPY typmod_t FROM stdin;
[10,11,12]
\.
COPY typmod_t FROM stdin;
[10,11]
\.
SELECT * FROM typmod_t ORDER BY v;

-- casts to vector(n)
SELECT '[1,2,3]'::vector(3);
SELECT '[1,2,3]'::vector(2);
SELECT '[1,2,3]'::vector::vector(3);
SELECT '[1,2,3]'::vector::vector(4);
SELECT ('[1,2]'::vector || '[3]')::vector(3);
SELECT vector('[1,2]', 2, false);
SELECT vector('[1,2]', 3, true);
SELECT vector('[1,2]', -1, false);
SELECT '[1]'::vector(1), vector_dims('[1]'::vector(1));
SELECT vector_dims(array_fill(1, ARRAY[16000])::vector(16000));

-- changing the column's typmod rechecks every row
ALTER TABLE typmod_t ALTER COLUMN v TYPE vector(4);
ALTER TABLE typmod_t ALTER COLUMN v TYPE vector;
INSERT INTO typmod_t VALUES ('[1,2]');
SELECT * FROM typmod_t ORDER BY v;

-- errors: bad modifiers
SELECT '[1]'::vector(0);
SELECT '[1]'::vector(-1);
SELECT '[1]'::vector(16001);
SELECT '[1]'::vector(3, 4);
CREATE TABLE typmod_bad (v vector(0));
CREATE TABLE typmod_bad (v vector(16001));

DROP TABLE typmod_t;
