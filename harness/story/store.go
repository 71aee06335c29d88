package story

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/manifest"
)

// Where is what a run gave a target: the spec's directories and the Redis
// database it keeps sessions in.
type Where struct {
	SessionDir, StateDir string
	Redis                redis.UniversalClient // nil without Redis; a *redis.ClusterClient on a cluster
	RedisDB              int
	// RedisPrefix is the key prefix the target was told to use (the
	// redis-cluster profile gives each spec its own); "" is the manifest's
	// store.redis_prefix.
	RedisPrefix string
}

// ErrStoreUnknown is a store the manifest does not locate (an external
// target without store.dir or store.redis_url): specs that look into it
// cannot run.
var ErrStoreUnknown = errors.New("the manifest does not say where this external target keeps its sessions (store.dir for the filesystem profile, store.redis_url for redis)")

// Store is where the target keeps its sessions in profile p, seen from
// outside: the session directory (store.dir, a template over the spec's
// directories) or the keys under store.redis_prefix. It is nil in the
// cookie profile, which stores nothing.
func (s Story) Store(p catalog.Profile, w Where) (inspect.Store, error) {
	m := s.M
	switch p {
	case catalog.Filesystem:
		if m.External != nil && strings.Contains(m.Store.Dir, "{{") {
			return nil, ErrStoreUnknown
		}
		dir, err := manifest.Expand(m.Store.Dir, map[string]any{"SessionDir": w.SessionDir, "StateDir": w.StateDir, "ManifestDir": m.Dir})
		if err != nil {
			return nil, fmt.Errorf("store.dir: %w", err)
		}
		return inspect.Dir{Path: dir}, nil
	case catalog.Redis, catalog.RedisSentinel, catalog.RedisCluster:
		if w.Redis == nil {
			if m.External != nil {
				return nil, ErrStoreUnknown
			}
			return nil, fmt.Errorf("the %s profile runs without a Redis", p)
		}
		prefix := m.Store.RedisPrefix
		if w.RedisPrefix != "" {
			prefix = w.RedisPrefix
		}
		return inspect.Redis{Client: w.Redis, DB: w.RedisDB, Prefix: prefix}, nil
	}
	return nil, nil
}

// ExternalRedis is the Redis an external target keeps its sessions in
// (store.redis_url), if the manifest says.
func (s Story) ExternalRedis() (*redis.Options, bool, error) {
	if s.M.External == nil || s.M.Store.RedisURL == "" {
		return nil, false, nil
	}
	opts, err := redis.ParseURL(s.M.Store.RedisURL)
	if err != nil {
		return nil, false, fmt.Errorf("store.redis_url: %w", err)
	}
	return opts, true, nil
}
