#!/usr/bin/env bash
# Runs `patlint check` (or `audit`) once for the log format, the job summary and SARIF, and records
# the exit code as a step output instead of failing: the SARIF upload runs first, and
# action/gate.sh re-raises the code afterwards.
set -uo pipefail

command="${PATLINT_COMMAND:-check}"
case "$command" in
  check | audit) ;;
  *)
    # The input's text is not echoed: it is the workflow's, not patlint's, to show.
    echo "::error title=patlint::the command input must be check or audit"
    echo "exit-code=2" >> "${GITHUB_OUTPUT:-/dev/null}"
    exit 0
    ;;
esac
sarif="${PATLINT_SARIF_FILE:-patlint.sarif}"
# A report left by an earlier run must not be uploaded as this one's.
rm -f "$sarif"
format="${PATLINT_FORMAT:-github}"
args=("$command" --format "$format" --format "sarif=$sarif" --fail-on "${PATLINT_FAIL_ON:-error}")
if [ "$format" != github ]; then
  # The job summary comes with the github format: keep it when the log shows another.
  args+=(--format "github=${RUNNER_TEMP:-/tmp}/patlint-annotations.txt")
fi
if [ -n "${PATLINT_POLICY:-}" ]; then
  args+=(--policy "$PATLINT_POLICY")
fi

patlint "${args[@]}"
code=$?

{
  echo "exit-code=$code"
  if [ -s "$sarif" ]; then echo "sarif-file=$sarif"; fi
} >> "${GITHUB_OUTPUT:-/dev/null}"
exit 0
