package runner

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPoolKeepsTheWidth(t *testing.T) {
	var jobs []*Job
	for range 7 {
		jobs = append(jobs, &Job{})
	}
	var running, most atomic.Int32
	var mu sync.Mutex
	var started []*Job
	Pool(context.Background(), jobs, 3, nil, func(j *Job) {
		mu.Lock()
		started = append(started, j)
		mu.Unlock()
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond) // hold the slot so others overlap
		running.Add(-1)
	}, nil)
	if most.Load() != 3 {
		t.Errorf("at most %d jobs ran at once, want 3", most.Load())
	}
	if len(started) != 7 {
		t.Errorf("started %d jobs, want 7", len(started))
	}
}

// A job waits until it is ready; a stop before that starts no more jobs.
func TestPoolWaitsForReadyAndStops(t *testing.T) {
	ready, stop := make(chan struct{}), make(chan struct{})
	a := &Job{Dir: "a"}
	b := &Job{Dir: "b", Ready: ready}
	c := &Job{Dir: "c", Ready: ready}
	var ran []string
	var mu sync.Mutex
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(stop)
	}()
	Pool(context.Background(), []*Job{a, b, c}, 2, stop, func(j *Job) {
		mu.Lock()
		ran = append(ran, j.Dir)
		mu.Unlock()
	}, nil)
	if !slices.Equal(ran, []string{"a"}) {
		t.Errorf("ran %v, want only a: b and c were never ready", ran)
	}
}
