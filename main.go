// Command plexlink links a Plex account to this computer and keeps its token in the OS
// keychain. With no command it is the tray app; with one it is a command-line tool that
// never touches the display (see `plexlink help`).
package main

import (
	"os"

	"github.com/plexlink/plexlink/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr}))
}
