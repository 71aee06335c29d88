package browser

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"time"
)

// EnvSlots sets how many browser specs may drive a browser at once on the
// machine (0: no limit). Default: twice the CPUs, at least 2.
const EnvSlots = "SESSIONCONF_BROWSER_SLOTS"

// slotNamespace prefixes the slots' socket names; tests use their own.
var slotNamespace = "@sessionconf/browser-slot/"

// Slots returns the machine-wide number of browser slots.
func Slots() int {
	if n, err := strconv.Atoi(os.Getenv(EnvSlots)); err == nil && n >= 0 {
		return n
	}
	return max(2, 2*runtime.NumCPU())
}

// Slot is a held browser slot.
type Slot struct {
	l net.Listener
	N int // which slot
}

// Release gives the slot back; nil-safe and idempotent.
func (s *Slot) Release() {
	if s == nil || s.l == nil {
		return
	}
	s.l.Close()
	s.l = nil
}

// AcquireSlot waits until fewer than Slots() browser specs run on the
// machine and takes a slot: slot i is the abstract Unix socket
// "@sessionconf/browser-slot/i", which one process at a time can bind,
// whatever its temporary directory, and which leaves no file behind. A browser that renders starves
// the others on a small machine: dozens of them at once make every one
// miss its timeouts, while a few at a time finish quickly. The slot is
// released by Release, or by the kernel when the process dies. With no
// limit it returns a nil Slot at once.
func AcquireSlot(ctx context.Context) (*Slot, error) {
	n := Slots()
	if n == 0 {
		return nil, nil
	}
	for {
		for i := range n {
			if l, err := net.Listen("unix", slotNamespace+strconv.Itoa(i)); err == nil {
				return &Slot{l: l, N: i}, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no browser slot free (%d in use on this machine, %s): %w", n, EnvSlots, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
