package redisprov

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// The Sentinel topology's other troubles, besides a failover: every data
// node gone at once (an outage the Sentinels cannot fail over from), and a
// replica that stops receiving the master's writes (what asynchronous
// replication loses when the master crashes before sending them).

// StopData stops master and replica (SIGTERM to the process, docker stop
// to the container), leaving the Sentinels up: they go on naming the
// master, which refuses connections, and have no replica to promote.
// StartData brings both back.
func (s *Sentinel) StopData(ctx context.Context) error {
	s.t.ctl.Lock()
	defer s.t.ctl.Unlock()
	if err := s.t.control("stop the master and replica of"); err != nil {
		return err
	}
	s.mu.Lock()
	m, r, killed, down := s.master, s.replica, s.killed, s.dataDown
	s.mu.Unlock()
	switch {
	case down:
		return nil
	case killed != nil || r == nil:
		return errors.New("redisprov: stop data nodes: a failover is under way (Rejoin first)")
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, n := range []*node{m, r} {
		wg.Go(func() {
			if err := n.be.stop(ctx); err != nil {
				errs[i] = fmt.Errorf("stop %s %s: %w", n.name, n.addr, err)
			}
		})
	}
	wg.Wait()
	s.mu.Lock()
	s.dataDown = true
	s.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("redisprov: stop data nodes: %w", err)
	}
	return nil
}

// StartData brings master and replica back after StopData, in their
// roles, with empty data (persistence is off), and returns once the
// replica has synced and every Sentinel agrees again. It never lets the
// Sentinels promote the replica on the way: it waits until no Sentinel is
// failing over (an attempt made while both were down ends when it finds
// no replica), starts the master, waits until every Sentinel sees it up,
// and only then starts the replica.
func (s *Sentinel) StartData(ctx context.Context) error {
	s.t.ctl.Lock()
	defer s.t.ctl.Unlock()
	if err := s.t.control("start the master and replica of"); err != nil {
		return err
	}
	s.mu.Lock()
	m, r, down := s.master, s.replica, s.dataDown
	s.mu.Unlock()
	if !down {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.t.prov.cfg.StartTimeout)
	defer cancel()
	if err := pollUntil(ctx, "no Sentinel is failing over", s.noFailover); err != nil {
		return fmt.Errorf("redisprov: start data nodes: %w", err)
	}
	if err := m.be.start(ctx); err != nil {
		return fmt.Errorf("redisprov: start data nodes: start %s %s: %w", m.name, m.addr, err)
	}
	if err := pollUntil(ctx, "every Sentinel sees master "+m.addr+" up and none is failing over", func(ctx context.Context) error {
		return s.masterUp(ctx, m)
	}); err != nil {
		return fmt.Errorf("redisprov: start data nodes: %w", err)
	}
	if err := r.be.start(ctx); err != nil {
		return fmt.Errorf("redisprov: start data nodes: start %s %s: %w", r.name, r.addr, err)
	}
	host, port, _ := net.SplitHostPort(m.addr)
	if err := s.t.probe(r.addr).ReplicaOf(ctx, host, port).Err(); err != nil {
		return fmt.Errorf("redisprov: start data nodes: REPLICAOF %s on %s: %w", m.addr, r.addr, err)
	}
	if err := pollUntil(ctx, r.addr+" is a synced replica of "+m.addr+" and every Sentinel agrees", func(ctx context.Context) error {
		if err := s.replicationUp(ctx, m, r); err != nil {
			return err
		}
		return s.sentinelsAgree(ctx, m, r)
	}); err != nil {
		return fmt.Errorf("redisprov: start data nodes: %w", err)
	}
	s.mu.Lock()
	s.dataDown = false
	s.mu.Unlock()
	return nil
}

// noFailover checks that no Sentinel has a failover of the master in
// progress.
func (s *Sentinel) noFailover(ctx context.Context) error {
	for _, sn := range s.sentinels {
		m, err := s.sentinelClient(sn.addr).Master(ctx, SentinelMasterName).Result()
		if err != nil {
			return fmt.Errorf("sentinel %s: SENTINEL MASTER: %w", sn.addr, err)
		}
		if strings.Contains(m["flags"], "failover_in_progress") {
			return fmt.Errorf("sentinel %s is failing over (flags %q)", sn.addr, m["flags"])
		}
	}
	return nil
}

// masterUp checks that every Sentinel names m, sees it neither subjectively
// nor objectively down, and is not failing over.
func (s *Sentinel) masterUp(ctx context.Context, m *node) error {
	for _, sn := range s.sentinels {
		addr, err := s.masterAddrSeenBy(ctx, sn)
		if err != nil {
			return err
		}
		if addr != m.addr {
			return fmt.Errorf("sentinel %s names master %s, want %s", sn.addr, addr, m.addr)
		}
		info, err := s.sentinelClient(sn.addr).Master(ctx, SentinelMasterName).Result()
		if err != nil {
			return fmt.Errorf("sentinel %s: SENTINEL MASTER: %w", sn.addr, err)
		}
		if info["flags"] != "master" {
			return fmt.Errorf("sentinel %s sees the master with flags %q, want master", sn.addr, info["flags"])
		}
	}
	return nil
}

