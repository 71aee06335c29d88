package redisprov

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/sessionconf/sessionconf/reference/redisserver"
)

// localBackend is a redis-server child process (package redisserver): own
// process group, SIGKILLed if the harness dies (Pdeathsig).
type localBackend struct{ s *redisserver.Server }

func (p *Provider) startLocal(ctx context.Context) (*Instance, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.StartTimeout)
	defer cancel()
	t0 := time.Now()
	s, err := redisserver.Start(ctx, redisserver.Options{Databases: p.cfg.Databases, Log: p.cfg.Log})
	if err != nil {
		return nil, fmt.Errorf("redisprov: local redis-server: %w", err)
	}
	return &Instance{
		prov: p, kind: KindLocal, addr: s.Addr, base: &url.URL{Scheme: "redis", Host: s.Addr},
		pid: s.PID(), databases: p.cfg.Databases, startup: time.Since(t0), owned: true,
		be: localBackend{s},
	}, nil
}

func (b localBackend) stop(context.Context) error      { return b.s.Stop() }
func (b localBackend) start(ctx context.Context) error { return b.s.Restart(ctx) }
func (b localBackend) pause(context.Context) error     { return b.s.Pause() }
func (b localBackend) unpause(context.Context) error   { return b.s.Resume() }
func (b localBackend) terminate(context.Context) error { return b.s.Close() }
