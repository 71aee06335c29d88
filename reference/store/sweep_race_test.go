package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// Sweep must not delete an entry that a request refreshed between Sweep's
// look at it (expired) and the removal.
func TestSweepKeepsAnEntryRefreshedMeanwhile(t *testing.T) {
	t.Parallel()
	s, _, err := OpenFile(filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	key := "0123456789abcdef"
	now := time.Now()
	if err := s.Put(context.Background(), key, []byte(`{"n":1}`), now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	refreshed := false
	s.sweepRace = func(k string) {
		if k == key && !refreshed {
			refreshed = true
			if err := s.Replace(context.Background(), key, []byte(`{"n":2}`), now.Add(time.Hour)); err != nil {
				t.Errorf("refresh: %v", err)
			}
		}
	}
	n, err := s.Sweep(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if !refreshed {
		t.Fatal("Sweep never considered the expired entry")
	}
	if n != 0 {
		t.Errorf("Sweep removed %d entries", n)
	}
	got, err := s.Get(context.Background(), key)
	if err != nil || string(got) != `{"n":2}` {
		t.Fatalf("the refreshed entry is gone: %q, %v", got, err)
	}
}
