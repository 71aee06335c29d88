package redisprov

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// startExternal returns a handle on the configured server: no control over
// it, so outage operations fail with ErrUnsupported (Instance.control).
func (p *Provider) startExternal(ctx context.Context) (*Instance, error) {
	base, err := parseURL(p.url)
	if err != nil {
		return nil, err
	}
	inst := &Instance{prov: p, kind: KindExternal, addr: base.Host, base: base, owned: true, databases: 16}
	if _, _, err := net.SplitHostPort(inst.addr); err != nil {
		inst.addr = net.JoinHostPort(base.Hostname(), "6379")
	}
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c := redis.NewClient(inst.ClientOptions(0))
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redisprov: external redis %s: %w", redactURL(p.url), err)
	}
	inst.startup = time.Since(t0)
	// CONFIG may be disabled on managed servers: keep Redis's default then.
	if kv, err := c.ConfigGet(ctx, "databases").Result(); err == nil {
		if n, err := strconv.Atoi(kv["databases"]); err == nil && n > 0 {
			inst.databases = n
		}
	}
	return inst, nil
}
