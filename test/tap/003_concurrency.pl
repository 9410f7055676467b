# Concurrent inserts and index scans (pgbench, 4 clients), then concurrent
# deletes + inserts + scans with VACUUM running alongside; afterwards the
# index must be whole: one entry per row, every row reachable, good recall.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmenTAP;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $DIMS = 64;
my $SEED = 303;
my $node = omen_node('concurrency');
my $EXACT = 'SET enable_indexscan = off; SET enable_bitmapscan = off;';
my $INDEX = 'SET enable_seqscan = off;';

sub q1 { return $node->safe_psql('postgres', $_[0]); }

q1("CREATE TABLE t (id bigserial PRIMARY KEY, v vector($DIMS))");
load_copy($node, 't', synth_copy_text(5000, $DIMS, $SEED));
q1("SELECT setval('t_id_seq', 5000)");
q1('CREATE INDEX t_omen ON t USING omen (v vector_l2_ops)');
synth_sql_tables($node, $DIMS, $SEED);

# Points of the same distribution, drawn by SQL (pgbench picks the centre).
my $POINT = "synth_point(:c)";
my $basedir = $node->basedir;

sub write_script
{
	my ($name, $body) = @_;
	my $f = "$basedir/$name.sql";
	open(my $fh, '>', $f) or die "$f: $!";
	print $fh $body;
	close $fh;
	return $f;
}

my $ins = write_script('insert', "\\set c random(0, 19)\nINSERT INTO t (v) SELECT $POINT;\n");
my $sel = write_script('select', "\\set c random(0, 19)\nSELECT id FROM t ORDER BY v <-> (SELECT $POINT) LIMIT 10;\n");
# deletes spread over every row there is (ids beyond the current maximum
# delete nothing)
my $del = write_script('delete', "\\set k random(1, 25000)\nDELETE FROM t WHERE id IN (:k, :k + 1);\n");
my $vac = write_script('vacuum', "VACUUM t;\n\\sleep 300 ms\n");

# Runs pgbench in the background; returns [harness, \stdout, \stderr].
sub pgbench_start
{
	my @args = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'pgbench', '-n', '-h', $node->host, '-p', $node->port, '--random-seed', $SEED, @args, 'postgres' ],
		'>', \$out, '2>', \$err);
	return [ $h, \$out, \$err ];
}

sub pgbench_finish
{
	my ($run, $what) = @_;
	my ($h, $out, $err) = @$run;
	$h->finish;
	my $rc = $h->result(0);
	is($rc, 0, "$what: pgbench exit status 0") or diag "stdout:\n$$out\nstderr:\n$$err";
	like($$out, qr/number of failed transactions: 0 \(/, "$what: no failed transactions");
	unlike($$err, qr/(ERROR|FATAL|PANIC|error)/i, "$what: no errors on pgbench's stderr") or diag $$err;
	my ($done) = $$out =~ /number of transactions actually processed: (\d+)/;
	note "$what: $done transactions";
	return $$out;
}

# ------------------------------------------- phase 1: inserts + index scans
my $t0 = time;
my $p1 = pgbench_start('-c', 4, '-j', 2, '-T', 15, '-f', "$ins\@1", '-f', "$sel\@1",
	'-P', 5, '-r');
my $out1 = pgbench_finish($p1, 'phase 1 (4 clients, inserts + k-NN scans, 15s)');
note sprintf('phase 1 took %.1fs', elapsed($t0));
my @per_script = $out1 =~ /SQL script \d+: \S+\s+- weight: 1 \([^)]*\)\s+- (\d+) transactions/g;
is(scalar(@per_script), 2, 'pgbench ran two scripts');
cmp_ok($_, '>', 100, 'each script ran more than 100 transactions') for @per_script;

# The scans used the index.
my $plan = q1("EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v <-> (SELECT v FROM t WHERE id = 1) LIMIT 10");
like($plan, qr/Index Scan using t_omen/, 'the k-NN query of the workload uses the omen index');

my $rows = q1('SELECT count(*) FROM t');
cmp_ok($rows, '>', 5100, "table grew during phase 1 ($rows rows)");

