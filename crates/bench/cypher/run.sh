#!/usr/bin/env bash
# Cypher queries on pagegraph against Kuzu 0.11.3 (see cypher_bench.py). Kuzu is a peer for
# this benchmark only: it is installed into a virtual environment made here, never into the
# project. pagegraph's Python package is built from this checkout (release, by maturin).
#
#   crates/bench/cypher/run.sh [N] [REPS]       # VENV=dir keeps the environment between runs
#   LDBC=1 crates/bench/cypher/run.sh [REPS]    # the same queries' kinds on the LDBC SNB subset
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${VENV:-$(mktemp -d)/venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check kuzu==0.11.3 pandas
fi
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$root/crates/python"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${LDBC:-}" ]; then
    # The LDBC SNB subset (ldbc_bench.py): pagegraph loads it with its CLI.
    cargo build --quiet --release -p pagegraph-cli --manifest-path "$root/Cargo.toml"
    "$venv/bin/python" "$here/ldbc_bench.py" "$@"
else
    "$venv/bin/python" "$here/cypher_bench.py" "$@"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
