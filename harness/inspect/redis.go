package inspect

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Redis is a Redis store: the keys with a prefix in one logical database.
type Redis struct {
	Client redis.UniversalClient
	DB     int
	Prefix string
}

func (r Redis) Kind() string     { return "redis" }
func (r Redis) Location() string { return fmt.Sprintf("db %d, prefix %q", r.DB, r.Prefix) }

// List returns every key with the prefix (SCAN, never KEYS), with its TTL
// and raw value.
func (r Redis) List(ctx context.Context) ([]Record, error) {
	keys, err := r.keys(ctx, r.Prefix+"*")
	if err != nil {
		return nil, err
	}
	var recs []Record
	for _, k := range keys {
		val, err := r.Client.Get(ctx, k).Bytes()
		if errors.Is(err, redis.Nil) {
			continue // expired meanwhile
		}
		if err != nil {
			return nil, err
		}
		ttl, err := r.Client.PTTL(ctx, k).Result()
		if err != nil {
			return nil, err
		}
		recs = append(recs, Record{Key: k, Data: val, Size: len(val), TTL: ttl, HasTTL: ttl >= 0})
	}
	return recs, nil
}

// AllKeys returns every key of the database, prefix or not (CLEAR-2 checks
// that sessions stay under their prefix).
func (r Redis) AllKeys(ctx context.Context) ([]string, error) { return r.keys(ctx, "*") }

func (r Redis) keys(ctx context.Context, pattern string) ([]string, error) {
	var keys []string
	iter := r.Client.Scan(ctx, 0, pattern, 200).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

// Clear deletes the keys with the prefix, leaving everything else.
func (r Redis) Clear(ctx context.Context) error {
	keys, err := r.keys(ctx, r.Prefix+"*")
	if err != nil || len(keys) == 0 {
		return err
	}
	return r.Client.Del(ctx, keys...).Err()
}

// FlushDB empties the whole logical database.
func (r Redis) FlushDB(ctx context.Context) error { return r.Client.FlushDB(ctx).Err() }

// Corrupt overwrites a key's value, keeping its TTL.
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
