# Streaming replication: the standby replays the build's bulk WAL, the
# GenericXLog records of later inserts, and VACUUM's marks, repairs and
# frees, and ends with an index identical in behaviour to the primary's.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmenTAP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $DIMS = 40;
my $SEED = 505;

my $primary = omen_node('primary', [], allows_streaming => 1);
$primary->backup('b1');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b1', has_streaming => 1);
$standby->start;

sub qp { return $primary->safe_psql('postgres', $_[0]); }

qp("CREATE TABLE t (id int PRIMARY KEY, v vector($DIMS)); CREATE TABLE qs (id int PRIMARY KEY, v vector($DIMS))");
my @lines = split /\n/, synth_copy_text(6020, $DIMS, $SEED);
load_copy($primary, 't', join('', map { "$_\n" } @lines[ 0 .. 3999 ]));
load_copy($primary, 'qs', join('', map { "$_\n" } @lines[ 6000 .. 6019 ]));
qp('CREATE INDEX t_omen ON t USING omen (v vector_l2_ops)');
# after the build: single-row inserts (GenericXLog)...
load_copy($primary, 't', join('', map { "$_\n" } @lines[ 4000 .. 5999 ]));
# ...then deletes and VACUUM's mark / repair / free records
qp('DELETE FROM t WHERE id % 3 = 0; VACUUM t;');
# and inserts into the freed slots
qp('INSERT INTO t SELECT id + 10000, v FROM t WHERE id % 7 = 1');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

is($standby->safe_psql('postgres', 'SELECT count(*) FROM t'), qp('SELECT count(*) FROM t'),
	'standby has the same rows');
is($standby->safe_psql('postgres', q{SELECT pg_relation_size('t_omen')}), qp(q{SELECT pg_relation_size('t_omen')}),
	'standby index has the same size');

my $S = 'SET enable_seqscan = off; SET omen.ef_search = 40;';
my ($uses, $plan) = explain_uses_index($standby, $S, 't', 'qs', '<->', 't_omen', 'v');
ok($uses, 'the standby plans the k-NN query with the omen index') or diag $plan;
my $on_p = knn($primary, settings => $S, base => 't', queries => 'qs', col => 'v', k => 10);
my $on_s = knn($standby, settings => $S, base => 't', queries => 'qs', col => 'v', k => 10);
is(scalar(keys %$on_s), 20, 'standby answered 20 queries');
my @differ = grep {
	join(',', map { $_->[0] } @{ $on_p->{$_} }) ne join(',', map { $_->[0] } @{ $on_s->{$_} // [] })
} keys %$on_p;
is(scalar(@differ), 0, 'for 20 queries the standby returns the same ids in the same order as the primary')
  or diag "queries that differ: @differ";

# Larger scans (several rounds) agree too, as does a full scan.
$S = 'SET enable_seqscan = off; SET omen.ef_search = 40;';
$on_p = knn($primary, settings => $S, base => 't', queries => 'qs', col => 'v', k => 150);
$on_s = knn($standby, settings => $S, base => 't', queries => 'qs', col => 'v', k => 150);
@differ = grep {
	join(',', map { $_->[0] } @{ $on_p->{$_} }) ne join(',', map { $_->[0] } @{ $on_s->{$_} // [] })
} keys %$on_p;
is(scalar(@differ), 0, 'LIMIT 150 (continued scans) gives the same ids in the same order on both');
is(reachable_count($standby, 't', 'v', 'SELECT v FROM qs WHERE id = 6001', 10000),
	reachable_count($primary, 't', 'v', 'SELECT v FROM qs WHERE id = 6001', 10000),
	'a full index scan reaches the same number of rows on both');

# The raw pages agree, block for block.
$primary->safe_psql('postgres', 'CREATE EXTENSION pageinspect');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
my $pagesum = q{SELECT md5(string_agg(md5(substr(get_raw_page('t_omen', b::int), 25)), '' ORDER BY b))
	FROM generate_series(0, pg_relation_size('t_omen') / 8192 - 1) b};
is($standby->safe_psql('postgres', $pagesum), qp($pagesum),
	'every index page (past the LSN/checksum header) is identical on primary and standby');

$standby->stop;
$primary->stop;
done_testing();
