-- Text input and output of the vector type.

-- output is "[x,y,...]" with the shortest decimal that reads back exactly
SELECT '[1,2,3]'::vector;
SELECT '[-1,-2.5,3.25]'::vector;
SELECT '[1.,2.,3.]'::vector;
SELECT '[0.1,0.2,0.3]'::vector;
SELECT '[1e3,1E-3,+4,-5e+2]'::vector;
SELECT '[123456789,16777217,0.000012345]'::vector;

-- extremes of float4: smallest subnormal, smallest normal, largest finite, -0
SELECT '[1e-45,1.1754944e-38,3.4028235e38,-3.4028235e38]'::vector;
SELECT '[-0,0,-0.0]'::vector;

-- whitespace around brackets, numbers and commas
SELECT '  [ 1 ,2,  3 ]  '::vector;
SELECT (E'\t[\n1\r,\t2\f,' || chr(11) || E'3 ]\n')::vector;	-- chr(11) is \v

-- text round trip preserves every value exactly
SELECT v, v::text::vector = v AS same, v::text = (v::text::vector)::text AS same_text
FROM (VALUES ('[0.1,0.7,1e-45,3.4028235e38,-0,1.0000001,3.1415927]'::vector)) t(v);

-- NULL
SELECT NULL::vector;
SELECT vector_in(NULL, 0, -1) IS NULL AS strict;

-- the largest vector: 16000 dimensions
SELECT vector_dims(('[' || array_to_string(array_fill(1.5, ARRAY[16000]), ',') || ']')::vector);
SELECT length(('[' || array_to_string(array_fill(1.5, ARRAY[16000]), ',') || ']')::vector::text);

-- errors: syntax
SELECT ''::vector;
SELECT '['::vector;
SELECT '[1'::vector;
SELECT '[1,'::vector;
SELECT '[1,]'::vector;
SELECT '[,1]'::vector;
SELECT '[1,,2]'::vector;
SELECT '[1 2]'::vector;
SELECT '1,2'::vector;
SELECT '(1,2)'::vector;
SELECT '[1]x'::vector;
SELECT '[1][2]'::vector;
SELECT '[a]'::vector;
SELECT '[1a]'::vector;
SELECT '[1,2,3'::vector;

-- errors: empty and too many dimensions
SELECT '[]'::vector;
SELECT '[ ]'::vector;
SELECT ('[' || array_to_string(array_fill(1, ARRAY[16001]), ',') || ']')::vector;

-- errors: not finite, out of range
SELECT '[NaN]'::vector;
SELECT '[1,nan]'::vector;
SELECT '[Infinity]'::vector;
SELECT '[-inf,1]'::vector;
SELECT '[1e39]'::vector;
SELECT '[-1e39]'::vector;
SELECT '[3.5e38]'::vector;

-- the SQLSTATE of each kind of input error
\set VERBOSITY sqlstate
SELECT '[1,'::vector;			-- invalid_text_representation
SELECT '[]'::vector;			-- program_limit_exceeded
SELECT '[NaN]'::vector;			-- data_exception
SELECT '[1e39]'::vector;		-- numeric_value_out_of_range
\set VERBOSITY default
