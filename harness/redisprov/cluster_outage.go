package redisprov

import (
	"context"
	"fmt"
)

// StopNode shuts the node at addr down (SIGTERM; it saves its nodes.conf,
// not its data: persistence is off). Keys of its slots are unreachable;
// once the others flag it failed (about ClusterNodeTimeout), the whole
// cluster answers CLUSTERDOWN, since Redis by default serves only while
// every slot is covered (cluster-require-full-coverage).
func (c *Cluster) StopNode(ctx context.Context, addr string) error {
	if err := c.t.control("stop a node of"); err != nil {
		return err
	}
	c.t.ctl.Lock()
	defer c.t.ctl.Unlock()
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
// node (its nodes.conf kept its ID and slots) with empty data. It returns
// once every node reports cluster_state:ok again, which takes 2 s or more:
// a restarted master waits that long before it serves, and its peers keep
// a failure flag they set for twice ClusterNodeTimeout.
func (c *Cluster) StartNode(ctx context.Context, addr string) error {
	if err := c.t.control("start a node of"); err != nil {
		return err
	}
	c.t.ctl.Lock()
	defer c.t.ctl.Unlock()
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
	c.mu.Unlock()
	if err := pollUntil(ctx, "every node reports cluster_state:ok after "+n.addr+" started", c.healthy); err != nil {
		return fmt.Errorf("redisprov: start %s: %w", n.addr, err)
	}
	return nil
}
