//go:build !linux

package tray

func trimCode() int64 { return 0 }
