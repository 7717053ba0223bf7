#!/usr/bin/env bash
# Builds dist/plexlink-<ver>-linux-<arch>.tar.xz (fyne package) and dist/plexlink_<ver>_<arch>.deb
# (dpkg-deb), and validates the .desktop file and AppStream metainfo that go into them.
source "$(dirname "$0")/common.sh"
workdir
if [ "$(uname -s)" != Linux ]; then skip "Linux packages: this is $(uname -s), not Linux"; exit 0; fi
ARCH="$(dpkg --print-architecture 2>/dev/null || $GO env GOARCH)"

echo "== building plexlink $VERSION for linux/$($GO env GOARCH)"
# Same compiler flags as `make build`, so the cgo build of Fyne comes from the cache.
(cd "$ROOT" && $GO build -ldflags "-s -w $LDFLAGS_VERSION" -o "$WORK/plexlink" .)

# --- tar.xz via the fyne tool. It rewrites FyneApp.toml (Build+1), so it runs on copies.
if [ -x "$FYNE" ]; then
  mkdir -p "$WORK/fyne"
  cp "$ROOT/FyneApp.toml" "$ROOT/Icon.png" "$WORK/plexlink" "$WORK/fyne/"
  # fyne insists on Go code in its source dir even when it packages an existing binary.
  printf 'package main\n\nfunc main() {}\n' > "$WORK/fyne/main.go"
  (cd "$WORK/fyne" && "$FYNE" package -os linux --executable plexlink --name "Plex Link" --icon Icon.png --app-id "$APP_ID")
  tarball="$DIST/plexlink-$VERSION-linux-$($GO env GOARCH).tar.xz"
  mv "$WORK/fyne/Plex Link.tar.xz" "$tarball"
  built "$tarball"
else
  skip "Linux tar.xz: fyne tool not found at $FYNE (make package installs fyne.io/tools/cmd/fyne@v1.7.4)"
fi

# --- .deb
for tool in dpkg-deb desktop-file-validate appstreamcli; do
  if ! command -v "$tool" >/dev/null; then
    skip ".deb: $tool missing (make deps-package installs dpkg-dev, desktop-file-utils, appstream)"
    exit 0
  fi
done
pkg="$WORK/deb"
install -Dm755 "$WORK/plexlink" "$pkg/usr/bin/plexlink"
install -Dm644 "$ROOT/packaging/linux/$APP_ID.desktop" "$pkg/usr/share/applications/$APP_ID.desktop"
mkdir -p "$pkg/usr/share/metainfo"
date="$(git -C "$ROOT" log -1 --format=%cs 2>/dev/null || date -u +%F)"
sed -e "s/@VERSION@/$VERSION/" -e "s/@DATE@/$date/" -e '/@VERSION@ and @DATE@/d' \
  "$ROOT/packaging/linux/$APP_ID.metainfo.xml" > "$pkg/usr/share/metainfo/$APP_ID.metainfo.xml"
(cd "$ROOT" && $GO run ./packaging/icon -hicolor "$pkg/usr/share/icons/hicolor")

echo "== validating desktop entry and metainfo"
desktop-file-validate "$pkg/usr/share/applications/$APP_ID.desktop"
appstreamcli validate --no-net "$pkg/usr/share/metainfo/$APP_ID.metainfo.xml"

mkdir -p "$pkg/DEBIAN"
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: plexlink
Version: $VERSION
Architecture: $ARCH
Maintainer: Plex Link developers <plexlink@users.noreply.github.com>
Installed-Size: $(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
Depends: libc6, libgl1, libx11-6, libxcursor1, libxrandr2, libxinerama1, libxi6, libxxf86vm1
Recommends: gnome-keyring | kwalletmanager | keepassxc, xdg-utils
Suggests: gnome-shell-extension-appindicator
Section: net
Priority: optional
Homepage: https://codeberg.org/plexlink/plexlink
Description: link a Plex account and keep its token in the keychain
 Plex Link signs this computer in to a Plex account with the short code shown
 at plex.tv/link and keeps the token in the Secret Service keychain. It runs in
 the system tray; other tools read the token with "plexlink token".
CONTROL
deb="$DIST/plexlink_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
built "$deb"