sub check_integrity
{
	my ($what, $self_share, $linked_share) = @_;
	my $n = q1('SELECT count(*) FROM t');
	is(index_entries($node, 't', 't_omen'), $n, "$what: the index holds exactly one entry per row ($n)");

	# Full scan through the index.  HNSW's neighbour pruning leaves the odd
	# node with no incoming link (a fresh build of this set leaves 0-3 of
	# 5,000), so allow 0.3% unreachable.
	my $reach = reachable_count($node, 't', 'v', 'SELECT v FROM t WHERE id = 1', $n + 100);
	note "$what: $reach of $n rows reachable by a full index scan";
	cmp_ok($reach, '>=', $n * 0.997, "$what: a full index scan reaches >= 99.7% of the rows");
	my $dups = q1(qq{SET enable_seqscan = off; SET omen.ef_search = 1000; SET omen.max_scan_tuples = 100000000;
		SELECT count(*) - count(DISTINCT id) FROM (SELECT id FROM t ORDER BY v <-> (SELECT v FROM t WHERE id = 1) LIMIT $n + 100) s});
	is($dups, '0', "$what: a full index scan returns no row twice");

	# Rows inserted concurrently are found by their own vectors: at the
	# default ef_search (40) as an approximate search finds them, and at
	# ef_search 200, where a miss means the node is badly linked rather than
	# the search too narrow.  With 300 rows, after phase 1: 295-300 found at
	# 40 and 300 at 200 in six local runs, but 299 at 200 once in CI; after
	# phase 2: 293-299 and 297-300.  A lone weakly linked node is ordinary
	# HNSW behaviour, so the sample is the latest 1,000 rows and the floors
	# leave room for a few of them, not for links lost wholesale.
	q1('DROP TABLE IF EXISTS selfq; CREATE TABLE selfq AS SELECT id, v FROM t WHERE id > 5000 ORDER BY id DESC LIMIT 1000');
	my $fresh = q1('SELECT count(*) FROM selfq');
	cmp_ok($fresh, '>=', 200, "$what: at least 200 concurrently inserted rows to look up ($fresh)");
	for my $check ([ 'default ef_search', '', $self_share ], [ 'ef_search 200', 'SET omen.ef_search = 200;', $linked_share ])
	{
		my ($how, $set, $share) = @$check;
		my $own = knn($node, settings => "$INDEX $set", base => 't', queries => 'selfq', col => 'v', k => 1);
		my $found = grep { $own->{$_}[0][0] == $_ || $own->{$_}[0][1] == 0 } keys %$own;
		note "$what, $how: $found of " . scalar(keys %$own) . " concurrently inserted rows first for their own vectors";
		cmp_ok($found, '>=', $share * scalar(keys %$own),
			sprintf('%s, %s: >= %.1f%% of concurrently inserted rows found first by their own vectors', $what, $how, 100 * $share));
	}

	# Recall@10 against exact for 200 new points of the distribution (with 50,
	# sampling alone moved the figure by several points between runs).
	q1("DROP TABLE IF EXISTS qs; CREATE TABLE qs AS SELECT g AS id, synth_point(g % 20) AS v FROM generate_series(1, 200) g");
	my $ex = knn($node, settings => $EXACT, base => 't', queries => 'qs', col => 'v', k => 10);
	my $ap = knn($node, settings => $INDEX, base => 't', queries => 'qs', col => 'v', k => 10);
	my $r = recall($ex, $ap, 10);
	diag sprintf('%s: recall@10 = %.4f', $what, $r);
	cmp_ok($r, '>=', 0.9, "$what: recall@10 for 200 queries >= 0.9");
}

check_integrity('after phase 1', 0.97, 0.99);

# ------------------- phase 2: deletes + inserts + scans, VACUUM alongside
$t0 = time;
my $before = q1('SELECT count(*) FROM t');
my $p2 = pgbench_start('-c', 4, '-j', 2, '-T', 12, '-f', "$ins\@2", '-f', "$del\@1", '-f', "$sel\@1");
my $pv = pgbench_start('-c', 1, '-T', 12, '-f', $vac);
my $out2 = pgbench_finish($p2, 'phase 2 (4 clients, inserts + deletes + scans, 12s)');
my $outv = pgbench_finish($pv, 'phase 2 (concurrent VACUUM loop)');
note sprintf('phase 2 took %.1fs', elapsed($t0));
my ($nvac) = $outv =~ /number of transactions actually processed: (\d+)/;
cmp_ok($nvac, '>=', 2, "VACUUM ran at least twice during phase 2 ($nvac)");
my $deleted = q1("SELECT count(*) FROM generate_series(1, (SELECT max(id) FROM t)) g WHERE NOT EXISTS (SELECT FROM t WHERE id = g)");
cmp_ok($deleted, '>', 500, "phase 2 deleted rows ($deleted)");
# Rows inserted while deletes and VACUUM run are harder to find by their own
# vectors: a new node has few incoming links yet, and some of them come
# from nodes that are deleted next (the repair rewrites the lists of the
# deleted nodes' in-neighbours, not the lists pointing at the new node).
# Measured 92-97% here against 98-100% after a REINDEX of the same rows
# while VACUUM's repair rewrote whole lists; since it replaces only the
# deleted entries, 99.2% (992 of 1,000, and 999 at ef_search 200) in one run.
# 90% still catches nodes lost or cut off wholesale, and 95% at ef_search
# 200 (measured 97-99% before) a repair that leaves many nodes without
# usable in-links.
check_integrity('after phase 2', 0.90, 0.95);

$node->stop;
done_testing();
