#!/usr/bin/env bash
# Builds dist/plexlink-<ver>-windows-amd64-setup.exe, the per-user NSIS installer
# (packaging/windows/installer.nsi), from the two programs packaging/windows.sh put in
# $WINDIR (default dist/windows): "Plex Link.exe" and plexlink.exe.
source "$(dirname "$0")/common.sh"
workdir
WINDIR="${WINDIR:-$DIST/windows}"
if ! command -v makensis >/dev/null; then
  skip "Windows installer: makensis missing (Debian package nsis; make deps-package installs it)"
  exit 0
fi
for exe in "Plex Link.exe" plexlink.exe; do
  if [ ! -f "$WINDIR/$exe" ]; then
    skip "Windows installer: $WINDIR/$exe not built (packaging/windows.sh)"
    exit 0
  fi
done
IFS=. read -r major minor patch <<<"$VERSION"
build="$(sed -n 's/^[[:space:]]*Build[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' "$ROOT/FyneApp.toml")"
src="$WORK/src"
mkdir -p "$src"
cp "$WINDIR/Plex Link.exe" "$WINDIR/plexlink.exe" "$ROOT/README.md" "$ROOT/LICENSE" "$src/"
(cd "$ROOT" && $GO run ./packaging/icon -ico "$WORK/plexlink.ico")
out="$DIST/plexlink-$VERSION-windows-amd64-setup.exe"
echo "== makensis: $out"
makensis -V2 -NOCD -INPUTCHARSET UTF8 \
  "-DVERSION=$VERSION" "-DVERSION4=$major.$minor.${patch:-0}.${build:-0}" \
  "-DSRC=$src" "-DICON=$WORK/plexlink.ico" "-DOUTFILE=$out" \
  "$ROOT/packaging/windows/installer.nsi"
built "$out"
