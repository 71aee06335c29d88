package redisprov

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel is a Redis Sentinel topology of a run: a master, a replica and
// SentinelCount Sentinels watching them (quorum SentinelQuorum), all on
// 127.0.0.1. A target gets URL(db), the reference's Sentinel form; the
// harness reads keys through Client(db), which follows the master across
// failovers. Outage specs crash the master (KillMaster), wait for the
// Sentinels to promote the replica (WaitFailover) and bring the old master
// back as the new replica (Rejoin).
type Sentinel struct {
	t               *topology
	sentinels       []*node
	sentinelClients map[string]*redis.SentinelClient // by address; read-only once made
	databases       int

	mu       sync.Mutex
	master   *node     // the master as of set-up or the last WaitFailover
	replica  *node     // its replica; nil from a failover until Rejoin
	killed   *node     // the master KillMaster killed, until Rejoin
	killedAt time.Time // when KillMaster sent SIGKILL
	dataDown bool      // StopData stopped master and replica, until StartData
}

// Kind is the provider name, for reports.
func (s *Sentinel) Kind() Kind { return s.t.kind }

// Provider is the provider the topology came from.
func (s *Sentinel) Provider() *Provider { return s.t.prov }

// Owned reports whether this process started the topology (KillMaster and
// Rejoin are allowed) rather than attached to it.
func (s *Sentinel) Owned() bool { return s.t.owned }

// StartupTime is how long NewSentinel took, until the Sentinels agreed.
func (s *Sentinel) StartupTime() time.Duration { return s.t.startup }

// Databases is the number of logical databases of master and replica.
func (s *Sentinel) Databases() int { return s.databases }

// MasterName is the name the Sentinels know the master by.
func (s *Sentinel) MasterName() string { return SentinelMasterName }

// Master is the master's address as of set-up or the last WaitFailover
// (CurrentMaster asks the Sentinels).
func (s *Sentinel) Master() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.master.addr
}

// Replica is the replica's address; "" from a failover until Rejoin (the
// old master, which would be the replica, is down).
func (s *Sentinel) Replica() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replica == nil {
		return ""
	}
	return s.replica.addr
}

// Sentinels are the Sentinels' addresses.
func (s *Sentinel) Sentinels() []string {
	addrs := make([]string, len(s.sentinels))
	for i, n := range s.sentinels {
		addrs[i] = n.addr
	}
	return addrs
}

// URL is what a target's REDIS_URL gets for logical database db: the
// reference's Sentinel form, every Sentinel in it, e.g.
//
//	redis://127.0.0.1:21001/3?master_name=mymaster&addr=127.0.0.1:21002&addr=127.0.0.1:21003
func (s *Sentinel) URL(db int) string {
	addrs := s.Sentinels()
	q := []string{"master_name=" + SentinelMasterName}
	for _, a := range addrs[1:] {
		q = append(q, "addr="+a)
	}
	return "redis://" + addrs[0] + "/" + strconv.Itoa(db) + "?" + strings.Join(q, "&")
}

// ClientOptions are the options Client uses: the Sentinels, and short
// timeouts that honour context deadlines, so a dead master shows as an
// error, not a hang.
func (s *Sentinel) ClientOptions(db int) *redis.FailoverOptions {
	return &redis.FailoverOptions{
		MasterName:            SentinelMasterName,
		SentinelAddrs:         s.Sentinels(),
		DB:                    db,
		DialTimeout:           2 * time.Second,
		ReadTimeout:           2 * time.Second,
		WriteTimeout:          2 * time.Second,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		PoolSize:              4,
		DisableIdentity:       true,
	}
}

// Client returns a go-redis client of database db that asks the Sentinels
// for the master and follows it across failovers. Terminate closes it.
func (s *Sentinel) Client(db int) *redis.Client {
	c := redis.NewFailoverClient(s.ClientOptions(db))
	s.t.track(c)
	return c
}

// DBs returns this process's allocator of logical databases (see
// NewDBAllocator), for specs sharing one Sentinel topology.
func (s *Sentinel) DBs(process, total int) (*DBAllocator, error) {
	return NewDBAllocator(s.databases, process, total)
}

