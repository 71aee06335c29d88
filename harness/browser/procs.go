package browser

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Process is a live process found by Processes.
type Process struct {
	PID   int
	State string // from /proc/<pid>/stat: R, S, Z (defunct), ...
	Args  string
}

// Processes lists the live processes whose command line mentions marker,
// such as a browser's user-data directory: how to check that no browser of
// ours is left running without matching anything by program name. Zombies
// (exited, not yet reaped by their parent) are listed with State "Z".
// It reads /proc and finds nothing where there is none.
func Processes(marker string) []Process {
	entries, _ := os.ReadDir("/proc")
	var out []Process
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmd, []byte(marker)) {
			continue
		}
		out = append(out, Process{PID: pid, State: procState(pid), Args: strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))})
	}
	return out
}

func procState(pid int) string {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "?"
	}
	// pid (comm) S ...: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return "?"
	}
	return string(stat[i+2])
}

// Live drops zombies from ps.
func Live(ps []Process) []Process {
	var out []Process
	for _, p := range ps {
		if p.State != "Z" {
			out = append(out, p)
		}
	}
	return out
}
