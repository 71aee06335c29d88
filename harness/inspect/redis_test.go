package inspect

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/harness/redisprov"
)

// sessionKeys is how many sessions the tests store: enough that each
// master of a three-node cluster holds several.
const sessionKeys = 60

// localProvider starts Redis servers as local processes (the fastest
// provider; the cluster code paths are the same for containers).
func localProvider(t *testing.T) *redisprov.Provider {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	p, err := redisprov.Select(context.Background(), redisprov.Config{Provider: "local", Databases: 16, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func TestRedisSingleServer(t *testing.T) {
	ctx := context.Background()
	inst, err := localProvider(t).NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exerciseRedisStore(t, Redis{Client: inst.Client(3), DB: 3, Prefix: "session:"}, nil)
}

// A cluster spreads the sessions over its masters: the inspector must
// find, read, corrupt and clear them on every one.
func TestRedisCluster(t *testing.T) {
	ctx := context.Background()
	c, err := localProvider(t).NewCluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := Redis{Client: c.Client(), Prefix: "session:"}
	if r.Location() != `cluster, prefix "session:"` {
		t.Errorf("Location() = %s", r.Location())
	}
	exerciseRedisStore(t, r, c.Addrs())
}

// exerciseRedisStore stores sessions and a foreign key through r.Client
// and checks listing, TTLs, corruption, clearing and flushing. masters,
// for a cluster, are the nodes every one of which must hold sessions.
func exerciseRedisStore(t *testing.T, r Redis, masters []string) {
	t.Helper()
	ctx := context.Background()
	for i := range sessionKeys {
		if err := r.Client.Set(ctx, fmt.Sprintf("session:%02d", i), fmt.Sprintf(`{"n":%d}`, i), time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Client.Set(ctx, "other:key", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}

	recs, err := r.List(ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(recs) != sessionKeys {
		t.Fatalf("listed %d sessions, want %d: %v", len(recs), sessionKeys, Keys(recs))
	}
	for i, rec := range recs {
		if want := fmt.Sprintf("session:%02d", i); rec.Key != want || string(rec.Data) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("record %d: %s = %q, want %s", i, rec.Key, rec.Data, want)
		}
		if !rec.HasTTL || rec.TTL <= 59*time.Minute || rec.TTL > time.Hour {
			t.Fatalf("%s: TTL %v (has %v), want about an hour", rec.Key, rec.TTL, rec.HasTTL)
		}
	}
	if !strings.Contains(Describe(r, recs), fmt.Sprintf("%d record(s)", sessionKeys)) {
		t.Errorf("Describe: %s", Describe(r, recs))
	}

	byNode, err := r.NodeKeys(ctx)
	if err != nil {
		t.Fatalf("node keys: %v", err)
	}
	if masters == nil {
		if len(byNode[""]) != sessionKeys {
			t.Fatalf("NodeKeys of a single server: %d nodes, %d keys under \"\"", len(byNode), len(byNode[""]))
		}
	} else {
		var spread []string
		for _, addr := range masters {
			if len(byNode[addr]) == 0 {
				t.Errorf("no session found on master %s (NodeKeys: %d nodes)", addr, len(byNode))
			}
			spread = append(spread, fmt.Sprintf("%s: %d", addr, len(byNode[addr])))
		}
		t.Logf("sessions per master: %s", strings.Join(spread, ", "))
	}

	all, err := r.AllKeys(ctx)
	if err != nil || len(all) != sessionKeys+1 {
		t.Fatalf("AllKeys: %d keys, %v; want %d", len(all), err, sessionKeys+1)
	}

	for _, how := range Corruptions {
		if err := r.Corrupt(ctx, "session:07", how); err != nil {
			t.Fatalf("corrupt %s: %v", how, err)
		}
		v, err := r.Client.Get(ctx, "session:07").Result()
		ttl, _ := r.Client.PTTL(ctx, "session:07").Result()
		if err != nil || v == `{"n":7}` || ttl <= 0 {
			t.Fatalf("after %s: %q, %v, TTL %v (want changed, TTL kept)", how, v, err, ttl)
		}
	}

	if err := r.Clear(ctx); err != nil {
		t.Fatalf("clear: %v", err)
	}
	if recs, err := r.List(ctx); err != nil || len(recs) != 0 {
		t.Fatalf("after Clear: %v, %v", Keys(recs), err)
	}
	if v, err := r.Client.Get(ctx, "other:key").Result(); err != nil || v != "x" {
		t.Fatalf("Clear touched a key outside the prefix: %q, %v", v, err)
	}
	if err := r.FlushDB(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if err := r.Client.Get(ctx, "other:key").Err(); err != redis.Nil {
		t.Fatalf("after FlushDB other:key: %v, want redis.Nil", err)
	}
}
