#!/usr/bin/env bash
# Fetch the web app's vendored browser-side files again from the npm registry and check them
# against the hashes in src/sijill/web/static/vendor/README.md (run by hand, never at run time).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts htmx.org@2.0.11 axe-core@4.14.1 >/dev/null
check() {
  local got; got="$(sha256sum "$1" | cut -d' ' -f1)"
  [ "$got" = "$2" ] || { echo "error: $1 hashes to $got, expected $2" >&2; exit 1; }
}
check node_modules/htmx.org/dist/htmx.min.js d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717
check node_modules/axe-core/axe.min.js 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE "$root/src/sijill/web/static/vendor/htmx/"
cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE node_modules/axe-core/LICENSE-3RD-PARTY.txt \
  "$root/tests/vendor/axe-core/"
echo "vendored files fetched and checked"
