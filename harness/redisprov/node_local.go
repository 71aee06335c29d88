package redisprov

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/sessionconf/sessionconf/reference/redisserver"
)

// startLocalNode runs spec as a redis-server process in its own directory
// below the topology's (its config file and a cluster's nodes.conf live
// there and survive a stop, so a restarted node is the same node).
func (t *topology) startLocalNode(ctx context.Context, spec nodeSpec) (*node, error) {
	dir := filepath.Join(t.dir, spec.name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	opts := redisserver.Options{
		Dir: dir, Port: spec.port, Databases: t.prov.cfg.Databases,
		Log: t.prov.cfg.Log, Args: spec.args,
	}
	if spec.config != "" {
		opts.ConfigFile = filepath.Join(dir, configFileName)
		if err := os.WriteFile(opts.ConfigFile, []byte(spec.config), 0o600); err != nil {
			return nil, err
		}
	}
	s, err := redisserver.Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("%s on 127.0.0.1:%d: %w", spec.name, spec.port, err)
	}
	return &node{name: spec.name, addr: s.Addr, busPort: spec.busPort, pid: s.PID(), be: localBackend{s}}, nil
}

// kill sends SIGKILL to the redis-server's process group and waits until
// the process is reaped, so a start after it finds the port free.
func (b localBackend) kill(ctx context.Context) error {
	if !b.s.Running() {
		return nil
	}
	pid := b.s.PID()
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return pollUntil(ctx, "redis-server "+strconv.Itoa(pid)+" exits after SIGKILL", func(context.Context) error {
		if b.s.Running() {
			return errors.New("still running")
		}
		return nil
	})
}

func (b localBackend) currentPID() int { return b.s.PID() }
