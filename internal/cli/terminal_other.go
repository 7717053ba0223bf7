//go:build !unix

package cli

// controllingTerminal: see terminal_unix.go. Windows delivers Ctrl-C to every console
// process itself and os.Process.Signal cannot send os.Interrupt there, so nothing changes.
type controllingTerminal struct{}

func openControllingTerminal() controllingTerminal { return controllingTerminal{} }
func (controllingTerminal) foreground() bool       { return false }
func (controllingTerminal) Close()                 {}
