package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

func TestSlotsLimitBrowserSpecs(t *testing.T) {
	slotNamespace = fmt.Sprintf("@sessionconf-test/%d/browser-slot/", os.Getpid())
	t.Setenv(EnvSlots, "2")
	ctx := context.Background()
	a, err := AcquireSlot(ctx)
	must(t, err)
	b, err := AcquireSlot(ctx)
	must(t, err)
	if a.N == b.N {
		t.Fatalf("two holders of slot %d", a.N)
	}

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := AcquireSlot(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third slot of two: err = %v, want a deadline", err)
	}

	got := make(chan *Slot)
	go func() {
		s, err := AcquireSlot(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- s
	}()
	select {
	case s := <-got:
		t.Fatalf("a waiter got slot %d while both were held", s.N)
	case <-time.After(300 * time.Millisecond): // it keeps waiting
	}
	a.Release()
	a.Release() // idempotent
	select {
	case s := <-got:
		if s.N != a.N {
			t.Errorf("the waiter got slot %d, want the released %d", s.N, a.N)
		}
		s.Release()
	case <-time.After(10 * time.Second):
		t.Fatal("a released slot was not taken by the waiter")
	}
	b.Release()

	t.Setenv(EnvSlots, "0")
	if s, err := AcquireSlot(ctx); s != nil || err != nil {
		t.Errorf("no limit: %v, %v", s, err)
	}
}
