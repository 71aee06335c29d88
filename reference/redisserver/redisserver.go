// Package redisserver runs Debian's redis-server as a child process on a
// free loopback port: the Redis of the reference's own store tests and
// benchmarks, and the harness's local Redis provider. It lives with the
// reference because the reference stands alone and imports nothing from
// the harness (harness/imports_test.go); the harness may use it.
package redisserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Binary is the redis-server looked up on PATH unless Options.Binary says
// otherwise.
const Binary = "redis-server"

// Timeouts of starting and stopping the process.
const (
	StartTimeout = 10 * time.Second
	StopTimeout  = 5 * time.Second
)

// Options configure a server.
type Options struct {
	Binary    string    // default: redis-server on PATH
	Dir       string    // working directory; default: a temp dir removed by Stop
	Databases int       // logical databases (default 16); suites give each spec one
	Log       io.Writer // redis-server's output; default: discarded
	Args      []string  // extra redis-server arguments
	// Port to listen on; 0 picks a free one. A fixed port is tried once:
	// servers that name each other (a Sentinel's peers) need it known
	// before any of them starts.
	Port int
	// ConfigFile is passed as the first argument (redis-server reads a
	// config file only there). A Sentinel needs one it can rewrite.
	ConfigFile string
}

// Server is a running redis-server.
type Server struct {
	Addr string // 127.0.0.1:port

	opts    Options
	ownDir  bool
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// ErrNotInstalled means redis-server is not on PATH.
var ErrNotInstalled = errors.New("redis-server not found on PATH (Debian: apt-get install redis-server)")

// Start launches redis-server and returns once it answers PING.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Binary == "" {
		path, err := exec.LookPath(Binary)
		if err != nil {
			return nil, ErrNotInstalled
		}
		opts.Binary = path
	}
	if opts.Databases == 0 {
		opts.Databases = 16
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	s := &Server{opts: opts}
	if s.opts.Dir == "" {
		dir, err := os.MkdirTemp("", "sessionconf-redis-*")
		if err != nil {
			return nil, err
		}
		s.opts.Dir, s.ownDir = dir, true
	}
	// A port can be taken between our probe and redis's bind; try a few.
	var err error
	for range 5 {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				break
			}
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err = s.launch(ctx); err == nil {
			return s, nil
		}
		if opts.Port != 0 {
			break
		}
	}
	s.removeDir()
	return nil, err
}

// URL returns the redis:// URL of logical database db.
func (s *Server) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr, db) }

// PID is the process ID of the current redis-server (0 before the first
// start); it changes with Restart.
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Running reports whether the process is up.
func (s *Server) Running() bool {
	if s.exited == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Stop ends the process (SIGTERM, then SIGKILL after StopTimeout) and keeps
// its directory, so Restart can bring the same server back (an outage).
func (s *Server) Stop() error {
	if !s.Running() {
		return nil
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	// A paused (SIGSTOPped) server only sees the SIGTERM once it runs again.
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGCONT)
	select {
	case <-s.exited:
	case <-time.After(StopTimeout):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
	return nil
}

// Restart starts the server again on the same address after Stop.
func (s *Server) Restart(ctx context.Context) error {
	if s.Running() {
		return errors.New("redisserver: restart of a running server")
	}
	deadline := time.Now().Add(StartTimeout)
	for {
		err := s.launch(ctx)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond) // the port may still be held by the old process
	}
}

// Pause freezes the process (SIGSTOP): connections open but nothing
// answers, the nastiest kind of outage. Resume undoes it.
func (s *Server) Pause() error  { return s.signal(syscall.SIGSTOP) }
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

// Close stops the server and removes its directory if Start made it.
func (s *Server) Close() error {
	if s.Running() {
		s.Resume()
	}
	err := s.Stop()
	s.removeDir()
	return err
}

func (s *Server) signal(sig syscall.Signal) error {
	if !s.Running() {
		return errors.New("redisserver: not running")
	}
	return syscall.Kill(-s.cmd.Process.Pid, sig)
}

func (s *Server) launch(ctx context.Context) error {
	host, port, _ := net.SplitHostPort(s.Addr)
	var args []string
	if s.opts.ConfigFile != "" {
		args = append(args, s.opts.ConfigFile)
	}
	args = append(args, []string{
		"--bind", host, "--port", port,
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--databases", strconv.Itoa(s.opts.Databases),
		"--dir", s.opts.Dir, "--protected-mode", "yes",
	}...)
	args = append(args, s.opts.Args...)
	cmd := exec.Command(s.opts.Binary, args...)
	cmd.Dir = s.opts.Dir
	cmd.Stdout, cmd.Stderr = s.opts.Log, s.opts.Log
	// Own process group, and killed with us if the harness dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redisserver: start: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() { s.waitErr = cmd.Wait(); close(s.exited) }()

	deadline := time.Now().Add(StartTimeout)
	for {
		if servedBy(s.Addr, cmd.Process.Pid) == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("redisserver: redis-server on %s exited at start: %v", s.Addr, s.waitErr)
		case <-ctx.Done():
			s.Stop()
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("redisserver: redis-server on %s did not answer within %v", s.Addr, StartTimeout)
		}
	}
}

func (s *Server) removeDir() {
	if s.ownDir {
		os.RemoveAll(s.opts.Dir)
	}
}

// ping speaks just enough RESP to know the server is ready; go-redis's own
// dial backoff would add ~100 ms to every start.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected answer %q", strings.TrimSpace(line))
	}
	return nil
}

// servedBy checks that the server answering on addr is process pid: on a
// fixed port (Options.Port, Restart) another server may answer while ours
// fails to bind.
func servedBy(addr string, pid int) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("INFO server\r\n")); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	head, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "$")))
	if !strings.HasPrefix(head, "$") || err != nil {
		return fmt.Errorf("unexpected answer %q", strings.TrimSpace(head))
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return err
	}
	if !strings.Contains(string(body), "\nprocess_id:"+strconv.Itoa(pid)+"\r\n") {
		return fmt.Errorf("%s is served by another process, not redis-server %d", addr, pid)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
