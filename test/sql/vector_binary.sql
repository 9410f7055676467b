-- Binary I/O: pgvector's wire format, int16 dim, int16 unused (0), then dim
-- float4 values, all in network byte order.

SELECT vector_send('[1,2,3]');
SELECT vector_send('[-0,0.5,-2]');
SELECT vector_send('[1e-45,3.4028235e38]');

-- vector_recv is reached through COPY ... (FORMAT binary).  write_copy_file
-- writes a one-row, one-column COPY BINARY file holding payload as the
-- field (into the data directory: a relative path).
CREATE FUNCTION write_copy_file(payload bytea) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	lo oid;
BEGIN
	lo := lo_from_bytea(0,
		'\x5047434f50590aff0d0a00'::bytea		-- signature
		|| '\x0000000000000000'::bytea			-- flags, header extension
		|| '\x0001'::bytea || int4send(length(payload)) || payload
		|| '\xffff'::bytea);					-- trailer
	PERFORM lo_export(lo, 'omendb_vector_binary.copy');
	PERFORM lo_unlink(lo);
END
$$;

CREATE TABLE binary_in (id serial, v vector);
CREATE TABLE binary_in3 (v vector(3));

-- round trip: send, then receive, gives back the same values
CREATE TABLE binary_src (id int, v vector);
INSERT INTO binary_src VALUES
	(1, '[1,2,3]'), (2, '[-0,0.1,-2.5]'), (3, '[1e-45,3.4028235e38,-3.4028235e38]'),
	(4, '[0.33333334]');
SELECT write_copy_file(vector_send(v)) FROM binary_src WHERE id = 1;
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file(vector_send(v)) FROM binary_src WHERE id = 2;
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file(vector_send(v)) FROM binary_src WHERE id = 3;
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file(vector_send(v)) FROM binary_src WHERE id = 4;
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT s.id, i.v, i.v = s.v AS same, vector_send(i.v) = vector_send(s.v) AS same_bytes
FROM binary_src s JOIN binary_in i USING (id) ORDER BY s.id;

-- the largest vector
SELECT write_copy_file(vector_send(array_fill(0.25, ARRAY[16000])::vector));
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT vector_dims(v), v = array_fill(0.25, ARRAY[16000])::vector AS same
FROM binary_in WHERE id = 5;

-- a typmod is checked on receive
SELECT write_copy_file('\x000300003f8000004000000040400000');
COPY binary_in3 FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT * FROM binary_in3;

-- errors
SELECT write_copy_file('\x000200003f80000040000000');		-- 2 dimensions
COPY binary_in3 FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file('\x00000000');						-- 0 dimensions
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file('\xffff00003f800000');				-- -1 dimensions
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file('\x3e8100003f800000');				-- 16001 dimensions
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file('\x000100013f800000');				-- unused = 1
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file('\x000200007fc000003f800000');		-- NaN
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file('\x000200003f800000ff800000');		-- -Infinity
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file('\x000200003f800000');				-- truncated
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file('\x0001');							-- no unused field
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file('\x000100003f80000000');				-- one byte too many
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);
SELECT write_copy_file('\x000100003f8000003f800000');		-- one element too many
COPY binary_in (v) FROM 'omendb_vector_binary.copy' WITH (FORMAT binary);

-- nothing was loaded by the failed COPYs
SELECT count(*) FROM binary_in;

DROP TABLE binary_in, binary_in3, binary_src;
DROP FUNCTION write_copy_file(bytea);
