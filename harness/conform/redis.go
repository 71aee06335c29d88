package conform

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/onsi/ginkgo/v2"
	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/redisprov"
)

// redisCfg is the provider choice: SESSIONCONF_REDIS_PROVIDER and friends,
// or the -redis.* flags.
var redisCfg = redisprov.ConfigFromEnv()

func init() { redisCfg.RegisterFlags(flag.CommandLine) }

// The run's Redis comes in the profile's shape: one server (redis, and
// the cookie profile switching from it), a Sentinel topology
// (redis-sentinel) or a Cluster (redis-cluster). Process 1 starts it once
// for the run; every process attaches to it. Specs share it: each gets a
// logical database of its own, or on a cluster (database 0 only) a key
// prefix of its own. Specs that break Redis get a private one of the same
// shape (BreakableRedis, PrivateSentinel, PrivateCluster).

// Topology names in runData.
const (
	topoServer   = ""
	topoSentinel = "sentinel"
	topoCluster  = "cluster"
)

func topologyOf(p catalog.Profile) string {
	switch p {
	case catalog.RedisSentinel:
		return topoSentinel
	case catalog.RedisCluster:
		return topoCluster
	}
	return topoServer
}

// sharedRedis is this process's handle on the run's Redis.
type sharedRedis struct {
	inst     *redisprov.Instance
	sentinel *redisprov.Sentinel
	cluster  *redisprov.Cluster
	dbs      *redisprov.DBAllocator // not on a cluster

	mu      sync.Mutex
	clients map[string]*redis.Client
	cc      *redis.ClusterClient // the shared cluster's, made once
}

// ownedProvider is the provider process 1 chose; it ends with the run.
var ownedProvider *redisprov.Provider

// sharedHandle is what process 1 started, to measure costs with.
type sharedHandle struct {
	inst     *redisprov.Instance
	sentinel *redisprov.Sentinel
	cluster  *redisprov.Cluster
}

func startSharedRedis(ctx context.Context, topology string) (sharedHandle, json.RawMessage, error) {
	var h sharedHandle
	p, err := redisprov.Select(ctx, redisCfg)
	if err != nil {
		return h, nil, err
	}
	ownedProvider = p
	var data []byte
	switch topology {
	case topoSentinel:
		if h.sentinel, err = p.NewSentinel(ctx); err == nil {
			data, err = h.sentinel.Marshal()
		}
	case topoCluster:
		if h.cluster, err = p.NewCluster(ctx); err == nil {
			data, err = h.cluster.Marshal()
		}
	default:
		if h.inst, err = p.NewInstance(ctx); err == nil {
			data, err = h.inst.Marshal()
		}
	}
	return h, data, err
}

func stopSharedRedis(ctx context.Context, _ json.RawMessage) {
	if ownedProvider == nil {
		return
	}
	ownedProvider.Close(ctx)
	// The run ID labels every container of the run. When sessionconf run
	// set it, other suite runs of the same run may still be using theirs:
	// only the command reaps, at the very end. A suite run on its own owns
	// its run ID and reaps what an interrupted spec may have left.
	if os.Getenv(redisprov.EnvRunID) == "" {
		redisprov.Reap(ctx, ownedProvider.RunID())
	}
}

