package instance

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sessionconf/sessionconf/harness/supervisor"
)

// externalRunner drives a target through the manifest's hook commands: a
// docker compose stack, a staging host. It cannot see the process, so
// operations without a hook are unsupported.
type externalRunner struct {
	in  *Instance
	mu  sync.Mutex
	log string
	n   int
	up  bool
}

func (in *Instance) launchExternal(ctx context.Context) error {
	r := &externalRunner{in: in}
	in.run = r
	in.BaseURL = strings.TrimRight(in.m.External.URL, "/")
	if h := in.m.External.Hooks.Start; h != "" {
		if err := r.hook(ctx, "start", h); err != nil {
			return err
		}
	}
	r.up = true
	return r.waitReady(ctx)
}

func (r *externalRunner) hooks() map[Op]string {
	h := r.in.m.External.Hooks
	return map[Op]string{OpRestart: h.Restart, OpKill: h.Kill, OpStop: h.Stop, OpStart: h.Start, OpClear: h.Clear}
}

func (r *externalRunner) Can(op Op) bool { return r.hooks()[op] != "" }

func (r *externalRunner) Restart(ctx context.Context) error {
	if err := r.hook(ctx, "restart", r.hooks()[OpRestart]); err != nil {
		return err
	}
	return r.waitReady(ctx)
}

func (r *externalRunner) Crash(ctx context.Context) error {
	if err := r.hook(ctx, "kill", r.hooks()[OpKill]); err != nil {
		return err
	}
	return r.waitReady(ctx)
}

func (r *externalRunner) Start(ctx context.Context) error {
	if err := r.hook(ctx, "start", r.hooks()[OpStart]); err != nil {
		return err
	}
	r.up = true
	return r.waitReady(ctx)
}

func (r *externalRunner) Stop(ctx context.Context) error {
	r.up = false
	return r.hook(ctx, "stop", r.hooks()[OpStop])
}

func (r *externalRunner) Kill(ctx context.Context) error { return r.Stop(ctx) }
func (r *externalRunner) Running() bool                  { return r.up }

func (r *externalRunner) Logs() []string {
	if r.log == "" {
		return nil
	}
	return []string{r.log}
}

func (r *externalRunner) LogTail(n int) string {
	if r.log == "" {
		return ""
	}
	return supervisor.Tail(r.log, n)
}

// hook runs a hook command with /bin/sh, the instance's environment and
// its output appended to the instance's log.
func (r *externalRunner) hook(ctx context.Context, name, command string) error {
	env, err := r.in.Environ()
	if err != nil {
		return err
	}
	command, err = r.in.Expand(command)
	if err != nil {
		return fmt.Errorf("hook %s: %v", name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.log == "" {
		r.log = filepath.Join(r.in.Config.LogDir, r.in.Name+"-hooks.log")
	}
	f, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	r.n++
	fmt.Fprintf(f, "=== hook %s #%d: %s\n", name, r.n, command)
	hctx, cancel := context.WithTimeout(ctx, r.in.Config.StartTimeout)
	defer cancel()
	cmd := exec.CommandContext(hctx, "/bin/sh", "-c", command)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	cmd.Dir = r.in.m.Dir
	if err := cmd.Run(); err != nil {
		return &supervisor.StartError{Name: r.in.Name, Reason: fmt.Sprintf("hook %q failed: %v", name, err), LogPath: r.log, LogTail: supervisor.Tail(r.log, 20)}
	}
	return nil
}

func (r *externalRunner) waitReady(ctx context.Context) error {
	// Each probe waits for its answer until the deadline, never abandoned
	// for a later one: see supervisor's waitReady.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	deadline := time.Now().Add(r.in.Config.StartTimeout)
	probeCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	url := r.in.URL(r.in.m.Routes.Ready)
	for {
		var resp *http.Response
		req, err := http.NewRequestWithContext(probeCtx, http.MethodGet, url, nil)
		if err == nil {
			resp, err = client.Do(req)
		}
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return &supervisor.StartError{Name: r.in.Name, Reason: fmt.Sprintf("was not ready at %s after %v", url, r.in.Config.StartTimeout), LogPath: r.log, LogTail: r.LogTail(20)}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// RunHook runs the manifest's hook op (OpClear) on an external target.
func (in *Instance) RunHook(ctx context.Context, op Op) error {
	r, ok := in.run.(*externalRunner)
	if !ok {
		return fmt.Errorf("instance: hooks exist only for external targets")
	}
	cmd := r.hooks()[op]
	if cmd == "" {
		return &ErrUnsupported{Why: fmt.Sprintf("the manifest has no hooks.%s", op)}
	}
	return r.hook(ctx, string(op), cmd)
}
