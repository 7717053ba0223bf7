#!/usr/bin/env bash
# `make package`: builds every package this machine can build into dist/ and lists what it
# skipped and why.
source "$(dirname "$0")/common.sh"
rm -f "$DIST/.built" "$DIST/.skipped"
before="$(sha256sum "$ROOT/FyneApp.toml")"
"$ROOT/packaging/linux.sh"
"$ROOT/packaging/archives.sh"
"$ROOT/packaging/windows.sh"
"$ROOT/packaging/macos/package.sh"
# One checksum file over every artifact (sha256sum -c SHA256SUMS verifies them all).
(cd "$DIST" && find . -maxdepth 2 -type f ! -name SHA256SUMS ! -name '.*' -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum > SHA256SUMS)
built "$DIST/SHA256SUMS"
echo
echo "== make package summary (version $VERSION)"
cat "$DIST/.built" 2>/dev/null || true
cat "$DIST/.skipped" 2>/dev/null || true
# The scripts work on copies; check they kept that promise (windows.sh writes a .syso into
# each program's package of its copy: the desktop app's . and the command line's cmd/plexlink).
if [ "$(sha256sum "$ROOT/FyneApp.toml")" != "$before" ] ||
  [ -n "$(find "$ROOT" "$ROOT/cmd/plexlink" -maxdepth 1 \( -name '*.syso' -o -name 'fyne_metadata_init.go' \))" ]; then
  echo "packaging changed the source tree (FyneApp.toml, a .syso or fyne_metadata_init.go)" >&2
  exit 1
fi
