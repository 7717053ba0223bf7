#!/usr/bin/env bash
# Installs the .debs into a clean Debian 12 root and runs them: first the command line
# alone, in a root with no GL or X library, where `plexlink version` must run; then the
# desktop app, whose Depends apt-get -f install brings, and `plexlink-desktop version`. The
# minimal bookworm root is debootstrapped once into a cache directory; every run works on a
# fresh copy, so earlier runs never leak in. Needs root (debootstrap, chroot) and the
# debootstrap package.
source "$(dirname "$0")/common.sh"
ARCH="$(dpkg --print-architecture)"
DEB="${1:-$DIST/plexlink_${VERSION}_${ARCH}.deb}"
DESKTOP_DEB="${2:-$DIST/plexlink-desktop_${VERSION}_${ARCH}.deb}"
CACHE="${PLEXLINK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/plexlink}"
BASE="$CACHE/bookworm-$ARCH"
# The mirror the host's apt uses (deb822 "URIs:" or one-line "deb URL"), else Debian's CDN.
MIRROR="${MIRROR:-$(sed -n 's/^URIs:[[:space:]]*\(http[^ ]*debian\)[[:space:]]*$/\1/p; s/^deb[[:space:]]\+\(http[^ ]*debian\)[[:space:]]\+bookworm[[:space:]].*/\1/p' \
  /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null | head -1 || true)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

for f in "$DEB" "$DESKTOP_DEB"; do
  [ -f "$f" ] || { echo "deb-smoke: $f not found; run make package first" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "deb-smoke: needs root (debootstrap and chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "deb-smoke: install debootstrap (apt-get install debootstrap)" >&2; exit 1; }

if [ ! -x "$BASE/usr/bin/apt-get" ]; then
  echo "== debootstrap bookworm (minbase) from $MIRROR into $BASE (once)"
  rm -rf "$BASE.partial"
  mkdir -p "$CACHE"
  debootstrap --variant=minbase --arch="$ARCH" bookworm "$BASE.partial" "$MIRROR"
  mv "$BASE.partial" "$BASE"
fi

root="$(mktemp -d "${TMPDIR:-/tmp}/plexlink-deb-root.XXXXXX")"
trap 'rm -rf "$root"' EXIT
cp -a "$BASE/." "$root/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$DEB" "$root/tmp/plexlink.deb"
cp "$DESKTOP_DEB" "$root/tmp/plexlink-desktop.deb"

run() { echo "+ chroot ROOT $*"; chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
gl() { find "$root/usr/lib" "$root/lib" -name 'libGL.so*' -o -name 'libX11.so*' 2>/dev/null | head -1; }

# The command line alone: no dependency to resolve, no GL or X library on the machine.
[ -z "$(gl)" ] || { echo "deb-smoke: the clean root already has $(gl)" >&2; exit 1; }
run dpkg -i /tmp/plexlink.deb
[ -z "$(gl)" ] || { echo "deb-smoke: installing plexlink brought $(gl)" >&2; exit 1; }
out="$(run plexlink version)"
echo "$out"
case "$out" in
  *"plexlink $VERSION"*) echo "deb-smoke: plexlink runs with no GL or X library ($(du -h "$DEB" | cut -f1) .deb, installed size $(run dpkg-query -W -f='${Installed-Size}' plexlink | tail -1) KiB)";;
  *) echo "deb-smoke: FAILED: expected 'plexlink $VERSION'" >&2; exit 1;;
esac
run plexlink help >/dev/null

# The desktop app: dpkg leaves its Depends (GL, X) to apt-get -f install.
run apt-get update -qq
if ! run dpkg -i /tmp/plexlink-desktop.deb; then
  echo "== dpkg left dependencies unresolved (expected in a minimal root); resolving them"
fi
run apt-get -f install -y -qq --no-install-recommends
run dpkg -s plexlink-desktop | sed -n 's/^Status: /Status: /p'
out="$(run plexlink-desktop version)"
echo "$out"
case "$out" in
  *"Plex Link $VERSION"*) echo "deb-smoke: OK (plexlink-desktop $(du -h "$DESKTOP_DEB" | cut -f1) .deb, installed size $(run dpkg-query -W -f='${Installed-Size}' plexlink-desktop | tail -1) KiB)";;
  *) echo "deb-smoke: FAILED: expected 'Plex Link $VERSION'" >&2; exit 1;;
esac
