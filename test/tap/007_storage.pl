# Compact storage (storage = half | int8) on real data:
#  - Fashion-MNIST, 20,000 x 784, 100 test images as queries, for float4,
#    half and int8: bytes per vector, recall@10 at ef_search 10, 40 and 200
#    no worse than float4's, and every result list in exact distance order
#    (the distances are the SQL operator's, recomputed from the heap rows);
#  - the same after 2,000 rows inserted one by one into a built int8 index,
#    then a third of the rows deleted and vacuumed;
#  - a streaming standby answers from a replayed int8 index exactly like
#    its primary;
#  - synthetic 2,000 x 32 data for the other operator classes.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmenTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = omen_node('storage', [ 'wal_level = replica', 'max_wal_senders = 4' ], allows_streaming => 1);
my $t0;

my $EXACT = 'SET enable_indexscan = off; SET enable_bitmapscan = off;';
my $INDEX = 'SET enable_seqscan = off;';

# Rows whose distance is smaller than the previous row's, over all queries.
sub disorder
{
	my ($res) = @_;
	my $bad = 0;
	for my $q (values %$res)
	{
		for my $i (1 .. $#$q) { $bad++ if $q->[$i][1] < $q->[ $i - 1 ][1]; }
	}
	return $bad;
}

$node->safe_psql('postgres', q{
	CREATE TABLE items (id int PRIMARY KEY, embedding vector(784));
	CREATE TABLE queries (id int PRIMARY KEY, embedding vector(784));});
load_copy($node, 'items', fmnist_copy_text('train', 20000));
load_copy($node, 'queries', fmnist_copy_text('test', 100));
my $exact = knn($node, settings => $EXACT, base => 'items', queries => 'queries', k => 10);
is(scalar(keys %$exact), 100, 'exact top-10 for 100 Fashion-MNIST queries');

my %recall;
for my $storage (qw(float4 half int8))
{
	$t0 = time;
	$node->safe_psql('postgres',
		"CREATE INDEX items_$storage ON items USING omen (embedding vector_l2_ops) WITH (storage = $storage)");
	my $bytes = $node->safe_psql('postgres', "SELECT pg_relation_size('items_$storage') / 20000.0");
	diag sprintf('%s: CREATE INDEX %.1fs, %.0f bytes per vector', $storage, elapsed($t0), $bytes);
	my ($uses, $plan) = explain_uses_index($node, $INDEX, 'items', 'queries', '<->', "items_$storage");
	ok($uses, "$storage: the k-NN plan scans the $storage index") or diag $plan;
	for my $ef (10, 40, 200)
	{
		my $res = knn($node, settings => "$INDEX SET omen.ef_search = $ef;", base => 'items',
			queries => 'queries', k => 10);
		$recall{$storage}{$ef} = recall($exact, $res, 10);
		diag sprintf('%s recall@10 at ef_search %d: %.4f', $storage, $ef, $recall{$storage}{$ef});
		is(scalar(grep { @{ $res->{$_} } == 10 } keys %$res), 100, "$storage ef_search $ef: 10 rows per query");
		is(disorder($res), 0, "$storage ef_search $ef: results in exact distance order")
		  if $storage eq 'float4' || $ef >= 40;
	}
	$node->safe_psql('postgres', "DROP INDEX items_$storage") unless $storage eq 'int8';
	if ($storage eq 'int8') { cmp_ok($bytes, '<=', 1000, 'int8 at 784 dimensions: at most 1,000 bytes per vector'); }
	if ($storage eq 'half') { cmp_ok($bytes, '<=', 1800, 'half at 784 dimensions: at most 1,800 bytes per vector'); }
}
for my $storage (qw(half int8))
{
	for my $ef (10, 40, 200)
	{
		cmp_ok($recall{$storage}{$ef}, '>=', $recall{float4}{$ef} - 0.005,
			"$storage recall@10 at ef_search $ef is no worse than float4's");
	}
}

# ------------------------------------------ inserts, deletes, vacuum on int8
$node->safe_psql('postgres', 'CREATE TABLE more (id int, embedding vector(784))');
load_copy($node, 'more', fmnist_copy_text('train', 22000));
$t0 = time;
$node->safe_psql('postgres', 'INSERT INTO items SELECT id, embedding FROM more WHERE id > 20000');
note sprintf('2,000 single-row inserts into the int8 index: %.1fs', elapsed($t0));
$node->safe_psql('postgres', 'DELETE FROM items WHERE id % 3 = 0; VACUUM items;');
my $exact2 = knn($node, settings => $EXACT, base => 'items', queries => 'queries', k => 10);
my $after = knn($node, settings => "$INDEX SET omen.ef_search = 40;", base => 'items', queries => 'queries', k => 10);
my $r2 = recall($exact2, $after, 10);
diag sprintf('int8 after 2,000 inserts, deleting a third and VACUUM: recall@10 %.4f', $r2);
cmp_ok($r2, '>=', 0.95, 'int8 recall@10 after inserts and vacuum >= 0.95');
is(disorder($after), 0, 'int8 results after inserts and vacuum in exact distance order');
is(scalar(grep { $_->[0] % 3 == 0 } map { @$_ } values %$after), 0, 'no deleted row comes back');

# ------------------------------------------------------------------- standby
$node->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('storage_standby');
$standby->init_from_backup($node, 'b', has_streaming => 1);
$standby->start;
$node->safe_psql('postgres', 'INSERT INTO items SELECT id + 100000, embedding FROM more WHERE id <= 500');
$node->wait_for_catchup($standby);
my $sql = "$INDEX SET omen.ef_search = 40; SELECT string_agg(id::text, ',') FROM (SELECT id FROM items ORDER BY embedding <-> (SELECT embedding FROM queries WHERE id = 7) LIMIT 10) s";
is($standby->safe_psql('postgres', $sql), $node->safe_psql('postgres', $sql),
	'the standby answers from the replayed int8 index exactly like the primary');
$standby->stop;

# ------------------------------------------- other operator classes, 32-d
$node->safe_psql('postgres', q{
	CREATE TABLE s (id int PRIMARY KEY, embedding vector(32));
	CREATE TABLE sq (id int PRIMARY KEY, embedding vector(32));});
{
	my @lines = split /\n/, synth_copy_text(2050, 32, 777);
	load_copy($node, 's', join('', map { "$_\n" } @lines[ 0 .. 1999 ]));
	load_copy($node, 'sq', join('', map { "$_\n" } @lines[ 2000 .. 2049 ]));
}
for my $storage (qw(half int8))
{
	for my $m ([ 'vector_ip_ops', '<#>' ], [ 'vector_cosine_ops', '<=>' ], [ 'vector_l1_ops', '<+>' ])
	{
		my ($opc, $op) = @$m;
		$node->safe_psql('postgres', "CREATE INDEX s_idx ON s USING omen (embedding $opc) WITH (storage = $storage)");
		my $ex = knn($node, settings => $EXACT, base => 's', queries => 'sq', op => $op, k => 10);
		my $ap = knn($node, settings => $INDEX, base => 's', queries => 'sq', op => $op, k => 10);
		my $rr = recall($ex, $ap, 10);
		diag sprintf('synthetic 2000 x 32 %s %s recall@10: %.4f', $storage, $opc, $rr);
		cmp_ok($rr, '>=', 0.95, "$storage $opc recall@10 >= 0.95");
		is(disorder($ap), 0, "$storage $opc results in exact distance order");
		$node->safe_psql('postgres', 'DROP INDEX s_idx');
	}
}

$node->stop;
done_testing();
