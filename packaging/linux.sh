#!/usr/bin/env bash
# Builds the Linux packages into dist/:
#   plexlink_<ver>_<arch>.deb          the command line alone (pure Go, static: no Depends), amd64 and arm64
#   plexlink-desktop_<ver>_amd64.deb   the desktop app (tray + window), its .desktop entry,
#                                      AppStream metainfo and icons; depends on plexlink and the GL/X libraries
#   plexlink-desktop-<ver>-linux-amd64.tar.xz   the desktop app, packaged by the fyne tool
# and validates the .desktop file and AppStream metainfo that go into them.
source "$(dirname "$0")/common.sh"
workdir
if [ "$(uname -s)" != Linux ]; then skip "Linux packages: this is $(uname -s), not Linux"; exit 0; fi
HOST_ARCH="$(dpkg --print-architecture 2>/dev/null || $GO env GOARCH)"
CLI_ARCHES="${CLI_ARCHES:-amd64 arm64}"

echo "== building plexlink-desktop $VERSION for linux/$($GO env GOARCH)"
# Same compiler flags as `make build`, so the cgo build of Fyne comes from the cache.
(cd "$ROOT" && $GO build -ldflags "-s -w $LDFLAGS_VERSION" -o "$WORK/plexlink-desktop" .)
for arch in $CLI_ARCHES; do
  echo "== building plexlink $VERSION for linux/$arch (CGO_ENABLED=0)"
  (cd "$ROOT" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" $GO build -trimpath -ldflags "-s -w $LDFLAGS_VERSION" \
    -o "$WORK/cli-$arch/plexlink" ./cmd/plexlink)
done

# --- tar.xz via the fyne tool. It rewrites FyneApp.toml (Build+1), so it runs on copies.
if [ -x "$FYNE" ]; then
  mkdir -p "$WORK/fyne"
  cp "$ROOT/FyneApp.toml" "$ROOT/Icon.png" "$WORK/plexlink-desktop" "$WORK/fyne/"
  # fyne insists on Go code in its source dir even when it packages an existing binary.
  printf 'package main\n\nfunc main() {}\n' > "$WORK/fyne/main.go"
  (cd "$WORK/fyne" && "$FYNE" package -os linux --executable plexlink-desktop --name "Plex Link" --icon Icon.png --app-id "$APP_ID")
  tarball="$DIST/plexlink-desktop-$VERSION-linux-$($GO env GOARCH).tar.xz"
  mv "$WORK/fyne/Plex Link.tar.xz" "$tarball"
  built "$tarball"
else
  skip "Linux tar.xz: fyne tool not found at $FYNE (make package installs fyne.io/tools/cmd/fyne@v1.7.4)"
fi

# --- .debs
for tool in dpkg-deb desktop-file-validate appstreamcli; do
  if ! command -v "$tool" >/dev/null; then
    skip ".deb: $tool missing (make deps-package installs dpkg-dev, desktop-file-utils, appstream)"
    exit 0
  fi
done

# docs puts the README, the licence and the Debian copyright file under /usr/share/doc/NAME.
docs() {
  local root="$1" name="$2"
  install -Dm644 "$ROOT/README.md" "$root/usr/share/doc/$name/README.md"
  install -Dm644 "$ROOT/LICENSE" "$root/usr/share/doc/$name/copyright"
}

# control writes DEBIAN/control for the tree at $1.
control() {
  local root="$1"
  shift
  mkdir -p "$root/DEBIAN"
  {
    printf '%s\n' "$@"
    echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)"
    echo "Maintainer: Plex Link developers <plexlink@users.noreply.github.com>"
    echo "Section: net"
    echo "Priority: optional"
    echo "Homepage: https://codeberg.org/plexlink/plexlink"
  } > "$root/DEBIAN/control"
}

