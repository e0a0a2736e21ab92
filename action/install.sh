#!/usr/bin/env bash
# Installs patlint for the action: by default the released binary of the version this
# action is (its own Cargo.toml, so `uses: OWNER/patlint@v0.2.0` runs patlint 0.2.0, as
# typos' action does), or `version`, checked against the sha256 that this action's own
# repository records for it in action/checksums.txt (written by the release workflow), so
# the checksum never comes from the same place as the download. `build-from-source: true`
# builds the action's source instead. Every failure is a `::error` that says what to do.
set -euo pipefail

action_dir="$(cd "$(dirname "$0")/.." && pwd)"
install_root="${RUNNER_TEMP:-/tmp}/patlint"
mkdir -p "$install_root/bin"

fail() {
  echo "::error title=patlint install::$1" >&2
  exit 1
}

if [ "${PATLINT_BUILD_FROM_SOURCE:-false}" = "true" ]; then
  cargo install --locked --quiet --path "$action_dir" --root "$install_root"
  echo "$install_root/bin" >> "${GITHUB_PATH:-/dev/null}"
  "$install_root/bin/patlint" --version
  exit 0
fi

own_version="$(awk -F'"' '/^version = / { print $2; exit }' "$action_dir/Cargo.toml")"
version="${PATLINT_VERSION:-$own_version}"
version="${version#v}"
case "$version" in
  *[!0-9A-Za-z.+-]* | "") fail "\`version\` must be a released version such as 0.2.0; leave it empty for this action's own" ;;
esac

exe=patlint
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
  Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-gnu ;;
  Darwin-arm64) target=aarch64-apple-darwin ;;
  Darwin-x86_64) target=x86_64-apple-darwin ;;
  MINGW*-x86_64 | MSYS*-x86_64 | CYGWIN*-x86_64) target=x86_64-pc-windows-msvc; exe=patlint.exe ;;
  *) fail "no released patlint binary for $(uname -s)-$(uname -m); set \`build-from-source: true\` to build it (needs Rust)" ;;
esac
if [ "$exe" = patlint.exe ]; then
  asset="patlint-${version}-${target}.zip"
else
  asset="patlint-${version}-${target}.tar.gz"
fi

checksums="${PATLINT_CHECKSUMS:-$action_dir/action/checksums.txt}"
expected="$(awk -v a="$asset" '$2 == a { print $1 }' "$checksums")"
if [ -z "$expected" ]; then
  fail "$asset has no recorded sha256 in action/checksums.txt: use the action at a release tag (uses: …/patlint@vX.Y.Z) whose checksums list it, or set \`build-from-source: true\`"
fi

base="${PATLINT_RELEASE_BASE_URL:-https://github.com/patlint/patlint/releases/download}"
url="$base/v${version}/${asset}"
download="$(mktemp)"
trap 'rm -f "$download"' EXIT
status="$(curl --silent --show-error --location --proto '=https,http' --max-time 120 \
  --retry 2 --output "$download" --write-out '%{http_code}' "$url" || true)"
if [ "$status" != "200" ]; then
  fail "could not download $url (HTTP ${status:-no answer}): is v${version} released? Otherwise set \`build-from-source: true\`"
fi
# sha256sum on Linux and Windows runners, shasum on macOS.
actual="$( (sha256sum "$download" 2>/dev/null || shasum -a 256 "$download") | awk '{ print $1 }')"
if [ "$actual" != "$expected" ]; then
  fail "$asset does not match its recorded sha256; refusing to install it (a tampered or re-uploaded asset): report it, and use \`build-from-source: true\` meanwhile"
fi

unpack="$(mktemp -d)"
case "$asset" in
  *.zip) unzip -q "$download" "$exe" -d "$unpack" 2>/dev/null || true ;;
  *) tar -xzf "$download" -C "$unpack" "$exe" 2>/dev/null || true ;;
esac
if [ ! -f "$unpack/$exe" ]; then
  rm -rf "$unpack"
  fail "$asset has no $exe at its root: not a patlint release archive; report it, and use \`build-from-source: true\` meanwhile"
fi
mv "$unpack/$exe" "$install_root/bin/$exe"
chmod +x "$install_root/bin/$exe"
rm -rf "$unpack"

echo "$install_root/bin" >> "${GITHUB_PATH:-/dev/null}"
"$install_root/bin/$exe" --version
