#!/usr/bin/env bash
# The benchmark, in one command: builds the released binary (the `dist` profile: fat LTO,
# what the Action, the wheel and the archives ship), makes a virtualenv with moto,
# aiohttp (for the asyncio checker it is compared with) and requests (for the sequential
# lister the audit is compared with), and prints the tables (pass --quick for N = 10 and
# 100 only, --runs N to change the number of runs per measurement, --audit for the audit
# scenario alone).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked --profile dist
if [ ! -x .venv/bin/moto_server ] || ! .venv/bin/python -c 'import aiohttp, requests' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6' 'aiohttp>=3.9,<4' 'requests>=2.31,<3'
fi
cargo run --locked --quiet --profile bench-harness --example bench-tokens -- \
  --patlint target/dist/patlint --python .venv/bin/python --moto .venv/bin/moto_server "$@"
