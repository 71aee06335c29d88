package redisprov

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterKeys are written through the URL's client: enough that every
// master gets a good share of them.
const clusterKeys = 300

func TestCluster(t *testing.T) {
	forEachKind(t, func(t *testing.T, p *Provider, gone func([]NodeDescriptor) []string, logs *syncBuffer) {
		ctx := context.Background()
		c, err := p.NewCluster(ctx)
		if err != nil {
			t.Fatalf("new cluster: %v", err)
		}
		t.Cleanup(func() { c.Terminate(context.Background()) })
		logsOnFailure(t, logs, func() []NodeDescriptor { return c.Descriptor().Nodes })
		t.Logf("cluster creation (%d masters, slots assigned, cluster_state:ok on each): %v", ClusterMasters, c.StartupTime().Round(time.Millisecond))

		addrs := c.Addrs()
		want := "redis://" + addrs[0] + "?cluster=true&addr=" + addrs[1] + "&addr=" + addrs[2]
		if c.URL() != want || len(addrs) != ClusterMasters {
			t.Fatalf("URL() = %s, want %s", c.URL(), want)
		}

		app := appClient(t, c.URL())
		if _, ok := app.(*redis.ClusterClient); !ok {
			t.Fatalf("the reference makes a %T of the cluster URL", app)
		}
		for i := range clusterKeys {
			if err := app.Set(ctx, fmt.Sprintf("session:%d", i), i, time.Minute).Err(); err != nil {
				t.Fatalf("write session:%d through the cluster URL: %v", i, err)
			}
		}
		// Every master holds some of the keys, counted on the node itself.
		total := 0
		var spread []string
		for _, addr := range addrs {
			n, err := c.t.probe(addr).DBSize(ctx).Result()
			if err != nil {
				t.Fatalf("DBSIZE on %s: %v", addr, err)
			}
			if n == 0 {
				t.Errorf("master %s holds none of the %d keys", addr, clusterKeys)
			}
			total += int(n)
			spread = append(spread, fmt.Sprintf("%s: %d", addr, n))
		}
		t.Logf("keys per master: %s", strings.Join(spread, ", "))
		if total != clusterKeys {
			t.Fatalf("%d keys on the masters, want %d", total, clusterKeys)
		}
		cc := c.Client()
		for i := range clusterKeys {
			if v, err := cc.Get(ctx, fmt.Sprintf("session:%d", i)).Int(); err != nil || v != i {
				t.Fatalf("cluster client reads session:%d = %d, %v", i, v, err)
			}
		}

		// Outage of one master: its keys fail, and after StartNode the
		// cluster serves every slot again (that master's keys are gone:
		// persistence is off).
		down := addrs[1]
		keyOnDown := keyServedBy(t, ctx, cc, down)
		t0 := time.Now()
		if err := c.StopNode(ctx, down); err != nil {
			t.Fatalf("stop %s: %v", down, err)
		}
		t.Logf("stop node took %v", time.Since(t0).Round(time.Millisecond))
		if err := cc.Get(ctx, keyOnDown).Err(); err == nil {
			t.Fatalf("%s read while its node %s is stopped", keyOnDown, down)
		} else {
			t.Logf("while %s is stopped: GET %s: %v", down, keyOnDown, err)
		}
		t0 = time.Now()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err = c.WaitFailed(wctx)
		cancel()
		if err != nil {
			t.Fatalf("the cluster did not report the failure: %v", err)
		}
		t.Logf("every running node reported cluster_state:fail after %v", time.Since(t0).Round(time.Millisecond))
		if err := cc.Get(ctx, "session:0").Err(); err == nil || !strings.Contains(err.Error(), "CLUSTERDOWN") {
			t.Fatalf("a key of a running node while the cluster is down: %v, want CLUSTERDOWN", err)
		}
		t0 = time.Now()
		if err := c.StartNode(ctx, down); err != nil {
			t.Fatalf("start %s: %v", down, err)
		}
		t.Logf("start node until cluster_state:ok everywhere took %v", time.Since(t0).Round(time.Millisecond))
		if took, err := eventually(5*time.Second, func(ctx context.Context) error {
			return cc.Set(ctx, keyOnDown, "again", time.Minute).Err()
		}); err != nil {
			t.Fatalf("write %s after the node started: %v", keyOnDown, err)
		} else {
			t.Logf("the cluster client wrote to the restarted node after %v", took.Round(time.Millisecond))
		}

		// Another process of the run attaches: it reads, it cannot stop nodes.
		att, err := AttachCluster(ctx, c.MustMarshal())
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		if att.Owned() || att.URL() != c.URL() {
			t.Fatalf("attached: owned %v url %s", att.Owned(), att.URL())
		}
		if err := att.StopNode(ctx, down); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("stop node on an attached handle: %v, want ErrNotOwner", err)
		}
		if v, err := att.Client().Get(ctx, "session:0").Int(); err != nil || v != 0 {
			t.Fatalf("attached client reads %d, %v", v, err)
		}
		if err := att.Terminate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Healthy(ctx); err != nil {
			t.Fatalf("the attached handle's Terminate broke the cluster: %v", err)
		}

		nodes := c.Descriptor().Nodes
		// Before Terminate the same check sees every node (the run label is
		// on every container, every PID is a live process).
		if there := gone(nodes); len(there) != len(nodes) {
			t.Fatalf("before Terminate %d of %d nodes are seen: %v", len(there), len(nodes), there)
		}
		if err := c.Terminate(ctx); err != nil {
			t.Fatalf("terminate: %v", err)
		}
		if left := gone(nodes); len(left) > 0 {
			t.Fatalf("left after Terminate: %v", left)
		}
		dirGone(t, c.t)
	})
}

// keyServedBy returns a session key whose slot the node at addr serves.
func keyServedBy(t *testing.T, ctx context.Context, cc *redis.ClusterClient, addr string) string {
	t.Helper()
	for i := range clusterKeys {
		key := fmt.Sprintf("session:%d", i)
		slot, err := cc.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		shards, err := cc.ClusterSlots(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shards {
			if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 && s.Nodes[0].Addr == addr {
				return key
			}
		}
	}
	t.Fatalf("no key of the %d served by %s", clusterKeys, addr)
	return ""
}
