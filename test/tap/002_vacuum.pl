# VACUUM of an omen index: deleted rows never come back, recall holds after
# the graph repair, freed slots are reused by later inserts, and the graph
# survives losing its entry point, and losing every node.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmenTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = omen_node('vacuum');
my $t0;
my $EXACT = 'SET enable_indexscan = off; SET enable_bitmapscan = off;';
my $INDEX = 'SET enable_seqscan = off;';

sub q1 { return $node->safe_psql('postgres', $_[0]); }

# 10,000 Fashion-MNIST train images; ids 10,001.. are kept for the re-insert.
q1(q{CREATE TABLE items (id int PRIMARY KEY, embedding vector(784));
	CREATE TABLE queries (id int PRIMARY KEY, embedding vector(784));
	CREATE TABLE newrows (id int PRIMARY KEY, embedding vector(784));});
load_copy($node, 'items', fmnist_copy_text('train', 10000));
load_copy($node, 'queries', fmnist_copy_text('test', 100));
{
	my @l = split /\n/, fmnist_copy_text('train', 15000);
	load_copy($node, 'newrows', join('', map { "$_\n" } @l[ 10000 .. 14999 ]));
}
$t0 = time;
q1('CREATE INDEX items_omen ON items USING omen (embedding vector_l2_ops)');
note sprintf('CREATE INDEX 10,000 x 784: %.1fs', elapsed($t0));
my $size0 = q1(q{SELECT pg_relation_size('items_omen')});
note "index size after build: $size0 bytes";

# Queries: 100 test images, plus 100 of the rows about to be deleted (their
# own nearest neighbour was themselves, the hardest case for a stale node).
q1(q{CREATE TABLE delq AS SELECT id + 1000000 AS id, embedding FROM items WHERE id % 2 = 0 AND id % 100 = 2;
	INSERT INTO queries SELECT * FROM delq;});
is(q1('SELECT count(*) FROM queries'), '200', '200 queries (100 test images, 100 rows to delete)');

# ------------------------------------------------------------ delete 50%
q1('DELETE FROM items WHERE id % 2 = 0');
$t0 = time;
q1('VACUUM items');
note sprintf('VACUUM after deleting 5,000 of 10,000 rows: %.1fs', elapsed($t0));

my ($uses, $plan) = explain_uses_index($node, $INDEX, 'items', 'queries', '<->', 'items_omen');
ok($uses, 'plan uses the omen index after VACUUM') or diag $plan;

my $r50 = knn($node, settings => $INDEX, base => 'items', queries => 'queries', k => 50);
my @deleted_seen = grep { $_->[0] % 2 == 0 } map { @$_ } values %$r50;
is(scalar(@deleted_seen), 0, 'no deleted id returned by 200 index scans with LIMIT 50');
is(scalar(grep { @{ $r50->{$_} } == 50 } keys %$r50), 200, 'every LIMIT 50 scan returns 50 rows');

# Recall on the remaining rows.  Threshold 0.9 (the fresh index gives ~0.99):
# the repair rebuilds every list that lost a neighbour from a fresh search,
# so recall stays close to a fresh build; half the graph gone still costs a
# little, while a broken repair (lists pointing at freed slots, islands
# cut off from the entry point) drops far below 0.9.
my $exact = knn($node, settings => $EXACT, base => 'items', queries => 'queries', k => 10);
my $approx = knn($node, settings => $INDEX, base => 'items', queries => 'queries', k => 10);
my $r = recall($exact, $approx, 10);
diag sprintf('recall@10 after deleting 50%% + VACUUM: %.4f', $r);
cmp_ok($r, '>=', 0.9, 'recall@10 on the remaining rows >= 0.9 after VACUUM');

# Reachability by a full scan.  VACUUM re-links every live node that only
# deleted nodes linked to, so every remaining row must be reachable.
my $reach = reachable_count($node, 'items', 'embedding', 'SELECT embedding FROM queries WHERE id = 1', 10000);
diag "after deleting 50% + VACUUM: $reach of 5000 live rows reachable by a full index scan";
is($reach, 5000, 'a full index scan reaches every one of the 5,000 remaining rows');
is(index_entries($node, 'items', 'items_omen'), '5000', 'the index holds exactly 5,000 live entries after VACUUM');

