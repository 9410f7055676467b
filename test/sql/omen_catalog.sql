-- The omen operator classes pass amvalidate; a malformed one does not.
SELECT opcname, amvalidate(opc.oid)
FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
WHERE am.amname = 'omen' ORDER BY opcname;

-- Ordering only: no WHERE-clause strategies, no bitmap scans, no multicolumn.
SELECT a.amname, p.name, pg_indexam_has_property(a.oid, p.name)
FROM pg_am a, unnest(ARRAY['can_order', 'can_unique', 'can_multi_col', 'can_include']) p(name)
WHERE a.amname = 'omen';

-- An operator class whose support function has the wrong signature.
CREATE FUNCTION bad_distance(vector, vector) RETURNS float4 AS 'SELECT 0::float4' LANGUAGE sql;
CREATE OPERATOR CLASS bad_ops FOR TYPE vector USING omen AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 bad_distance(vector, vector);
SELECT amvalidate(oid) FROM pg_opclass WHERE opcname = 'bad_ops';
DROP OPERATOR CLASS bad_ops USING omen;
DROP OPERATOR FAMILY bad_ops USING omen;

-- A well-formed class with a distance omen has no kernel for is refused at build.
CREATE FUNCTION my_distance(vector, vector) RETURNS float8 AS 'SELECT 0::float8' LANGUAGE sql IMMUTABLE;
CREATE OPERATOR CLASS my_ops FOR TYPE vector USING omen AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 my_distance(vector, vector);
SELECT amvalidate(oid) FROM pg_opclass WHERE opcname = 'my_ops';
CREATE TABLE c (v vector(2));
CREATE INDEX ON c USING omen (v my_ops);
DROP TABLE c;
DROP OPERATOR FAMILY my_ops USING omen;
DROP FUNCTION bad_distance, my_distance;
