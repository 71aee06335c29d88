package conform

import (
	"context"
	"fmt"
	"slices"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/inspect"
)

// Outage is one way the spec's own Redis goes away (Down) and comes back
// (Up), in the shape of the run's profile.
type Outage struct {
	Name     string
	Down, Up func(context.Context) error
	// Kept reports, after Down, whether the sessions stored before it are
	// still there once Up returns (a paused server keeps them; a server
	// restarted without persistence does not).
	Kept func() bool
}

// BreakableRedis gives the spec a Redis of the profile's shape of its own,
// which it may break without touching other specs (call it before
// Launch), and returns the outages that shape has, and the address of
// every server (what an error page must not reveal):
//
//   - redis: the server paused (connections hang), then stopped
//     (connections refused);
//   - redis-sentinel: master and replica stopped, the Sentinels up and
//     still naming the master (nothing to fail over to);
//   - redis-cluster: a master that holds none of the spec's sessions
//     stopped, until every other node reports cluster_state:fail (the
//     cluster then refuses every key: CLUSTERDOWN). The sessions on the
//     other masters survive it.
func (t *T) BreakableRedis() (outages []Outage, addrs []string) {
	switch t.Profile {
	case catalog.RedisSentinel:
		s := t.PrivateSentinel()
		return []Outage{{
			Name: "master and replica stopped (the Sentinels name a master that refuses connections, with no replica to promote)",
			Down: s.StopData, Up: s.StartData,
			Kept: func() bool { return false }, // restarted empty: persistence is off
		}}, s.Addrs()
	case catalog.RedisCluster:
		c := t.PrivateCluster()
		var stopped string
		kept := true
		return []Outage{{
			Name: "a master stopped and the cluster down (CLUSTERDOWN)",
			Down: func(ctx context.Context) error {
				addr, holds, err := t.quietestMaster(ctx)
				if err != nil {
					return err
				}
				stopped, kept = addr, holds == 0
				t.Journal.Event("stop cluster master %s (it holds %d of the spec's session keys), until the other masters report cluster_state:fail", addr, holds)
				if err := c.StopNode(ctx, addr); err != nil {
					return err
				}
				wctx, cancel := context.WithTimeout(ctx, t.Timeouts.Failover)
				defer cancel()
				return c.WaitFailed(wctx)
			},
			Up: func(ctx context.Context) error {
				t.Journal.Event("start cluster master %s again (empty), until every node reports cluster_state:ok", stopped)
				return c.StartNode(ctx, stopped)
			},
			Kept: func() bool { return kept },
		}}, c.Addrs()
	}
	own := t.PrivateRedis()
	return []Outage{
		{Name: "paused (connections hang)", Down: own.Pause, Up: own.Unpause, Kept: func() bool { return true }},
		{Name: "stopped (connections refused)", Down: own.Stop, Up: own.Start, Kept: func() bool { return false }},
	}, []string{own.Addr()}
}

// quietestMaster is the master of the spec's cluster holding the fewest
// of its session keys, and how many it holds.
func (t *T) quietestMaster(ctx context.Context) (string, int, error) {
	r := t.redisOf()
	byNode, err := inspect.Redis{Client: r.redisClient(), Prefix: t.storePrefix()}.NodeKeys(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("list the session keys of every master: %w", err)
	}
	addrs := slices.Clone(r.cluster.Addrs())
	slices.SortStableFunc(addrs, func(a, b string) int { return len(byNode[a]) - len(byNode[b]) })
	return addrs[0], len(byNode[addrs[0]]), nil
}

// storePrefix is the key prefix of the spec's sessions.
func (t *T) storePrefix() string {
	if r := t.redisOf(); r.prefix != "" {
		return r.prefix
	}
	return t.Target.Store.RedisPrefix
}
