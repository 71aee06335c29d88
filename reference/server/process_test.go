package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/server"
)

func TestStartupLines(t *testing.T) {
	t.Parallel()
	s := settings(t)
	ts := start(t, s, server.Options{})
	want := fmt.Sprintf("Created session directory: %s/\nlistening on http://127.0.0.1:%s\n", s.FileDir, ts.Port)
	if got := ts.Stdout.String(); got != want {
		t.Errorf("stdout\n%q\nwant\n%q", got, want)
	}
	if ts.Port == "0" {
		t.Fatal("the listening line shows port 0, not the real one")
	}
	if r := do(t, http.MethodGet, ts.URL+server.HealthPath, nil, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("nothing answers on the announced port: %d", r.StatusCode)
	}
	ts.Stop(t)

	// The directory exists now: no "Created" line the second time.
	ts2 := start(t, s, server.Options{})
	if got, want := ts2.Stdout.String(), fmt.Sprintf("listening on http://127.0.0.1:%s\n", ts2.Port); got != want {
		t.Errorf("second start: stdout %q, want %q", got, want)
	}
}

// ---- the built binary, as a child process ----

var (
	buildOnce sync.Once
	buildDir  string
	binPath   string
	buildErr  error
)

func refserverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "refserver-server-test-*")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "refserver")
		out, err := exec.Command("go", "build", "-ldflags=-s -w", "-o", binPath, "github.com/sessionconf/sessionconf/reference/cmd/refserver").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// child is a refserver process in its own process group.
type child struct {
	cmd    *exec.Cmd
	port   string
	stdout []string
	stderr *syncBuffer
	exited chan struct{}
}

// startChild runs the binary with env and waits for its listening line.
func startChild(t *testing.T, env ...string) *child {
	t.Helper()
	// Started in an empty directory, with no ACCOUNTS_FILE: the built-in
	// accounts let it run from anywhere.
	cmd := exec.Command(refserverBinary(t))
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PORT=0"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c := &child{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-c.exited
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		cmd.Wait()
		close(c.exited)
	}()
	timeout := time.After(startTimeout)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("refserver exited before listening; stdout %q stderr %q", c.stdout, c.stderr)
			}
			c.stdout = append(c.stdout, line)
			if p, ok := strings.CutPrefix(line, "listening on http://127.0.0.1:"); ok {
				c.port = p
				go func() { // keep draining
					for range lines {
					}
				}()
				return c
			}
		case <-timeout:
			t.Fatalf("no listening line within %v; stdout %q", startTimeout, c.stdout)
		}
	}
}

// waitExit waits for the child to exit and returns its status.
func (c *child) waitExit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-c.exited:
		return c.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("refserver did not exit within %v; stderr %q", within, c.stderr)
		return -1
	}
}

func TestBinaryStartsOnAFreePortAndStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sessions")
	c := startChild(t, "SESSION_FILE_DIR="+dir)
	if len(c.stdout) != 2 || c.stdout[0] != "Created session directory: "+dir+"/" {
		t.Errorf("startup lines %q", c.stdout)
	}
	if c.port == "0" || c.port == "" {
		t.Fatalf("listening line with port %q", c.port)
	}
	base := "http://127.0.0.1:" + c.port
	cookie := login(t, base)
	wantLoggedIn(t, base, cookie)
	must(t, c.cmd.Process.Signal(syscall.SIGTERM))
	if code := c.waitExit(t, 15*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0; stderr %q", code, c.stderr)
	}
}

// SIGTERM lets a request in flight finish: here a login whose body is
// still arriving when the signal comes.
func TestSIGTERMFinishesTheRequestInFlight(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sessions")
	c := startChild(t, "SESSION_FILE_DIR="+dir, "SHUTDOWN_TIMEOUT=20")
	body := "email=john.smith%40example.com&password=password123"
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+c.port, 5*time.Second)
	must(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	// Expect: 100-continue makes the server say when the handler starts
	// reading the body: from then on the request is surely in flight.
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", server.LoginPath, len(body))
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	must(t, err)
	if !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("want 100 Continue, got %q", line)
	}
	if _, err := br.ReadString('\n'); err != nil { // the blank line after it
		t.Fatal(err)
	}
	must(t, c.cmd.Process.Signal(syscall.SIGTERM))
	// The server stops accepting...
	eventually(t, 10*time.Second, "the listener closing after SIGTERM", func() bool {
		nc, err := net.DialTimeout("tcp", "127.0.0.1:"+c.port, time.Second)
		if err == nil {
			nc.Close()
		}
		return err != nil
	})
	select {
	case <-c.exited:
		t.Fatalf("refserver exited with a request in flight; stderr %q", c.stderr)
	default:
	}
	// ...and still finishes the request it was serving.
	_, err = io.WriteString(conn, body)
	must(t, err)
	resp, err := http.ReadResponse(br, nil)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("the in-flight login got %d %q, want 303 with a session cookie", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
	conn.Close()
	if code := c.waitExit(t, 15*time.Second); code != 0 {
		t.Fatalf("exit status %d, want 0; stderr %q", code, c.stderr)
	}
	entries, err := os.ReadDir(dir)
	must(t, err)
	if len(entries) != 1 {
		t.Errorf("%d records after the in-flight login, want 1", len(entries))
	}
}
