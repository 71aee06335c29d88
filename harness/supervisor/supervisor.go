// Package supervisor starts, stops, kills and restarts a target process the
// way a service manager does: in its own process group, signalling the
// whole group, and making sure every process of the group (forked workers
// included) is gone and the port is free before a restart.
package supervisor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config describes how to run one target instance.
type Config struct {
	Name     string   // short instance name for logs: "a", "b"
	Argv     []string // program and arguments
	Dir      string   // working directory
	Env      []string // the complete environment
	Addr     string   // host:port the target listens on; must be free before a start
	ReadyURL string   // polled until it answers below 500
	LogDir   string   // each start writes <LogDir>/<Name>-<n>.log

	StartTimeout time.Duration // start to ready
	StopGrace    time.Duration // SIGTERM to SIGKILL
	PollInterval time.Duration // readiness polling
}

// StartError is a target that exited early or never became ready. The
// harness reports it as an error of the run, not a failure of a
// requirement.
type StartError struct {
	Name    string
	Reason  string
	LogPath string
	LogTail string
	// ExitCode is the status the target exited with on its own before it
	// was ready (0 when it did not exit, or was killed by a signal).
	ExitCode int
}

// Refused reports whether the target refused to start: it exited by
// itself with a non-zero status before it was ready, which is how a server
// rejects settings it will not run with. Not being ready in time, dying
// from a signal, or finding its port taken is no refusal: those say
// nothing about the settings.
func (e *StartError) Refused() bool {
	if e.ExitCode <= 0 {
		return false
	}
	tail := strings.ToLower(e.LogTail)
	return !strings.Contains(tail, "address already in use") && !strings.Contains(tail, "eaddrinuse")
}

func (e *StartError) Error() string {
	return fmt.Sprintf("target %s %s; log %s ends with:\n%s", e.Name, e.Reason, e.LogPath, e.LogTail)
}

// Process is a supervised target.
type Process struct {
	cfg Config

	mu      sync.Mutex
	cmd     *exec.Cmd
	pgid    int
	exited  chan struct{}
	waitErr error
	logFile *os.File
	logs    []string
}

// Start runs the target and waits until it is ready.
func Start(ctx context.Context, cfg Config) (*Process, error) {
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	p := &Process{cfg: cfg}
	return p, p.start(ctx)
}

// Restart stops the target gracefully and starts it again with the same
// configuration and state.
func (p *Process) Restart(ctx context.Context) error {
	if err := p.Stop(ctx); err != nil {
		return err
	}
	return p.start(ctx)
}

// KillAndStart is a crash: SIGKILL to the group, then a start.
func (p *Process) KillAndStart(ctx context.Context) error {
	if err := p.Kill(ctx); err != nil {
		return err
	}
	return p.start(ctx)
}

// StartAgain starts a stopped target.
func (p *Process) StartAgain(ctx context.Context) error {
	if p.Running() {
		return errors.New("supervisor: target is running")
	}
	return p.start(ctx)
}

// Stop sends SIGTERM to the group, waits StopGrace for every process of it
// to exit, then SIGKILLs what is left.
func (p *Process) Stop(ctx context.Context) error {
	return p.end(ctx, syscall.SIGTERM, p.cfg.StopGrace)
}

// Kill sends SIGKILL to the group and waits until it is gone.
func (p *Process) Kill(ctx context.Context) error {
	return p.end(ctx, syscall.SIGKILL, 0)
}

// Running reports whether the group leader is alive.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// PID returns the group leader's PID (0 before the first start).
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pgid
}

// Logs returns the log files of every start so far, oldest first.
func (p *Process) Logs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.logs...)
}

// LogTail returns the last n lines of the latest start's log.
func (p *Process) LogTail(n int) string {
	logs := p.Logs()
	if len(logs) == 0 {
		return ""
	}
	return Tail(logs[len(logs)-1], n)
}

func (p *Process) start(ctx context.Context) error {
	if err := waitPortFree(ctx, p.cfg.Addr, p.cfg.StartTimeout); err != nil {
		return &StartError{Name: p.cfg.Name, Reason: err.Error()}
	}
	p.mu.Lock()
	n := len(p.logs) + 1
	logPath := filepath.Join(p.cfg.LogDir, fmt.Sprintf("%s-%d.log", p.cfg.Name, n))
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.mu.Unlock()
		return err
	}
	cmd := exec.Command(p.cfg.Argv[0], p.cfg.Argv[1:]...)
	cmd.Dir, cmd.Env = p.cfg.Dir, p.cfg.Env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Own process group, so signals reach forked workers too; and the
	// leader dies with the harness if the harness is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		logFile.Close()
		return &StartError{Name: p.cfg.Name, Reason: fmt.Sprintf("could not be started: %v", err), LogPath: logPath}
	}
	exited := make(chan struct{})
	p.cmd, p.pgid, p.exited, p.logFile, p.waitErr = cmd, cmd.Process.Pid, exited, logFile, nil
	p.logs = append(p.logs, logPath)
	p.mu.Unlock()
	register(cmd.Process.Pid)
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		logFile.Close()
		close(exited)
	}()
	return p.waitReady(ctx, logPath, exited)
}

