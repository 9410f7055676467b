# Recall of the omen index against exact (sequential scan) results:
#  - Fashion-MNIST, 20,000 x 784, vector_l2_ops, 100 test images as queries;
#  - seeded synthetic 2,000 x 32 for vector_ip_ops, vector_cosine_ops,
#    vector_l1_ops;
#  - scans that continue beyond ef_search: filtered queries, LIMIT > ef_search,
#    and the omen.max_scan_tuples bound.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmenTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = omen_node('recall');
my $t0;

my $EXACT = 'SET enable_indexscan = off; SET enable_bitmapscan = off;';
my $INDEX = 'SET enable_seqscan = off;';

# ---------------------------------------------------------------- Fashion-MNIST
$node->safe_psql('postgres', q{
	CREATE TABLE items (id int PRIMARY KEY, embedding vector(784));
	CREATE TABLE queries (id int PRIMARY KEY, embedding vector(784));});
$t0 = time;
load_copy($node, 'items', fmnist_copy_text('train', 20000));
load_copy($node, 'queries', fmnist_copy_text('test', 100));
is($node->safe_psql('postgres', 'SELECT count(*) FROM items'), '20000', 'loaded 20,000 Fashion-MNIST train images');
note sprintf('load: %.1fs', elapsed($t0));

$t0 = time;
$node->safe_psql('postgres', 'CREATE INDEX items_omen ON items USING omen (embedding vector_l2_ops)');
note sprintf('CREATE INDEX 20,000 x 784: %.1fs', elapsed($t0));

my ($uses, $plan) = explain_uses_index($node, $INDEX, 'items', 'queries', '<->', 'items_omen');
ok($uses, 'k-NN query plan uses the omen index') or diag $plan;
($uses, $plan) = explain_uses_index($node, $EXACT, 'items', 'queries', '<->', 'items_omen');
ok(!$uses, 'exact query plan does not use the index') or diag $plan;

# The planner's own choice, with no enable_* nudges, at low and high
# ef_search: the index is orders of magnitude faster than a sequential scan
# of 20,000 x 784 vectors at any ef_search, so the estimate must say so.
$node->safe_psql('postgres', 'ANALYZE items');
for my $ef (40, 400)
{
	($uses, $plan) = explain_uses_index($node, "SET omen.ef_search = $ef;", 'items', 'queries', '<->', 'items_omen');
	ok($uses, "the planner picks the omen index by itself at ef_search $ef") or diag $plan;
}

# Exact top-200 once (a sequential scan per query is the slow part); its
# first 10 are the exact top-10.
$t0 = time;
my $exact200 = knn($node, settings => $EXACT, base => 'items', queries => 'queries', k => 200);
note sprintf('exact top-200 for 100 queries: %.1fs', elapsed($t0));
my $exact = { map { $_ => [ @{ $exact200->{$_} }[ 0 .. 9 ] ] } keys %$exact200 };
is(scalar(keys %$exact), 100, 'exact results for 100 queries');

$t0 = time;
my $approx = knn($node, settings => $INDEX, base => 'items', queries => 'queries', k => 10);
note sprintf('index top-10 for 100 queries: %.2fs', elapsed($t0));
my $r = recall($exact, $approx, 10);
diag sprintf('Fashion-MNIST 20k recall@10 at default ef_search 40: %.4f', $r);
cmp_ok($r, '>=', 0.95, 'Fashion-MNIST recall@10 >= 0.95 at default ef_search');
is(scalar(grep { @{ $approx->{$_} } == 10 } keys %$approx), 100, 'every index query returns 10 rows');

