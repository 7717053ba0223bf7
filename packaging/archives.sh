#!/usr/bin/env bash
# Builds the command line for every machine it ships for (pure Go, CGO_ENABLED=0, no C
# compiler) into dist/plexlink_<ver>_<os>_<arch>.tar.gz (.zip for Windows), each with the
# README and the licence beside the program.
source "$(dirname "$0")/common.sh"
workdir
TARGETS="${CROSS_TARGETS:-linux/amd64 linux/arm64 linux/arm/7 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64 freebsd/amd64}"
for t in $TARGETS; do
  os="${t%%/*}"; rest="${t#*/}"; arch="${rest%%/*}"; arm=""
  [ "$rest" != "$arch" ] && arm="${rest#*/}"
  name="plexlink_${VERSION}_${os}_${arch}${arm:+v$arm}"
  dir="$WORK/$name"
  exe=plexlink
  [ "$os" = windows ] && exe=plexlink.exe
  echo "== $name"
  mkdir -p "$dir"
  (cd "$ROOT" && CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" GOARM="$arm" \
    $GO build -trimpath -ldflags "-s -w $LDFLAGS_VERSION" -o "$dir/$exe" ./cmd/plexlink)
  cp "$ROOT/README.md" "$ROOT/LICENSE" "$dir/"
  if [ "$os" = windows ]; then
    if ! command -v zip >/dev/null; then
      skip "$name.zip: zip missing (make deps-package installs it)"
      continue
    fi
    rm -f "$DIST/$name.zip"
    (cd "$WORK" && zip -qr -X "$DIST/$name.zip" "$name")
    built "$DIST/$name.zip"
  else
    tar -C "$WORK" --owner=0 --group=0 --numeric-owner -czf "$DIST/$name.tar.gz" "$name"
    built "$DIST/$name.tar.gz"
  fi
done
