package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/reference/redisserver"
)

// The redis-cluster store's Redis: clusterMasters local redis-servers
// with cluster mode on, the hash slots shared equally, joined and checked
// (cluster_state:ok on every node) before the server starts. The harness
// has its own (harness/redisprov); the reference imports nothing from it.
const (
	clusterMasters = 3
	clusterSlots   = 16384
)

type cluster struct{ nodes []*redisserver.Server }

func startCluster(ctx context.Context) (*cluster, error) {
	c := &cluster{}
	for i := range clusterMasters {
		bus, err := freeLoopbackPort()
		if err != nil {
			c.close()
			return nil, err
		}
		s, err := redisserver.Start(ctx, redisserver.Options{Args: []string{
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			// The bus port is named: the default, port+10000, may be taken.
			"--cluster-port", strconv.Itoa(bus), "--cluster-node-timeout", "2000",
		}})
		if err != nil {
			c.close()
			return nil, fmt.Errorf("cluster node %d: %w", i+1, err)
		}
		c.nodes = append(c.nodes, s)
	}
	if err := c.join(ctx); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *cluster) join(ctx context.Context) error {
	clients := make([]*redis.Client, len(c.nodes))
	for i, n := range c.nodes {
		clients[i] = redis.NewClient(&redis.Options{Addr: n.Addr})
		defer clients[i].Close()
	}
	per := clusterSlots / len(c.nodes)
	for i, cl := range clients {
		lo, hi := i*per, (i+1)*per-1
		if i == len(clients)-1 {
			hi = clusterSlots - 1
		}
		if err := cl.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			return fmt.Errorf("%s: CLUSTER SET-CONFIG-EPOCH: %w", c.nodes[i].Addr, err)
		}
		if err := cl.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return fmt.Errorf("%s: CLUSTER ADDSLOTSRANGE: %w", c.nodes[i].Addr, err)
		}
	}
	for i, n := range c.nodes[1:] {
		host, port, _ := net.SplitHostPort(n.Addr)
		bus := busPortOf(clients[i+1], ctx)
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", host, port, bus).Err(); err != nil {
			return fmt.Errorf("CLUSTER MEET %s: %w", n.Addr, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var bad error
		for i, cl := range clients {
			info, err := cl.ClusterInfo(ctx).Result()
			switch {
			case err != nil:
				bad = err
			case !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(len(clients))):
				bad = fmt.Errorf("%s: cluster not ready yet", c.nodes[i].Addr)
			}
		}
		if bad == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the cluster did not become ready within 30s: %w", bad)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// busPortOf reads a node's cluster bus port from its configuration.
func busPortOf(cl *redis.Client, ctx context.Context) string {
	if v, err := cl.ConfigGet(ctx, "cluster-port").Result(); err == nil {
		return v["cluster-port"]
	}
	return ""
}

// url is the reference's cluster form of REDIS_URL.
func (c *cluster) url() string {
	q := []string{"cluster=true"}
	for _, n := range c.nodes[1:] {
		q = append(q, "addr="+n.Addr)
	}
	return "redis://" + c.nodes[0].Addr + "?" + strings.Join(q, "&")
}

func (c *cluster) close() error {
	var errs []error
	for _, n := range c.nodes {
		errs = append(errs, n.Close())
	}
	return errors.Join(errs...)
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
