// Command plexlink links a Plex account to this computer and keeps its token in the OS keychain.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "plexlink: not built yet")
	os.Exit(1)
}
