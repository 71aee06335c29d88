package conform

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/harness/evidence"
)

// stopOf runs fn and returns how it stopped the spec (nil: it did not).
func stopOf(fn func()) (o *outcome) {
	defer func() {
		if a, ok := recover().(abort); ok {
			o = &a.o
		}
	}()
	fn()
	return nil
}

func TestOnTimeLetsATimelyCheckGoOn(t *testing.T) {
	st := &T{Journal: evidence.NewJournal()}
	if o := stopOf(func() { st.OnTime(time.Now().Add(time.Second), "a moment before expiry") }); o != nil {
		t.Fatalf("a check before its moment was stopped: %+v", o)
	}
}

// A harness late for a timed check observes another moment: an error of
// the run, never a verdict on the target.
func TestOnTimeMakesALateCheckAnError(t *testing.T) {
	st := &T{Journal: evidence.NewJournal()}
	o := stopOf(func() { st.OnTime(time.Now().Add(-1500*time.Millisecond), "a moment before expiry") })
	if o == nil || o.infra == nil {
		t.Fatalf("a check 1.5 s late went on: %+v", o)
	}
	if msg := o.infra.Error(); !strings.Contains(msg, `"a moment before expiry" 1.5`) || !strings.Contains(msg, "too slow or loaded") {
		t.Errorf("the error does not say what was missed and why: %s", msg)
	}
}

// A load bounded in time stops starting calls once its budget is spent,
// waits for those in flight, and says how many it started.
func TestParallelUntilStopsStartingAtTheDeadline(t *testing.T) {
	st := &T{Journal: evidence.NewJournal()}
	var done atomic.Int64
	started := st.ParallelUntil(time.Now().Add(100*time.Millisecond), 1000, 4, func(int) {
		time.Sleep(20 * time.Millisecond)
		done.Add(1)
	})
	if started == 0 || started >= 1000 {
		t.Errorf("started %d of 1000 calls of 20 ms, 4 at a time, within 100 ms", started)
	}
	if int(done.Load()) != started {
		t.Errorf("returned with %d of the %d started calls done", done.Load(), started)
	}
	if n := st.ParallelUntil(time.Time{}, 10, 3, func(int) {}); n != 10 {
		t.Errorf("with no deadline %d of 10 calls started", n)
	}
}

func TestLoadDeadlineLeavesTheSpecItsReserve(t *testing.T) {
	began := time.Now()
	st := &T{began: began, Timeouts: Timeouts{Spec: 3 * time.Minute}}
	if got, want := st.LoadDeadline(20*time.Second), began.Add(160*time.Second); !got.Equal(want) {
		t.Errorf("LoadDeadline(20s) = %v, want the spec's end less 20s (%v)", got, want)
	}
	if got := (&T{began: began}).LoadDeadline(time.Second); !got.IsZero() {
		t.Errorf("a spec without a timeout got a load deadline %v", got)
	}
}
