# Sourced by the packaging scripts. Nothing here writes inside the repository except dist/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST="${DIST:-$ROOT/dist}"
GO="${GO:-go}"
APP_ID="io.github.plexlink.PlexLink"
# The version lives in FyneApp.toml only; everything else reads it from there.
VERSION="$(sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' "$ROOT/FyneApp.toml")"
[ -n "$VERSION" ] || { echo "packaging: no Version in FyneApp.toml" >&2; exit 1; }
LDFLAGS_VERSION="-X codeberg.org/plexlink/plexlink/internal/settings.Version=$VERSION"
GOBIN_DIR="$($GO env GOBIN)"
[ -n "$GOBIN_DIR" ] || GOBIN_DIR="$($GO env GOPATH | cut -d: -f1)/bin"
FYNE="${FYNE:-$GOBIN_DIR/fyne}"
mkdir -p "$DIST"

# skip explains why a target was not built; package.sh collects these lines.
skip() { echo "SKIPPED: $*" | tee -a "$DIST/.skipped" >&2; }
built() { echo "BUILT: $* ($(du -h "$1" | cut -f1))" | tee -a "$DIST/.built"; }

# workdir makes a scratch directory that is removed when the script exits.
workdir() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/plexlink-pkg.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
}
