package redisprov

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/sessionconf/sessionconf/harness/instance"
)

// node is one redis-server of a Sentinel or Cluster topology: a container
// on the host's network or a local process, in both cases listening on
// 127.0.0.1 and a port chosen before it starts. Sentinels and cluster
// nodes hand out the addresses they know each other by (a Sentinel's
// master address, CLUSTER SLOTS), and the target runs on the host: only
// when every node lives in the host's network namespace are the addresses
// nodes use among themselves the ones the host can dial (see hostNetwork).
type node struct {
	name        string // "redis-1", "sentinel-2", "node-3": names containers, directories and errors
	addr        string // 127.0.0.1:port
	busPort     int    // a cluster node's bus port; 0 otherwise
	containerID string
	pid         int
	be          nodeBackend // nil when attached: another process controls it
}

// nodeBackend controls one node; kill is the crash a failover answers.
type nodeBackend interface {
	backend
	kill(ctx context.Context) error // SIGKILL: no shutdown, no goodbye to the peers
	currentPID() int                // local: changes with every start; container: 0
}

// nodeSpec is what a node is started with.
type nodeSpec struct {
	name    string
	port    int
	busPort int      // cluster bus port; 0 outside a cluster
	args    []string // the role's redis-server arguments, after the common ones
	// config is the content of a config file passed as the first argument
	// (a Sentinel's, which it rewrites with what it learns); "" for none.
	config string
}

// configFileName is the name of a node's config file in its directory
// (local) or in /data (container).
const configFileName = "node.conf"

// freeNodePort reserves a port for a node for the life of this process,
// from the harness's range below Linux's ephemeral ports: a node that is
// stopped and started again must find its port free, and an outgoing
// connection (a client retrying the stopped node) could otherwise be
// given it meanwhile. The reservation is machine-wide, so a target's port
// never collides with a Redis node's either.
func freeNodePort() (int, error) { return instance.FreePort() }

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// Timeouts of the clients the harness polls nodes with: short, because a
// poll that waits on a dead node would hide what the other nodes say.
const (
	nodeDialTimeout = 500 * time.Millisecond
	nodeIOTimeout   = time.Second
	// pollInterval spaces the checks of every wait of this package.
	pollInterval = 50 * time.Millisecond
)

// nodeClientOptions are go-redis options for talking to one node directly:
// no retries and one dial attempt, so each poll sees the node as it is.
func nodeClientOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr:                     addr,
		DialTimeout:              nodeDialTimeout,
		ReadTimeout:              nodeIOTimeout,
		WriteTimeout:             nodeIOTimeout,
		ContextTimeoutEnabled:    true,
		MaxRetries:               -1,
		DialerRetries:            1,
		PoolSize:                 2,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
}

// NodeDescriptor is one node in a Sentinel's or Cluster's descriptor.
type NodeDescriptor struct {
	Name        string `json:"name"`
	Addr        string `json:"addr"`
	BusPort     int    `json:"bus_port,omitempty"`
	ContainerID string `json:"container_id,omitempty"`
	PID         int    `json:"pid,omitempty"`
}

func (n *node) describe() NodeDescriptor {
	pid := n.pid
	if n.be != nil {
		if p := n.be.currentPID(); p != 0 {
			pid = p
		}
	}
	return NodeDescriptor{Name: n.name, Addr: n.addr, BusPort: n.busPort, ContainerID: n.containerID, PID: pid}
}

func attachedNode(d NodeDescriptor) *node {
	return &node{name: d.Name, addr: d.Addr, busPort: d.BusPort, containerID: d.ContainerID, pid: d.PID}
}
