package redisprov

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/reference/redisserver"
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
func forEachKind(t *testing.T, test func(t *testing.T, p *Provider, gone func(nodes []NodeDescriptor) []string, logs *syncBuffer)) {
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
		test(t, p, func([]NodeDescriptor) []string { return runContainers(t, d, cfg.RunID) }, &syncBuffer{})
	})
	t.Run("local", func(t *testing.T) {
		if _, err := exec.LookPath("redis-server"); err != nil {
			t.Skip("redis-server not installed")
		}
		logs := &syncBuffer{}
		cfg := testConfig(t, "local")
		cfg.Log = logs
		p, err := Select(context.Background(), cfg)
		if err != nil {
			t.Fatalf("select: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
			defer cancel()
			p.Close(ctx)
		})
		test(t, p, liveProcesses, logs)
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

// logsOnFailure prints the nodes' server logs (a container's `docker
// logs`, the local servers' output collected in logs) when t has failed:
// what the Sentinels or cluster nodes decided is only there. Register it
// after the Terminate clean-up, so it runs before.
func logsOnFailure(t *testing.T, logs *syncBuffer, nodes func() []NodeDescriptor) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, n := range nodes() {
			if n.ContainerID == "" {
				continue
			}
			out, _ := exec.Command("docker", "logs", "--tail", "60", n.ContainerID).CombinedOutput()
			t.Logf("docker logs of %s (%s):\n%s", n.Name, n.Addr, out)
		}
		if s := logs.String(); s != "" {
			t.Logf("local servers' output (last 12 KiB):\n%s", s[max(0, len(s)-12<<10):])
		}
	})
}

// syncBuffer collects the local servers' output, written from several
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
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

// The external provider has no control over servers: it cannot start a
// topology, and says so the way outage specs expect (ErrUnsupported).
func TestTopologiesNeedStartedServers(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	ctx := context.Background()
	srv, err := redisserver.Start(ctx, redisserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := testConfig(t, "external")
	cfg.URL = srv.URL(0)
	p, err := Select(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.NewSentinel(ctx); !errors.Is(err, ErrUnsupported) {
		t.Errorf("NewSentinel on the external provider: %v, want ErrUnsupported", err)
	}
	if _, err := p.NewCluster(ctx); !errors.Is(err, ErrUnsupported) {
		t.Errorf("NewCluster on the external provider: %v, want ErrUnsupported", err)
	}
}
