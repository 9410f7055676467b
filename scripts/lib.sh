# Shared helpers for scripts/demo.sh, scripts/test.sh and bench/run.sh.
# Sourced, not executed.  Everything runs as root on a Debian machine (as CI does);
# PostgreSQL itself runs as the `postgres` user on a private socket and port.

set -euo pipefail

OMEN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=${PG_MAJOR:-15}
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
export PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}

log() { printf '==> %s\n' "$*" >&2; }

# Installs the Debian packages the project needs, only those missing.
install_deps() {
	local want=(postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-contrib
		libxsimd-dev libpq-dev g++ make cmake libgtest-dev googletest
		dataset-fashion-mnist libipc-run-perl gzip "$@")
	local missing=()
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

# Builds and installs the extension into the server's directories.
build_install() {
	log "building omendb ($($PG_CONFIG --version))"
	make -C "$OMEN_ROOT" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >/dev/null
	make -C "$OMEN_ROOT" -s install PG_CONFIG="$PG_CONFIG" >/dev/null
}

# start_cluster DIR PORT [extra postgresql.conf lines...]
# Creates a throwaway cluster owned by postgres with its socket inside DIR.
start_cluster() {
	local dir=$1 port=$2
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir"
	chown postgres:postgres "$dir"
	runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust \
		--no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1
	{
		echo "port = $port"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "fsync = off"
		echo "shared_buffers = 1GB"
		echo "maintenance_work_mem = 2GB"
		echo "max_parallel_maintenance_workers = 1"
		echo "log_min_messages = warning"
		for line in "$@"; do echo "$line"; done
	} >>"$dir/data/postgresql.conf"
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
	export PGHOST=$dir PGPORT=$port PGUSER=postgres
	log "PostgreSQL $PG_MAJOR running on socket $dir port $port"
}

# stop_cluster DIR — safe to call twice and on a cluster that never started.
stop_cluster() {
	local dir=$1
	if [ -f "$dir/data/postmaster.pid" ]; then
		runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
	fi
}

# Streams Fashion-MNIST as COPY text "id<TAB>[p0,...,p783]".
# fmnist_copy train|test
fmnist_copy() {
	local file=/usr/share/datasets/fashion-mnist/$([ "$1" = test ] && echo t10k || echo train)-images-idx3-ubyte.gz
	gzip -dc "$file" | perl -e '
		binmode STDIN; read(STDIN, my $h, 16) == 16 or die "short header\n";
		my ($magic, $n, $r, $c) = unpack("N4", $h);
		$magic == 2051 or die "not an idx3 image file\n";
		my $d = $r * $c; my $i = 0;
		while (read(STDIN, my $b, $d) == $d) { $i++; print "$i\t[", join(",", unpack("C*", $b)), "]\n"; }
		$i == $n or die "expected $n images, read $i\n";'
}
