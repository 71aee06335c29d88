package supervisor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the supervised server: with FAKE_SERVER_ADDR
// set it serves HTTP there (with FAKE_SERVER_IGNORE_TERM it ignores
// SIGTERM, like a server that never shuts down cleanly; with
// FAKE_SERVER_SLOW_FIRST=<duration> its first answer takes that long).
func TestMain(m *testing.M) {
	if addr := os.Getenv("FAKE_SERVER_ADDR"); addr != "" {
		if os.Getenv("FAKE_SERVER_IGNORE_TERM") != "" {
			signal.Ignore(syscall.SIGTERM)
		}
		fmt.Println("fake server on", addr)
		slowFirst, _ := time.ParseDuration(os.Getenv("FAKE_SERVER_SLOW_FIRST"))
		var served atomic.Int32
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			n := served.Add(1)
			if n == 1 {
				time.Sleep(slowFirst) // a worker still booting
			}
			fmt.Fprintln(w, "ok")
			fmt.Println("served request", n)
		})
		if err := http.ListenAndServe(addr, nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func config(t *testing.T, argv []string, env ...string) Config {
	addr := freeAddr(t)
	exe, _ := os.Executable()
	for i, a := range argv {
		argv[i] = strings.ReplaceAll(a, "$SELF", exe)
	}
	return Config{
		Name: "t", Argv: argv, Dir: t.TempDir(), Addr: addr,
		Env:      append(os.Environ(), append(env, "FAKE_SERVER_ADDR="+addr)...),
		ReadyURL: "http://" + addr + "/", LogDir: t.TempDir(),
		StartTimeout: 10 * time.Second, StopGrace: 2 * time.Second,
	}
}

func answers(addr string) bool {
	c := http.Client{Timeout: 500 * time.Millisecond}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	return !strings.HasPrefix(strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0], "Z")
}