# Results come back in ascending distance within the first round.
my $unordered = 0;
for my $q (values %$approx)
{
	for my $i (1 .. $#$q) { $unordered++ if $q->[$i][1] < $q->[ $i - 1 ][1] - 1e-3; }
}
is($unordered, 0, 'index top-10 results are in ascending distance');

# A higher ef_search must not lower recall (and normally raises it).
my $approx200 = knn($node, settings => "$INDEX SET omen.ef_search = 200;",
	base => 'items', queries => 'queries', k => 10);
my $r200 = recall($exact, $approx200, 10);
diag sprintf('Fashion-MNIST 20k recall@10 at ef_search 200: %.4f', $r200);
cmp_ok($r200, '>=', $r - 0.005, 'recall at ef_search 200 >= recall at 40');
cmp_ok($r200, '>=', 0.99, 'recall@10 at ef_search 200 >= 0.99');

# ---------------------------------------------- scans beyond ef_search
# Filter keeping 1 row in 10: ef_search 40 gives ~4 matches in the first
# round, so 10 rows need the scan to continue.
my $filt = knn($node, settings => $INDEX, base => 'items', queries => 'queries', k => 10,
	where => 'b.id % 10 = 3');
my @short = grep { @{ $filt->{$_} // [] } != 10 } map { $_->[0] } map { [$_] } keys %$exact;
is(scalar(@short), 0, 'WHERE id % 10 = 3 ... LIMIT 10 returns exactly 10 rows for all 100 queries')
  or diag "short queries: @short";
my $bad_filter = grep { $_->[0] % 10 != 3 } map { @$_ } values %$filt;
is($bad_filter, 0, 'filtered results all satisfy the filter');
my $exact_filt = knn($node, settings => $EXACT, base => 'items', queries => 'queries', k => 10,
	where => 'b.id % 10 = 3');
my $rf = recall($exact_filt, $filt, 10);
diag sprintf('filtered (id %% 10 = 3) recall@10: %.4f', $rf);
cmp_ok($rf, '>=', 0.9, 'filtered recall@10 >= 0.9');

# LIMIT 200 with ef_search 40: five rounds' worth.
my $big = knn($node, settings => "$INDEX SET omen.ef_search = 40;", base => 'items',
	queries => 'queries', k => 200);
my @not200 = grep { @{ $big->{$_} } != 200 } keys %$big;
is(scalar(@not200), 0, 'LIMIT 200 with ef_search 40 returns 200 rows for every query');
my $dups = 0;
for my $q (values %$big) { my %s; $dups += grep { $s{ $_->[0] }++ } @$q; }
is($dups, 0, 'LIMIT 200 results hold no duplicate ids');
my $r_big = recall($exact200, $big, 200);
diag sprintf('recall@200 with ef_search 40 (continued scan): %.4f', $r_big);
cmp_ok($r_big, '>=', 0.9, 'recall@200 of a continued scan >= 0.9');

# omen.max_scan_tuples bounds a scan: a filter matching 1 row in 1000 (20
# rows) needs nearly the whole graph for 10 rows; with the default bound it
# gets them, with a bound of 50 it cannot.
my $sel = knn($node, settings => $INDEX, base => 'items', queries => 'queries', k => 10,
	where => 'b.id % 1000 = 7');
is(scalar(grep { @{ $sel->{$_} // [] } == 10 } keys %$exact), 100,
	'very selective filter (1 in 1000) returns 10 rows with the default max_scan_tuples');
my $bounded = knn($node, settings => "$INDEX SET omen.max_scan_tuples = 50;", base => 'items',
	queries => 'queries', k => 10, where => 'b.id % 1000 = 7');
my $rows_bounded = 0;
$rows_bounded += scalar @{ $bounded->{$_} // [] } for keys %$exact;
note "very selective filter with max_scan_tuples = 50: $rows_bounded rows over 100 queries";
cmp_ok($rows_bounded, '<', 100 * 10 / 4,
	'with omen.max_scan_tuples = 50 the very selective filter returns far fewer rows');

# The bound itself: an unfiltered LIMIT 1000 scan returns at most
# max_scan_tuples rows once the first round (ef_search rows) is exceeded.
my $cap = $node->safe_psql('postgres', qq{$INDEX SET omen.ef_search = 40; SET omen.max_scan_tuples = 50;
	SELECT count(*) FROM (SELECT id FROM items ORDER BY embedding <-> (SELECT embedding FROM queries WHERE id = 1) LIMIT 1000) s;});
note "unfiltered LIMIT 1000 with ef_search 40, max_scan_tuples 50: $cap rows";
cmp_ok($cap, '>=', 40, 'bounded scan still returns the first ef_search round');
cmp_ok($cap, '<=', 50, 'bounded scan returns at most omen.max_scan_tuples rows');

# -------------------------------------------- other metrics, synthetic 32-d
$node->safe_psql('postgres', q{
	CREATE TABLE s (id int PRIMARY KEY, embedding vector(32));
	CREATE TABLE sq (id int PRIMARY KEY, embedding vector(32));});
{
	# one seeded stream of 2,050 points: the first 2,000 are the table, the
	# last 50 (same clusters, unseen points) the queries
	my @lines = split /\n/, synth_copy_text(2050, 32, 4242);
	load_copy($node, 's', join('', map { "$_\n" } @lines[ 0 .. 1999 ]));
	load_copy($node, 'sq', join('', map { "$_\n" } @lines[ 2000 .. 2049 ]));
}
for my $m ([ 'vector_ip_ops', '<#>' ], [ 'vector_cosine_ops', '<=>' ], [ 'vector_l1_ops', '<+>' ], [ 'vector_l2_ops', '<->' ])
{
	my ($opc, $op) = @$m;
	$node->safe_psql('postgres', "CREATE INDEX s_idx ON s USING omen (embedding $opc)");
	my ($u, $p) = explain_uses_index($node, $INDEX, 's', 'sq', $op, 's_idx');
	ok($u, "$opc: plan uses the index") or diag $p;
	my $ex = knn($node, settings => $EXACT, base => 's', queries => 'sq', op => $op, k => 10);
	my $ap = knn($node, settings => $INDEX, base => 's', queries => 'sq', op => $op, k => 10);
	my $rr = recall($ex, $ap, 10);
	diag sprintf('synthetic 2000 x 32 %s recall@10: %.4f', $opc, $rr);
	cmp_ok($rr, '>=', 0.95, "$opc recall@10 >= 0.95");
	$node->safe_psql('postgres', 'DROP INDEX s_idx');
}

$node->stop;
done_testing();
