package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// row is one line of the results table. ref is empty for absolute targets; target is empty
// for a figure recorded without one.
type row struct {
	metric string
	unit   string
	vals   []float64
	ref    []float64
	target string
	pass   bool
	note   string // e.g. p95, shown next to the median
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile by the nearest-rank method.
func percentile(v []float64, p float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func ratio(r row) float64 { return median(r.vals) / median(r.ref) }

// ratioRow judges median(vals)/median(ref) against limit.
func ratioRow(metric, unit string, vals, ref []float64, limit float64) row {
	r := row{metric: metric, unit: unit, vals: vals, ref: ref, target: fmt.Sprintf("≤ %.2f×", limit)}
	r.pass = ratio(r) <= limit
	return r
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Abs(v) >= 100 || v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func table(rows []row) string {
	var b strings.Builder
	b.WriteString("| metric | plexlink median | min | max | reference median | ratio | target | result |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---|---|\n")
	for _, r := range rows {
		med := num(median(r.vals)) + " " + r.unit
		if r.note != "" {
			med += " (" + r.note + ")"
		}
		ref, rat := "", ""
		if len(r.ref) > 0 {
			ref = num(median(r.ref)) + " " + r.unit
			rat = fmt.Sprintf("%.2f×", ratio(r))
		}
		target, res := r.target, "pass"
		switch {
		case target == "":
			target, res = "–", "–"
		case !r.pass:
			res = "**FAIL**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.metric, med,
			num(slices.Min(r.vals)), num(slices.Max(r.vals)), ref, rat, target, res)
	}
	return b.String()
}

// machine describes where the numbers come from.
func machine(root string) string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kib int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kib); err == nil {
			mem = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	gover, _ := exec.Command("go", "version").Output()
	kernel, _ := exec.Command("uname", "-r").Output()
	rev, _ := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output()
	return fmt.Sprintf("- Date: %s\n- Machine: %d CPUs (%s), %s RAM, Linux %s, load average at start %s\n- %s- Commit: %s",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), model, mem,
		strings.TrimSpace(string(kernel)), load, strings.TrimSpace(string(gover))+"\n",
		strings.TrimSpace(string(rev)))
}

const (
	beginMark = "<!-- bench:begin (written by make bench; edit outside these marks) -->"
	endMark   = "<!-- bench:end -->"
)

// writeDoc replaces the generated part of path and keeps the hand-written rest.
func writeDoc(path, generated string) error {
	block := beginMark + "\n" + generated + endMark + "\n"
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return os.WriteFile(path, []byte("# Benchmarks\n\n"+block), 0o644)
	}
	if err != nil {
		return err
	}
	i, j := bytes.Index(old, []byte(beginMark)), bytes.Index(old, []byte(endMark))
	if i < 0 || j < i {
		return os.WriteFile(path, append(append(old, '\n'), block...), 0o644)
	}
	out := append([]byte{}, old[:i]...)
	out = append(out, block...)
	out = append(out, bytes.TrimPrefix(old[j+len(endMark):], []byte("\n"))...)
	return os.WriteFile(path, out, 0o644)
}
