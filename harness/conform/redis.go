package conform

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/onsi/ginkgo/v2"
	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/harness/redisserver"
)

// redisDatabases is how many logical databases the shared Redis has: every
// spec of every parallel process gets its own, so a FLUSHDB in one spec
// never touches another.
const (
	redisDatabases   = 4096
	databasesPerProc = 256
)

// redisDescriptor is how process 1 tells the others where Redis is.
type redisDescriptor struct {
	Kind string `json:"kind"`
	Addr string `json:"addr"`
}

// sharedRedis is this process's handle on the run's Redis.
type sharedRedis struct {
	desc    redisDescriptor
	mu      sync.Mutex
	next    int
	clients map[int]*redis.Client
}

var ownedRedis *redisserver.Server

func startSharedRedis(ctx context.Context, root string) (json.RawMessage, error) {
	s, err := redisserver.Start(ctx, redisserver.Options{Databases: redisDatabases})
	if err != nil {
		return nil, err
	}
	ownedRedis = s
	fmt.Fprintf(ginkgo.GinkgoWriter, "redis: local redis-server on %s\n", s.Addr)
	return json.Marshal(redisDescriptor{Kind: "local", Addr: s.Addr})
}

func stopSharedRedis(context.Context, json.RawMessage) {
	if ownedRedis != nil {
		ownedRedis.Close()
	}
}

func attachSharedRedis(_ context.Context, raw json.RawMessage) (*sharedRedis, error) {
	var d redisDescriptor
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	return &sharedRedis{desc: d, clients: map[int]*redis.Client{}}, nil
}

// allocDB hands out a database nobody else in the run uses.
func (s *sharedRedis) allocDB() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	proc := ginkgo.GinkgoParallelProcess()
	if s.next >= databasesPerProc {
		return 0, fmt.Errorf("redis: process %d used all its %d databases", proc, databasesPerProc)
	}
	db := (proc-1)*databasesPerProc + s.next
	s.next++
	if db >= redisDatabases {
		return 0, fmt.Errorf("redis: database %d out of range (too many parallel processes)", db)
	}
	return db, nil
}

func (s *sharedRedis) url(db int) string { return fmt.Sprintf("redis://%s/%d", s.desc.Addr, db) }

func (s *sharedRedis) client(db int) *redis.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[db]
	if !ok {
		c = redis.NewClient(&redis.Options{Addr: s.desc.Addr, DB: db})
		s.clients[db] = c
	}
	return c
}

func (s *sharedRedis) kind() string { return s.desc.Kind }

func (s *sharedRedis) detach() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		c.Close()
	}
	s.clients = map[int]*redis.Client{}
}
