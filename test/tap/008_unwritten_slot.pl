# A crash between an insert taking a node slot and writing the node (two WAL
# records) leaves a slot that is counted but holds no row.  The test stops a
# backend right there with gdb (a breakpoint on OmenWriteNodeBytes, which the
# insert calls right after the slot is taken), kills it so that the server
# goes through crash recovery, and checks that VACUUM frees the slot and a
# later insert reuses it.  Twice: first with a new slot at the end of the
# node stream, then with one taken from the free list (which a crash leaves
# marked free but off the list).  Skipped where gdb is missing or may not
# attach.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OmenTAP;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);
use PostgreSQL::Test::BackgroundPsql;

plan skip_all => 'gdb is not installed' unless system('gdb --version >/dev/null 2>&1') == 0;

my $node = omen_node('unwritten', [ 'fsync = on', 'checkpoint_timeout = 30min', 'restart_after_crash = on' ]);

sub q1 { return $node->safe_psql('postgres', $_[0]); }

# A uint32 of the metapage, read without VACUUM (index_entries runs one).
sub meta_u32
{
	my ($offset) = @_;
	my $sum = join('+', map { "get_byte(p, " . ($offset + $_) . ") * " . (256**$_) } 0 .. 3);
	return q1("CREATE EXTENSION IF NOT EXISTS pageinspect;
		SELECT $sum FROM get_raw_page('t_omen', 0) p");
}
sub node_count { return meta_u32(48); }
sub free_count { return meta_u32(52); }
sub counted_nodes { return node_count() - free_count(); }

q1('CREATE TABLE t (id serial PRIMARY KEY, v vector(8))');
q1('CREATE TABLE other (x int)');
q1(q{INSERT INTO t (v) SELECT ARRAY(SELECT (g * 7 + k) % 97 / 97.0 FROM generate_series(1, 8) k)::real[]::vector
	FROM generate_series(1, 500) g});
q1('CREATE INDEX t_omen ON t USING omen (v vector_l2_ops)');
q1('CHECKPOINT');

# A line of /proc/<pid>/status ('' if the process is gone).
sub proc_status
{
	my ($pid, $field) = @_;
	open(my $fh, '<', "/proc/$pid/status") or return '';
	my ($v) = map { /^$field:\s*(.*)$/ ? ($1) : () } <$fh>;
	close $fh;
	return $v // '';
}

# Waits up to 60 s for cond to hold.
sub wait_until
{
	my ($cond) = @_;
	for (1 .. 600)
	{
		return 1 if $cond->();
		sleep 0.1;
	}
	return 0;
}

# Runs an insert in a session of its own, stops it with gdb right after it
# took its slot, and crashes the server there.  Where gdb cannot attach it
# skips the whole test (plan skip_all exits).
sub crash_inside_insert
{
	my ($what) = @_;
	my $bg = $node->background_psql('postgres');
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	die "no backend pid: $pid" unless $pid =~ /^\d+$/;

	# gdb stops the backend only at the breakpoint (not at the signals a
	# backend gets), then sleeps while the server is crashed under it.
	my $gdb = IPC::Run::start(
		[ 'gdb', '-p', $pid, '-batch', '-ex', 'handle all nostop noprint pass', '-ex', 'set breakpoint pending on',
			'-ex', 'break OmenWriteNodeBytes', '-ex', 'continue', '-ex', 'shell sleep 120' ],
		'<', \undef, '>', '/dev/null', '2>', '/dev/null');
	if (!wait_until(sub { proc_status($pid, 'TracerPid') =~ /^[1-9]/ && proc_status($pid, 'State') !~ /^t/ }))
	{
		$gdb->kill_kill(grace => 0);
		$bg->quit;
		$node->stop;
		plan skip_all => 'gdb cannot attach to a backend here';
	}

	$bg->{stdin} .= "INSERT INTO t (v) VALUES ('[1,2,3,4,5,6,7,8]');\n";
	$bg->{run}->pump_nb;
	ok(wait_until(sub { proc_status($pid, 'State') =~ /^t/ }),
		"$what: the insert stopped at the breakpoint, after taking its slot and before writing the node");

	# Commit something else so that the slot's WAL record is flushed, then
	# crash: killing a backend makes the postmaster reset shared memory and
	# replay WAL.
	q1('INSERT INTO other VALUES (1)');
	kill 'KILL', $pid;
	$gdb->kill_kill(grace => 0);    # the tracer must go for the kill to reach the postmaster
	$bg->{run}->kill_kill;
	ok($node->poll_query_until('postgres', 'SELECT 1', '1'), "$what: the server is back after crash recovery");
	return;
}

crash_inside_insert('new slot');
my $rows = q1('SELECT count(*) FROM t');
is($rows, '500', 'the interrupted insert did not commit');
is(counted_nodes(), '501', 'after recovery the index counts the slot the interrupted insert took');
is(index_entries($node, 't', 't_omen'), $rows, 'VACUUM frees the slot that was never written');
q1("INSERT INTO t (v) VALUES ('[8,7,6,5,4,3,2,1]')");
is(index_entries($node, 't', 't_omen'), $rows + 1, 'the next insert adds one entry (reusing the slot)');
is(q1(q{SET enable_seqscan = off; SELECT id FROM t ORDER BY v <-> '[8,7,6,5,4,3,2,1]' LIMIT 1}),
	q1(q{SELECT id FROM t WHERE v = '[8,7,6,5,4,3,2,1]'}), 'and the index finds that row');

# The same with a slot from the free list: delete rows, VACUUM frees their
# slots, and the interrupted insert takes one of them.
$rows = q1('DELETE FROM t WHERE id % 100 = 7; SELECT count(*) FROM t');
is(index_entries($node, 't', 't_omen'), $rows, 'VACUUM after deleting rows: one entry per row');
my $free = free_count();
cmp_ok($free, '>=', 3, "their slots are on the free list ($free)");
my $nodes = node_count();
crash_inside_insert('free-list slot');
is(q1('SELECT count(*) FROM t'), $rows, 'the interrupted insert did not commit');
is(free_count(), $free - 1, 'after recovery the free list is one slot shorter');
is(counted_nodes(), $rows + 1, 'and the index counts the slot the interrupted insert took');
is(index_entries($node, 't', 't_omen'), $rows, 'after VACUUM the index counts one node per row again');
is(free_count(), $free, 'VACUUM put the slot the insert never wrote back on the free list');
q1(qq{INSERT INTO t (v) SELECT ARRAY(SELECT (g * 11 + k) % 89 / 89.0 FROM generate_series(1, 8) k)::real[]::vector
	FROM generate_series(1, $free) g});
is(node_count(), $nodes, "$free inserts reuse the $free free slots: the node stream did not grow");
is(index_entries($node, 't', 't_omen'), $rows + $free, 'and the index holds one entry per row');

$node->stop;
done_testing();