func (p *Process) waitReady(ctx context.Context, logPath string, exited chan struct{}) error {
	// A probe is never abandoned once sent. A server that listens before
	// its workers have booted (gunicorn) answers an abandoned probe later,
	// and that request could still be running, writing a session record,
	// when a spec kills the server right after readiness: a torn write
	// the spec would blame on the target. So each probe waits for its
	// answer until the start deadline or the process's exit; a refused
	// connection returns at once and is retried.
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	deadline := time.Now().Add(p.cfg.StartTimeout)
	probeCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	go func() {
		select {
		case <-exited:
			cancel()
		case <-probeCtx.Done():
		}
	}()
	for {
		var resp *http.Response
		req, err := http.NewRequestWithContext(probeCtx, http.MethodGet, p.cfg.ReadyURL, nil)
		if err == nil {
			resp, err = client.Do(req)
		}
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		select {
		case <-exited:
			p.mu.Lock()
			werr := p.waitErr
			p.mu.Unlock()
			p.Kill(context.Background()) // its workers, if it forked any
			return &StartError{Name: p.cfg.Name, Reason: fmt.Sprintf("exited before it was ready (%v)", exitStatus(werr)), LogPath: logPath, LogTail: Tail(logPath, 20), ExitCode: exitCode(werr)}
		case <-ctx.Done():
			p.Kill(context.Background())
			return ctx.Err()
		case <-time.After(p.cfg.PollInterval):
		}
		if time.Now().After(deadline) {
			p.Kill(context.Background())
			last := "no answer"
			if err != nil {
				last = err.Error()
			} else {
				last = "status " + strconv.Itoa(resp.StatusCode)
			}
			return &StartError{Name: p.cfg.Name, Reason: fmt.Sprintf("was not ready after %v (%s from %s)", p.cfg.StartTimeout, last, p.cfg.ReadyURL), LogPath: logPath, LogTail: Tail(logPath, 20)}
		}
	}
}

// end signals the group and waits until none of its processes is left;
// after grace it escalates to SIGKILL.
func (p *Process) end(ctx context.Context, sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	pgid, exited := p.pgid, p.exited
	p.mu.Unlock()
	if pgid == 0 {
		return nil
	}
	defer unregister(pgid)
	syscall.Kill(-pgid, sig)
	if sig != syscall.SIGKILL && waitGroupGone(ctx, pgid, exited, grace) {
		return nil
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	if !waitGroupGone(ctx, pgid, exited, 10*time.Second) {
		return fmt.Errorf("supervisor: process group %d still alive after SIGKILL", pgid)
	}
	return nil
}

// waitGroupGone waits for the leader to be reaped and for no live process
// to remain in the group (zombies do not count: PID 1 may reap them late).
func waitGroupGone(ctx context.Context, pgid int, leaderExited chan struct{}, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		leaderGone := false
		select {
		case <-leaderExited:
			leaderGone = true
		default:
		}
		if leaderGone && len(GroupMembers(pgid)) == 0 {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// GroupMembers lists the live (non-zombie) processes of process group pgid.
func GroupMembers(pgid int) []int {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may contain spaces.
		rest := string(data)
		if i := strings.LastIndexByte(rest, ')'); i >= 0 {
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		if len(f) >= 3 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitPortFree waits until addr can be bound: the previous instance (or a
// worker it forked) has let go of it.
func waitPortFree(ctx context.Context, addr string, limit time.Duration) error {
	if addr == "" {
		return nil
	}
	deadline := time.Now().Add(limit)
	for {
		l, err := net.Listen("tcp", addr)
		if err == nil {
			l.Close()
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("port %s still in use after %v: %v", addr, limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func exitStatus(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// exitCode is the status a process exited with by itself, 0 if it was
// killed by a signal.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return max(ee.ExitCode(), 0)
	}
	return 0
}

// Tail returns the last n lines of a file.
func Tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// live is every process group started and not yet ended, so that an
// interrupted run can kill them all.
var live sync.Map

func register(pgid int)   { live.Store(pgid, true) }
func unregister(pgid int) { live.Delete(pgid) }

// KillAll SIGKILLs every group this process started and has not ended: the
// last line of defence when a run is interrupted.
func KillAll() {
	live.Range(func(k, _ any) bool {
		syscall.Kill(-k.(int), syscall.SIGKILL)
		live.Delete(k)
		return true
	})
}
