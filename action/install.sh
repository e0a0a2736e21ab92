#!/usr/bin/env bash
# Installs patlint for the action: a released binary, checked against the sha256 that
# this action's own repository records for it, or a build from the action's source.
set -euo pipefail

action_dir="$(cd "$(dirname "$0")/.." && pwd)"
install_root="${RUNNER_TEMP:-/tmp}/patlint"
mkdir -p "$install_root/bin"

if [ -n "${PATLINT_VERSION:-}" ]; then
  version="${PATLINT_VERSION#v}"
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
    Linux-aarch64) target=aarch64-unknown-linux-gnu ;;
    Darwin-arm64) target=aarch64-apple-darwin ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    *) echo "::error title=patlint::no released patlint binary for $(uname -s)-$(uname -m); leave \`version\` empty to build from source" >&2; exit 1 ;;
  esac
  asset="patlint-${version}-${target}.tar.gz"
  checksums="${PATLINT_CHECKSUMS:-$action_dir/action/checksums.txt}"
  expected="$(awk -v a="$asset" '$2 == a { print $1 }' "$checksums")"
  if [ -z "$expected" ]; then
    echo "::error title=patlint::$asset has no recorded sha256 in action/checksums.txt; pin an action version that lists it, or leave \`version\` empty to build from source" >&2
    exit 1
  fi
  base="${PATLINT_RELEASE_BASE_URL:-https://github.com/patlint/patlint/releases/download}"
  download="$(mktemp)"
  curl --fail --silent --show-error --location --proto '=https,http' --output "$download" "$base/v${version}/${asset}"
  if ! echo "$expected  $download" | sha256sum --check --status; then
    echo "::error title=patlint::$asset does not match its recorded sha256; refusing to install it" >&2
    rm -f "$download"
    exit 1
  fi
  tar -xzf "$download" -C "$install_root/bin" patlint
  rm -f "$download"
else
  cargo install --locked --quiet --path "$action_dir" --root "$install_root"
fi

echo "$install_root/bin" >> "${GITHUB_PATH:-/dev/null}"
"$install_root/bin/patlint" --version
