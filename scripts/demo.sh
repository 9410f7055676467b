#!/usr/bin/env bash
# The main job, on a Debian machine as root: installs what is missing, builds
# and installs OmenDB, starts a throwaway PostgreSQL cluster, loads the
# Fashion-MNIST images (Debian's dataset-fashion-mnist: 60,000 train + 10,000
# test vectors of 784 dimensions) into vector(784) tables, builds an omen index,
# and prints nearest-neighbour results, recall@10 against exact search and
# queries per second for both.  The cluster is stopped at the end, also on failure.
#
# Environment: DEMO_QUERIES (default 200) test images used as queries.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$OMEN_ROOT"

install_deps
build_install

DEMO_DIR=$(mktemp -d /tmp/omendb-demo.XXXXXX)
chmod 755 "$DEMO_DIR"
trap 'stop_cluster "$DEMO_DIR/pg"; rm -rf "$DEMO_DIR"' EXIT
start_cluster "$DEMO_DIR/pg" 55431

psql_q() { psql -X -v ON_ERROR_STOP=1 -q "$@"; }

log "loading Fashion-MNIST"
psql_q -c "CREATE EXTENSION omendb" \
	-c "CREATE TABLE items (id integer PRIMARY KEY, embedding vector(784))" \
	-c "CREATE TABLE queries (id integer PRIMARY KEY, embedding vector(784))"
fmnist_copy train | psql_q -c "COPY items FROM STDIN"
fmnist_copy test | psql_q -c "COPY queries FROM STDIN"
psql_q -c "VACUUM ANALYZE items" -c "VACUUM ANALYZE queries"

psql -X -v ON_ERROR_STOP=1 -v nq="${DEMO_QUERIES:-200}" -f scripts/demo.sql
