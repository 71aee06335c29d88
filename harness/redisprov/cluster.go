package redisprov

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Cluster is a Redis Cluster of a run: ClusterMasters masters, each with a
// third of the hash slots, all on 127.0.0.1. There are no replicas: a
// stopped node's slots are unavailable until it is started again, which
// is the outage a target must survive, and without replicas no
// cluster-internal failover makes a spec's timing depend on
// cluster-node-timeout. A Cluster has only database 0: specs that share
// one tell their sessions apart by key prefix.
type Cluster struct {
	t     *topology
	nodes []*node // in slot order: nodes[0] serves slots 0-5460

	mu      sync.Mutex
	stopped map[*node]bool
}

// Kind is the provider name, for reports.
func (c *Cluster) Kind() Kind { return c.t.kind }

// Provider is the provider the cluster came from.
func (c *Cluster) Provider() *Provider { return c.t.prov }

// Owned reports whether this process started the cluster (StopNode and
// StartNode are allowed) rather than attached to it.
func (c *Cluster) Owned() bool { return c.t.owned }

// StartupTime is how long NewCluster took, until every node reported
// cluster_state:ok.
func (c *Cluster) StartupTime() time.Duration { return c.t.startup }

// Addrs are the nodes' addresses, in slot order.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.addr
	}
	return addrs
}

// URL is what a target's REDIS_URL gets: the reference's Cluster form,
// every node in it, e.g.
//
//	redis://127.0.0.1:21001?cluster=true&addr=127.0.0.1:21003&addr=127.0.0.1:21005
func (c *Cluster) URL() string {
	addrs := c.Addrs()
	q := []string{"cluster=true"}
	for _, a := range addrs[1:] {
		q = append(q, "addr="+a)
	}
	return "redis://" + addrs[0] + "?" + strings.Join(q, "&")
}

// ClientOptions are the options Client uses: every node as a seed, and
// short timeouts that honour context deadlines, so a stopped node shows as
// an error, not a hang.
func (c *Cluster) ClientOptions() *redis.ClusterOptions {
	return &redis.ClusterOptions{
		Addrs:                    c.Addrs(),
		DialTimeout:              2 * time.Second,
		ReadTimeout:              2 * time.Second,
		WriteTimeout:             2 * time.Second,
		ContextTimeoutEnabled:    true,
		MaxRetries:               1,
		PoolSize:                 4,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
}

// Client returns a go-redis cluster client: each key goes to the node
// that holds its slot. Terminate closes it.
func (c *Cluster) Client() *redis.ClusterClient {
	cc := redis.NewClusterClient(c.ClientOptions())
	c.t.track(cc)
	return cc
}

// Terminate closes the clients and, when this process started the
// cluster, removes its nodes. Safe to call twice.
func (c *Cluster) Terminate(ctx context.Context) error { return c.t.terminate(ctx) }

// ClusterDescriptor is the serialisable form of a Cluster, for
// AttachCluster in the other processes of a run.
type ClusterDescriptor struct {
	ProviderDescriptor
	Topology    string           `json:"topology"` // "cluster"
	Nodes       []NodeDescriptor `json:"nodes"`    // in slot order
	StartupTime time.Duration    `json:"startup_ns"`
}

// Descriptor describes the cluster for AttachCluster.
func (c *Cluster) Descriptor() ClusterDescriptor {
	return ClusterDescriptor{
		ProviderDescriptor: c.t.prov.describe(),
		Topology:           "cluster",
		Nodes:              c.t.describeNodes(),
		StartupTime:        c.t.startup,
	}
}

// Marshal is Descriptor as JSON.
func (c *Cluster) Marshal() ([]byte, error) { return json.Marshal(c.Descriptor()) }

// MustMarshal is Marshal for SynchronizedBeforeSuite (it cannot fail).
func (c *Cluster) MustMarshal() []byte {
	b, err := c.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

// AttachCluster connects to a cluster another process started, from its
// Marshal bytes, and checks every node reports cluster_state:ok. The
// handle cannot stop or start nodes (ErrNotOwner); its Provider() starts
// this process's own clusters.
func AttachCluster(ctx context.Context, data []byte) (*Cluster, error) {
	var d ClusterDescriptor
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("redisprov: attach cluster: bad descriptor: %w", err)
	}
	if d.Topology != "cluster" || len(d.Nodes) == 0 {
		return nil, fmt.Errorf("redisprov: attach cluster: a descriptor of topology %q with %d nodes", d.Topology, len(d.Nodes))
	}
	p, err := d.ProviderDescriptor.rebuild("")
	if err != nil {
		return nil, fmt.Errorf("redisprov: attach cluster: %w", err)
	}
	t := attachedTopology(p, "cluster", d.StartupTime, d.Nodes)
	c := &Cluster{t: t, nodes: t.nodes}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.healthy(pctx); err != nil {
		t.terminate(ctx)
		return nil, fmt.Errorf("redisprov: attach cluster: %w", err)
	}
	return c, nil
}
