package tray

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// trimCode drops this process's mappings of its own executable's read-only pages (code and
// constants) from its resident set, and returns how many bytes it trimmed.
//
// The binary also holds the Fyne window, and starting the Go runtime and initialising the
// packages touches pages all over it; the kernel maps the page cache in folios of up to
// 2 MB, so a few touched pages cost whole folios of resident memory. MADV_DONTNEED on a
// private file mapping only removes our page table entries for pages that were never
// written: they stay in the page cache and fault back in when the tray runs that code
// again. A written page (the RELRO page the dynamic loader relocated before making it
// read-only shares a mapping with the constants) would be thrown away, so every page is
// checked in /proc/self/pagemap first and anonymous or swapped ones are skipped, and the
// RELRO range from the ELF headers is never trimmed; writable mappings are not looked at.
// Only a position-dependent executable (Go's default on Linux) is trimmed: there the ELF
// addresses are the mapped ones.
func trimCode() int64 {
	exe, err := os.Executable()
	if err != nil {
		return 0
	}
	ef, err := elf.Open(exe)
	if err != nil {
		return 0
	}
	if ef.Type != elf.ET_EXEC {
		ef.Close()
		return 0
	}
	page := uint64(os.Getpagesize())
	var relroLo, relroHi uint64
	for _, p := range ef.Progs {
		if p.Type == elf.PT_GNU_RELRO {
			relroLo, relroHi = p.Vaddr&^(page-1), (p.Vaddr+p.Memsz+page-1)&^(page-1)
		}
	}
	ef.Close()
	maps, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0
	}
	defer maps.Close()
	pagemap, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return 0
	}
	defer pagemap.Close()
	var trimmed int64
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[5] != exe || len(f[1]) != 4 || f[1][1] != '-' || f[1][3] != 'p' {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		// Without this the kernel maps a touched page's whole 2 MB folio again at the next
		// fault; with it, only the fault-around window (64 KB by default).
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_NOHUGEPAGE)
		entries := make([]byte, (end-start)/page*8)
		if _, err := pagemap.ReadAt(entries, int64(start/page*8)); err != nil {
			continue
		}
		// Runs of pages that are not private anonymous copies.
		runStart := uint64(0)
		inRun := false
		flush := func(at uint64) {
			if inRun {
				if _, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(runStart), uintptr(at-runStart), unix.MADV_DONTNEED); errno == 0 {
					trimmed += int64(at - runStart)
				}
				inRun = false
			}
		}
		for i := uint64(0); i < (end-start)/page; i++ {
			e := binary.LittleEndian.Uint64(entries[i*8:])
			present, swapped, fileOrShared := e&(1<<63) != 0, e&(1<<62) != 0, e&(1<<61) != 0
			addr := start + i*page
			if (present && !fileOrShared) || swapped || (addr >= relroLo && addr < relroHi) {
				flush(addr) // a written page: keep it
				continue
			}
			if !inRun {
				runStart, inRun = addr, true
			}
		}
		flush(end)
	}
	return trimmed
}
