-- Catalog properties of the vector type and its functions: what pg_dump,
-- the planner and parallel query rely on.

-- the type: variable length, int alignment, out of line but never compressed
SELECT typname, typlen, typalign, typstorage, typinput, typoutput, typreceive,
	typsend, typmodin
FROM pg_type WHERE typname = 'vector';

-- every C function of the vector type is IMMUTABLE STRICT PARALLEL SAFE and
-- bound to an omendb_-prefixed symbol (no clash with pgvector's symbols)
SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel, p.prosrc
FROM pg_proc p
WHERE p.probin = '$libdir/omendb'
	AND p.prorettype <> 'index_am_handler'::regtype
	AND (p.provolatile <> 'i' OR NOT p.proisstrict OR p.proparallel <> 's'
		 OR p.prosrc NOT LIKE 'omendb\_%');
SELECT p.oid::regprocedure, p.prorettype::regtype, p.prosrc
FROM pg_proc p
WHERE p.probin = '$libdir/omendb'
	AND p.prorettype <> 'index_am_handler'::regtype
ORDER BY p.oid::regprocedure::text;

-- operators on vector and their commutators and negators
SELECT o.oprname, o.oprcode, c.oprname AS commutator, n.oprname AS negator,
	o.oprresult::regtype
FROM pg_operator o
	LEFT JOIN pg_operator c ON c.oid = o.oprcom
	LEFT JOIN pg_operator n ON n.oid = o.oprnegate
WHERE o.oprleft = 'vector'::regtype
ORDER BY o.oprname;

-- casts
SELECT castsource::regtype, casttarget::regtype, castfunc::regprocedure, castcontext
FROM pg_cast
WHERE castsource = 'vector'::regtype OR casttarget = 'vector'::regtype
ORDER BY 1::text, 2::text;

-- the default btree operator class
SELECT opcname, opcdefault, amname
FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
WHERE opcintype = 'vector'::regtype AND amname = 'btree';
SELECT amopstrategy, amopopr::regoperator
FROM pg_amop ao JOIN pg_opfamily f ON f.oid = ao.amopfamily
	JOIN pg_am a ON a.oid = f.opfmethod
WHERE f.opfname = 'vector_ops' AND a.amname = 'btree'
ORDER BY amopstrategy;
