# Helpers shared by the OmenDB TAP tests (test/tap/*.pl).
#
# Not a test itself: prove only runs the *.pl files.  Each test does
#   use FindBin; use lib $FindBin::RealBin; use OmenTAP;
#
# What is here: starting a cluster with the extension, turning Fashion-MNIST
# or a seeded synthetic distribution into COPY text, loading it, running
# k-NN queries for a whole query table in one statement (a LATERAL join, so
# the index is used once per query row), and recall against exact results.
package OmenTAP;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();

our @EXPORT = qw(omen_node fmnist_copy_text synth_copy_text load_copy knn
  recall explain_uses_index reachable_count elapsed synth_sql_tables
  index_entries);

my $FMNIST_DIR = '/usr/share/datasets/fashion-mnist';

# omen_node(name, [extra postgresql.conf lines], %init_params): a started
# cluster with CREATE EXTENSION omendb done in the postgres database.
sub omen_node
{
	my ($name, $conf, %init) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%init);
	$node->append_conf('postgresql.conf', join("\n",
		'shared_buffers = 256MB',
		'maintenance_work_mem = 512MB',
		'max_parallel_maintenance_workers = 1',
		'autovacuum = off',
		'log_min_messages = warning',
		@{ $conf // [] }) . "\n");
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION omendb');
	return $node;
}

# fmnist_copy_text(train|test, n, first_id): COPY text "id\t[p0,...,p783]"
# for the first n images of the file, ids first_id, first_id+1, ...
sub fmnist_copy_text
{
	my ($which, $n, $first_id) = @_;
	$first_id //= 1;
	my $file = "$FMNIST_DIR/" . ($which eq 'test' ? 't10k' : 'train') . '-images-idx3-ubyte.gz';
	open(my $fh, '-|', 'gzip', '-dc', $file) or die "gzip -dc $file: $!";
	binmode $fh;
	read($fh, my $h, 16) == 16 or die "$file: short header";
	my ($magic, $count, $rows, $cols) = unpack('N4', $h);
	die "$file: not an idx3 image file" unless $magic == 2051;
	die "$file holds $count images, $n wanted" if $n > $count;
	my $d = $rows * $cols;
	my $out = '';
	for my $i (0 .. $n - 1)
	{
		read($fh, my $b, $d) == $d or die "$file: short read at image $i";
		$out .= ($first_id + $i) . "\t[" . join(',', unpack('C*', $b)) . "]\n";
	}
	close $fh;    # gzip gets SIGPIPE when we stop early: not an error here
	return $out;
}

# The synthetic distribution: 20 clusters; a point is its centre (uniform
# in [-1, 1)^dims) plus B z, where z is uniform in [-0.5, 0.5)^8 and B a
# fixed dims x 8 matrix (entries uniform in [-0.5, 0.5)), plus uniform noise
# of width 0.05 per coordinate.  A low intrinsic dimension, as real
# embeddings have; pure isotropic noise in 64 dimensions would make every
# point of a cluster nearly equidistant, which no ANN index handles well.
my $LATENT = 8;

# synth_model(dims, seed): { centres => [20 x dims], basis => [dims x 8] },
# drawn first from srand(seed).
sub synth_model
{
	my ($dims, $seed) = @_;
	srand($seed);
	my @centres = map { [ map { rand(2) - 1 } 1 .. $dims ] } 1 .. 20;
	my @basis = map { [ map { rand(1) - 0.5 } 1 .. $LATENT ] } 1 .. $dims;
	return { centres => \@centres, basis => \@basis };
}

# synth_copy_text(n, dims, seed, first_id): COPY text of n points of the
# distribution for seed; the same seed gives the same data on every run.
sub synth_copy_text
{
	my ($n, $dims, $seed, $first_id) = @_;
	$first_id //= 1;
	my $m = synth_model($dims, $seed);
	my $out = '';
	for my $i (0 .. $n - 1)
	{
		my $c = $m->{centres}[ int(rand(20)) ];
		my @z = map { rand(1) - 0.5 } 1 .. $LATENT;
		my @v;
		for my $d (0 .. $dims - 1)
		{
			my $x = $c->[$d] + (rand(1) - 0.5) * 0.05;
			$x += $m->{basis}[$d][$_] * $z[$_] for 0 .. $LATENT - 1;
			push @v, sprintf('%.4f', $x);
		}
		$out .= ($first_id + $i) . "\t[" . join(',', @v) . "]\n";
	}
	return $out;
}

# synth_sql_tables(node, dims, seed): tables centres (cid, dim, val) and
# basis (dim, j, a) of the distribution, and a function synth_point(cid)
# returning a new random point of cluster cid (SQL's random(), unseeded).
sub synth_sql_tables
{
	my ($node, $dims, $seed) = @_;
	my $m = synth_model($dims, $seed);
	$node->safe_psql('postgres', qq{
		CREATE TABLE centres (cid int, dim int, val float8, PRIMARY KEY (cid, dim));
		CREATE TABLE basis (dim int, j int, a float8, PRIMARY KEY (dim, j));
		CREATE FUNCTION synth_point(c int) RETURNS vector LANGUAGE sql VOLATILE AS \$\$
			WITH z AS MATERIALIZED (SELECT j, random() - 0.5 AS z FROM generate_series(0, $LATENT - 1) j)
			SELECT array_agg(x ORDER BY dim)::vector($dims) FROM (
				SELECT ce.dim, ce.val + (random() - 0.5) * 0.05 + sum(b.a * z.z) AS x
				FROM centres ce JOIN basis b ON b.dim = ce.dim JOIN z ON z.j = b.j
				WHERE ce.cid = c GROUP BY ce.dim, ce.val) s
		\$\$;});
	my $text = '';
	for my $c (0 .. 19)
	{
		$text .= "$c\t$_\t$m->{centres}[$c][$_]\n" for 0 .. $dims - 1;
	}
	load_copy($node, 'centres', $text);
	$text = '';
	for my $d (0 .. $dims - 1)
	{
		$text .= "$d\t$_\t$m->{basis}[$d][$_]\n" for 0 .. $LATENT - 1;
	}
	load_copy($node, 'basis', $text);
}

# index_entries(node, table, index): live entries of the index after
# VACUUM (INDEX_CLEANUP ON) table (which frees the nodes of every dead row):
# node_count - free_count read from the metapage with pageinspect (offsets
# of OmenMetaPageData after the 24-byte page header; the magic is checked).
sub index_entries
{
	my ($node, $table, $index) = @_;
	my $u32 = sub { my $o = shift; join('+', map { "get_byte(p, " . ($o + $_) . ") * " . (256**$_) } 0 .. 3) };
	$node->safe_psql('postgres', "VACUUM (INDEX_CLEANUP ON) $table");
	my $r = $node->safe_psql('postgres', "CREATE EXTENSION IF NOT EXISTS pageinspect;
		SELECT (" . $u32->(24) . ") = 1330464078, (" . $u32->(48) . ") - (" . $u32->(52) . ")
		FROM get_raw_page('$index', 0) p");
	my ($magic_ok, $n) = split /\|/, $r;
	die "$index: block 0 is not an omen metapage" unless $magic_ok eq 't';
	return $n;
}

# load_copy(node, table, copy_text): COPY table FROM STDIN.
sub load_copy
{
	my ($node, $table, $text) = @_;
	$node->safe_psql('postgres', "COPY $table FROM STDIN;\n$text\\.\n");
}

# knn(node, %args) -> { qid => [ [id, distance], ... in returned order ] }
#   base, queries: tables with (id, <col>); col (default embedding);
#   op (default <->); k (LIMIT); where (extra filter on the base table);
#   settings: SQL run first in the same session (SETs);
#   dbname (default postgres).
sub knn
{
	my ($node, %a) = @_;
	my $col = $a{col} // 'embedding';
	my $op = $a{op} // '<->';
	my $where = defined $a{where} ? "WHERE $a{where}" : '';
	my $sql = ($a{settings} // '') . "\n"
	  . "SELECT q.id, t.id, t.d, t.rn FROM $a{queries} q CROSS JOIN LATERAL ("
	  . " SELECT s.id, s.d, row_number() OVER () AS rn FROM ("
	  . "  SELECT b.id, b.$col $op q.$col AS d FROM $a{base} b $where"
	  . "  ORDER BY b.$col $op q.$col LIMIT $a{k}) s) t"
	  . " ORDER BY q.id, t.rn;";
	my $out = $node->safe_psql($a{dbname} // 'postgres', $sql);
	my %res;
	for my $line (split /\n/, $out)
	{
		my ($qid, $id, $d) = split /\|/, $line;
		push @{ $res{$qid} }, [ $id, $d ];
	}
	return \%res;
}

# explain_uses_index(node, settings, base, queries, op, index_name): true if
# the plan of the same LATERAL k-NN query scans index_name.
sub explain_uses_index
{
	my ($node, $settings, $base, $queries, $op, $index, $col) = @_;
	$col //= 'embedding';
	my $plan = $node->safe_psql('postgres', "$settings\nEXPLAIN (COSTS OFF) "
		  . "SELECT q.id, t.id FROM $queries q CROSS JOIN LATERAL ("
		  . " SELECT b.id FROM $base b ORDER BY b.$col $op q.$col LIMIT 10) t;");
	return (($plan =~ /Index Scan using $index\b/) ? 1 : 0, $plan);
}

# recall(exact, approx, k): mean over queries of the share of the approximate
# top-k that is at least as close as the exact k-th neighbour (distance-based,
# so ties at the k-th place do not count against the index).  Duplicated ids
# in one result count once.
sub recall
{
	my ($exact, $approx, $k) = @_;
	my ($sum, $nq) = (0, 0);
	for my $qid (keys %$exact)
	{
		my $ex = $exact->{$qid};
		my $kth = $ex->[ $k - 1 ][1];
		my %seen;
		my $hits = 0;
		for my $r (@{ $approx->{$qid} // [] })
		{
			next if $seen{ $r->[0] }++;
			$hits++ if $r->[1] <= $kth + 1e-6 * (1 + abs($kth));
		}
		$hits = $k if $hits > $k;
		$sum += $hits / $k;
		$nq++;
	}
	return $nq ? $sum / $nq : 0;
}

# reachable_count(node, table, col, query_sql, n): distinct ids a full index
# scan returns with a huge ef_search and max_scan_tuples, LIMIT n.
sub reachable_count
{
	my ($node, $table, $col, $query, $n) = @_;
	return $node->safe_psql('postgres', qq{
		SET enable_seqscan = off; SET omen.ef_search = 1000; SET omen.max_scan_tuples = 100000000;
		SELECT count(DISTINCT id) FROM (SELECT id FROM $table ORDER BY $col <-> ($query) LIMIT $n) s;});
}

# elapsed(start): seconds since Time::HiRes::time() value start.
sub elapsed
{
	return Time::HiRes::time() - $_[0];
}

1;
