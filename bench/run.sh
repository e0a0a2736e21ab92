#!/usr/bin/env bash
# The benchmark, in one command: builds the release binary, makes sure moto is there,
# and prints the tables (pass --quick for N = 10 and 100 only, --runs N to change the
# number of runs per measurement).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked
if [ ! -x .venv/bin/moto_server ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6'
fi
cargo run --locked --quiet --profile bench-harness --example bench-tokens -- --patlint target/release/patlint --moto .venv/bin/moto_server "$@"
