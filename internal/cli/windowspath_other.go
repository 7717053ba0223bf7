//go:build !windows

package cli

import "errors"

func editUserPath(string, bool) (bool, error) {
	return false, errors.New("only on Windows (the installer's PATH entry)")
}