// The user the replica is told to authenticate as while its replication
// is cut: no such user exists, so every reconnect fails.
const cutUser = "sessionconf-replication-cut"

// CutReplication stops the replica from receiving the master's writes:
// the replica is told to authenticate to the master as a user that does
// not exist, and its replication link is dropped, so it cannot reconnect.
// Writes the master acknowledges from then on exist on the master only,
// which is what asynchronous replication loses when a master crashes
// before it sent them. It returns once the replica reports its link down.
// The Sentinels keep the replica a candidate for promotion (its link has
// been down for less than ten times SentinelDownAfter). RestoreReplication
// undoes it.
func (s *Sentinel) CutReplication(ctx context.Context) error {
	s.t.ctl.Lock()
	defer s.t.ctl.Unlock()
	if err := s.t.control("cut the replication of"); err != nil {
		return err
	}
	s.mu.Lock()
	m, r := s.master, s.replica
	s.mu.Unlock()
	if r == nil {
		return errors.New("redisprov: cut replication: there is no replica (a failover is under way)")
	}
	rp := s.t.probe(r.addr)
	for _, kv := range [][2]string{{"masteruser", cutUser}, {"masterauth", "x"}} {
		if err := rp.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			return fmt.Errorf("redisprov: cut replication: CONFIG SET %s on %s: %w", kv[0], r.addr, err)
		}
	}
	if err := s.t.probe(m.addr).Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Err(); err != nil {
		return fmt.Errorf("redisprov: cut replication: CLIENT KILL TYPE replica on %s: %w", m.addr, err)
	}
	return pollUntil(ctx, "replica "+r.addr+" reports its link to the master down", func(ctx context.Context) error {
		info, err := rp.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if st := infoFields(info)["master_link_status"]; st != "down" {
			return fmt.Errorf("master_link_status:%s", st)
		}
		return nil
	})
}

// RestoreReplication undoes CutReplication on the server that was the
// replica, whatever it is now (promoted by a failover, it replicates from
// no one and keeps the setting for when it is a replica again).
func (s *Sentinel) RestoreReplication(ctx context.Context, replica string) error {
	s.t.ctl.Lock()
	defer s.t.ctl.Unlock()
	if err := s.t.control("restore the replication of"); err != nil {
		return err
	}
	rp := s.t.probe(replica)
	for _, k := range []string{"masteruser", "masterauth"} {
		if err := rp.ConfigSet(ctx, k, "").Err(); err != nil {
			return fmt.Errorf("redisprov: restore replication: CONFIG SET %s on %s: %w", k, replica, err)
		}
	}
	return nil
}

// WaitReplicated waits until the replica has received every write the
// master had accepted when it was called (its replication offset has
// caught up with the master's): a session written before is then safe
// from a failover.
func (s *Sentinel) WaitReplicated(ctx context.Context) error {
	s.mu.Lock()
	m, r := s.master, s.replica
	s.mu.Unlock()
	if r == nil {
		return errors.New("redisprov: wait replicated: there is no replica (a failover is under way)")
	}
	info, err := s.t.probe(m.addr).Info(ctx, "replication").Result()
	if err != nil {
		return fmt.Errorf("redisprov: wait replicated: master %s: INFO replication: %w", m.addr, err)
	}
	want, err := strconv.ParseInt(infoFields(info)["master_repl_offset"], 10, 64)
	if err != nil {
		return fmt.Errorf("redisprov: wait replicated: master %s: master_repl_offset: %w", m.addr, err)
	}
	return pollUntil(ctx, fmt.Sprintf("replica %s reaches the master's replication offset %d", r.addr, want), func(ctx context.Context) error {
		info, err := s.t.probe(r.addr).Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		f := infoFields(info)
		got, err := strconv.ParseInt(f["slave_repl_offset"], 10, 64)
		if err != nil {
			return fmt.Errorf("slave_repl_offset %q, master_link_status:%s", f["slave_repl_offset"], f["master_link_status"])
		}
		if got < want {
			return fmt.Errorf("at offset %d (master_link_status:%s)", got, f["master_link_status"])
		}
		return nil
	})
}

// NodeClient returns a direct client of database db of the data node at
// addr (master or replica, whatever the Sentinels say), for looking at
// what one server holds. Terminate closes it.
func (s *Sentinel) NodeClient(addr string, db int) (*redis.Client, error) {
	if _, err := s.t.nodeAt(addr); err != nil {
		return nil, err
	}
	o := nodeClientOptions(addr)
	o.DB = db
	c := redis.NewClient(o)
	s.t.track(c)
	return c, nil
}

// Addrs are the addresses of every server of the topology: master,
// replica and Sentinels (what an error page must not reveal).
func (s *Sentinel) Addrs() []string {
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	var out []string
	for _, n := range s.t.nodes {
		out = append(out, n.addr)
	}
	return out
}
