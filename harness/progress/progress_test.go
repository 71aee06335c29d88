package progress

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReaderLeavesAHalfWrittenLineForTheNextCall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.jsonl")
	r := NewReader(path)
	if ev, err := r.Next(); err != nil || len(ev) != 0 {
		t.Fatalf("a file not yet created: got %v, %v; want nothing", ev, err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(`{"kind":"began","id":"LIFE-1"}` + "\n" + `{"kind":"ended","id":"LI`)
	ev, err := r.Next()
	if err != nil || len(ev) != 1 || ev[0].ID != "LIFE-1" || ev[0].Kind != Began {
		t.Fatalf("got %+v, %v; want the one complete line", ev, err)
	}
	f.WriteString(`FE-1","status":"pass","seconds":0.5}` + "\n")
	ev, err = r.Next()
	if err != nil || len(ev) != 1 || ev[0].Status != "pass" || ev[0].Seconds != 0.5 {
		t.Fatalf("got %+v, %v; want the line completed", ev, err)
	}
}

func TestWritersOfSeveralProcessesKeepLinesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.jsonl")
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for range writers {
		w, err := Create(path) // one per Ginkgo process
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer w.Close()
			for range each {
				w.Write(Event{Kind: Waits, ID: "LIFE-5", Why: strings.Repeat("x", 300), Until: time.Now()})
			}
		})
	}
	wg.Wait()
	ev, err := NewReader(path).Next()
	if err != nil || len(ev) != writers*each {
		t.Fatalf("read %d events (%v), want %d", len(ev), err, writers*each)
	}
}

func TestNilWriterWritesNothing(t *testing.T) {
	w, err := Create("")
	if err != nil || w != nil {
		t.Fatalf("Create(\"\") = %v, %v; want nil, nil", w, err)
	}
	w.Write(Event{Kind: Began}) // must not panic
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// fakeRun writes events to two suite runs' files and follows them.
type fakeRun struct {
	t     *testing.T
	dir   string
	out   strings.Builder
	board *Board
	clock time.Time
	files map[string]*Writer
}

func newFakeRun(t *testing.T, total int) *fakeRun {
	f := &fakeRun{t: t, dir: t.TempDir(), clock: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC), files: map[string]*Writer{}}
	f.board = &Board{Out: &f.out, Total: total, Heartbeat: 30 * time.Second, now: func() time.Time { return f.clock }}
	for _, label := range []string{"filesystem/http", "redis/http"} {
		path := filepath.Join(f.dir, strings.ReplaceAll(label, "/", "-"))
		w, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		f.files[label] = w
		f.board.Follow(label, path)
	}
	return f
}

func (f *fakeRun) write(label string, e Event) {
	if e.At.IsZero() {
		e.At = f.clock
	}
	f.files[label].Write(e)
}

// step lets d pass and lets the board read and beat, as Run's ticker does.
func (f *fakeRun) step(d time.Duration) string {
	f.clock = f.clock.Add(d)
	before := f.out.Len()
	f.board.Drain()
	f.board.beat()
	return f.out.String()[before:]
}

func TestBoardPrintsALinePerEndedSpec(t *testing.T) {
	f := newFakeRun(t, 174)
	f.write("filesystem/http", Event{Kind: Began, ID: "COOKIE-1"})
	f.write("redis/http", Event{Kind: Began, ID: "LIFE-1"})
	if got := f.step(time.Second); got != "" {
		t.Fatalf("specs that began printed %q; want nothing until they end", got)
	}
	f.write("filesystem/http", Event{Kind: Ended, ID: "COOKIE-1", Status: "fail", Seconds: 0.21})
	f.write("redis/http", Event{Kind: Ended, ID: "LIFE-1", Status: "pass", Seconds: 12.4})
	want := "[1/174] fail COOKIE-1 filesystem/http 0.2s\n[2/174] pass LIFE-1 redis/http 12s\n"
	if got := f.step(time.Second); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if f.board.Done() != 2 {
		t.Fatalf("Done() = %d, want 2", f.board.Done())
	}
}

func TestBoardHeartbeatNamesTheWaitsAfterThirtyQuietSeconds(t *testing.T) {
	f := newFakeRun(t, 10)
	f.write("filesystem/http", Event{Kind: Began, ID: "TOKEN-1"})
	f.write("redis/http", Event{Kind: Began, ID: "LIFE-5"})
	f.write("redis/http", Event{Kind: Waits, ID: "LIFE-5", Why: "until the absolute lifetime ends", Until: f.clock.Add(3 * time.Minute)})
	if got := f.step(time.Second); got != "" {
		t.Fatalf("printed %q a second in; want silence", got)
	}
	if got := f.step(20 * time.Second); got != "" {
		t.Fatalf("printed %q 21 s in; want the first heartbeat only after 30 quiet seconds", got)
	}
	got := f.step(15 * time.Second)
	want := "[0/10] still running: LIFE-5 redis/http waits 2m24s more (until the absolute lifetime ends); TOKEN-1 filesystem/http for 36s\n"
	if got != want {
		t.Fatalf("heartbeat\n%q\nwant\n%q", got, want)
	}
	if got := f.step(10 * time.Second); got != "" {
		t.Fatalf("printed %q 10 s after a heartbeat; want the next one 30 s after it", got)
	}
	f.write("filesystem/http", Event{Kind: Ended, ID: "TOKEN-1", Status: "pass", Seconds: 50})
	f.write("redis/http", Event{Kind: Ended, ID: "LIFE-5", Status: "pass", Seconds: 200})
	f.step(time.Second)
	if got := f.step(time.Hour); got != "" {
		t.Fatalf("printed %q with nothing running; want silence", got)
	}
}
