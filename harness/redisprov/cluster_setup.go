package redisprov

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The Cluster's settings.
const (
	// ClusterMasters nodes share the slots. Three is the fewest Redis
	// accepts for a cluster that can agree a node has failed.
	ClusterMasters = 3
	// ClusterNodeTimeout is how long a node may leave the others' pings
	// unanswered before they flag it failing (cluster-node-timeout; Redis's
	// default is 15 s). A stopped node is flagged within seconds, and a
	// started one is cleared soon: Redis keeps the failure flag of a master
	// with slots for at least twice this.
	ClusterNodeTimeout = 2 * time.Second
	clusterSlots       = 16384
)

// NewCluster starts a cluster of the provider's kind (nodes as containers
// on the host's network, or as local redis-server processes), assigns
// the slots, joins the nodes (through go-redis: CLUSTER SET-CONFIG-EPOCH,
// ADDSLOTSRANGE, MEET) and returns once every node reports
// cluster_state:ok with every slot served and every node known. A Redis
// master reports ok no sooner than 2 s after it started (it gives the
// cluster time to reconfigure it first), so this takes a little over 2 s.
// The external provider cannot (ErrUnsupported). Bounded by the provider's
// start timeout; on failure nothing is left running.
func (p *Provider) NewCluster(ctx context.Context) (*Cluster, error) {
	t, err := p.newTopology("cluster")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.StartTimeout)
	defer cancel()
	t0 := time.Now()
	c := &Cluster{t: t}
	if err := c.create(ctx); err != nil {
		if terr := t.terminate(ctx); terr != nil {
			err = fmt.Errorf("%w; and cleaning up: %v", err, terr)
		}
		return nil, fmt.Errorf("redisprov: cluster: %w", err)
	}
	t.startup = time.Since(t0)
	t.announce(fmt.Sprintf("cluster of %d masters (%s) as %s", len(c.nodes), strings.Join(c.Addrs(), " "), kindNodes(p.kind)))
	return c, nil
}

func (c *Cluster) create(ctx context.Context) error {
	specs := make([]nodeSpec, ClusterMasters)
	for i := range specs {
		port, err := freeNodePort()
		if err != nil {
			return err
		}
		// The bus port is chosen like the client port: Redis's default,
		// port+10000, would fall into the ephemeral range.
		bus, err := freeNodePort()
		if err != nil {
			return err
		}
		specs[i] = nodeSpec{
			name: "node-" + strconv.Itoa(i+1), port: port, busPort: bus,
			args: []string{
				"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
				"--cluster-port", strconv.Itoa(bus),
				"--cluster-node-timeout", strconv.FormatInt(ClusterNodeTimeout.Milliseconds(), 10),
			},
		}
	}
	nodes, err := c.t.startNodes(ctx, specs...)
	if err != nil {
		return err
	}
	c.nodes = nodes

	for i, n := range c.nodes {
		probe := c.t.probe(n.addr)
		// Distinct config epochs up front spare the cluster resolving
		// the collision of three masters that all start at epoch 0.
		if err := probe.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			return fmt.Errorf("%s %s: CLUSTER SET-CONFIG-EPOCH %d: %w", n.name, n.addr, i+1, err)
		}
		lo, hi := slotRange(i, len(c.nodes))
		if err := probe.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return fmt.Errorf("%s %s: CLUSTER ADDSLOTSRANGE %d %d: %w", n.name, n.addr, lo, hi, err)
		}
	}
	first := c.t.probe(c.nodes[0].addr)
	for _, n := range c.nodes[1:] {
		// The bus port must be named: it is not the default port+10000.
		if err := first.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", portOf(n.addr), n.busPort).Err(); err != nil {
			return fmt.Errorf("%s: CLUSTER MEET %s (bus %d): %w", c.nodes[0].addr, n.addr, n.busPort, err)
		}
	}
	return pollUntil(ctx, "every node reports cluster_state:ok", c.healthy)
}

// slotRange is the slots of node i of n: equal shares, the remainder
// spread over the first nodes.
func slotRange(i, n int) (lo, hi int) {
	per, rest := clusterSlots/n, clusterSlots%n
	lo = i*per + min(i, rest)
	hi = lo + per - 1
	if i < rest {
		hi++
	}
	return lo, hi
}

func portOf(addr string) string {
	_, port, _ := strings.Cut(addr, ":")
	return port
}
