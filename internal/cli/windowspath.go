package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// newCmdWindowsPath is the Windows installer's helper (packaging/windows/installer.nsi):
// it adds or removes a folder in the user's PATH. The registry value is edited whole here,
// keeping its type (REG_EXPAND_SZ stays expandable), because NSIS strings stop at 1024
// characters and a truncated PATH would be written back truncated. Hidden: not for users.
func newCmdWindowsPath(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:    "windows-path add|remove DIR",
		Short:  "Add or remove DIR in the user's PATH (Windows installer)",
		Hidden: true,
		Args:   cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] != "add" && args[0] != "remove" {
				return exit(f.usageError(cmd, fmt.Sprintf("windows-path: %q is neither add nor remove", args[0])))
			}
			changed, err := editUserPath(args[1], args[0] == "add")
			if err != nil {
				return exit(fail(f.env, exitFailure, "windows-path: %v", err))
			}
			if changed {
				fmt.Fprintf(f.env.Stdout, "PATH: %s %s\n", map[bool]string{true: "added", false: "removed"}[args[0] == "add"], args[1])
			}
			return nil
		},
	}
}

// editPathList adds dir to (or removes it from) a ;-separated PATH value, comparing folders
// as Windows does (case-insensitively, a trailing backslash ignored). It reports whether
// the value changed.
func editPathList(cur, dir string, add bool) (string, bool) {
	same := func(a, b string) bool {
		return strings.EqualFold(strings.TrimRight(strings.TrimSpace(a), `\`), strings.TrimRight(strings.TrimSpace(b), `\`))
	}
	var keep []string
	found := false
	for _, p := range strings.Split(cur, ";") {
		if p == "" {
			continue
		}
		if same(p, dir) {
			found = true
			if !add {
				continue
			}
		}
		keep = append(keep, p)
	}
	switch {
	case add && found, !add && !found:
		return cur, false
	case add:
		keep = append(keep, dir)
	}
	return strings.Join(keep, ";"), true
}
