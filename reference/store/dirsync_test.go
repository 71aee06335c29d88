package store

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A writer whose rename happened while a directory fsync was running must
// wait for a later fsync: the running one may have missed the rename.
func TestDirSyncerWaitsForAnFsyncThatStartedAfterTheCall(t *testing.T) {
	t.Parallel()
	entered := make(chan int, 10)
	release := make(chan struct{}, 10)
	var calls atomic.Int32
	d := &dirSyncer{fsync: func(string) error {
		n := int(calls.Add(1))
		entered <- n
		<-release
		return nil
	}}
	first := make(chan error, 1)
	go func() { first <- d.sync("dir") }()
	if n := <-entered; n != 1 {
		t.Fatalf("fsync #%d first", n)
	}
	// A second writer arrives while fsync #1 runs.
	second := make(chan error, 1)
	go func() { second <- d.sync("dir") }()
	waitUntil(t, func() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.waiting == 1 })
	release <- struct{}{} // fsync #1 ends
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-second:
		t.Fatalf("the second writer returned (%v) on an fsync that started before it", err)
	case n := <-entered:
		if n != 2 {
			t.Fatalf("fsync #%d, want #2", n)
		}
	}
	release <- struct{}{}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
}

// Writers that arrive during one fsync share the next one, and get its
// error.
func TestDirSyncerSharesFsyncsAndTheirErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	hold := make(chan struct{})
	var calls atomic.Int32
	d := &dirSyncer{fsync: func(string) error {
		if calls.Add(1) == 1 {
			<-hold
			return nil
		}
		return boom
	}}
	done := make(chan error, 11)
	go func() { done <- d.sync("dir") }()
	waitUntil(t, func() bool { return calls.Load() == 1 })
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { done <- d.sync("dir") })
	}
	// All ten are waiting behind fsync #1 (no new fsync can start yet).
	waitUntil(t, func() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.waiting == 10 })
	close(hold)
	wg.Wait()
	if err := <-done; err != nil && !errors.Is(err, boom) {
		t.Fatal(err)
	}
	failed := 0
	for range 10 {
		if errors.Is(<-done, boom) {
			failed++
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d fsyncs for 11 writers arriving during one, want 2", n)
	}
	if failed < 10 {
		t.Errorf("%d of the 10 writers saw the failed fsync's error, want 10", failed)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
