// Package conscreen reads back what is on a Windows console: the tests' proof that words
// reached a console window rather than a pipe (internal/console's Windows test, and
// packaging/windows/winetest's credhelper.exe, which plays a shell for plexlink.exe). It
// is Windows-only and used by tests only.
package conscreen
