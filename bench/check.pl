#!/usr/bin/perl
# bench/check.pl — sanity check of an omenbench results file.
#
#   perl bench/check.pl [--min-recall 0.9] results.json...
#
# Fails (exit 1, one line per problem) unless every file has: the expected
# schema; every phase's figures present, finite and positive; exact search
# recall 1.0 (the ground truth and PostgreSQL agree); recall at the largest
# omen.ef_search >= --min-recall; recall never falling by more than 0.02 as
# ef_search grows; and no query that returned fewer than k rows at the
# largest ef_search.  Used by bench/run.sh after every run and by the smoke
# test in scripts/test.sh, so the driver and its output cannot rot quietly.
use strict;
use warnings;
use JSON::PP;
use Getopt::Long;

my $min_recall = 0.9;
GetOptions('min-recall=f' => \$min_recall) or die "usage: $0 [--min-recall X] file.json...\n";
@ARGV or die "usage: $0 [--min-recall X] file.json...\n";

my $failed = 0;
for my $file (@ARGV) {
	my @problems;
	my $r = eval {
		open my $fh, '<', $file or die "cannot read: $!\n";
		local $/;
		decode_json(<$fh>);
	};
	if (!$r) { print "$file: not a results file: $@"; $failed = 1; next; }
	my $pos = sub {
		my ($what, $v) = @_;
		push @problems, "$what is missing" and return unless defined $v;
		push @problems, "$what = $v is not a positive number" unless $v =~ /^[0-9.eE+-]+$/ && $v > 0;
	};
	push @problems, "schema is not omenbench/1" unless ($r->{schema} // '') eq 'omenbench/1';
	$pos->('dataset.rows', $r->{dataset}{rows});
	$pos->('load.vectors_per_s', $r->{load}{vectors_per_s});
	$pos->('build.vectors_per_s', $r->{build}{vectors_per_s});
	$pos->('build.bytes_per_vector', $r->{build}{bytes_per_vector});
	$pos->('insert.copy.vectors_per_s', $r->{insert}{copy}{vectors_per_s}) if $r->{insert}{copy};
	$pos->('insert.single.vectors_per_s', $r->{insert}{single}{vectors_per_s}) if $r->{insert}{single};
	if ($r->{exact}) {
		$pos->('exact.qps', $r->{exact}{qps});
		push @problems, "exact search recall is $r->{exact}{recall}, not 1.0"
			unless ($r->{exact}{recall} // 0) >= 1.0;
	}
	my @sweep = @{ $r->{sweep} // [] };
	push @problems, "no ef_search sweep" unless @sweep;
	my $prev;
	for my $e (@sweep) {
		$pos->("sweep ef=$e->{ef_search} qps", $e->{qps});
		$pos->("sweep ef=$e->{ef_search} p50_ms", $e->{p50_ms});
		$pos->("sweep ef=$e->{ef_search} concurrent qps", $e->{concurrent}{qps}) if $e->{concurrent};
		push @problems, "recall falls from $prev to $e->{recall} at ef_search $e->{ef_search}"
			if defined $prev && $e->{recall} < $prev - 0.02;
		$prev = $e->{recall};
	}
	if (@sweep) {
		my $last = $sweep[-1];
		push @problems, sprintf('recall %.4f at ef_search %d is below %.2f', $last->{recall}, $last->{ef_search}, $min_recall)
			if $last->{recall} < $min_recall;
		push @problems, "$last->{short_results} queries returned fewer than k rows at ef_search $last->{ef_search}"
			if $last->{short_results};
	}
	if (@problems) {
		print "$file: $_\n" for @problems;
		$failed = 1;
	} else {
		printf "%s: ok (recall %.4f at ef_search %d, %.0f QPS)\n", $file, $sweep[-1]{recall},
			$sweep[-1]{ef_search}, $sweep[-1]{qps};
	}
}
exit $failed;
