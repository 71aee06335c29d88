package redisprov

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Bounds of the Sentinel test. A failover is SentinelDownAfter (2 s),
// up to 1 s of random delay before a Sentinel asks for votes, the vote and
// the promotion: 3-4.6 s measured here from SIGKILL until every Sentinel
// names the promoted replica. A failed first election would be retried
// only after twice SentinelFailoverTimeout, past the bound: a failure
// worth seeing.
const (
	failoverBound = 10 * time.Second
	// appRecoverBound: after the Sentinels agree, a client made from the
	// URL before the kill writes again within this.
	appRecoverBound = 5 * time.Second
)

// failoverRounds is how many kill → failover → rejoin rounds the test
// runs (REDISPROV_FAILOVER_ROUNDS, default 1), to measure several.
func failoverRounds() int {
	if n, err := strconv.Atoi(os.Getenv("REDISPROV_FAILOVER_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 1
}

func TestSentinel(t *testing.T) {
	forEachKind(t, func(t *testing.T, p *Provider, gone func([]NodeDescriptor) []string, logs *syncBuffer) {
		ctx := context.Background()
		s, err := p.NewSentinel(ctx)
		if err != nil {
			t.Fatalf("new sentinel: %v", err)
		}
		t.Cleanup(func() { s.Terminate(context.Background()) })
		logsOnFailure(t, logs, func() []NodeDescriptor { return s.Descriptor().Nodes })
		t.Logf("sentinel set-up (master, replica, %d Sentinels, agreed): %v", SentinelCount, s.StartupTime().Round(time.Millisecond))
		t.Logf("descriptor: %s", s.MustMarshal())

		url := s.URL(5)
		want := "redis://" + s.Sentinels()[0] + "/5?master_name=" + SentinelMasterName
		for _, a := range s.Sentinels()[1:] {
			want += "&addr=" + a
		}
		if url != want || !strings.HasPrefix(url, "redis://127.0.0.1:") {
			t.Fatalf("URL(5) = %s, want %s", url, want)
		}
		if s.Master() == s.Replica() || !strings.HasPrefix(s.Master(), "127.0.0.1:") || !strings.HasPrefix(s.Replica(), "127.0.0.1:") {
			t.Fatalf("master %q, replica %q", s.Master(), s.Replica())
		}

		app := appClient(t, url) // made before the failover, as a running target's
		harness := s.Client(5)
		if err := app.Set(ctx, "session:before", "v1", time.Minute).Err(); err != nil {
			t.Fatalf("write through the Sentinel URL: %v", err)
		}
		if v, err := harness.Get(ctx, "session:before").Result(); err != nil || v != "v1" {
			t.Fatalf("harness client reads %q, %v", v, err)
		}

		for round := 1; round <= failoverRounds(); round++ {
			oldMaster, oldReplica := s.Master(), s.Replica()
			// The key must be on the replica before the kill, or the
			// failover loses it (replication is asynchronous).
			if n, err := harness.Do(ctx, "WAIT", 1, 2000).Int(); err != nil || n != 1 {
				t.Fatalf("WAIT for the replica: %d, %v", n, err)
			}

			if err := s.KillMaster(ctx); err != nil {
				t.Fatalf("round %d: kill master: %v", round, err)
			}
			newMaster, took, err := s.WaitFailover(ctx, failoverBound)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			t.Logf("round %d: failover %s → %s took %v (SIGKILL until every Sentinel names the promoted replica)",
				round, oldMaster, newMaster, took.Round(time.Millisecond))
			if newMaster != oldReplica || s.Master() != newMaster || s.Replica() != "" {
				t.Fatalf("round %d: new master %s (Master() %s, Replica() %q), want the replica %s", round, newMaster, s.Master(), s.Replica(), oldReplica)
			}

			key := "session:round" + strconv.Itoa(round)
			recovered, err := eventually(appRecoverBound, func(ctx context.Context) error {
				return app.Set(ctx, key, "v", time.Minute).Err()
			})
			if err != nil {
				t.Fatalf("round %d: the Sentinel URL's client still cannot write %v after the failover: %v", round, appRecoverBound, err)
			}
			t.Logf("round %d: the URL's client wrote again %v after the Sentinels agreed", round, recovered.Round(time.Millisecond))
			if v, err := harness.Get(ctx, "session:before").Result(); err != nil || v != "v1" {
				t.Fatalf("round %d: the promoted replica lost session:before: %q, %v", round, v, err)
			}

			t0 := time.Now()
			if err := s.Rejoin(ctx); err != nil {
				t.Fatalf("round %d: rejoin: %v", round, err)
			}
			t.Logf("round %d: old master rejoined as replica in %v", round, time.Since(t0).Round(time.Millisecond))
			if s.Replica() != oldMaster || s.Master() != newMaster {
				t.Fatalf("round %d: after rejoin master %s replica %s, want %s and %s", round, s.Master(), s.Replica(), newMaster, oldMaster)
			}
			if now, err := s.CurrentMaster(ctx); err != nil || now != newMaster {
				t.Fatalf("round %d: after rejoin the Sentinels name %s (%v), want %s", round, now, err, newMaster)
			}
			info, err := s.t.probe(oldMaster).Info(ctx, "replication").Result()
			if f := infoFields(info); err != nil || f["role"] != "slave" || f["master_link_status"] != "up" {
				t.Fatalf("round %d: old master after rejoin: %v %v", round, f, err)
			}
		}

		// Another process of the run attaches: it reads, it cannot crash.
		att, err := AttachSentinel(ctx, s.MustMarshal())
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		if att.Owned() || att.Master() != s.Master() || att.URL(5) != s.URL(5) {
			t.Fatalf("attached: owned %v master %s url %s", att.Owned(), att.Master(), att.URL(5))
		}
		if err := att.KillMaster(ctx); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("kill master on an attached handle: %v, want ErrNotOwner", err)
		}
		if v, err := att.Client(5).Get(ctx, "session:before").Result(); err != nil || v != "v1" {
			t.Fatalf("attached client reads %q, %v", v, err)
		}
		if err := att.Terminate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CurrentMaster(ctx); err != nil {
			t.Fatalf("the attached handle's Terminate broke the topology: %v", err)
		}

		nodes := s.Descriptor().Nodes
		// Before Terminate the same check sees every node (the run label is
		// on every container, every PID is a live process).
		if there := gone(nodes); len(there) != len(nodes) {
			t.Fatalf("before Terminate %d of %d nodes are seen: %v", len(there), len(nodes), there)
		}
		if err := s.Terminate(ctx); err != nil {
			t.Fatalf("terminate: %v", err)
		}
		if left := gone(nodes); len(left) > 0 {
			t.Fatalf("left after Terminate: %v", left)
		}
		dirGone(t, s.t)
		if err := s.KillMaster(ctx); err == nil {
			t.Fatal("kill master after Terminate succeeded")
		}
	})
}
