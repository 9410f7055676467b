-- Comparison operators and the default btree operator class vector_ops:
-- element by element, then by number of dimensions (like arrays).

SELECT '[1,2,3]'::vector < '[1,2,4]', '[1,2,3]'::vector <= '[1,2,3]',
	'[1,2,3]'::vector = '[1,2,3]', '[1,2,3]'::vector <> '[1,2,3]',
	'[1,2,4]'::vector >= '[1,2,3]', '[1,2,4]'::vector > '[1,2,3]';
SELECT '[1,2]'::vector < '[1,2,3]', '[1,3]'::vector > '[1,2,3]',
	'[1,2]'::vector = '[1,2,0]';
SELECT '[0]'::vector = '[-0]', '[-0,1]'::vector < '[0,1]';
SELECT vector_cmp('[1,2]', '[1,3]'), vector_cmp('[1,2]', '[1,2]'),
	vector_cmp('[1,3]', '[1,2]'), vector_cmp('[1,2]', '[1,2,0]'),
	vector_cmp('[1,2,0]', '[1,2]');
SELECT vector_lt('[1]', '[2]'), vector_le('[2]', '[2]'), vector_eq('[2]', '[2]'),
	vector_ne('[2]', '[3]'), vector_ge('[2]', '[2]'), vector_gt('[3]', '[2]');

CREATE TABLE btree_t (id int, v vector);
INSERT INTO btree_t VALUES
	(1, '[1,2,3]'), (2, '[1,2]'), (3, '[-1,5]'), (4, '[1,2,3]'), (5, '[0.5]'),
	(6, '[1,2,3,0]'), (7, NULL), (8, '[-0,9]'), (9, '[0,9]'), (10, '[1,1,9]');

SELECT id, v FROM btree_t ORDER BY v, id;
SELECT id, v FROM btree_t ORDER BY v DESC NULLS LAST, id;
-- (id 8 is left out where only one of the equal [-0,9] and [0,9] is shown)
SELECT DISTINCT v FROM btree_t WHERE id <> 8 ORDER BY v;
SELECT count(DISTINCT v) FROM btree_t;
SELECT v, count(*) FROM btree_t WHERE id <> 8 GROUP BY v ORDER BY v;
SELECT min(id), max(id) FROM btree_t WHERE v BETWEEN '[0]' AND '[1,2]';

-- the operator class drives an index
CREATE INDEX btree_t_v ON btree_t (v);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM btree_t WHERE v = '[1,2,3]';
SELECT id FROM btree_t WHERE v = '[1,2,3]' ORDER BY id;
SELECT id FROM btree_t WHERE v < '[1,2]' ORDER BY v, id;
SELECT id FROM btree_t WHERE v >= '[1,2,3]' ORDER BY v, id;
EXPLAIN (COSTS OFF) SELECT v FROM btree_t ORDER BY v DESC LIMIT 3;
SELECT v FROM btree_t ORDER BY v DESC LIMIT 3;
RESET enable_seqscan;

-- uniqueness
CREATE UNIQUE INDEX btree_t_u ON btree_t (v) WHERE id <> 4 AND id <> 9;
INSERT INTO btree_t VALUES (11, '[1,2,3]');
INSERT INTO btree_t VALUES (12, '[-0,9]');

DROP TABLE btree_t;
