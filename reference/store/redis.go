package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultKeyPrefix is the documented prefix of every session key, the same
// as Flask-Session's, so `redis-cli --scan --pattern 'session:*'` finds them
// and deleting by prefix clears sessions without FLUSHDB.
const DefaultKeyPrefix = "session:"

// Timeouts bound every Redis call, so that an outage turns into a 503 within
// a second instead of a hung request, while a Redis that is merely slow (a
// loaded host: 400 ms was seen to turn healthy logins into 503s) still
// answers. A URL may override them with go-redis's own query parameters
// (dial_timeout=2s, ...).
const (
	redisDialTimeout = 500 * time.Millisecond
	redisIOTimeout   = 800 * time.Millisecond
	redisPoolTimeout = 800 * time.Millisecond
)

// Redis is a Store in Redis. Every key gets a TTL equal to the time left to
// its deadline, so Redis forgets expired sessions by itself.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

// NewRedis returns a store over client whose keys all start with prefix.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Client exposes the client, for readiness checks and tests.
func (s *Redis) Client() redis.UniversalClient { return s.client }

// Key returns the Redis key for a store key.
func (s *Redis) Key(key string) string { return s.prefix + key }

func (s *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	val, err := s.client.Get(ctx, s.Key(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, unavailable(err)
	}
	if !json.Valid(val) {
		return nil, fmt.Errorf("%w: %s: value is not JSON", ErrCorrupt, key)
	}
	return val, nil
}

func (s *Redis) Put(ctx context.Context, key string, value []byte, deadline time.Time) error {
	return s.set(ctx, key, value, deadline, "")
}

func (s *Redis) Replace(ctx context.Context, key string, value []byte, deadline time.Time) error {
	return s.set(ctx, key, value, deadline, "XX")
}

func (s *Redis) set(ctx context.Context, key string, value []byte, deadline time.Time, mode string) error {
	if !json.Valid(value) {
		return errors.New("store: value is not JSON")
	}
	ttl := time.Until(deadline).Truncate(time.Millisecond)
	if ttl <= 0 {
		// Already past its deadline: storing it would only be a key to forget.
		return s.Delete(ctx, key)
	}
	err := s.client.SetArgs(ctx, s.Key(key), value, redis.SetArgs{Mode: mode, TTL: ttl}).Err()
	if errors.Is(err, redis.Nil) {
		return ErrNotFound // XX and the key is gone
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

func (s *Redis) Delete(ctx context.Context, key string) error {
	if err := s.client.Del(ctx, s.Key(key)).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

func (s *Redis) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

func (s *Redis) Close() error { return s.client.Close() }

// unavailable wraps a Redis error without its text, which can carry the
// server's address: callers log it, clients never see it.
func unavailable(err error) error {
	return fmt.Errorf("%w: redis: %v", ErrUnavailable, err)
}

// ParseRedisURL turns REDIS_URL into options for go-redis's UniversalClient,
// so one setting covers a single server, Sentinel and Cluster:
//
//	redis://[user:pass@]host:port[/db]            one server
//	rediss://...                                  the same over TLS
//	redis://host:26379/0?master_name=mymaster&addr=host2:26379   Sentinel
//	redis://host:7000?cluster=true&addr=host2:7001               Cluster
//
// Other query parameters are go-redis's (dial_timeout, read_timeout, ...).
// Timeouts the URL leaves out get this package's short defaults.
func ParseRedisURL(raw string) (*redis.UniversalOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %v", redactErr(err, raw))
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("REDIS_URL: scheme must be redis:// or rediss://, got %q", u.Scheme)
	}
	q := u.Query()
	cluster := strings.EqualFold(q.Get("cluster"), "true")
	q.Del("cluster")
	u.RawQuery = q.Encode()

	var o redis.UniversalOptions
	switch {
	case q.Has("master_name"):
		fo, err := redis.ParseFailoverURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (sentinel): %v", redactErr(err, raw))
		}
		o = redis.UniversalOptions{
			Addrs: fo.SentinelAddrs, MasterName: fo.MasterName, DB: fo.DB,
			Username: fo.Username, Password: fo.Password,
			SentinelUsername: fo.SentinelUsername, SentinelPassword: fo.SentinelPassword,
			TLSConfig:   fo.TLSConfig,
			DialTimeout: fo.DialTimeout, ReadTimeout: fo.ReadTimeout, WriteTimeout: fo.WriteTimeout,
			PoolTimeout: fo.PoolTimeout, MaxRetries: fo.MaxRetries,
		}
	case cluster || q.Has("addr"):
		co, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (cluster): %v", redactErr(err, raw))
		}
		o = redis.UniversalOptions{
			Addrs: co.Addrs, IsClusterMode: true,
			Username: co.Username, Password: co.Password, TLSConfig: co.TLSConfig,
			DialTimeout: co.DialTimeout, ReadTimeout: co.ReadTimeout, WriteTimeout: co.WriteTimeout,
			PoolTimeout: co.PoolTimeout, MaxRetries: co.MaxRetries,
		}
	default:
		so, err := redis.ParseURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %v", redactErr(err, raw))
		}
		o = redis.UniversalOptions{
			Addrs: []string{so.Addr}, DB: so.DB,
			Username: so.Username, Password: so.Password, TLSConfig: so.TLSConfig,
			DialTimeout: so.DialTimeout, ReadTimeout: so.ReadTimeout, WriteTimeout: so.WriteTimeout,
			PoolTimeout: so.PoolTimeout, MaxRetries: so.MaxRetries,
		}
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = redisDialTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = redisIOTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = redisIOTimeout
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = redisPoolTimeout
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = -1 // a retry would double the time to a 503
	}
	if o.DialerRetries == 0 {
		// go-redis dials 5 times by default, 100 ms apart and each attempt
		// with the full dial timeout: against an address that drops
		// packets that is ~3 s before the 503. One attempt bounds it by
		// the dial timeout.
		o.DialerRetries = 1
	}
	return &o, nil
}

// redactErr keeps a parse error from echoing the password in the URL.
func redactErr(err error, raw string) string {
	msg := err.Error()
	if u, perr := url.Parse(raw); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}
