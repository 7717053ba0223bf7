// Package console gives the Windows desktop app ("Plex Link.exe", GUI subsystem) a
// terminal's output when it is run with arguments in a shell. It is linked with
// -H=windowsgui so a double-click or the login start opens no console window; the price is
// that Windows starts it without standard handles, and `"Plex Link.exe" --version` typed in
// cmd.exe or PowerShell would print nothing. AttachParent attaches to the console of the
// process that started it (the shell) and points stdout and stderr there, but only those
// that are not already redirected (`> f`, `| clip` keep their file or pipe). Elsewhere, and
// without a parent console (Explorer), it does nothing. The command line, plexlink.exe, is a
// console program and needs none of this.
package console

// Stream is what AttachParent found on one standard handle.
type Stream int

const (
	// Missing: no usable handle (a GUI process started from a console gets none).
	Missing Stream = iota
	// Redirected: a file, pipe or console the starter gave us; it must be left alone.
	Redirected
)

// Plan says which of stdout and stderr to reopen on the parent's console, and whether to
// attach at all: only a missing stream is reopened, and with none missing there is nothing to
// attach for (attaching would also make Ctrl-C in that console reach us for no reason).
func Plan(stdout, stderr Stream) (attach, reopenOut, reopenErr bool) {
	reopenOut, reopenErr = stdout == Missing, stderr == Missing
	return reopenOut || reopenErr, reopenOut, reopenErr
}
