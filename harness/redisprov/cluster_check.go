package redisprov

import (
	"context"
	"fmt"
	"strconv"
)

// healthy checks every running node reports cluster_state:ok, serves
// every slot and knows every node. A stopped node is left out of the
// check (its peers cannot be ok then anyway: every slot must be served).
func (c *Cluster) healthy(ctx context.Context) error {
	want := strconv.Itoa(len(c.nodes))
	for _, n := range c.nodes {
		if c.isStopped(n) {
			return fmt.Errorf("%s %s is stopped", n.name, n.addr)
		}
		info, err := c.t.probe(n.addr).ClusterInfo(ctx).Result()
		if err != nil {
			return fmt.Errorf("%s %s: CLUSTER INFO: %w", n.name, n.addr, err)
		}
		f := infoFields(info)
		if f["cluster_state"] != "ok" || f["cluster_slots_ok"] != strconv.Itoa(clusterSlots) || f["cluster_known_nodes"] != want {
			return fmt.Errorf("%s %s: cluster_state:%s cluster_slots_ok:%s cluster_slots_pfail:%s cluster_slots_fail:%s cluster_known_nodes:%s; want ok, %d, 0, 0, %s",
				n.name, n.addr, f["cluster_state"], f["cluster_slots_ok"], f["cluster_slots_pfail"], f["cluster_slots_fail"],
				f["cluster_known_nodes"], clusterSlots, want)
		}
	}
	return nil
}

// Healthy checks, once, that every node reports cluster_state:ok with
// every slot served and every node known; the error says which node saw
// what.
func (c *Cluster) Healthy(ctx context.Context) error { return c.healthy(ctx) }

func (c *Cluster) isStopped(n *node) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped[n]
}