func attachSharedRedis(ctx context.Context, topology string, raw json.RawMessage) (*sharedRedis, error) {
	suiteCfg, _ := ginkgo.GinkgoConfiguration()
	proc, total := ginkgo.GinkgoParallelProcess(), suiteCfg.ParallelTotal
	s := &sharedRedis{clients: map[string]*redis.Client{}}
	var err error
	switch topology {
	case topoSentinel:
		if s.sentinel, err = redisprov.AttachSentinel(ctx, raw); err != nil {
			return nil, err
		}
		s.dbs, err = s.sentinel.DBs(proc, total)
	case topoCluster:
		s.cluster, err = redisprov.AttachCluster(ctx, raw)
	default:
		if s.inst, err = redisprov.Attach(ctx, raw); err != nil {
			return nil, err
		}
		s.dbs, err = s.inst.DBs(proc, total)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *sharedRedis) provider() *redisprov.Provider {
	switch {
	case s.sentinel != nil:
		return s.sentinel.Provider()
	case s.cluster != nil:
		return s.cluster.Provider()
	}
	return s.inst.Provider()
}

func (s *sharedRedis) kind() string { return string(s.provider().Kind()) }

// client returns a cached client of database db of inst.
func (s *sharedRedis) client(inst *redisprov.Instance, db int) *redis.Client {
	key := fmt.Sprintf("%s/%d", inst.Addr(), db)
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[key]
	if !ok {
		c = inst.Client(db)
		s.clients[key] = c
	}
	return c
}

// clusterClient is the shared cluster's client (the cluster handle closes it).
func (s *sharedRedis) clusterClient() *redis.ClusterClient {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cc == nil {
		s.cc = s.cluster.Client()
	}
	return s.cc
}

func (s *sharedRedis) detach() {
	s.mu.Lock()
	for _, c := range s.clients {
		c.Close()
	}
	s.clients = map[string]*redis.Client{}
	s.cc = nil
	s.mu.Unlock()
	// The attached handles close their clients; the servers are process 1's.
	if s.sentinel != nil {
		s.sentinel.Terminate(context.Background())
	}
	if s.cluster != nil {
		s.cluster.Terminate(context.Background())
	}
}

// specRedis is the Redis a spec's targets use: a database of the shared
// server or Sentinel topology, the shared cluster under a key prefix of
// the spec's own, or a private server or topology the spec may break.
type specRedis struct {
	inst     *redisprov.Instance
	sentinel *redisprov.Sentinel
	cluster  *redisprov.Cluster
	db       int
	prefix   string // the key prefix the target is told to use; "" = its own
	private  bool

	mu     sync.Mutex
	client redis.UniversalClient // the harness's, made on first use
	owns   bool                  // client is the spec's to close
}

// url is what the target's settings.redis_url gets.
func (r *specRedis) url(m *manifest.Manifest) (string, error) {
	switch {
	case r.sentinel != nil:
		return m.SentinelURL(r.sentinel.Sentinels(), r.sentinel.MasterName(), r.db)
	case r.cluster != nil:
		return m.ClusterURL(r.cluster.Addrs())
	}
	return r.inst.URL(r.db), nil
}

// redisClient is the harness's client of the spec's Redis: of its
// database (following the Sentinels' master), or of the whole cluster.
func (r *specRedis) redisClient() redis.UniversalClient {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil {
		return r.client
	}
	switch {
	case r.sentinel != nil:
		r.client, r.owns = r.sentinel.Client(r.db), true
	case r.cluster != nil && !r.private:
		r.client = current.redis.clusterClient()
	case r.cluster != nil:
		r.client = r.cluster.Client()
	case !r.private:
		r.client = current.redis.client(r.inst, r.db)
	default:
		r.client = r.inst.Client(r.db)
	}
	return r.client
}

// addrs are the addresses of every server of the spec's Redis.
func (r *specRedis) addrs() []string {
	switch {
	case r.sentinel != nil:
		return r.sentinel.Addrs()
	case r.cluster != nil:
		return r.cluster.Addrs()
	}
	return []string{r.inst.Addr()}
}

// release empties what the spec used of a shared Redis: its database, or
// on the cluster its keys and its unrelated key.
func (r *specRedis) release(unrelated string) {
	if r.private {
		return
	}
	ctx := context.Background()
	c := r.redisClient()
	switch {
	case r.cluster != nil:
		inspect.Redis{Client: c, Prefix: r.prefix}.Clear(ctx)
		c.Del(ctx, unrelated)
	default:
		c.FlushDB(ctx)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.owns {
		r.client.Close()
	}
}

// noRedis ends a spec whose run has no Redis.
func (t *T) noRedis() {
	t.Broken(fmt.Errorf("the %s profile runs without a Redis (did the run's setup fail?)", t.Profile))
}

// redisOf returns the spec's Redis, allocating a database of the shared
// server (or a key prefix of the shared cluster) on first use.
func (t *T) redisOf() *specRedis {
	t.mu.Lock()
	r := t.redis
	t.mu.Unlock()
	if r != nil {
		return r
	}
	sr := current.redis
	if sr == nil {
		t.noRedis()
	}
	switch {
	case sr.cluster != nil && *t.Target.Settings.RedisPrefix == "":
		// No prefix to tell specs apart on a shared cluster: each gets its own.
		t.Journal.Event("the manifest maps settings.redis_prefix to no env var: this spec gets a cluster of its own")
		t.PrivateCluster()
		return t.redis
	case sr.cluster != nil:
		r = &specRedis{cluster: sr.cluster, prefix: t.Target.Store.RedisPrefix + t.keyTag() + ":"}
	case sr.sentinel != nil:
		db, err := sr.sentinel.FreshDB(t.ctx, sr.dbs)
		t.Must(err, "get a fresh Redis database of the Sentinel topology")
		r = &specRedis{sentinel: sr.sentinel, db: db}
	default:
		db, err := sr.inst.FreshDB(t.ctx, sr.dbs)
		t.Must(err, "get a fresh Redis database")
		r = &specRedis{inst: sr.inst, db: db}
	}
	t.mu.Lock()
	t.redis = r
	t.mu.Unlock()
	return r
}

// keyTag names the spec in the keys it may own on a shared cluster: its
// requirement and a random part (no hash tag braces: the keys must spread
// over the slots like anyone's).
func (t *T) keyTag() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tag == "" {
		b := make([]byte, 3)
		rand.Read(b)
		t.tag = strings.ToLower(t.Req.ID) + "-" + hex.EncodeToString(b)
	}
	return t.tag
}

// unrelatedKey is the key PlantUnrelatedData writes: one per spec on a
// shared cluster, where every spec sees the same database.
func (t *T) unrelatedKey() string {
	if r := t.redisOf(); r.cluster != nil && !r.private {
		return "sessionconf:unrelated:" + t.keyTag()
	}
	return "sessionconf:unrelated"
}

// private records a Redis the spec started for itself.
func (t *T) private(r *specRedis, what string, addrs []string, startup string) {
	r.private = true
	t.Journal.Event("private %s (%s %s, started in %s)", what, current.redis.kind(), strings.Join(addrs, " "), startup)
	t.mu.Lock()
	t.redis = r
	t.mu.Unlock()
}

func (t *T) startFailedRedis(err error, what string) {
	if errors.Is(err, redisprov.ErrUnsupported) {
		t.Unsupported("the %s Redis provider cannot start %s this spec may break: %v", current.redis.kind(), what, err)
	}
	t.Must(err, "start "+what)
}

// PrivateRedis gives the spec its own Redis server, which it may stop,
// start, pause and unpause without touching other specs; call it before
// Launch. Providers that cannot start servers (an external URL) make the
// spec unsupported. The redis profile's; BreakableRedis serves every
// Redis profile.
func (t *T) PrivateRedis() *redisprov.Instance {
	if current.redis == nil {
		t.noRedis()
	}
	own, err := current.redis.provider().NewInstance(t.ctx)
	t.startFailedRedis(err, "a Redis server")
	ginkgo.DeferCleanup(func(ctx context.Context) { own.Terminate(ctx) })
	t.private(&specRedis{inst: own, db: 1}, "Redis server", []string{own.Addr()}, fmt.Sprint(own.StartupTime().Round(1e6)))
	return own
}

// PrivateSentinel gives the spec a Sentinel topology of its own (master,
// replica, three Sentinels), which it may crash and fail over; call it
// before Launch.
func (t *T) PrivateSentinel() *redisprov.Sentinel {
	if current.redis == nil {
		t.noRedis()
	}
	own, err := current.redis.provider().NewSentinel(t.ctx)
	t.startFailedRedis(err, "a Sentinel topology")
	ginkgo.DeferCleanup(func(ctx context.Context) { own.Terminate(ctx) })
	t.private(&specRedis{sentinel: own, db: 1}, "Sentinel topology", []string{"master " + own.Master(), "replica " + own.Replica(), "Sentinels " + strings.Join(own.Sentinels(), ",")}, fmt.Sprint(own.StartupTime().Round(1e6)))
	return own
}

// PrivateCluster gives the spec a Redis Cluster of its own, whose nodes it
// may stop, and whose every key is the spec's; call it before Launch. The
// target keeps its own key prefix there.
func (t *T) PrivateCluster() *redisprov.Cluster {
	if current.redis == nil {
		t.noRedis()
	}
	own, err := current.redis.provider().NewCluster(t.ctx)
	t.startFailedRedis(err, "a Redis Cluster")
	ginkgo.DeferCleanup(func(ctx context.Context) { own.Terminate(ctx) })
	t.private(&specRedis{cluster: own}, "Redis Cluster", own.Addrs(), fmt.Sprint(own.StartupTime().Round(1e6)))
	return own
}

// RedisClient returns the harness's client of the spec's Redis: its
// logical database (through the Sentinels on redis-sentinel), or the
// whole cluster on redis-cluster (keys are routed to their master).
func (t *T) RedisClient() redis.UniversalClient { return t.redisOf().redisClient() }

// ConfigureRedis sets a server parameter (CONFIG SET) where the spec's
// sessions are written: the server, the Sentinels' master, or every master
// of the cluster. Only for a Redis the spec has to itself.
func (t *T) ConfigureRedis(param, value string) {
	r := t.redisOf()
	if !r.private {
		t.Broken(fmt.Errorf("ConfigureRedis %s on a Redis other specs share: call BreakableRedis first", param))
	}
	c := r.redisClient()
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(t.ctx, func(ctx context.Context, n *redis.Client) error {
			return n.ConfigSet(ctx, param, value).Err()
		})
	} else {
		err = c.ConfigSet(t.ctx, param, value).Err()
	}
	t.Must(err, "CONFIG SET "+param+" "+value)
}
