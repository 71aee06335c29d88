package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// EnvSlots sets how many browser specs may drive a browser at once on the
// machine (0: no limit). Default: twice the CPUs, at least 2.
const EnvSlots = "SESSIONCONF_BROWSER_SLOTS"

// Slots returns the machine-wide number of browser slots.
func Slots() int {
	if n, err := strconv.Atoi(os.Getenv(EnvSlots)); err == nil && n >= 0 {
		return n
	}
	return max(2, 2*runtime.NumCPU())
}

// Slot is a held browser slot.
type Slot struct {
	f *os.File
	N int // which slot
}

// Release gives the slot back; nil-safe and idempotent.
func (s *Slot) Release() {
	if s == nil || s.f == nil {
		return
	}
	syscall.Flock(int(s.f.Fd()), syscall.LOCK_UN)
	s.f.Close()
	s.f = nil
}

// AcquireSlot waits until fewer than Slots() browser specs run on the
// machine (every process of every suite run shares the lock files in the
// temporary directory) and takes a slot. A browser that renders starves
// the others on a small machine: dozens of them at once make every one
// miss its timeouts, while a few at a time finish quickly. The slot is
// released by Release, or by the kernel when the process dies. With no
// limit it returns a nil Slot at once.
func AcquireSlot(ctx context.Context) (*Slot, error) {
	n := Slots()
	if n == 0 {
		return nil, nil
	}
	dir := filepath.Join(os.TempDir(), "sessionconf-browser-slots")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, err
	}
	for {
		for i := range n {
			f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("slot-%d.lock", i)), os.O_CREATE|os.O_RDWR, 0o666)
			if err != nil {
				return nil, err
			}
			if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
				return &Slot{f: f, N: i}, nil
			}
			f.Close()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no browser slot free (%d in use on this machine, %s): %w", n, EnvSlots, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
