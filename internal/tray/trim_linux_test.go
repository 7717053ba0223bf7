package tray

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// exeRSS sums Rss over this process's mappings of its executable, in KiB.
func exeRSS(t *testing.T) int64 {
	exe, _ := os.Executable()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	var sum int64
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			in = len(f) >= 6 && f[5] == exe
			continue
		}
		if in && len(f) >= 2 && f[0] == "Rss:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			sum += n
		}
	}
	return sum
}

func TestTrimCode(t *testing.T) {
	before := exeRSS(t)
	n := trimCode()
	after := exeRSS(t)
	t.Logf("trimmed %d KiB of mappings; the executable's resident pages %d → %d KiB", n/1024, before, after)
	if n == 0 {
		t.Fatal("nothing trimmed")
	}
	if after >= before {
		t.Errorf("resident pages of the executable did not go down: %d → %d KiB", before, after)
	}
	// Code and constants still work (they fault back in); data kept its values.
	if s := strings.Repeat("ab", 3); s != "ababab" || LabelQuit != "Quit" {
		t.Fatal("the process lost data")
	}
}
