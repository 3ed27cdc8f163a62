#!/usr/bin/env bash
# The Python package's tests, as a user gets the package: a fresh virtual environment,
# `pip install` of this directory with pip alone (maturin comes from the registry as the
# build backend and drives cargo), the optional packages, then pytest, and the type stubs
# checked against the native module (mypy's stubtest) and the package (mypy --strict).
#
#   crates/python/run-tests.sh            # PYTHON=python3.9 to test another interpreter
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m venv "$work/venv"
py="$work/venv/bin/python"
# One build job unless told otherwise: the machine is shared with other builds.
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" "$py" -m pip install --quiet --disable-pip-version-check "$here[test]"

# The `pagegraph` command, for the tests that compare the package's answers with the Rust
# library's on the same file (reused from `cargo test`'s build when there is one); its path
# as cargo reports it, wherever the target directory is.
PAGEGRAPH_CLI="$(CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo build --quiet --locked \
    --manifest-path "$here/../../Cargo.toml" -p pagegraph-cli --message-format=json \
    | "$py" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and m["target"]["name"] == "pagegraph":
        print(m["executable"])
')"
test -x "$PAGEGRAPH_CLI"
export PAGEGRAPH_CLI

cd "$here"
"$py" -m mypy.stubtest pagegraph._pagegraph
"$py" -m mypy --strict python/pagegraph
# From a copy of the tests, so `import pagegraph` can only find the installed package.
cp -r tests examples "$work/"
cd "$work"
"$py" -m pytest -q tests
