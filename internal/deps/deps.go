//go:build tools

// Package deps pins modules that packages will use, so parallel work does not fight over go.mod.
package deps

import (
	_ "fyne.io/fyne/v2/app"
	_ "fyne.io/fyne/v2/test"
	_ "github.com/godbus/dbus/v5"
	_ "github.com/gofrs/flock"
	_ "github.com/google/uuid"
	_ "github.com/pkg/browser"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/zalando/go-keyring"
	_ "go.uber.org/goleak"
	_ "gopkg.in/yaml.v3"
)
