package redisprov

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// KillMaster crashes the master: SIGKILL to its container's redis-server
// or to its process group, no shutdown and no goodbye to the replica or
// the Sentinels. It returns once the server is gone; the Sentinels notice
// after SentinelDownAfter and promote the replica (WaitFailover).
func (s *Sentinel) KillMaster(ctx context.Context) error {
	s.t.ctl.Lock()
	defer s.t.ctl.Unlock()
	if err := s.t.control("kill the master of"); err != nil {
		return err
	}
	s.mu.Lock()
	m, killed, replica := s.master, s.killed, s.replica
	s.mu.Unlock()
	switch {
	case killed != nil:
		return fmt.Errorf("redisprov: kill master: %s was killed already; Rejoin it first", killed.addr)
	case replica == nil:
		return fmt.Errorf("redisprov: kill master: %s has no replica to promote", m.addr)
	}
	at := time.Now()
	if err := m.be.kill(ctx); err != nil {
		return fmt.Errorf("redisprov: kill master %s (%s): %w", m.addr, m.name, err)
	}
	s.mu.Lock()
	s.killed, s.killedAt = m, at
	s.mu.Unlock()
	return nil
}

// WaitFailover waits up to timeout until every Sentinel names another
// master than the one KillMaster killed (or, without a kill, than Master())
// and that server reports role:master. It returns the new master's
// address and how long the failover took since the kill (since the call
// when this handle killed nothing). Attached handles may wait too.
func (s *Sentinel) WaitFailover(ctx context.Context, timeout time.Duration) (newMaster string, took time.Duration, err error) {
	start := time.Now()
	s.mu.Lock()
	old, since := s.master, s.killedAt
	if s.killed == nil {
		since = start
	}
	s.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = pollUntil(wctx, "the Sentinels promote a new master instead of "+old.addr, func(ctx context.Context) error {
		addr, err := s.CurrentMaster(ctx)
		if err != nil {
			return err
		}
		if addr == old.addr {
			return s.whyNoFailover(ctx, old)
		}
		info, err := s.t.probe(addr).Info(ctx, "replication").Result()
		if err != nil {
			return fmt.Errorf("the Sentinels name %s, which does not answer INFO: %w", addr, err)
		}
		if role := infoFields(info)["role"]; role != "master" {
			return fmt.Errorf("the Sentinels name %s, which still reports role:%s", addr, role)
		}
		newMaster = addr
		return nil
	})
	took = time.Since(since)
	if err != nil {
		return "", took, fmt.Errorf("redisprov: failover after %v: %w", took.Round(time.Millisecond), err)
	}
	promoted, err := s.t.nodeAt(newMaster)
	if err != nil {
		return newMaster, took, err
	}
	s.mu.Lock()
	s.master = promoted
	if s.replica == promoted {
		s.replica = nil // the old master, its replica to be, is down until Rejoin
	}
	s.mu.Unlock()
	return newMaster, took, nil
}

// whyNoFailover says how far the Sentinels are: the master's flags
// (s_down, o_down) and failover state as the first Sentinel sees them.
func (s *Sentinel) whyNoFailover(ctx context.Context, old *node) error {
	sn := s.sentinels[0]
	m, err := s.sentinelClient(sn.addr).Master(ctx, SentinelMasterName).Result()
	if err != nil {
		return fmt.Errorf("every Sentinel still names %s; sentinel %s: SENTINEL MASTER: %v", old.addr, sn.addr, err)
	}
	return fmt.Errorf("every Sentinel still names %s (sentinel %s: flags %q, failover-state %q)",
		old.addr, sn.addr, m["flags"], m["failover-state"])
}

// Rejoin brings back the master KillMaster killed, after the failover, as
// the new master's replica: it starts the same container or process on
// the same port (with empty data: persistence is off), makes it a replica
// of the master the Sentinels name (what the Sentinels themselves do only
// 8 s after they see it back), and returns once it is synced and every
// Sentinel lists it as a reachable replica. The topology is then ready for
// another KillMaster.
func (s *Sentinel) Rejoin(ctx context.Context) error {
	s.t.ctl.Lock()
	defer s.t.ctl.Unlock()
	if err := s.t.control("rejoin the old master of"); err != nil {
		return err
	}
	s.mu.Lock()
	old := s.killed
	s.mu.Unlock()
	if old == nil {
		return errors.New("redisprov: rejoin: no master was killed (KillMaster)")
	}
	ctx, cancel := context.WithTimeout(ctx, s.t.prov.cfg.StartTimeout)
	defer cancel()
	masterAddr, err := s.CurrentMaster(ctx)
	if err != nil {
		return fmt.Errorf("redisprov: rejoin %s: %w", old.addr, err)
	}
	if masterAddr == old.addr {
		return fmt.Errorf("redisprov: rejoin %s: the Sentinels still name it master; wait for the failover first (WaitFailover)", old.addr)
	}
	master, err := s.t.nodeAt(masterAddr)
	if err != nil {
		return err
	}
	if err := old.be.start(ctx); err != nil {
		return fmt.Errorf("redisprov: rejoin: start %s (%s): %w", old.addr, old.name, err)
	}
	host, port, _ := net.SplitHostPort(master.addr)
	if err := s.t.probe(old.addr).ReplicaOf(ctx, host, port).Err(); err != nil {
		return fmt.Errorf("redisprov: rejoin: REPLICAOF %s on %s: %w", master.addr, old.addr, err)
	}
	err = pollUntil(ctx, old.addr+" is a synced replica of "+master.addr+" known to every Sentinel", func(ctx context.Context) error {
		if err := s.replicationUp(ctx, master, old); err != nil {
			return err
		}
		for _, sn := range s.sentinels {
			if err := s.sentinelKnowsReplica(ctx, sn, master, old, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisprov: rejoin: %w", err)
	}
	s.mu.Lock()
	s.master, s.replica, s.killed, s.killedAt = master, old, nil, time.Time{}
	s.mu.Unlock()
	return nil
}