// FreshDB takes the next database of a and empties it on the master.
func (s *Sentinel) FreshDB(ctx context.Context, a *DBAllocator) (int, error) {
	db := a.Next()
	o := s.ClientOptions(db)
	o.PoolSize = 1
	c := redis.NewFailoverClient(o)
	defer c.Close()
	if err := c.FlushDB(ctx).Err(); err != nil {
		return 0, fmt.Errorf("redisprov: flush db %d of the sentinel master: %w", db, err)
	}
	return db, nil
}

// Terminate closes the clients and, when this process started the
// topology, removes master, replica and Sentinels. Safe to call twice.
func (s *Sentinel) Terminate(ctx context.Context) error { return s.t.terminate(ctx) }

// SentinelDescriptor is the serialisable form of a Sentinel topology, for
// AttachSentinel in the other processes of a run.
type SentinelDescriptor struct {
	ProviderDescriptor
	Topology    string           `json:"topology"` // "sentinel"
	MasterName  string           `json:"master_name"`
	Master      string           `json:"master"`
	Replica     string           `json:"replica,omitempty"`
	Sentinels   []string         `json:"sentinels"`
	Nodes       []NodeDescriptor `json:"nodes"`
	StartupTime time.Duration    `json:"startup_ns"`
}

// Descriptor describes the topology for AttachSentinel.
func (s *Sentinel) Descriptor() SentinelDescriptor {
	return SentinelDescriptor{
		ProviderDescriptor: s.t.prov.describe(),
		Topology:           "sentinel",
		MasterName:         SentinelMasterName,
		Master:             s.Master(),
		Replica:            s.Replica(),
		Sentinels:          s.Sentinels(),
		Nodes:              s.t.describeNodes(),
		StartupTime:        s.t.startup,
	}
}

// Marshal is Descriptor as JSON.
func (s *Sentinel) Marshal() ([]byte, error) { return json.Marshal(s.Descriptor()) }

// MustMarshal is Marshal for SynchronizedBeforeSuite (it cannot fail).
func (s *Sentinel) MustMarshal() []byte {
	b, err := s.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

// AttachSentinel connects to a Sentinel topology another process started,
// from its Marshal bytes, and checks the Sentinels answer and agree on the
// master. The handle cannot kill or rejoin nodes (ErrNotOwner); its
// Provider() starts this process's own topologies.
func AttachSentinel(ctx context.Context, data []byte) (*Sentinel, error) {
	var d SentinelDescriptor
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("redisprov: attach sentinel: bad descriptor: %w", err)
	}
	if d.Topology != "sentinel" || len(d.Sentinels) == 0 {
		return nil, fmt.Errorf("redisprov: attach sentinel: a descriptor of topology %q with %d Sentinels", d.Topology, len(d.Sentinels))
	}
	p, err := d.ProviderDescriptor.rebuild("")
	if err != nil {
		return nil, fmt.Errorf("redisprov: attach sentinel: %w", err)
	}
	t := attachedTopology(p, "sentinel", d.StartupTime, d.Nodes)
	s := &Sentinel{t: t, databases: d.Databases}
	for _, addr := range d.Sentinels {
		n, err := t.nodeAt(addr)
		if err != nil {
			return nil, fmt.Errorf("redisprov: attach sentinel: %w", err)
		}
		s.sentinels = append(s.sentinels, n)
	}
	s.connectSentinels()
	if s.master, err = t.nodeAt(d.Master); err != nil {
		return nil, fmt.Errorf("redisprov: attach sentinel: %w", err)
	}
	if d.Replica != "" {
		if s.replica, err = t.nodeAt(d.Replica); err != nil {
			return nil, fmt.Errorf("redisprov: attach sentinel: %w", err)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := s.CurrentMaster(pctx); err != nil {
		t.terminate(ctx)
		return nil, fmt.Errorf("redisprov: attach sentinel: %w", err)
	}
	return s, nil
}
