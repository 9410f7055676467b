#!/usr/bin/perl
# bench/report.pl — plots and Markdown tables from omenbench results files.
#
#   perl bench/report.pl --plots DIR [--markdown FILE] results.json...
#
# For each results file (one data set run) it draws DIR/<name>-recall-qps.png:
# recall@k against queries per second (log scale), one curve for one client
# and one for the concurrent clients, each point labelled with its
# omen.ef_search.  Across all files it draws DIR/build.png (CREATE INDEX
# vectors/s) and DIR/insert.png (COPY and single-row INSERT vectors/s into the
# indexed table).  <name> is the data set name plus the run's tag.  Runs of
# one data set with different index storages (float4, half, int8) also get a
# side-by-side table in the Markdown (size, build, inserts, recall and QPS).
# With --core FILE (repeatable: bench/core/core_bench's JSON lines, the C++
# core beside hnswlib without a database, as bench/run.sh --hnswlib writes
# them) the Markdown starts with a table of both engines' builds and sweeps.
# Plots use
# gnuplot (Debian: gnuplot-nox); --markdown writes the tables BENCHMARKS.md
# shows, straight from the files, so the document never carries a figure that
# no run produced.
use strict;
use warnings;
use JSON::PP;
use Getopt::Long;
use File::Temp qw(tempdir);

my ($plots, $markdown, @core);
GetOptions('plots=s' => \$plots, 'markdown=s' => \$markdown, 'core=s' => \@core) && @ARGV
	or die "usage: $0 [--plots DIR] [--markdown FILE] [--core core.jsonl]... results.json...\n";

my @runs;
for my $file (@ARGV) {
	open my $fh, '<', $file or die "$file: $!\n";
	local $/;
	my $r = decode_json(<$fh>);
	my $tag = $r->{parameters}{tag} // '';
	$r->{_name} = $r->{dataset}{name} . ($tag ne '' ? "-$tag" : '');
	$r->{_file} = $file;
	push @runs, $r;
}

sub label {    # "fashion-mnist 60,000 x 784"
	my $r = shift;
	my $n = $r->{dataset}{rows};
	1 while $n =~ s/^(\d+)(\d{3})/$1,$2/;
	return "$r->{dataset}{name} $n x $r->{dataset}{dims}";
}

