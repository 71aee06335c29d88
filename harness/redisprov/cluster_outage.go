package redisprov

import (
	"context"
	"fmt"
)

// StopNode shuts the node at addr down (SIGTERM; it saves its nodes.conf,
// not its data: persistence is off). Keys of its slots are unreachable at
// once; once the others agree it failed (4 s measured here, twice
// ClusterNodeTimeout), the whole cluster answers CLUSTERDOWN, since Redis
// by default serves only while every slot is covered
// (cluster-require-full-coverage). Starting it after that takes ~4 s.
func (c *Cluster) StopNode(ctx context.Context, addr string) error {
	c.t.ctl.Lock()
	defer c.t.ctl.Unlock()
	if err := c.t.control("stop a node of"); err != nil {
		return err
	}
	n, err := c.t.nodeAt(addr)
	if err != nil {
		return err
	}
	if c.isStopped(n) {
		return nil
	}
	if err := n.be.stop(ctx); err != nil {
		return fmt.Errorf("redisprov: stop %s %s: %w", n.name, n.addr, err)
	}
	c.mu.Lock()
	if c.stopped == nil {
		c.stopped = map[*node]bool{}
	}
	c.stopped[n] = true
	c.mu.Unlock()
	return nil
}

// StartNode starts a stopped node again on the same address: the same
// node (its nodes.conf kept its ID and slots) with empty data. When no
// other node is stopped, it returns once every node reports
// cluster_state:ok again, which takes 2 s or more: a restarted master
// waits that long before it serves, and its peers keep a failure flag
// they set for twice ClusterNodeTimeout. Otherwise it returns once the
// node answers PING.
func (c *Cluster) StartNode(ctx context.Context, addr string) error {
	c.t.ctl.Lock()
	defer c.t.ctl.Unlock()
	if err := c.t.control("start a node of"); err != nil {
		return err
	}
	n, err := c.t.nodeAt(addr)
	if err != nil {
		return err
	}
	if !c.isStopped(n) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.t.prov.cfg.StartTimeout)
	defer cancel()
	if err := n.be.start(ctx); err != nil {
		return fmt.Errorf("redisprov: start %s %s: %w", n.name, n.addr, err)
	}
	c.mu.Lock()
	delete(c.stopped, n)
	othersDown := len(c.stopped)
	c.mu.Unlock()
	if othersDown > 0 {
		return nil // no node reports ok while another one's slots are down
	}
	if err := pollUntil(ctx, "every node reports cluster_state:ok after "+n.addr+" started", c.healthy); err != nil {
		return fmt.Errorf("redisprov: start %s: %w", n.addr, err)
	}
	return nil
}

// WaitFailed waits until every running node reports cluster_state:fail:
// the nodes agree a stopped master has failed and, since its slots are
// served by no one (cluster-require-full-coverage), refuse every key with
// CLUSTERDOWN. That takes about twice ClusterNodeTimeout after StopNode.
func (c *Cluster) WaitFailed(ctx context.Context) error {
	return pollUntil(ctx, "every running node reports cluster_state:fail", func(ctx context.Context) error {
		for _, n := range c.nodes {
			if c.isStopped(n) {
				continue
			}
			info, err := c.t.probe(n.addr).ClusterInfo(ctx).Result()
			if err != nil {
				return fmt.Errorf("%s %s: CLUSTER INFO: %w", n.name, n.addr, err)
			}
			if st := infoFields(info)["cluster_state"]; st != "fail" {
				return fmt.Errorf("%s %s: cluster_state:%s", n.name, n.addr, st)
			}
		}
		return nil
	})
}
