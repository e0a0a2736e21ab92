#!/usr/bin/env bash
# Re-raises patlint's exit code once the SARIF upload is done.
set -euo pipefail
code="${PATLINT_EXIT_CODE:-}"
case "$code" in
  0) exit 0 ;;
  1|2|3) exit "$code" ;;
  *) echo "::error title=patlint::patlint did not run (no exit code recorded)" >&2; exit 2 ;;
esac
