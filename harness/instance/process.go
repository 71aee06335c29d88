package instance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/sessionconf/sessionconf/harness/supervisor"
)

// launchAttempts bounds retries when another process grabs our port
// between the probe and the target's bind.
const launchAttempts = 3

type processRunner struct{ p *supervisor.Process }

func (in *Instance) launchProcess(ctx context.Context) error {
	var lastErr error
	for range launchAttempts {
		port, err := FreePort()
		if err != nil {
			return err
		}
		in.Port = port
		scheme := "http"
		if in.Config.Production {
			scheme = "https"
		}
		in.BaseURL = fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)
		env, err := in.Environ()
		if err != nil {
			return err
		}
		argv := make([]string, len(in.m.Process.Command))
		for i, a := range in.m.Process.Command {
			if argv[i], err = in.Expand(a); err != nil {
				return fmt.Errorf("%s: process.command: %v", in.m.Position("process.command"), err)
			}
		}
		stopGrace := in.Config.StopGrace
		if g := in.m.Process.StopGrace.Std(); g > 0 {
			stopGrace = g
		}
		p, err := supervisor.Start(ctx, supervisor.Config{
			Name: in.Name, Argv: argv, Dir: in.m.Process.Workdir, Env: env,
			Addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			ReadyURL: in.URL(in.m.Routes.Ready), LogDir: in.Config.LogDir,
			StartTimeout: in.Config.StartTimeout, StopGrace: stopGrace,
		})
		in.run = processRunner{p}
		if err == nil {
			return nil
		}
		lastErr = err
		var se *supervisor.StartError
		if !errors.As(err, &se) || !portTaken(se) {
			return err
		}
	}
	return lastErr
}

// portTaken guesses from the log whether a start failed because the port
// was taken, the one start failure worth retrying on another port.
func portTaken(se *supervisor.StartError) bool {
	tail := strings.ToLower(se.LogTail)
	return strings.Contains(tail, "address already in use") || strings.Contains(tail, "eaddrinuse") ||
		strings.Contains(tail, "connection in use") // gunicorn
}

func (r processRunner) Start(ctx context.Context) error   { return r.p.StartAgain(ctx) }
func (r processRunner) Restart(ctx context.Context) error { return r.p.Restart(ctx) }
func (r processRunner) Crash(ctx context.Context) error   { return r.p.KillAndStart(ctx) }
func (r processRunner) Stop(ctx context.Context) error    { return r.p.Stop(ctx) }
func (r processRunner) Kill(ctx context.Context) error    { return r.p.Kill(ctx) }
func (r processRunner) Running() bool                     { return r.p.Running() }
func (r processRunner) Logs() []string                    { return r.p.Logs() }
func (r processRunner) LogTail(n int) string              { return r.p.LogTail(n) }
func (r processRunner) Can(Op) bool                       { return true }
