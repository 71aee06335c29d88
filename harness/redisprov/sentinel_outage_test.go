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

// The Sentinel topology's outages: both data nodes down and back in their
// roles, with no failover; a write acknowledged while replication is cut
// lost in a failover, one made before it kept.
func TestSentinelOutages(t *testing.T) {
	forEachKind(t, func(t *testing.T, p *Provider, gone func([]NodeDescriptor) []string, logs *syncBuffer) {
		ctx := context.Background()
		s, err := p.NewSentinel(ctx)
		if err != nil {
			t.Fatalf("new sentinel: %v", err)
		}
		t.Cleanup(func() { s.Terminate(context.Background()) })
		logsOnFailure(t, logs, func() []NodeDescriptor { return s.Descriptor().Nodes })
		app := appClient(t, s.URL(3))
		master, replica := s.Master(), s.Replica()

		// Master and replica down: the app's client fails fast, and once
		// they are back it works with the same master (no failover).
		if err := s.StopData(ctx); err != nil {
			t.Fatalf("stop data: %v", err)
		}
		if err := app.Set(ctx, "session:down", "v", time.Minute).Err(); err == nil {
			t.Fatal("a write succeeded with master and replica stopped")
		}
		// Until the Sentinels call the master objectively down: they then
		// try a failover, with no replica to promote.
		if took, err := eventually(failoverBound, func(ctx context.Context) error {
			for _, sn := range s.sentinels {
				m, err := s.sentinelClient(sn.addr).Master(ctx, SentinelMasterName).Result()
				if err != nil {
					return err
				}
				if !strings.Contains(m["flags"], "o_down") {
					return fmt.Errorf("sentinel %s: flags %q", sn.addr, m["flags"])
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("the Sentinels never called the stopped master down: %v", err)
		} else {
			t.Logf("every Sentinel called the master objectively down after %v", took.Round(time.Millisecond))
		}
		t0 := time.Now()
		if err := s.StartData(ctx); err != nil {
			t.Fatalf("start data: %v", err)
		}
		t.Logf("start data (master, then the replica, synced, Sentinels agreed) took %v", time.Since(t0).Round(time.Millisecond))
		if s.Master() != master || s.Replica() != replica {
			t.Fatalf("after StartData master %s replica %s, want %s and %s", s.Master(), s.Replica(), master, replica)
		}
		if now, err := s.CurrentMaster(ctx); err != nil || now != master {
			t.Fatalf("after StartData the Sentinels name %s (%v), want %s", now, err, master)
		}
		if _, err := eventually(appRecoverBound, func(ctx context.Context) error {
			return app.Set(ctx, "session:kept", "v1", time.Minute).Err()
		}); err != nil {
			t.Fatalf("the URL's client cannot write after StartData: %v", err)
		}
		if err := s.WaitReplicated(ctx); err != nil {
			t.Fatalf("wait replicated: %v", err)
		}

		// Cut replication, write, crash the master: the write made before
		// survives the failover, the one made while cut does not.
		if err := s.CutReplication(ctx); err != nil {
			t.Fatalf("cut replication: %v", err)
		}
		if err := app.Set(ctx, "session:lost", "v2", time.Minute).Err(); err != nil {
			t.Fatalf("write while replication is cut: %v", err)
		}
		rc, err := s.NodeClient(replica, 3)
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.Get(ctx, "session:lost").Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("the replica got the write while replication was cut: %v", err)
		}
		if err := s.KillMaster(ctx); err != nil {
			t.Fatalf("kill master: %v", err)
		}
		if err := s.RestoreReplication(ctx, replica); err != nil {
			t.Fatalf("restore replication: %v", err)
		}
		newMaster, took, err := s.WaitFailover(ctx, failoverBound)
		if err != nil {
			t.Fatalf("failover with replication cut: %v", err)
		}
		t.Logf("failover %s → %s after the cut took %v", master, newMaster, took.Round(time.Millisecond))
		if _, err := eventually(appRecoverBound, func(ctx context.Context) error {
			return app.Get(ctx, "session:kept").Err()
		}); err != nil {
			t.Fatalf("the replicated write is gone after the failover: %v", err)
		}
		if err := app.Get(ctx, "session:lost").Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("the write made while replication was cut survived the failover: %v", err)
		}
		if err := s.Rejoin(ctx); err != nil {
			t.Fatalf("rejoin after the cut: %v", err)
		}
	})
}
