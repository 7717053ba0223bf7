#!/usr/bin/env bash
# Cross-compiles the two Windows programs into dist/windows/, under the names they are
# installed with (an installer and a zip are made from that folder):
#   plexlink.exe   the command line (cmd/plexlink): pure Go (CGO_ENABLED=0), console
#                  subsystem, so a shell waits for it, shows its output and gets its exit code;
#   Plex Link.exe  the desktop app (.): Fyne with cgo via mingw-w64, GUI subsystem (no
#                  console window on a double-click or at login).
# Each carries an icon, its own version info and a manifest (DPI-aware, asInvoker) from a
# .syso. The build runs on a copy of the source tree, so no .syso ever lands in the
# repository (a stray one would be linked into everybody's builds).
source "$(dirname "$0")/common.sh"
workdir
out="$DIST/windows"
cli="$out/plexlink.exe"
app="$out/Plex Link.exe"
mkdir -p "$out"
rm -f "$cli" "$app"

CC_WIN="${CC_WIN:-x86_64-w64-mingw32-gcc}"
have_cc=1
if [ "$(uname -s)" = Linux ] || [ "$(uname -s)" = Darwin ]; then
  command -v "$CC_WIN" >/dev/null || have_cc=
else
  CC_WIN="${CC:-gcc}" # on Windows itself (CI), MSYS2/mingw gcc is the native compiler
fi
IFS=. read -r major minor patch <<<"$VERSION"
build="$(sed -n 's/^[[:space:]]*Build[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' "$ROOT/FyneApp.toml")"
version4="$major.$minor.${patch:-0}.${build:-0}"

src="$WORK/src"
mkdir -p "$src"
tar -C "$ROOT" --exclude=./.git --exclude=./dist --exclude=./test-artifacts -cf - . | tar -C "$src" -xf -
(cd "$ROOT" && $GO run ./packaging/icon -ico "$WORK/plexlink.ico")

# resources PACKAGE_DIR ORIGINAL_FILENAME DESCRIPTION ID_SUFFIX writes the icon, version
# info and manifest of one program as a .syso into its package in the copy of the tree.
resources() {
  local dir="$1" name="$2" description="$3" suffix="$4" tag="${2%.exe}"
  tag="${tag// /-}"
  sed -e "s/@VERSION4@/$version4/" -e "s/@ID_SUFFIX@/$suffix/" -e "s/@DESCRIPTION@/$description/" \
    -e '/@VERSION4@, @ID_SUFFIX@/d' "$ROOT/packaging/windows/exe.manifest" > "$WORK/$tag.manifest"
  cat > "$WORK/$tag.json" <<JSON
{
  "FixedFileInfo": {
    "FileVersion": {"Major": $major, "Minor": $minor, "Patch": ${patch:-0}, "Build": ${build:-0}},
    "ProductVersion": {"Major": $major, "Minor": $minor, "Patch": ${patch:-0}, "Build": ${build:-0}},
    "FileFlagsMask": "3f", "FileFlags": "00", "FileOS": "040004", "FileType": "01", "FileSubType": "00"
  },
  "StringFileInfo": {
    "FileDescription": "$description", "FileVersion": "$version4", "InternalName": "${name%.exe}",
    "OriginalFilename": "$name", "ProductName": "Plex Link", "ProductVersion": "$version4"
  },
  "VarFileInfo": {"Translation": {"LangID": "0409", "CharsetID": "04B0"}}
}
JSON
  (cd "$ROOT" && $GO run github.com/josephspurrier/goversioninfo/cmd/goversioninfo@v1.7.0 -64 \
    -icon "$WORK/plexlink.ico" -manifest "$WORK/$tag.manifest" \
    -o "$src/$dir/zz_windows_amd64.syso" "$WORK/$tag.json")
}

echo "== cross-compiling plexlink.exe $VERSION (command line, console subsystem) for windows/amd64"
resources cmd/plexlink plexlink.exe "Plex Link command line" .CommandLine
(cd "$src" && CGO_ENABLED=0 GOOS=windows GOARCH=amd64 \
  $GO build -trimpath -ldflags "-s -w $LDFLAGS_VERSION" -o "$cli" ./cmd/plexlink)
(cd "$ROOT" && $GO run ./packaging/windows/pecheck -subsystem console "$cli")
built "$cli"

if [ -z "$have_cc" ]; then
  skip "Plex Link.exe: $CC_WIN missing (Debian package gcc-mingw-w64-x86-64; make deps-package installs it)"
  exit 0
fi
echo "== cross-compiling Plex Link.exe $VERSION (desktop app, GUI subsystem) for windows/amd64 with $CC_WIN"
resources . "Plex Link.exe" "Plex Link" ""
# No -trimpath: the same flags as other builds keep Fyne's cgo objects in the build cache.
(cd "$src" && CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC="$CC_WIN" \
  $GO build -ldflags "-H=windowsgui -s -w $LDFLAGS_VERSION" -o "$app" .)
(cd "$ROOT" && $GO run ./packaging/windows/pecheck -subsystem gui "$app")
built "$app"

# The per-user installer from the two programs (packaging/windows/installer.nsi).
WINDIR="$out" "$ROOT/packaging/windows-installer.sh"
