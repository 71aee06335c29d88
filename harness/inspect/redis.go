package inspect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Redis is a Redis store: the keys with a prefix in one logical database.
// With a *redis.ClusterClient it is the keys with the prefix on every
// master of the cluster (which has only database 0): listing, clearing
// and flushing visit each master, and a key is read from the master that
// holds it.
type Redis struct {
	Client redis.UniversalClient
	DB     int
	Prefix string
}

func (r Redis) Kind() string { return "redis" }

func (r Redis) Location() string {
	if r.cluster() != nil {
		return fmt.Sprintf("cluster, prefix %q", r.Prefix)
	}
	return fmt.Sprintf("db %d, prefix %q", r.DB, r.Prefix)
}

func (r Redis) cluster() *redis.ClusterClient {
	cc, _ := r.Client.(*redis.ClusterClient)
	return cc
}

// eachNode calls fn for every server that holds keys: each master of a
// cluster (at the same time: ForEachMaster), else the one client. node
// names the server in listings ("" for a single server).
func (r Redis) eachNode(ctx context.Context, fn func(ctx context.Context, c redis.Cmdable, node string) error) error {
	cc := r.cluster()
	if cc == nil {
		return fn(ctx, r.Client, "")
	}
	return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		addr := c.Options().Addr
		if err := fn(ctx, c, addr); err != nil {
			return fmt.Errorf("cluster master %s: %w", addr, err)
		}
		return nil
	})
}

// List returns every key with the prefix (SCAN, never KEYS), with its TTL
// and raw value, ordered by key.
func (r Redis) List(ctx context.Context) ([]Record, error) {
	var (
		mu   sync.Mutex
		recs []Record
	)
	err := r.eachNode(ctx, func(ctx context.Context, c redis.Cmdable, _ string) error {
		keys, err := scanKeys(ctx, c, r.Prefix+"*")
		if err != nil {
			return err
		}
		for _, k := range keys {
			rec, ok, err := readRecord(ctx, c, k)
			if err != nil {
				return err
			}
			if ok {
				mu.Lock()
				recs = append(recs, rec)
				mu.Unlock()
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b Record) int { return strings.Compare(a.Key, b.Key) })
	return recs, nil
}

// readRecord reads one key's value and TTL from c, the server that holds
// it; ok is false when the key expired meanwhile.
func readRecord(ctx context.Context, c redis.Cmdable, key string) (rec Record, ok bool, err error) {
	val, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, err
	}
	ttl, err := c.PTTL(ctx, key).Result()
	if err != nil {
		return Record{}, false, err
	}
	return Record{Key: key, Data: val, Size: len(val), TTL: ttl, HasTTL: ttl >= 0}, true, nil
}

// NodeKeys returns the keys with the prefix by the server that holds them:
// a cluster master's address, or "" for a single server. It shows how
// sessions spread over a cluster.
func (r Redis) NodeKeys(ctx context.Context) (map[string][]string, error) {
	var mu sync.Mutex
	byNode := map[string][]string{}
	err := r.eachNode(ctx, func(ctx context.Context, c redis.Cmdable, node string) error {
		keys, err := scanKeys(ctx, c, r.Prefix+"*")
		if err != nil {
			return err
		}
		slices.Sort(keys)
		mu.Lock()
		byNode[node] = keys
		mu.Unlock()
		return nil
	})
	return byNode, err
}

// AllKeys returns every key of the database (of every master of a
// cluster), prefix or not (CLEAR-2 checks that sessions stay under their
// prefix).
func (r Redis) AllKeys(ctx context.Context) ([]string, error) {
	var (
		mu  sync.Mutex
		all []string
	)
	err := r.eachNode(ctx, func(ctx context.Context, c redis.Cmdable, _ string) error {
		keys, err := scanKeys(ctx, c, "*")
		mu.Lock()
		all = append(all, keys...)
		mu.Unlock()
		return err
	})
	return all, err
}

func scanKeys(ctx context.Context, c redis.Cmdable, pattern string) ([]string, error) {
	var keys []string
	iter := c.Scan(ctx, 0, pattern, 200).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

// Clear deletes the keys with the prefix, leaving everything else. On a
// cluster each master deletes its own keys one by one: a DEL of several
// keys must keep to one hash slot.
func (r Redis) Clear(ctx context.Context) error {
	clustered := r.cluster() != nil
	return r.eachNode(ctx, func(ctx context.Context, c redis.Cmdable, _ string) error {
		keys, err := scanKeys(ctx, c, r.Prefix+"*")
		if err != nil || len(keys) == 0 {
			return err
		}
		if !clustered {
			return c.Del(ctx, keys...).Err()
		}
		_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Del(ctx, k)
			}
			return nil
		})
		return err
	})
}

// FlushDB empties the whole logical database (every master of a cluster).
func (r Redis) FlushDB(ctx context.Context) error {
	return r.eachNode(ctx, func(ctx context.Context, c redis.Cmdable, _ string) error {
		return c.FlushDB(ctx).Err()
	})
}

// Corrupt overwrites a key's value, keeping its TTL (on a cluster, on the
// master that holds the key: the client routes by slot).
func (r Redis) Corrupt(ctx context.Context, key string, how Corruption) error {
	var val []byte
	switch how {
	case Garbage:
		val = GarbageRecord()
	case Garbled:
		val = append([]byte(nil), garbledRecord...)
	case Truncated:
		old, err := r.Client.Get(ctx, key).Bytes()
		if err != nil {
			return err
		}
		val = old[:min(2, len(old))]
	case Empty:
		val = []byte{}
	default:
		return fmt.Errorf("inspect: unknown corruption %q", how)
	}
	return r.Client.SetArgs(ctx, key, val, redis.SetArgs{KeepTTL: true}).Err()
}
