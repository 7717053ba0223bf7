# Plex Link — build, run and test. `make run` and `make test` are all a new user needs.
SHELL := /bin/bash
GO ?= go
# The two programs: the command line (pure Go, CGO_ENABLED=0) and the desktop app (Fyne, cgo).
BIN ?= plexlink
DESKTOP_BIN ?= plexlink-desktop

# Debian/Ubuntu packages. Build: cgo + the X11/GL headers Fyne's GLFW driver needs.
BUILD_PKGS := gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev libxrandr-dev \
              libxinerama-dev libxi-dev libxxf86vm-dev
# Test: a virtual display, a private D-Bus session with a real Secret Service, and the
# clients the tests drive the app with. dbus-x11 is deliberately absent (godbus would
# autolaunch stray session buses through it).
# wine64, wine and mingw-w64 run the Windows release programs under Wine
# (packaging/windows/winetest); xclip reads the clipboard the tray sets.
TEST_PKGS := xvfb xauth dbus gnome-keyring libsecret-tools xdotool xclip x11-apps imagemagick curl fish \
             desktop-file-utils appstream wine64 wine gcc-mingw-w64-x86-64
# Packaging (`make package`): dpkg-deb, the .desktop/AppStream validators, xz for the fyne
# tarball, mingw-w64 to cross-compile the Windows desktop app (plus BUILD_PKGS for cgo), zip
# for the command line's Windows archives and NSIS (makensis) for the Windows installer.
PACKAGE_PKGS := dpkg-dev desktop-file-utils appstream gcc-mingw-w64-x86-64 xz-utils zip nsis
# `make package-smoke` debootstraps a clean Debian 12 root to install the .deb into.
SMOKE_PKGS := debootstrap debian-archive-keyring
FYNE_TOOL := fyne.io/tools/cmd/fyne@v1.7.4

.PHONY: all deps deps-build deps-test build run test vet fmt-check clean bench crossbuild \
        deps-package fyne-tool package package-smoke fuzz reliability-doc

all: build

# Installs only the packages that are missing; as root or with sudo it runs apt-get,
# otherwise it prints the exact command and stops.
deps: deps-build deps-test
deps-build:
	@./packaging/apt-deps.sh $(BUILD_PKGS)
deps-test:
	@./packaging/apt-deps.sh $(BUILD_PKGS) $(TEST_PKGS) $(PACKAGE_PKGS) $(SMOKE_PKGS)

build: deps-build
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/plexlink
	$(GO) build -o $(DESKTOP_BIN) .

run: build
	./$(DESKTOP_BIN)

# The command line for every machine it ships for (pure Go, no C compiler): dist/cross/.
CROSS_TARGETS := linux/amd64 linux/arm64 linux/arm/7 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64 freebsd/amd64
crossbuild:
	@set -e; for t in $(CROSS_TARGETS); do \
		os=$${t%%/*}; rest=$${t#*/}; arch=$${rest%%/*}; arm=$${rest#*/}; [ "$$arm" = "$$rest" ] && arm=; \
		ext=; [ $$os = windows ] && ext=.exe; \
		out=dist/cross/plexlink_$${os}_$${arch}$${arm:+v$$arm}$$ext; \
		echo "== $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=$$arm $(GO) build -trimpath -ldflags "-s -w" -o $$out ./cmd/plexlink; \
	done

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Everything: vet, gofmt, every package once, and every test with the race detector. The
# tests start their own dbus-daemon, gnome-keyring-daemon and Xvfb (see internal/tests/session and display);
# with CI set, a missing component is a failure, never a skip. Every artifact is built once,
# first, by packaging/package.sh as `make package` does, into test-artifacts/dist: the Wine
# tests run its Windows programs and installer, deb-smoke installs its .debs into a clean
# Debian 12 root, and SHA256SUMS must verify. A cold cgo cross-compile takes minutes and must
# not compete with the other tests for the CPU.
TEST_DIST := $(CURDIR)/test-artifacts/dist
test: deps-test fyne-tool fmt-check vet
	rm -rf $(TEST_DIST)
	DIST=$(TEST_DIST) GO=$(GO) ./packaging/package.sh
	cd $(TEST_DIST) && sha256sum --quiet -c SHA256SUMS
	PLEXLINK_WINDOWS_DIST=$(TEST_DIST) $(GO) test -race -count=1 -timeout 30m ./...
	@if [ "$$(id -u)" = 0 ]; then DIST=$(TEST_DIST) GO=$(GO) ./packaging/deb-smoke.sh; \
	elif sudo -n true 2>/dev/null; then sudo --preserve-env=PATH,HOME,GOPATH,GOCACHE,GOMODCACHE DIST=$(TEST_DIST) GO=$(GO) ./packaging/deb-smoke.sh; \
	elif [ -n "$$CI" ]; then echo "deb-smoke needs root or password-less sudo (debootstrap, chroot)" >&2; exit 1; \
	else echo "SKIPPED: deb-smoke needs root (debootstrap, chroot): sudo make package-smoke"; fi

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time). A crash lands in
# the package's testdata/fuzz/ and from then on runs in `make test` as a regression case.
FUZZTIME ?= 30s
FUZZ_TARGETS := auth:FuzzDecodePin auth:FuzzDecodeAccount auth:FuzzErrorBody \
                auth:FuzzLinkerOpensOnlyItsLinkPage storage:FuzzConfigLoad
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t#*:}; \
		echo "== $$fn ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) ./$$pkg; \
	done

# Reruns the reliability suite and rewrites docs/RELIABILITY.md from its results.
reliability-doc: deps-test
	PLEXLINK_UPDATE_DOCS=1 $(GO) test -race -count=1 -run TestFaultMatrix ./internal/tests/reliability/

clean:
	rm -f $(BIN) $(DESKTOP_BIN)

# Benchmarks, not tests: timings never fail the build. Builds both programs, bench/reference
# (a bare Fyne app), bench/reference/hello and the pre-split plexlink (from git history), runs
# them under Xvfb with a private D-Bus session, gnome-keyring and a test tray host, prints the
# table and writes it into docs/BENCHMARKS.md (about 5 minutes).
bench: deps-test
	$(GO) run ./bench/runner -out docs/BENCHMARKS.md

deps-package:
	@./packaging/apt-deps.sh $(BUILD_PKGS) $(PACKAGE_PKGS)

# Installs the fyne packaging tool into GOBIN (or GOPATH/bin), where packaging/ looks for it.
fyne-tool:
	$(GO) install $(FYNE_TOOL)

# Linux tar.xz + .deb, Windows .exe, macOS .app zip (on a Mac) into dist/; prints what was
# skipped and why. The source tree is left untouched (fyne runs on copies).
package: deps-package fyne-tool
	GO=$(GO) ./packaging/package.sh

# Slow (debootstraps Debian 12 once into ~/.cache/plexlink): installs the .deb into a clean
# root and runs `plexlink version` there. Needs root.
package-smoke: package
	@./packaging/apt-deps.sh $(SMOKE_PKGS)
	GO=$(GO) ./packaging/deb-smoke.sh