if ($plots) {
	system('sh', '-c', 'command -v gnuplot >/dev/null') == 0
		or die "gnuplot not found: apt-get install gnuplot-nox (bench/run.sh installs it)\n";
	-d $plots or mkdir $plots or die "$plots: $!\n";
	my $tmp = tempdir(CLEANUP => 1);
	my $common = qq{set terminal pngcairo size 800,520 font "DejaVu Sans,10" noenhanced\nset grid\nset key top right\n};
	for my $r (@runs) {
		my $dat = "$tmp/$r->{_name}.dat";
		open my $d, '>', $dat or die "$dat: $!\n";
		my $clients = 0;
		for my $e (@{ $r->{sweep} }) {
			my $c = $e->{concurrent} ? $e->{concurrent}{qps} : 'NaN';
			$clients = $e->{concurrent}{clients} if $e->{concurrent};
			print $d "$e->{ef_search} $e->{recall} $e->{qps} $c\n";
		}
		close $d;
		my $title = sprintf('%s, k=%d, m=%d, ef_construction=%d (%s queries)', label($r), $r->{dataset}{k},
			$r->{parameters}{m}, $r->{parameters}{ef_construction}, $r->{dataset}{queries});
		my $png = "$plots/$r->{_name}-recall-qps.png";
		my $gp = $common . qq{set output "$png"\nset title "$title"\nset xlabel "recall\@$r->{dataset}{k}"\n}
			. qq{set ylabel "queries per second"\nset logscale y\nset key bottom left\n}
			. qq{plot "$dat" using 2:3 with linespoints lw 2 pt 7 title "1 client", }
			. qq{"" using 2:3:(sprintf("%d",\$1)) with labels offset 0,0.8 font ",8" notitle};
		$gp .= qq{, "" using 2:4 with linespoints lw 2 pt 5 title "$clients clients"} if $clients;
		if ($r->{exact}) {
			$gp .= qq{, $r->{exact}{qps} with lines dt 2 lw 1 title sprintf("exact (seq scan) %.1f QPS", $r->{exact}{qps})};
		}
		run_gnuplot($gp . "\n");
		print "wrote $png\n";
	}
	my $bd = "$tmp/bars.dat";
	open my $b, '>', $bd or die "$bd: $!\n";
	for my $r (@runs) {
		my $n = $r->{dataset}{rows};
		$n = $n >= 1e6 && $n % 1e6 == 0 ? ($n / 1e6) . 'M' : $n >= 1000 && $n % 1000 == 0 ? ($n / 1000) . 'k' : $n;
		my $l = "$r->{dataset}{name} $n x $r->{dataset}{dims}" . ($r->{parameters}{tag} ? " ($r->{parameters}{tag})" : '');
		printf $b qq{"%s" %s %s %s\n}, $l, $r->{build}{vectors_per_s},
			$r->{insert}{copy}{vectors_per_s} // 'NaN', $r->{insert}{single}{vectors_per_s} // 'NaN';
	}
	close $b;
	my $bars = $common . qq{set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n}
		. qq{set xtics rotate by -12 font ",9"\n}
		. qq{set yrange [0:*]\nset offsets 0,0,graph 0.08,0\nset ylabel "vectors per second"\nset xtics noenhanced\n};
	run_gnuplot($bars . qq{set output "$plots/build.png"\nset title "CREATE INDEX ... USING omen"\nset key below\n}
			. qq{plot "$bd" using 2:xtic(1) title "build" lc rgb "#3a7bd5", "" using 0:2:(sprintf("%.0f",\$2)) with labels offset 0,0.7 notitle\n});
	run_gnuplot($bars . qq{set output "$plots/insert.png"\nset title "inserts into the indexed table"\nset key below\n}
			. qq{plot "$bd" using 3:xtic(1) title "COPY BINARY" lc rgb "#3a7bd5", "" using 4 title "single-row INSERT (1 client)" lc rgb "#e07b39"\n});
	print "wrote $plots/build.png\nwrote $plots/insert.png\n";
}

sub run_gnuplot {
	my $script = shift;
	open my $g, '|-', 'gnuplot' or die "gnuplot: $!\n";
	print $g $script;
	close $g or die "gnuplot failed\n";
}

sub num { my ($f, $v) = @_; return defined $v ? sprintf($f, $v) : 'n/a'; }
sub mib { my $v = shift; return defined $v ? sprintf('%.0f MiB', $v / 1048576) : 'n/a'; }

# The first sweep entry reaching recall >= r (the fastest such ef_search on a monotone curve).
sub first_at {
	my ($r, $min) = @_;
	for my $e (@{ $r->{sweep} }) { return $e if $e->{recall} >= $min; }
	return undef;
}

# "| storage | ... |" rows comparing the runs of one data set by storage.
sub storage_table {
	my ($m, @group) = @_;
	print $m "### Storage compared: ", label($group[0]), "\n\n";
	print $m "| storage | bytes/vector | CREATE INDEX vectors/s | COPY vectors/s | INSERT vectors/s | recall\@10, QPS at ef_search 40 | at ef_search 120 | fastest ef_search with recall >= 0.99 |\n";
	print $m "|---|---:|---:|---:|---:|---:|---:|---:|\n";
	for my $r (@group) {
		my %at = map { $_->{ef_search} => $_ } @{ $r->{sweep} };
		my $cell = sub { my $e = $at{ $_[0] }; return $e ? sprintf('%.4f, %.0f', $e->{recall}, $e->{qps}) : 'n/a'; };
		my $best = first_at($r, 0.99);
		printf $m "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $r->{parameters}{storage} // 'float4',
			num('%.0f', $r->{build}{bytes_per_vector}), num('%.0f', $r->{build}{vectors_per_s}),
			num('%.0f', $r->{insert}{copy} ? $r->{insert}{copy}{vectors_per_s} : undef),
			num('%.0f', $r->{insert}{single} ? $r->{insert}{single}{vectors_per_s} : undef),
			$cell->(40), $cell->(120),
			$best ? sprintf('%d: %.4f at %.0f QPS (%.0f with %d clients)', $best->{ef_search}, $best->{recall}, $best->{qps},
				$best->{concurrent} ? $best->{concurrent}{qps} : 0, $r->{parameters}{clients}) : 'none';
	}
	print $m "\n";
}

