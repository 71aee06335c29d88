package redisprov

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NewSentinel starts a Sentinel topology of the provider's kind (master,
// replica and Sentinels as containers on the host's network, or as local
// redis-server processes) and returns once it is ready for a failover:
// the replica is synced (INFO replication on both), and every Sentinel
// names the master, lists the replica with its link up, sees the other
// Sentinels connected and reaches quorum (SENTINEL CKQUORUM). The external
// provider cannot (ErrUnsupported). The whole set-up is bounded by the
// provider's start timeout; on failure nothing is left running.
func (p *Provider) NewSentinel(ctx context.Context) (*Sentinel, error) {
	t, err := p.newTopology("sentinel")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.StartTimeout)
	defer cancel()
	t0 := time.Now()
	s := &Sentinel{t: t, databases: p.cfg.Databases}
	if err := s.setUp(ctx); err != nil {
		if terr := t.terminate(ctx); terr != nil {
			err = fmt.Errorf("%w; and cleaning up: %v", err, terr)
		}
		return nil, fmt.Errorf("redisprov: sentinel: %w", err)
	}
	t.startup = time.Since(t0)
	t.announce(fmt.Sprintf("sentinel topology (master %s, replica %s, Sentinels %s) as %s",
		s.master.addr, s.replica.addr, strings.Join(s.Sentinels(), " "), kindNodes(p.kind)))
	return s, nil
}

// setUp starts master and replica, makes the replica replicate, and only
// once it has synced starts the Sentinels: a Sentinel that asks the
// replica before its sync reports its link down until it asks again, 10 s
// later.
func (s *Sentinel) setUp(ctx context.Context) error {
	ports := make([]int, 2+SentinelCount)
	for i := range ports {
		var err error
		if ports[i], err = freeNodePort(); err != nil {
			return err
		}
	}
	masterPort, replicaPort := ports[0], ports[1]

	nodes, err := s.t.startNodes(ctx,
		nodeSpec{name: "redis-1", port: masterPort, args: replicationArgs},
		nodeSpec{name: "redis-2", port: replicaPort, args: replicationArgs},
	)
	if err != nil {
		return err
	}
	s.master, s.replica = nodes[0], nodes[1]
	// REPLICAOF connects at once; a --replicaof argument would wait for
	// the replica's next once-a-second replication tick.
	if err := s.t.probe(s.replica.addr).ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(masterPort)).Err(); err != nil {
		return fmt.Errorf("REPLICAOF 127.0.0.1 %d on %s: %w", masterPort, s.replica.addr, err)
	}
	if err := pollUntil(ctx, "the replica has synced", func(ctx context.Context) error {
		return s.replicationUp(ctx, s.master, s.replica)
	}); err != nil {
		return err
	}

	peers := make([]sentinelPeer, SentinelCount)
	for i := range peers {
		peers[i] = sentinelPeer{port: ports[2+i], id: newSentinelID()}
	}
	specs := make([]nodeSpec, SentinelCount)
	for i, self := range peers {
		specs[i] = nodeSpec{
			name:   "sentinel-" + strconv.Itoa(i+1),
			port:   self.port,
			args:   []string{"--sentinel"},
			config: sentinelConfig(self, peers, masterPort, replicaPort),
		}
	}
	if s.sentinels, err = s.t.startNodes(ctx, specs...); err != nil {
		return err
	}
	s.connectSentinels()
	return pollUntil(ctx, "the Sentinels agree", func(ctx context.Context) error {
		return s.sentinelsAgree(ctx, s.master, s.replica)
	})
}

// kindNodes says what a topology's nodes are, for the decision line.
func kindNodes(k Kind) string {
	if k == KindContainer {
		return "containers on the host network"
	}
	return "local redis-server processes"
}
