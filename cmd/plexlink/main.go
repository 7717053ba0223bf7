// Command plexlink is the Plex Link command line: it links a Plex account, keeps the token
// in the OS keychain and hands Plex to the tools you run (`plexlink help`). It is pure Go —
// built with CGO_ENABLED=0 it runs on any machine, with no display or GL library — and a
// console program on Windows. The desktop app (tray and window) is the root package.
package main

import (
	"os"

	"codeberg.org/plexlink/plexlink/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr}))
}
