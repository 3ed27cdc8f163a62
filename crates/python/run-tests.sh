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

cd "$here"
"$py" -m mypy.stubtest pagegraph._pagegraph
"$py" -m mypy --strict python/pagegraph
# From a copy of the tests, so `import pagegraph` can only find the installed package.
cp -r tests examples "$work/"
cd "$work"
"$py" -m pytest -q tests
