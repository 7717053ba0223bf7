//go:build !unix

package cli_test

// childSignal: a child cannot die of a signal here.
func childSignal(string) int { return 98 }
