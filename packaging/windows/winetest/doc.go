// Package winetest runs the Windows release .exe under Wine, in `make test` on Linux: the
// command-line flow against `plexlink fake-server`, a corrupted answer from the fault matrix,
// the window's link flow under Xvfb, start at login in the registry, and the console
// package's Windows test. The tests are in _test.go files built on Linux only; credhelper/
// is a tiny Windows program that reads the Credential Manager, prng/ the ProcessPrng
// stand-in Wine 8 needs for Go >= 1.24 programs.
package winetest
