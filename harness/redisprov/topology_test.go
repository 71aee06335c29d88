package redisprov

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/reference/store"
)

// cleanupTimeout bounds a test's clean-up, which must run even when the
// test failed half-way.
const cleanupTimeout = time.Minute

// forEachKind runs test once per provider that can start topologies: a
// container provider when a Docker engine answers, a local one when
// redis-server is installed. gone reports what of the given nodes is
// still there (containers with the run label, live processes, the nodes'
// directory): empty after Terminate.
func forEachKind(t *testing.T, test func(t *testing.T, p *Provider, gone func(nodes []NodeDescriptor) []string)) {
	t.Run("container", func(t *testing.T) {
		d := needDocker(t)
		cfg := testConfig(t, "container")
		p, err := Select(context.Background(), cfg)
		if err != nil {
			t.Fatalf("select: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
			defer cancel()
			p.Close(ctx)
			Reap(ctx, cfg.RunID) // whatever a failed test left
		})
		test(t, p, func([]NodeDescriptor) []string { return runContainers(t, d, cfg.RunID) })
	})
	t.Run("local", func(t *testing.T) {
		if _, err := exec.LookPath("redis-server"); err != nil {
			t.Skip("redis-server not installed")
		}
		p, err := Select(context.Background(), testConfig(t, "local"))
		if err != nil {
			t.Fatalf("select: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
			defer cancel()
			p.Close(ctx)
		})
		test(t, p, liveProcesses)
	})
}

// liveProcesses lists the nodes whose process is alive.
func liveProcesses(nodes []NodeDescriptor) []string {
	var left []string
	for _, n := range nodes {
		if n.PID != 0 && alive(n.PID) {
			left = append(left, n.Name+" pid "+strconv.Itoa(n.PID))
		}
	}
	return left
}

// dirGone fails t when a local topology's directory outlived Terminate.
func dirGone(t *testing.T, top *topology) {
	t.Helper()
	if top.dir == "" {
		return
	}
	if _, err := os.Stat(top.dir); !os.IsNotExist(err) {
		t.Errorf("directory %s left after Terminate (%v)", top.dir, err)
	}
}

// appClient is the client a target makes of its REDIS_URL: the
// reference's own parsing, into go-redis's UniversalClient.
func appClient(t *testing.T, url string) redis.UniversalClient {
	t.Helper()
	opts, err := store.ParseRedisURL(url)
	if err != nil {
		t.Fatalf("the reference refuses %s: %v", url, err)
	}
	c := redis.NewUniversalClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// eventually polls f until it returns nil or bound passes, and returns how
// long it took and the last error.
func eventually(bound time.Duration, f func(ctx context.Context) error) (time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	err := pollUntil(ctx, "success", f)
	return time.Since(start), err
}
