#!/usr/bin/env bash
# Builds dist/plexlink-desktop-<ver>-macos-<arch>.zip holding "Plex Link.app", with the
# command line inside it (Contents/MacOS/plexlink, beside the app's own plexlink-desktop;
# docs/QA.md says how to put it on PATH). Runs only on a Mac (Fyne needs the macOS SDK
# through cgo; there is no cross-build of the app; the command line is pure Go).
#
#  1. go build, then `fyne package -os darwin --executable …` on copies (fyne bumps Build in
#     FyneApp.toml, so the repository's copy is never touched).
#  2. Info.plist gets LSUIElement=true: a tray-only app, no Dock icon (Fyne has no switch).
#  3. codesign: ad-hoc ("-") by default; with SIGN_IDENTITY="Developer ID Application: …"
#     a Developer ID signature with the hardened runtime and a secure timestamp.
#  4. Notarization (needs a Developer ID signature and an Apple developer account). Store the
#     credentials once:
#        xcrun notarytool store-credentials plexlink-notary --apple-id you@example.com \
#          --team-id TEAMID --password <app-specific password>
#     then run with NOTARY_PROFILE=plexlink-notary, which does:
#        xcrun notarytool submit dist/plexlink-…-macos-….zip --keychain-profile "$NOTARY_PROFILE" --wait
#        xcrun stapler staple "Plex Link.app"      # then the zip is rebuilt with the ticket
#     Without notarization Gatekeeper blocks the first open: right-click → Open (or
#     System Settings → Privacy & Security → Open Anyway).
source "$(dirname "$0")/../common.sh"
workdir
if [ "$(uname -s)" != Darwin ]; then
  skip "macOS .app: needs a Mac (cgo against the macOS SDK); CI's macos job builds it"
  exit 0
fi
if [ ! -x "$FYNE" ]; then
  skip "macOS .app: fyne tool not found at $FYNE (make package installs it)"
  exit 0
fi
arch="$($GO env GOARCH)"
app="$WORK/fyne/Plex Link.app"
mkdir -p "$WORK/fyne"
(cd "$ROOT" && $GO build -ldflags "-s -w $LDFLAGS_VERSION" -o "$WORK/fyne/plexlink-desktop" .)
cp "$ROOT/FyneApp.toml" "$ROOT/Icon.png" "$WORK/fyne/"
printf 'package main\n\nfunc main() {}\n' > "$WORK/fyne/main.go" # fyne wants Go code in its source dir
(cd "$WORK/fyne" && "$FYNE" package -os darwin --executable plexlink-desktop --name "Plex Link" --icon Icon.png --app-id "$APP_ID")
# The command line rides inside the app, signed with it (codesign --deep below).
(cd "$ROOT" && CGO_ENABLED=0 $GO build -trimpath -ldflags "-s -w $LDFLAGS_VERSION" -o "$app/Contents/MacOS/plexlink" ./cmd/plexlink)
"$app/Contents/MacOS/plexlink" version

plist="$app/Contents/Info.plist"
plutil -convert xml1 "$plist"
(cd "$ROOT" && $GO run ./packaging/macos/plistpatch "$plist" LSUIElement=true)
plutil -lint "$plist"
[ "$(/usr/libexec/PlistBuddy -c 'Print :LSUIElement' "$plist")" = true ] || { echo "LSUIElement not set" >&2; exit 1; }

if [ -n "${SIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$SIGN_IDENTITY" "$app"
else
  echo "== signing ad-hoc (set SIGN_IDENTITY for a Developer ID signature)"
  codesign --force --deep --sign - "$app"
fi
codesign --verify --deep --strict --verbose=2 "$app"

zip="$DIST/plexlink-desktop-$VERSION-macos-$arch.zip"
rm -f "$zip"
ditto -c -k --keepParent "$app" "$zip"
if [ -n "${NOTARY_PROFILE:-}" ]; then
  [ -n "${SIGN_IDENTITY:-}" ] || { echo "notarization needs SIGN_IDENTITY (Developer ID)" >&2; exit 1; }
  xcrun notarytool submit "$zip" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$app"
  rm -f "$zip"
  ditto -c -k --keepParent "$app" "$zip"
else
  echo "NOTE: not notarized (set SIGN_IDENTITY and NOTARY_PROFILE; see the top of this script)"
fi
built "$zip"