# ------------------------------------------------------ re-insert 5,000 rows
$t0 = time;
q1('INSERT INTO items SELECT * FROM newrows');
note sprintf('5,000 single-row index inserts: %.1fs', elapsed($t0));
my $size1 = q1(q{SELECT pg_relation_size('items_omen')});
note sprintf('index size: %d after build, %d after re-insert (%.1f%% growth)',
	$size0, $size1, 100 * ($size1 - $size0) / $size0);
cmp_ok($size1, '<', $size0 * 1.10, 'index grew by less than 10% re-inserting as many rows as were deleted (slots reused)');

# Each new row, queried with its own vector, comes first, but for at most
# one: a lone weakly linked node is ordinary HNSW at ef_search 40.  With the
# build's arrival link order none was missed (4 runs); with its locality
# order (eb78d42) row 14875 was missed in 4 of 7 runs (a two-thread build is
# not the same graph every time), never another.  Slot reuse gone wrong
# loses rows wholesale.
q1('CREATE TABLE newq AS SELECT id, embedding FROM newrows WHERE id % 25 = 0');
my $own = knn($node, settings => $INDEX, base => 'items', queries => 'newq', k => 1);
my @missed = grep { !($own->{$_}[0][0] == $_ || $own->{$_}[0][1] == 0) } keys %$own;
note "missed: @missed" if @missed;
cmp_ok(scalar(@missed), '<=', 1, 'all but at most one of 200 new rows are the first result for their own vectors')
  or diag "missed: @missed[0 .. ($#missed < 9 ? $#missed : 9)]";

$r50 = knn($node, settings => $INDEX, base => 'items', queries => 'queries', k => 50);
@deleted_seen = grep { $_->[0] <= 10000 && $_->[0] % 2 == 0 } map { @$_ } values %$r50;
is(scalar(@deleted_seen), 0, 'no deleted id returned after the re-insert either');
$exact = knn($node, settings => $EXACT, base => 'items', queries => 'queries', k => 10);
$approx = knn($node, settings => $INDEX, base => 'items', queries => 'queries', k => 10);
$r = recall($exact, $approx, 10);
diag sprintf('recall@10 after re-inserting 5,000 rows into freed slots: %.4f', $r);
cmp_ok($r, '>=', 0.9, 'recall@10 >= 0.9 after re-inserting into freed slots');
$reach = reachable_count($node, 'items', 'embedding', 'SELECT embedding FROM queries WHERE id = 1', 20000);
diag "after re-inserting 5,000 rows: $reach of 10000 rows reachable by a full index scan";
# Inserts prune neighbours' lists with the heuristic; a node a prune drops
# is adopted by the node being inserted (OmenLinkerAdopt), which leaves none
# without an in-link as long as the inserted node's list has room.  Before
# that, 2 of these 5,000 rows ended up unreachable in every run.
cmp_ok($reach, '>=', 9995, 'a full index scan reaches >= 99.95% of the 10,000 rows after the re-insert');
is(index_entries($node, 'items', 'items_omen'), '10000', 'the index holds exactly 10,000 live entries after the re-insert');

# ------------------------------------------- entry point and total deletion
q1(q{CREATE TABLE keep AS SELECT id FROM items ORDER BY id DESC LIMIT 5;
	DELETE FROM items WHERE id NOT IN (SELECT id FROM keep);
	VACUUM items;});
my $kept = q1(q{SELECT string_agg(id::text, ',' ORDER BY id) FROM keep});
my $got = q1(qq{$INDEX SELECT string_agg(id::text, ',' ORDER BY id) FROM
	(SELECT id FROM items ORDER BY embedding <-> (SELECT embedding FROM queries WHERE id = 7) LIMIT 10) s;});
is($got, $kept, 'after deleting all but 5 rows (the entry point with them) the index returns exactly those 5');
my $first = q1(qq{$INDEX SELECT id FROM items ORDER BY embedding <-> (SELECT embedding FROM items WHERE id = (SELECT min(id) FROM keep)) LIMIT 1});
is($first, (split /,/, $kept)[0], 'a kept row is found first by its own vector');