func TestStartRestartStop(t *testing.T) {
	ctx := context.Background()
	cfg := config(t, []string{"$SELF"})
	p, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill(ctx)
	first := p.PID()
	if !answers(cfg.Addr) {
		t.Fatal("not answering after Start")
	}
	if err := p.Restart(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if p.PID() == first || alive(first) {
		t.Errorf("restart kept the old process %d (now %d)", first, p.PID())
	}
	if !answers(cfg.Addr) {
		t.Fatal("not answering after Restart")
	}
	if got := len(p.Logs()); got != 2 {
		t.Errorf("want one log per start, got %d", got)
	}
	if !strings.Contains(p.LogTail(5), "fake server on") {
		t.Errorf("the log misses the server's output: %q", p.LogTail(5))
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if p.Running() || answers(cfg.Addr) {
		t.Error("still running after Stop")
	}
}

func TestEarlyExitIsAStartErrorWithTheLog(t *testing.T) {
	cfg := config(t, []string{"/bin/sh", "-c", "echo 'refserver: SESSION_TYPE: unknown' >&2; exit 2"})
	start := time.Now()
	_, err := Start(context.Background(), cfg)
	var se *StartError
	if !errors.As(err, &se) {
		t.Fatalf("want a StartError, got %v", err)
	}
	if !strings.Contains(se.Reason, "exited before it was ready") || !strings.Contains(se.Reason, "exit status 2") {
		t.Errorf("reason: %q", se.Reason)
	}
	if !strings.Contains(se.LogTail, "SESSION_TYPE: unknown") {
		t.Errorf("log tail: %q", se.LogTail)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("an early exit took %v to notice", time.Since(start))
	}
}

// Only an exit of the target's own choosing, with an error status, is a
// refusal of its settings; LIFE-9 counts on it.
func TestRefusalIsAPromptErrorExitOnly(t *testing.T) {
	for _, tc := range []struct {
		name    string
		script  string
		timeout time.Duration
		refused bool
	}{
		{"exits 2 on a bad setting", "echo 'lifetime above 400 days' >&2; exit 2", 10 * time.Second, true},
		{"its port is taken", "echo 'listen tcp: bind: address already in use' >&2; exit 1", 10 * time.Second, false},
		{"killed by a signal", "kill -SEGV $$", 10 * time.Second, false},
		{"exits 0 before it is ready", "exit 0", 10 * time.Second, false},
		{"never ready", "sleep 30", 500 * time.Millisecond, false},
	} {
		cfg := config(t, []string{"/bin/sh", "-c", tc.script})
		cfg.StartTimeout = tc.timeout
		_, err := Start(context.Background(), cfg)
		var se *StartError
		if !errors.As(err, &se) {
			t.Fatalf("%s: want a StartError, got %v", tc.name, err)
		}
		if se.Refused() != tc.refused {
			t.Errorf("%s: Refused() = %v, want %v (%s, exit code %d)", tc.name, se.Refused(), tc.refused, se.Reason, se.ExitCode)
		}
	}
}

func TestNeverReadyIsBoundedAndLeavesNothing(t *testing.T) {
	cfg := config(t, []string{"/bin/sh", "-c", "sleep 300 & echo $! > pid; sleep 300"})
	cfg.StartTimeout = time.Second
	_, err := Start(context.Background(), cfg)
	var se *StartError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "was not ready after 1s") {
		t.Fatalf("want a not-ready StartError, got %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(cfg.Dir, "pid"))
	if pid, _ := strconv.Atoi(strings.TrimSpace(string(data))); pid == 0 || alive(pid) {
		t.Errorf("the child %q of a target that never became ready is still alive", data)
	}
}

func TestForkedWorkersDieWithTheGroup(t *testing.T) {
	ctx := context.Background()
	// A master that forks a worker and then serves, like gunicorn.
	cfg := config(t, []string{"/bin/sh", "-c", "sleep 300 & echo $! > worker.pid; exec $SELF"})
	p, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(cfg.Dir, "worker.pid"))
	worker, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if !alive(worker) {
		t.Fatalf("the worker %q is not running", data)
	}
	if err := p.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	if alive(worker) {
		t.Error("SIGKILL of the target left its forked worker running")
	}
	if members := GroupMembers(p.PID()); len(members) != 0 {
		t.Errorf("process group still has %v", members)
	}
}

func TestStopEscalatesToSIGKILL(t *testing.T) {
	ctx := context.Background()
	cfg := config(t, []string{"$SELF"}, "FAKE_SERVER_IGNORE_TERM=1")
	cfg.StopGrace = 300 * time.Millisecond
	p, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if p.Running() || answers(cfg.Addr) {
		t.Error("a target ignoring SIGTERM survived Stop")
	}
	if d := time.Since(start); d < cfg.StopGrace {
		t.Errorf("Stop escalated before the grace period (%v)", d)
	}
}

func TestStartWaitsForThePort(t *testing.T) {
	cfg := config(t, []string{"$SELF"})
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg.StartTimeout = 500 * time.Millisecond
	_, err = Start(context.Background(), cfg)
	l.Close()
	var se *StartError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "still in use") {
		t.Errorf("a start on a taken port should say so, got %v", err)
	}
}

// A server that listens before its workers answer (gunicorn booting) gets
// one probe, answered late, not a second probe while the first is still
// being served: an abandoned probe would still be running, perhaps
// writing a session record, when a spec kills the server right after
// readiness.
func TestSlowFirstAnswerIsAwaitedNotAbandoned(t *testing.T) {
	ctx := context.Background()
	cfg := config(t, []string{"$SELF"}, "FAKE_SERVER_SLOW_FIRST=1500ms")
	p, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill(ctx)
	log := p.LogTail(10)
	if !strings.Contains(log, "served request 1") || strings.Contains(log, "served request 2") {
		t.Errorf("readiness should rest on the first probe, answered after 1.5s, and send no other; the server's log:\n%s", log)
	}
}
