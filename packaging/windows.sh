#!/usr/bin/env bash
# Cross-compiles dist/plexlink-<ver>-windows-amd64.exe with mingw-w64: GUI subsystem (no
# console window), icon, version info and a DPI-aware manifest embedded from a .syso.
# The build runs on a copy of the source tree, so no .syso ever lands in the repository
# (a stray one would be linked into everybody's builds).
source "$(dirname "$0")/common.sh"
workdir
CC_WIN="${CC_WIN:-x86_64-w64-mingw32-gcc}"
if [ "$(uname -s)" = Linux ] || [ "$(uname -s)" = Darwin ]; then
  if ! command -v "$CC_WIN" >/dev/null; then
    skip "Windows .exe: $CC_WIN missing (Debian package gcc-mingw-w64-x86-64; make deps-package installs it)"
    exit 0
  fi
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
sed -e "s/@VERSION4@/$version4/" -e '/@VERSION4@ is filled/d' \
  "$ROOT/packaging/windows/plexlink.exe.manifest" > "$WORK/plexlink.exe.manifest"
cat > "$WORK/versioninfo.json" <<JSON
{
  "FixedFileInfo": {
    "FileVersion": {"Major": $major, "Minor": $minor, "Patch": ${patch:-0}, "Build": ${build:-0}},
    "ProductVersion": {"Major": $major, "Minor": $minor, "Patch": ${patch:-0}, "Build": ${build:-0}},
    "FileFlagsMask": "3f", "FileFlags": "00", "FileOS": "040004", "FileType": "01", "FileSubType": "00"
  },
  "StringFileInfo": {
    "FileDescription": "Plex Link", "FileVersion": "$version4", "InternalName": "plexlink",
    "OriginalFilename": "plexlink.exe", "ProductName": "Plex Link", "ProductVersion": "$version4"
  },
  "VarFileInfo": {"Translation": {"LangID": "0409", "CharsetID": "04B0"}}
}
JSON
(cd "$ROOT" && $GO run github.com/josephspurrier/goversioninfo/cmd/goversioninfo@v1.7.0 -64 \
  -icon "$WORK/plexlink.ico" -manifest "$WORK/plexlink.exe.manifest" \
  -o "$src/zz_windows_amd64.syso" "$WORK/versioninfo.json")

exe="$DIST/plexlink-$VERSION-windows-amd64.exe"
echo "== cross-compiling plexlink $VERSION for windows/amd64 with $CC_WIN"
# No -trimpath: the same flags as other builds keep Fyne's cgo objects in the build cache.
(cd "$src" && CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC="$CC_WIN" \
  $GO build -ldflags "-H=windowsgui -s -w $LDFLAGS_VERSION" -o "$exe" .)
(cd "$ROOT" && $GO run ./packaging/windows/pecheck "$exe")
built "$exe"
