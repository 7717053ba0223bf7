package display

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Tree is pid and all its descendants, read from /proc (parents before children).
func Tree(pid int) []int {
	children := map[int][]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		f := statFields(string(b))
		if len(f) < 2 {
			continue
		}
		p, err1 := strconv.Atoi(filepath.Base(d))
		pp, err2 := strconv.Atoi(f[1])
		if err1 == nil && err2 == nil {
			children[pp] = append(children[pp], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// statFields are the fields of /proc/PID/stat after "(comm)": state, ppid, … (index 0 is
// the state, 11 and 12 are utime and stime).
func statFields(stat string) []string {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(stat[i+1:])
}

// TreeRSSKiB sums VmRSS over pid and its descendants (shared pages count once per process,
// as a task manager adds them up).
func TreeRSSKiB(pid int) (int64, error) {
	var sum int64
	for i, p := range Tree(pid) {
		kib, err := RSSKiB(p)
		if err != nil {
			if i == 0 {
				return 0, err
			}
			continue // a child that just exited
		}
		sum += kib
	}
	return sum, nil
}

// CPUTicks is utime+stime of pid in clock ticks (USER_HZ, 10 ms).
func CPUTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f := statFields(string(b))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parsing /proc/%d/stat", pid)
	}
	return u + s, nil
}

// CPUTicksWithReaped is CPUTicks plus what pid's children that it has waited for used
// (cutime + cstime).
func CPUTicksWithReaped(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f := statFields(string(b))
	if len(f) < 15 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	var sum int64
	for _, v := range f[11:15] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing /proc/%d/stat", pid)
		}
		sum += n
	}
	return sum, nil
}

// TreeCPUTicks sums the CPU time of pid's process tree: every live process's own time and
// the time of the children each has reaped, so a window process that exits between two
// readings moves into its parent's count instead of vanishing.
func TreeCPUTicks(pid int) (int64, error) {
	var sum int64
	for i, p := range Tree(pid) {
		n, err := CPUTicksWithReaped(p)
		if err != nil {
			if i == 0 {
				return 0, err
			}
			continue
		}
		sum += n
	}
	return sum, nil
}

// MappedFiles lists the files mapped into pid (from /proc/PID/maps), each once.
func MappedFiles(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && strings.HasPrefix(f[5], "/") && !seen[f[5]] {
			seen[f[5]] = true
			out = append(out, f[5])
		}
	}
	return out, nil
}
