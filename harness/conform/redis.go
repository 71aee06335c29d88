package conform

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"

	"github.com/onsi/ginkgo/v2"
	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/harness/redisprov"
)

// redisCfg is the provider choice: SESSIONCONF_REDIS_PROVIDER and friends,
// or the -redis.* flags.
var redisCfg = redisprov.ConfigFromEnv()

func init() { redisCfg.RegisterFlags(flag.CommandLine) }

// sharedRedis is this process's handle on the run's Redis: one server for
// the whole run, a logical database per spec.
type sharedRedis struct {
	inst *redisprov.Instance
	dbs  *redisprov.DBAllocator

	mu      sync.Mutex
	clients map[string]*redis.Client
}

// ownedProvider is the provider process 1 chose; it ends with the run.
var ownedProvider *redisprov.Provider

func startSharedRedis(ctx context.Context) (*redisprov.Instance, json.RawMessage, error) {
	p, err := redisprov.Select(ctx, redisCfg)
	if err != nil {
		return nil, nil, err
	}
	ownedProvider = p
	inst, err := p.NewInstance(ctx)
	if err != nil {
		return nil, nil, err
	}
	data, err := inst.Marshal()
	return inst, data, err
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

func attachSharedRedis(ctx context.Context, raw json.RawMessage) (*sharedRedis, error) {
	inst, err := redisprov.Attach(ctx, raw)
	if err != nil {
		return nil, err
	}
	suiteCfg, _ := ginkgo.GinkgoConfiguration()
	dbs, err := inst.DBs(ginkgo.GinkgoParallelProcess(), suiteCfg.ParallelTotal)
	if err != nil {
		return nil, err
	}
	return &sharedRedis{inst: inst, dbs: dbs, clients: map[string]*redis.Client{}}, nil
}

func (s *sharedRedis) kind() string { return string(s.inst.Kind()) }

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

func (s *sharedRedis) detach() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		c.Close()
	}
	s.clients = map[string]*redis.Client{}
}

// specRedis is the Redis a spec's targets use: a database of the shared
// server, or a private server an outage spec may break.
type specRedis struct {
	inst    *redisprov.Instance
	db      int
	private bool
}

func (r *specRedis) url() string { return r.inst.URL(r.db) }

// redisOf returns the spec's Redis, allocating a database of the shared
// server on first use.
func (t *T) redisOf() *specRedis {
	t.mu.Lock()
	r := t.redis
	t.mu.Unlock()
	if r != nil {
		return r
	}
	if current.redis == nil {
		t.Broken(errors.New("the redis profile runs without a Redis (did the run's setup fail?)"))
	}
	db, err := current.redis.inst.FreshDB(t.ctx, current.redis.dbs)
	t.Must(err, "get a fresh Redis database")
	r = &specRedis{inst: current.redis.inst, db: db}
	t.mu.Lock()
	t.redis = r
	t.mu.Unlock()
	return r
}

// PrivateRedis gives the spec its own Redis server, which it may stop,
// start, pause and unpause without touching other specs; call it before
// Launch. Providers that cannot start servers (an external URL) make the
// spec unsupported.
func (t *T) PrivateRedis() *redisprov.Instance {
	if current.redis == nil {
		t.Broken(errors.New("the redis profile runs without a Redis (did the run's setup fail?)"))
	}
	own, err := current.redis.inst.Provider().NewInstance(t.ctx)
	if errors.Is(err, redisprov.ErrUnsupported) {
		t.Unsupported("the %s Redis provider cannot start a server this spec may break: %v", current.redis.kind(), err)
	}
	t.Must(err, "start a private Redis")
	t.Journal.Event("private %s Redis at %s (started in %v)", own.Kind(), own.Addr(), own.StartupTime().Round(1e6))
	ginkgo.DeferCleanup(func(ctx context.Context) { own.Terminate(ctx) })
	t.mu.Lock()
	t.redis = &specRedis{inst: own, db: 1, private: true}
	t.mu.Unlock()
	return own
}

// RedisClient returns a client of the spec's Redis database.
func (t *T) RedisClient() *redis.Client {
	r := t.redisOf()
	return current.redis.client(r.inst, r.db)
}
