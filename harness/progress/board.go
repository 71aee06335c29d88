package progress

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Board follows the progress files of a run's suite runs and prints, for
// a person watching, a line as each spec ends
//
//	[37/174] fail COOKIE-1 filesystem/http 0.2s
//
// and, when nothing was printed for Heartbeat, what the running specs do,
// naming their waits (a lifetime to run out is minutes of silence).
type Board struct {
	Out       io.Writer
	Total     int           // specs the run will run (0: unknown)
	Heartbeat time.Duration // 0: no heartbeat
	Poll      time.Duration // how often the files are read (default 250 ms)

	now      func() time.Time
	sources  []source
	done     int
	running  map[string]*running // by "ID profile/suite"
	lastLine time.Time
}

type source struct {
	label string // "filesystem/http"
	r     *Reader
}

type running struct {
	began time.Time
	why   string
	until time.Time
}

// Follow adds the progress file of one suite run, labelled
// "<profile>/<suite>".
func (b *Board) Follow(label, path string) {
	b.sources = append(b.sources, source{label: label, r: NewReader(path)})
}

// Run prints until ctx ends, then prints what the files hold by then.
func (b *Board) Run(ctx context.Context) {
	poll := b.Poll
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			b.Drain()
			return
		case <-tick.C:
			b.Drain()
			b.beat()
		}
	}
}

// Drain prints the events written since the last call.
func (b *Board) Drain() {
	for _, s := range b.sources {
		events, _ := s.r.Next()
		for _, e := range events {
			b.handle(s.label, e)
		}
	}
}

// Done is how many specs have ended.
func (b *Board) Done() int { return b.done }

func (b *Board) clock() time.Time {
	if b.now != nil {
		return b.now()
	}
	return time.Now()
}

func (b *Board) handle(label string, e Event) {
	if b.running == nil {
		b.running = map[string]*running{}
	}
	key := e.ID + " " + label
	switch e.Kind {
	case Began:
		b.running[key] = &running{began: e.At}
	case Waits:
		r := b.running[key]
		if r == nil {
			r = &running{began: e.At}
			b.running[key] = r
		}
		r.why, r.until = e.Why, e.Until
	case Ended:
		delete(b.running, key)
		b.done++
		b.printf("%s %s %s %s", b.counter(), e.Status, key, seconds(e.Seconds))
	}
}

func (b *Board) counter() string {
	if b.Total > 0 {
		return fmt.Sprintf("[%d/%d]", b.done, max(b.Total, b.done))
	}
	return fmt.Sprintf("[%d]", b.done)
}

func (b *Board) printf(format string, args ...any) {
	fmt.Fprintf(b.Out, format+"\n", args...)
	b.lastLine = b.clock()
}

// beat prints what runs, once nothing was printed for a Heartbeat.
func (b *Board) beat() {
	now := b.clock()
	if b.Heartbeat <= 0 || len(b.running) == 0 {
		return
	}
	if b.lastLine.IsZero() {
		b.lastLine = now // the first beat comes a Heartbeat after the start
		return
	}
	if now.Sub(b.lastLine) < b.Heartbeat {
		return
	}
	b.printf("%s still running: %s", b.counter(), b.describeRunning(now))
}

// describeRunning names the running specs, those that wait first (with
// how much longer and why), the longest-running first otherwise.
func (b *Board) describeRunning(now time.Time) string {
	keys := make([]string, 0, len(b.running))
	for k := range b.running {
		keys = append(keys, k)
	}
	waiting := func(k string) bool { return b.running[k].until.After(now) }
	slices.SortFunc(keys, func(x, y string) int {
		wx, wy := waiting(x), waiting(y)
		switch {
		case wx != wy:
			if wx {
				return -1
			}
			return 1
		case wx:
			return b.running[y].until.Compare(b.running[x].until)
		}
		if c := b.running[x].began.Compare(b.running[y].began); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	const shown = 4
	var parts []string
	for _, k := range keys[:min(len(keys), shown)] {
		r := b.running[k]
		if waiting(k) {
			parts = append(parts, fmt.Sprintf("%s waits %v more (%s)", k, r.until.Sub(now).Round(time.Second), r.why))
		} else {
			parts = append(parts, fmt.Sprintf("%s for %v", k, now.Sub(r.began).Round(time.Second)))
		}
	}
	if len(keys) > shown {
		parts = append(parts, fmt.Sprintf("and %d more", len(keys)-shown))
	}
	return strings.Join(parts, "; ")
}

func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", s)
	default:
		return d.Round(time.Second).String()
	}
}
