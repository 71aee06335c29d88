package conform

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/redisprov"
)

// What the topology specs do to Redis, journaled: a Sentinel master's
// crash and the failover that follows, and where a cluster keeps keys.

// CrashMaster kills the master of the spec's Sentinel topology (SIGKILL:
// no shutdown, no goodbye to the replica or the Sentinels) and returns
// when it is gone.
func (t *T) CrashMaster(s *redisprov.Sentinel) time.Time {
	master := s.Master()
	t.Must(s.KillMaster(t.ctx), "kill the Redis master")
	at := time.Now()
	t.Journal.Event("Redis master %s killed (SIGKILL); the Sentinels call it down after %v and promote replica %s", master, redisprov.SentinelDownAfter, s.Replica())
	return at
}

// AwaitFailover waits until every Sentinel names a new master and that
// server reports role:master, for at most Timeouts.Failover, and returns
// when it saw them agree. A failover that does not happen is the
// topology's trouble, not the target's: the spec ends with status error.
func (t *T) AwaitFailover(s *redisprov.Sentinel) time.Time {
	old := s.Master()
	newMaster, took, err := s.WaitFailover(t.ctx, t.Timeouts.Failover)
	t.Must(err, "wait for the Sentinels to promote the replica")
	t.Journal.Event("the Sentinels name the new master %s (was %s), %v after the kill", newMaster, old, took.Round(time.Millisecond))
	return time.Now()
}

// Rejoin brings the master CrashMaster killed back as the new master's
// replica (empty, then synced) and returns once every Sentinel knows it.
func (t *T) Rejoin(s *redisprov.Sentinel) {
	t.Must(s.Rejoin(t.ctx), "bring the old Redis master back as a replica")
	t.Journal.Event("the old master %s is back, as a synced replica of %s", s.Replica(), s.Master())
}

// KeysByMaster lists the spec's session keys on each master of its
// cluster, by the master's address (every master is listed, holding keys
// or not).
func (t *T) KeysByMaster() map[string][]string {
	r := t.redisOf()
	if r.cluster == nil {
		t.Broken(fmt.Errorf("KeysByMaster in the %s profile: there is no cluster", t.Profile))
	}
	byNode, err := inspect.Redis{Client: r.redisClient(), Prefix: t.storePrefix()}.NodeKeys(t.ctx)
	t.Must(err, "list the session keys of every cluster master")
	for _, a := range r.cluster.Addrs() {
		if _, ok := byNode[a]; !ok {
			byNode[a] = nil
		}
	}
	return byNode
}

// Masters are the addresses of the masters of the spec's cluster.
func (t *T) Masters() []string {
	r := t.redisOf()
	if r.cluster == nil {
		t.Broken(fmt.Errorf("Masters in the %s profile: there is no cluster", t.Profile))
	}
	return slices.Clone(r.cluster.Addrs())
}

// clusterErrors are what a Redis client reports when an application sends
// Redis Cluster what it cannot serve: a multi-key command over several
// hash slots, or a key of another master that the client did not follow.
var clusterErrors = regexp.MustCompile(`CROSSSLOT|\bMOVED [0-9]+ |\bASK [0-9]+ `)

// ClusterErrorsInLogs returns the lines of every log of the spec's
// instances that show a cross-slot command or a redirection the target did
// not follow (at most 10, with the log's name).
func (t *T) ClusterErrorsInLogs() []string {
	t.mu.Lock()
	ins := t.instances
	t.mu.Unlock()
	var out []string
	for _, in := range ins {
		for _, l := range in.Logs() {
			f, err := os.Open(l)
			if err != nil {
				continue
			}
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() && len(out) < 10 {
				if line := sc.Text(); clusterErrors.MatchString(line) {
					out = append(out, filepath.Base(l)+": "+strings.TrimSpace(line))
				}
			}
			f.Close()
		}
	}
	return out
}

// KeysOn returns which of keys the server at addr of the spec's Sentinel
// topology holds in the spec's database, asking that server itself (a
// replica included), not the master.
func (t *T) KeysOn(s *redisprov.Sentinel, addr string, keys []string) []string {
	c, err := s.NodeClient(addr, t.redisOf().db)
	t.Must(err, "connect to "+addr)
	var held []string
	for _, k := range keys {
		n, err := c.Exists(t.ctx, k).Result()
		t.Must(err, "ask "+addr+" for "+k)
		if n > 0 {
			held = append(held, k)
		}
	}
	return held
}
