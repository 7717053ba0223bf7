package cli_test

import (
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
)

// childMode, when set, makes the test binary a stand-in for the command `plexlink exec`
// runs (see childMain) instead of running the tests.
const childMode = "PLEXLINK_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childMode); mode != "" {
		os.Exit(childMain(mode))
	}
	os.Exit(runTests(m))
}

// childMain is the `exec` child: "env" prints its environment as one JSON object and exits
// with PLEXLINK_TEST_CHILD_EXIT (default 0); "stdin" copies its stdin to its stdout.
// Tests compare what it prints; they never print it (it holds tokens).
func childMain(mode string) int {
	switch mode {
	case "env":
		m := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		if err := json.NewEncoder(os.Stdout).Encode(m); err != nil {
			return 99
		}
		code, _ := strconv.Atoi(os.Getenv("PLEXLINK_TEST_CHILD_EXIT"))
		return code
	case "stdin":
		if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
			return 99
		}
		return 0
	default:
		return childSignal(mode)
	}
}