# One table for the core_bench files: per data set and engine, the build and the sweep.
sub core_table {
	my ($m, @files) = @_;
	my @rows;
	my %efs;
	for my $file (@files) {
		open my $fh, '<', $file or die "$file: $!\n";
		my (%build, %sweep, @order);
		while (my $line = <$fh>) {
			next unless $line =~ /^\{/;
			my $e = decode_json($line);
			my $who = $e->{engine} or next;
			if (defined $e->{build_vps}) {
				push @order, $who unless $build{$who};
				$build{$who} = $e;
			} elsif (defined $e->{ef_search}) {
				$sweep{$who}{ $e->{ef_search} } = $e;
				$efs{ $e->{ef_search} } = 1;
			}
		}
		die "$file: no build result\n" unless @order;
		(my $set = $file) =~ s{^.*/(?:latest-)?core-}{};
		$set =~ s/(-\d{8}T\d{6}Z)?\.jsonl$//;
		push @rows, [ $set, $_, $build{$_}, $sweep{$_} ] for @order;
	}
	my @ef = sort { $a <=> $b } keys %efs;
	print $m "### The core beside hnswlib (`bench/core/core_bench`, no database, two threads each)\n\n";
	print $m "| data set | engine | build vectors/s | ", join(' | ', map { "recall\@10, QPS at ef_search $_" } @ef), " |\n";
	print $m "|---|---|---:|", join('', map { '---:|' } @ef), "\n";
	for my $row (@rows) {
		my ($set, $who, $b, $sw) = @$row;
		my $n = $b->{n};
		1 while $n =~ s/^(\d+)(\d{3})/$1,$2/;
		printf $m "| %s %s x %d | %s | %.0f | %s |\n", $set, $n, $b->{dims}, $who, $b->{build_vps},
			join(' | ', map { my $e = $sw->{$_}; $e ? sprintf('%.4f, %.0f', $e->{recall}, $e->{qps}) : 'n/a' } @ef);
	}
	print $m "\n";
}

if ($markdown) {
	open my $m, '>', $markdown or die "$markdown: $!\n";
	core_table($m, @core) if @core;
	my %groups;
	for my $r (@runs) {
		push @{ $groups{ join('|', $r->{dataset}{name}, $r->{dataset}{rows}, $r->{dataset}{dims}) } }, $r;
	}
	for my $key (sort keys %groups) {
		my @g = @{ $groups{$key} };
		my %kinds = map { ($_->{parameters}{storage} // 'float4') => 1 } @g;
		storage_table($m, @g) if keys(%kinds) > 1;
	}
	for my $r (@runs) {
		my ($p, $b, $i, $x) = ($r->{parameters}, $r->{build}, $r->{insert}, $r->{exact});
		my $la = $r->{machine}{load_average_at_start};
		print $m "### ", label($r), ($p->{tag} ? " ($p->{tag})" : ''), "\n\n";
		print $m "$r->{dataset}{description}. Run $r->{started_at}, $r->{duration_s} s"
			=~ s/(\d+\.\d)\d* s$/$1 s/r, sprintf(", load average at start %.2f / %.2f / %.2f", @$la),
			sprintf(", before the query sweep %.2f / %.2f / %.2f.", @{ $r->{load_average_before_sweep} }),
			($p->{source_rev} ? " Extension source: `$p->{source_rev}`." : ''), "\n";
		my @own = map { $_->{ef_search} } grep { $_->{planner_chooses_index} } @{ $r->{sweep} };
		my @not = map { $_->{ef_search} } grep { defined $_->{planner_chooses_index} && !$_->{planner_chooses_index} } @{ $r->{sweep} };
		if (@not) {
			print $m "Left to itself the planner picks the omen index at ef_search ", (@own ? join(', ', @own) : 'none'),
				" and a sequential scan at ", join(', ', @not), "; the sweep runs with `$r->{sweep_settings}` so that it always measures the index.\n";
		}
		print $m "\n| phase | figure |\n|---|---|\n";
		printf $m "| load (COPY BINARY, no index; column STORAGE %s) | %s rows, %s vectors/s |\n",
			$p->{column_storage} // 'external', $r->{load}{rows}, num('%.0f', $r->{load}{vectors_per_s});
		printf $m "| CREATE INDEX (m=%d, ef_construction=%d, build_threads=%d, storage=%s) | %s rows in %s s = **%s vectors/s** (other processes: %s%% CPU) |\n",
			$p->{m}, $p->{ef_construction}, $p->{build_threads}, $p->{storage} // 'float4', $b->{rows}, num('%.2f', $b->{seconds}), num('%.0f', $b->{vectors_per_s}),
			num('%.0f', $b->{foreign_cpu_pct});
		printf $m "| building backend memory | peak RSS (VmHWM) %s, private (RssAnon) peak %s |\n",
			mib($b->{backend_vmhwm_bytes}), mib($b->{backend_peak_rss_anon_bytes_sampled});
		printf $m "| index size | %s bytes/vector after build, %s after inserts |\n", num('%.0f', $b->{bytes_per_vector}),
			num('%.0f', $i->{bytes_per_vector_after});
		printf $m "| COPY BINARY into the indexed table | %s rows, **%s vectors/s** |\n", $i->{copy}{rows}, num('%.0f', $i->{copy}{vectors_per_s})
			if $i->{copy};
		printf $m "| single-row INSERT (1 client, autocommit, synchronous_commit=%s) | %s rows, **%s vectors/s**, p50 %s ms, p99 %s ms |\n",
			$i->{synchronous_commit}, $i->{single}{rows}, num('%.0f', $i->{single}{vectors_per_s}),
			num('%.2f', $i->{single}{p50_ms}), num('%.2f', $i->{single}{p99_ms})
			if $i->{single};
		printf $m "| exact search (sequential scan, %d queries) | %s QPS, p50 %s ms, p99 %s ms, recall %s |\n",
			$x->{queries}, num('%.2f', $x->{qps}), num('%.1f', $x->{p50_ms}), num('%.1f', $x->{p99_ms}), num('%.4f', $x->{recall})
			if $x;
		my $nc = $p->{clients};
		print $m "\n| omen.ef_search | recall\@$r->{dataset}{k} | QPS (1 client) | p50 ms | p99 ms |",
			($nc ? " QPS ($nc clients) | p50 ms ($nc) | p99 ms ($nc) |" : ''), " other CPU % |\n";
		print $m "|---:|---:|---:|---:|---:|", ($nc ? "---:|---:|---:|" : ''), "---:|\n";
		for my $e (@{ $r->{sweep} }) {
			printf $m "| %d | %.4f | %.0f | %.2f | %.2f |", $e->{ef_search}, $e->{recall}, $e->{qps}, $e->{p50_ms}, $e->{p99_ms};
			printf $m " %.0f | %.2f | %.2f |", $e->{concurrent}{qps}, $e->{concurrent}{p50_ms}, $e->{concurrent}{p99_ms} if $e->{concurrent};
			printf $m " %s |\n", join(' / ', map { num('%.0f', $_) } $e->{foreign_cpu_pct}, ($e->{concurrent} ? $e->{concurrent}{foreign_cpu_pct} : ()));
		}
		print $m "\nOther CPU %: share of the machine's CPU time used by processes other than the driver and its backends during the timed pass (1 client / $nc clients).\n" if $nc;
		print $m "\n";
	}
	close $m;
	print "wrote $markdown\n";
}