# The command line, one package per architecture. Shell completions come from the host's
# build (`plexlink completion`); they are the same text for every architecture.
host_cli="$WORK/cli-$HOST_ARCH/plexlink"
if [ ! -x "$host_cli" ]; then
  host_cli="$WORK/cli-host/plexlink"
  (cd "$ROOT" && CGO_ENABLED=0 $GO build -o "$host_cli" ./cmd/plexlink)
fi
for arch in $CLI_ARCHES; do
  pkg="$WORK/deb-cli-$arch"
  install -Dm755 "$WORK/cli-$arch/plexlink" "$pkg/usr/bin/plexlink"
  mkdir -p "$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/zsh/vendor-completions" "$pkg/usr/share/fish/vendor_completions.d"
  "$host_cli" completion bash > "$pkg/usr/share/bash-completion/completions/plexlink"
  "$host_cli" completion zsh > "$pkg/usr/share/zsh/vendor-completions/_plexlink"
  "$host_cli" completion fish > "$pkg/usr/share/fish/vendor_completions.d/plexlink.fish"
  docs "$pkg" plexlink
  control "$pkg" \
    "Package: plexlink" \
    "Version: $VERSION" \
    "Architecture: $arch" \
    "Recommends: gnome-keyring | keepassxc | kwalletmanager" \
    "Suggests: plexlink-desktop" \
    "Description: hand a Plex account's token to the tools you run" \
    " plexlink links this computer to a Plex account with the short code shown at" \
    " plex.tv/link, keeps the token in the Secret Service keychain, and gives" \
    " python-plexapi scripts, Kometa, Tautulli scripts and the like the right server" \
    " URL and a token of their own in the environment variables they read." \
    " It needs no display and no library: it runs on servers, NAS boxes and" \
    " Raspberry Pis."
  deb="$DIST/plexlink_${VERSION}_${arch}.deb"
  dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
  built "$deb"
done

# The desktop app, for the host architecture (its cgo build needs the target's C libraries).
pkg="$WORK/deb-desktop"
install -Dm755 "$WORK/plexlink-desktop" "$pkg/usr/bin/plexlink-desktop"
install -Dm644 "$ROOT/packaging/linux/$APP_ID.desktop" "$pkg/usr/share/applications/$APP_ID.desktop"
mkdir -p "$pkg/usr/share/metainfo"
date="$(git -C "$ROOT" log -1 --format=%cs 2>/dev/null || date -u +%F)"
sed -e "s/@VERSION@/$VERSION/" -e "s/@DATE@/$date/" -e '/@VERSION@ and @DATE@/d' \
  "$ROOT/packaging/linux/$APP_ID.metainfo.xml" > "$pkg/usr/share/metainfo/$APP_ID.metainfo.xml"
(cd "$ROOT" && $GO run ./packaging/icon -hicolor "$pkg/usr/share/icons/hicolor")
docs "$pkg" plexlink-desktop

echo "== validating desktop entry and metainfo"
desktop-file-validate "$pkg/usr/share/applications/$APP_ID.desktop"
appstreamcli validate --no-net "$pkg/usr/share/metainfo/$APP_ID.metainfo.xml"

control "$pkg" \
  "Package: plexlink-desktop" \
  "Version: $VERSION" \
  "Architecture: $HOST_ARCH" \
  "Depends: plexlink (= $VERSION), libc6, libgl1, libx11-6, libxcursor1, libxrandr2, libxinerama1, libxi6, libxxf86vm1" \
  "Recommends: gnome-keyring | kwalletmanager | keepassxc, xdg-utils" \
  "Suggests: gnome-shell-extension-appindicator" \
  "Description: link a Plex account and keep its token in the keychain (desktop app)" \
  " Plex Link signs this computer in to a Plex account with the short code shown" \
  " at plex.tv/link and keeps the token in the Secret Service keychain. It runs in" \
  " the system tray and opens its window on demand; the plexlink command line" \
  " hands the token to other tools."
deb="$DIST/plexlink-desktop_${VERSION}_${HOST_ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
built "$deb"