q1('DELETE FROM items; VACUUM items;');
is(q1(qq{$INDEX SELECT count(*) FROM (SELECT id FROM items ORDER BY embedding <-> (SELECT embedding FROM queries WHERE id = 7) LIMIT 10) s}),
	'0', 'after deleting every row and VACUUM an index scan returns 0 rows');

q1('INSERT INTO items SELECT * FROM newrows WHERE id <= 10300');
is(reachable_count($node, 'items', 'embedding', 'SELECT embedding FROM queries WHERE id = 7', 1000),
	'300', 'inserting 300 rows into the emptied index: all reachable');
$own = knn($node, settings => $INDEX, base => 'items',
	queries => '(SELECT * FROM newrows WHERE id <= 10300 AND id % 10 = 0)', k => 1);
@missed = grep { !($own->{$_}[0][0] == $_ || $own->{$_}[0][1] == 0) } keys %$own;
is(scalar(keys %$own), 30, '30 own-vector queries ran');
is(scalar(@missed), 0, 'rows inserted into the emptied index are found by their own vectors');
my $size2 = q1(q{SELECT pg_relation_size('items_omen')});
# Slots are reused; a new node whose level is above its slot's old one
# needs a new upper-level tuple, which can take a new upper page now and
# then (one seen in CI).  Without slot reuse 300 rows of 784 dimensions
# would add about 120 pages.
cmp_ok($size2, '<=', $size1 + 4 * 8192, 'refilling the emptied index reuses slots (at most 4 new pages)');

# ---------------------------------------------------- churn: repair quality
# Three rounds of deleting 30% of the rows and VACUUM, on seeded data with
# a one-thread build (so the graph, the deletes and the repairs are the same
# in every run), then every remaining row looked up by its own vector.
# VACUUM's repair replaces only the deleted entries of a list: a live entry
# may be the in-link another node depends on.  When the repair rewrote the
# whole list with the heuristic's choice, 3,299 / 3,344 of the 3,453
# remaining rows were found first at ef_search 10 / 40; with the build's
# arrival link order 3,446 / 3,452, with its locality order (eb78d42)
# 3,434 / 3,449.  That is one graph: over the data seeds 0.5-0.8 the two
# build orders gave 3,323-3,446 (arrival) and 3,389-3,434 (locality) at
# ef_search 10, so the floors sit just under this seed's figures, well
# above the old repair's.
q1(q{SELECT setseed(0.5);
	CREATE TABLE centres64 AS SELECT c, array(SELECT (random() * 2 - 1)::real FROM generate_series(1, 64) WHERE c >= 0) AS x
		FROM generate_series(0, 19) c;
	CREATE FUNCTION pt64(int) RETURNS vector LANGUAGE sql VOLATILE AS $$
		SELECT (SELECT array_agg(x[i] + ((random() + random() + random() - 1.5) * 0.5)::real ORDER BY i)
			FROM generate_series(1, 64) i)::vector FROM centres64 WHERE c = $1 $$;
	CREATE TABLE churn (id bigserial PRIMARY KEY, v vector(64)) WITH (autovacuum_enabled = off);
	INSERT INTO churn (v) SELECT pt64(g % 20) FROM generate_series(1, 10000) g;
	CREATE INDEX churn_omen ON churn USING omen (v vector_l2_ops) WITH (build_threads = 1);});
for my $round (1 .. 3)
{
	q1("SELECT setseed(0.5$round); DELETE FROM churn WHERE random() < 0.3");
	q1('VACUUM churn');
}
my $left = q1('SELECT count(*) FROM churn');
for my $check ([ 10, 0.99 ], [ 40, 0.997 ])
{
	my ($ef, $share) = @$check;
	my $found = q1(qq{$INDEX SET omen.ef_search = $ef;
		SELECT count(*) FROM churn s WHERE (SELECT c.v <-> s.v FROM churn c ORDER BY c.v <-> s.v LIMIT 1) = 0});
	note "after three rounds of deleting 30% + VACUUM, ef_search $ef: $found of $left rows first for their own vectors";
	cmp_ok($found, '>=', $share * $left,
		sprintf('after three rounds of deleting 30%% + VACUUM, >= %.1f%% of the rows are found by their own vectors at ef_search %d', 100 * $share, $ef));
}
is(index_entries($node, 'churn', 'churn_omen'), $left, 'and the index holds one entry per row');

$node->stop;
done_testing();
