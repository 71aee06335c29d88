package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/reference/redisserver"
	"github.com/sessionconf/sessionconf/reference/store"
)

// The store tests are one table of behaviours that every Store must have,
// run against every store, followed by what only one store promises (file
// modes and paths; Redis TTLs and prefixes).

// raw reaches into a store's backing service behind the store's back, to
// plant garbage and to check what was (not) written.
type raw interface {
	// set writes data under key exactly as given.
	set(t *testing.T, key string, data []byte)
	// has reports whether anything at all is stored under key.
	has(t *testing.T, key string) bool
	// count is the number of entries in the backing service, including
	// debris such as temporary files.
	count(t *testing.T) int
}

type kind struct {
	name string
	open func(t *testing.T) (store.Store, raw)
}

// key returns the i-th test key; store keys are lowercase hex hashes.
func key(i int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "key-%d", i))
	return hex.EncodeToString(sum[:])
}

// value returns a small compact JSON value, distinct for each n.
func value(n int) []byte {
	return fmt.Appendf(nil, `{"email":"john.smith@example.com","n":%d}`, n)
}

func hour() time.Time { return time.Now().Add(time.Hour) }

func TestStores(t *testing.T) {
	t.Parallel()
	redisDBs := newRedisPool(t)
	kinds := []kind{
		{"file", func(t *testing.T) (store.Store, raw) {
			dir := filepath.Join(t.TempDir(), "sessions")
			s, _, err := store.OpenFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			return s, fileRaw{dir}
		}},
		{"redis", func(t *testing.T) (store.Store, raw) {
			s, c := redisDBs.open(t, store.DefaultKeyPrefix)
			return s, redisRaw{c, store.DefaultKeyPrefix}
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			for _, b := range behaviours {
				t.Run(b.name, func(t *testing.T) {
					t.Parallel()
					s, r := k.open(t)
					b.run(t, s, r)
				})
			}
		})
	}
}

var behaviours = []struct {
	name string
	run  func(t *testing.T, s store.Store, r raw)
}{
	{"get of a missing key is ErrNotFound", func(t *testing.T, s store.Store, r raw) {
		if _, err := s.Get(t.Context(), key(1)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get(missing) error = %v, want ErrNotFound", err)
		}
	}},
	{"put then get returns the value", func(t *testing.T, s store.Store, r raw) {
		mustPut(t, s, key(1), value(1))
		wantValue(t, s, key(1), value(1))
		if !r.has(t, key(1)) {
			t.Fatal("Put returned but nothing is stored under the key")
		}
	}},
	{"put overwrites", func(t *testing.T, s store.Store, r raw) {
		mustPut(t, s, key(1), value(1))
		mustPut(t, s, key(1), value(2))
		wantValue(t, s, key(1), value(2))
		if n := r.count(t); n != 1 {
			t.Fatalf("%d entries after two Puts of one key, want 1", n)
		}
	}},
	{"keys are independent", func(t *testing.T, s store.Store, r raw) {
		mustPut(t, s, key(1), value(1))
		mustPut(t, s, key(2), value(2))
		if err := s.Delete(t.Context(), key(1)); err != nil {
			t.Fatal(err)
		}
		wantValue(t, s, key(2), value(2))
		wantMissing(t, s, r, key(1))
	}},
	{"replace updates an existing key", func(t *testing.T, s store.Store, r raw) {
		mustPut(t, s, key(1), value(1))
		if err := s.Replace(t.Context(), key(1), value(2), hour()); err != nil {
			t.Fatalf("Replace(existing) = %v", err)
		}
		wantValue(t, s, key(1), value(2))
	}},
	{"replace of a missing key is ErrNotFound and writes nothing", func(t *testing.T, s store.Store, r raw) {
		if err := s.Replace(t.Context(), key(1), value(1), hour()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Replace(missing) = %v, want ErrNotFound", err)
		}
		wantMissing(t, s, r, key(1))
		if n := r.count(t); n != 0 {
			t.Fatalf("%d entries after a refused Replace, want 0", n)
		}
	}},
	{"replace of a deleted key is ErrNotFound and writes nothing", func(t *testing.T, s store.Store, r raw) {
		mustPut(t, s, key(1), value(1))
		if err := s.Delete(t.Context(), key(1)); err != nil {
			t.Fatal(err)
		}
		if err := s.Replace(t.Context(), key(1), value(2), hour()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Replace(deleted) = %v, want ErrNotFound", err)
		}
		wantMissing(t, s, r, key(1))
		if n := r.count(t); n != 0 {
			t.Fatalf("%d entries after a refused Replace, want 0", n)
		}
	}},
	{"delete removes the key and a second delete is no error", func(t *testing.T, s store.Store, r raw) {
		mustPut(t, s, key(1), value(1))
		for i := range 2 {
			if err := s.Delete(t.Context(), key(1)); err != nil {
				t.Fatalf("Delete #%d = %v", i+1, err)
			}
		}
		wantMissing(t, s, r, key(1))
	}},
	{"put and replace refuse values that are not JSON", func(t *testing.T, s store.Store, r raw) {
		for _, v := range [][]byte{nil, {}, []byte("not json"), []byte(`{"email":`), []byte("\x80\x81gob")} {
			if err := s.Put(t.Context(), key(1), v, hour()); err == nil {
				t.Errorf("Put(%q) succeeded, want an error", v)
			}
		}
		wantMissing(t, s, r, key(1))
		mustPut(t, s, key(2), value(2))
		if err := s.Replace(t.Context(), key(2), []byte("not json"), hour()); err == nil {
			t.Error("Replace with a non-JSON value succeeded")
		}
		wantValue(t, s, key(2), value(2))
	}},
	{"garbage written behind the store's back is ErrCorrupt", func(t *testing.T, s store.Store, r raw) {
		garbage := [][]byte{{}, []byte("\xff\xfe\x00garbage"), []byte(`{"deadline":"2030-01-01T00:00:00Z","value":{"ema`), []byte("\x80\x04\x95pickle")}
		mustPut(t, s, key(100), value(100))
		for i, g := range garbage {
			r.set(t, key(i), g)
			if _, err := s.Get(t.Context(), key(i)); !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("Get of %q: error %v, want ErrCorrupt", g, err)
			}
		}
		wantValue(t, s, key(100), value(100)) // a corrupt entry harms no other
	}},
	{"ping succeeds", func(t *testing.T, s store.Store, r raw) {
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping = %v", err)
		}
	}},
	{"replace racing delete never brings the key back", func(t *testing.T, s store.Store, r raw) {
		const writers = 8
		for trial := range 3 {
			k := key(trial)
			mustPut(t, s, k, value(0))
			var wg sync.WaitGroup
			var deleted atomic.Bool
			var replaced atomic.Int32
			errs := make(chan error, writers)
			for w := range writers {
				wg.Go(func() {
					for i := 0; ; i++ {
						after := deleted.Load()
						err := s.Replace(context.Background(), k, value(w*1000+i), hour())
						switch {
						case errors.Is(err, store.ErrNotFound):
							return
						case err != nil:
							errs <- fmt.Errorf("writer %d: Replace = %v", w, err)
							return
						case after:
							errs <- fmt.Errorf("writer %d: Replace started after Delete returned and succeeded", w)
							return
						}
						replaced.Add(1)
					}
				})
			}
			for replaced.Load() < writers { // every writer is busy
				runtime.Gosched()
			}
			if err := s.Delete(t.Context(), k); err != nil {
				t.Fatal(err)
			}
			deleted.Store(true)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if r.has(t, k) {
				t.Fatalf("trial %d: a Replace racing Delete wrote the key back", trial)
			}
		}
	}},
	{"readers never see a torn value", func(t *testing.T, s store.Store, r raw) {
		big := func(n int) []byte {
			return fmt.Appendf(nil, `{"n":%d,"pad":"%s"}`, n, bytes.Repeat([]byte{'a' + byte(n)}, 64<<10))
		}
		a, b := big(0), big(1)
		mustPut(t, s, key(1), a)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var reads atomic.Int64
		for range 2 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					got, err := s.Get(context.Background(), key(1))
					if err != nil {
						t.Errorf("Get during writes: %v", err)
						return
					}
					if !bytes.Equal(got, a) && !bytes.Equal(got, b) {
						t.Errorf("Get during writes returned %d bytes that are neither value", len(got))
						return
					}
					reads.Add(1)
				}
			})
		}
		for i := 0; i < 40 || reads.Load() < 20; i++ {
			v := a
			if i%2 == 1 {
				v = b
			}
			if err := s.Replace(t.Context(), key(1), v, hour()); err != nil {
				t.Error(err)
				break
			}
			if t.Failed() || i > 10000 {
				break
			}
		}
		close(stop)
		wg.Wait()
	}},
}

func mustPut(t *testing.T, s store.Store, k string, v []byte) {
	t.Helper()
	if err := s.Put(t.Context(), k, v, hour()); err != nil {
		t.Fatalf("Put(%s) = %v", k[:8], err)
	}
}

func wantValue(t *testing.T, s store.Store, k string, want []byte) {
	t.Helper()
	got, err := s.Get(t.Context(), k)
	if err != nil {
		t.Fatalf("Get(%s) = %v", k[:8], err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%s) = %s, want %s", k[:8], got, want)
	}
}

func wantMissing(t *testing.T, s store.Store, r raw, k string) {
	t.Helper()
	if _, err := s.Get(t.Context(), k); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%s) error = %v, want ErrNotFound", k[:8], err)
	}
	if r.has(t, k) {
		t.Fatalf("the backing service still holds %s", k[:8])
	}
}

// ---- file store: raw access ----

type fileRaw struct{ dir string }

func (f fileRaw) set(t *testing.T, k string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, k), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f fileRaw) has(t *testing.T, k string) bool {
	t.Helper()
	_, err := os.Lstat(filepath.Join(f.dir, k))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func (f fileRaw) count(t *testing.T) int { return len(listDir(t, f.dir)) }

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// ---- Redis store: a local redis-server, one logical database per test ----

type redisPool struct {
	srv  *redisserver.Server
	next atomic.Int32
}

const redisDatabases = 256

// startRedis starts a redis-server for t, stopped (by its process group)
// when t ends.
func startRedis(t *testing.T, dbs int) *redisserver.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*redisserver.StartTimeout)
	defer cancel()
	srv, err := redisserver.Start(ctx, redisserver.Options{Databases: dbs})
	if err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func newRedisPool(t *testing.T) *redisPool {
	return &redisPool{srv: startRedis(t, redisDatabases)}
}

// open returns a store on a fresh database of the pool's server, built the
// way the server builds it (from a URL), and a plain client on the same
// database for inspection.
func (p *redisPool) open(t *testing.T, prefix string) (*store.Redis, *redis.Client) {
	t.Helper()
	db := int(p.next.Add(1))
	if db >= redisDatabases {
		t.Fatalf("more than %d Redis databases used", redisDatabases)
	}
	return openRedis(t, p.srv, db, prefix)
}

func openRedis(t *testing.T, srv *redisserver.Server, db int, prefix string) (*store.Redis, *redis.Client) {
	t.Helper()
	opts, err := store.ParseRedisURL(srv.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	s := store.NewRedis(redis.NewUniversalClient(opts), prefix)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: db})
	t.Cleanup(func() { s.Close(); c.Close() })
	if err := c.FlushDB(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	return s, c
}

type redisRaw struct {
	c      *redis.Client
	prefix string
}

func (r redisRaw) set(t *testing.T, k string, data []byte) {
	t.Helper()
	if err := r.c.Set(t.Context(), r.prefix+k, data, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
}

func (r redisRaw) has(t *testing.T, k string) bool {
	t.Helper()
	n, err := r.c.Exists(t.Context(), r.prefix+k).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func (r redisRaw) count(t *testing.T) int {
	t.Helper()
	n, err := r.c.DBSize(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// ---- Redis only ----

func TestRedisTTLIsTheRemainingLifetime(t *testing.T) {
	t.Parallel()
	srv := startRedis(t, 1)
	s, c := openRedis(t, srv, 0, store.DefaultKeyPrefix)
	ttl := func() time.Duration {
		t.Helper()
		d, err := c.PTTL(t.Context(), s.Key(key(1))).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	near := func(what string, got, want time.Duration) {
		t.Helper()
		if got < want-time.Second || got > want+time.Second {
			t.Errorf("%s: TTL %v, want %v ± 1s", what, got, want)
		}
	}
	mustPutUntil(t, s, key(1), value(1), time.Now().Add(90*time.Second))
	near("after Put", ttl(), 90*time.Second)
	// A Replace moves the expiry to the new deadline (an idle refresh
	// forward, never a stale TTL kept from before).
	if err := s.Replace(t.Context(), key(1), value(2), time.Now().Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	near("after Replace", ttl(), 30*time.Second)
	mustPutUntil(t, s, key(1), value(3), time.Now().Add(7*24*time.Hour))
	near("seven days", ttl(), 7*24*time.Hour)
}

func TestRedisPastDeadlineStoresNothing(t *testing.T) {
	t.Parallel()
	srv := startRedis(t, 1)
	s, c := openRedis(t, srv, 0, store.DefaultKeyPrefix)
	r := redisRaw{c, store.DefaultKeyPrefix}
	past := time.Now().Add(-time.Second)
	if err := s.Put(t.Context(), key(1), value(1), past); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, r, key(1))
	mustPut(t, s, key(2), value(2))
	if err := s.Replace(t.Context(), key(2), value(3), past); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, r, key(2))
}

func TestRedisKeysCarryThePrefix(t *testing.T) {
	t.Parallel()
	srv := startRedis(t, 2)
	for db, prefix := range []string{store.DefaultKeyPrefix, "app1:sess:"} {
		s, c := openRedis(t, srv, db, prefix)
		for i := range 3 {
			mustPut(t, s, key(i), value(i))
		}
		keys, err := c.Keys(t.Context(), "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		want := []string{prefix + key(0), prefix + key(1), prefix + key(2)}
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Errorf("prefix %q: keys %q, want %q", prefix, keys, want)
		}
		if got := s.Key(key(0)); got != prefix+key(0) {
			t.Errorf("Key = %q, want %q", got, prefix+key(0))
		}
	}
	if store.DefaultKeyPrefix != "session:" {
		t.Errorf("DefaultKeyPrefix = %q; the documented prefix is session:", store.DefaultKeyPrefix)
	}
}

// outageBound is how long a store call may take while Redis is down: the
// store's own timeouts are half a second, so this has generous slack.
const outageBound = 2 * time.Second

func TestRedisOutageIsUnavailableAndRecovers(t *testing.T) {
	t.Parallel()
	srv := startRedis(t, 1)
	s, _ := openRedis(t, srv, 0, store.DefaultKeyPrefix)
	mustPut(t, s, key(1), value(1)) // a pooled connection exists when Redis goes
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(context.Context) error{
		"Get":     func(ctx context.Context) error { _, err := s.Get(ctx, key(1)); return err },
		"Put":     func(ctx context.Context) error { return s.Put(ctx, key(2), value(2), hour()) },
		"Replace": func(ctx context.Context) error { return s.Replace(ctx, key(1), value(2), hour()) },
		"Delete":  func(ctx context.Context) error { return s.Delete(ctx, key(1)) },
		"Ping":    s.Ping,
	}
	for name, call := range calls {
		start := time.Now()
		err := call(t.Context())
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s while Redis is down = %v, want ErrUnavailable", name, err)
		}
		if d := time.Since(start); d > outageBound {
			t.Errorf("%s took %v while Redis is down, want < %v", name, d, outageBound)
		}
	}
	if err := srv.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The same store (same client) works again, without being rebuilt.
	deadline := time.Now().Add(10 * time.Second)
	for s.Ping(t.Context()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("store did not recover within 10s of Redis coming back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mustPut(t, s, key(3), value(3))
	wantValue(t, s, key(3), value(3))
}

func TestRedisPausedServerTimesOut(t *testing.T) {
	t.Parallel()
	srv := startRedis(t, 1)
	s, _ := openRedis(t, srv, 0, store.DefaultKeyPrefix)
	mustPut(t, s, key(1), value(1))
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Resume() })
	start := time.Now()
	_, err := s.Get(t.Context(), key(1))
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Get from a frozen Redis = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > outageBound {
		t.Errorf("Get from a frozen Redis took %v, want < %v", d, outageBound)
	}
}

// A Redis whose address drops packets (a host gone, a firewall) makes every
// dial wait for the dial timeout; the store must not multiply that by
// go-redis's default dial retries.
func TestRedisBlackholedDialIsBounded(t *testing.T) {
	t.Parallel()
	opts, err := store.ParseRedisURL("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	var dials atomic.Int32
	opts.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		<-ctx.Done() // the SYN is never answered
		return nil, ctx.Err()
	}
	s := store.NewRedis(redis.NewUniversalClient(opts), store.DefaultKeyPrefix)
	t.Cleanup(func() { s.Close() })
	start := time.Now()
	_, err = s.Get(t.Context(), key(1))
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Get = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > outageBound {
		t.Errorf("Get against a blackholed address took %v (%d dials), want < %v", d, dials.Load(), outageBound)
	}
}

func TestParseRedisURL(t *testing.T) {
	t.Parallel()
	o, err := store.ParseRedisURL("redis://:s3cret@127.0.0.1:6390/5")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Addrs, []string{"127.0.0.1:6390"}) || o.DB != 5 || o.Password != "s3cret" || o.IsClusterMode || o.MasterName != "" {
		t.Errorf("single server: %+v", o)
	}
	if o.DialTimeout <= 0 || o.DialTimeout > time.Second || o.ReadTimeout <= 0 || o.ReadTimeout > time.Second ||
		o.WriteTimeout <= 0 || o.WriteTimeout > time.Second || o.PoolTimeout <= 0 || o.PoolTimeout > time.Second {
		t.Errorf("default timeouts must be short (<= 1s) so an outage is a quick 503: %+v", o)
	}
	if o.DialerRetries != 1 {
		t.Errorf("DialerRetries = %d, want 1 (each retry waits the full dial timeout)", o.DialerRetries)
	}
	if o.MaxRetries != -1 {
		t.Errorf("MaxRetries = %d, want -1 (no retry doubling the time to a 503)", o.MaxRetries)
	}

	o, err = store.ParseRedisURL("redis://127.0.0.1:6390/0?dial_timeout=3s&read_timeout=2s")
	if err != nil {
		t.Fatal(err)
	}
	if o.DialTimeout != 3*time.Second || o.ReadTimeout != 2*time.Second {
		t.Errorf("URL timeouts not honoured: dial %v read %v", o.DialTimeout, o.ReadTimeout)
	}

	o, err = store.ParseRedisURL("rediss://127.0.0.1:6390/0")
	if err != nil || o.TLSConfig == nil {
		t.Errorf("rediss:// must enable TLS: %v %+v", err, o)
	}

	o, err = store.ParseRedisURL("redis://10.0.0.1:26379/2?master_name=mymaster&addr=10.0.0.2:26379")
	if err != nil {
		t.Fatal(err)
	}
	if o.MasterName != "mymaster" || len(o.Addrs) != 2 || o.DB != 2 {
		t.Errorf("sentinel: %+v", o)
	}

	o, err = store.ParseRedisURL("redis://10.0.0.1:7000?cluster=true&addr=10.0.0.2:7001")
	if err != nil {
		t.Fatal(err)
	}
	if !o.IsClusterMode || len(o.Addrs) != 2 {
		t.Errorf("cluster: %+v", o)
	}

	for _, bad := range []string{"http://127.0.0.1:6379", "127.0.0.1:6379", "redis://h:6379/notadb", "redis://:hunter2@h:6379/x"} {
		_, err := store.ParseRedisURL(bad)
		if err == nil {
			t.Errorf("ParseRedisURL(%q) succeeded", bad)
			continue
		}
		if bytes.Contains([]byte(err.Error()), []byte("hunter2")) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func mustPutUntil(t *testing.T, s store.Store, k string, v []byte, deadline time.Time) {
	t.Helper()
	if err := s.Put(t.Context(), k, v, deadline); err != nil {
		t.Fatal(err)
	}
}

// ---- file store only ----

func TestOpenFileCreatesAPrivateDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "flask_session")
	s, created, err := store.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("created = false for a directory that did not exist")
	}
	if s.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", s.Dir(), dir)
	}
	wantMode(t, dir, os.ModeDir|store.DirMode)
	if _, created, err := store.OpenFile(dir); err != nil || created {
		t.Errorf("second OpenFile: created=%v err=%v, want false, nil", created, err)
	}
	if store.DirMode != 0o700 || store.FileMode != 0o600 {
		t.Errorf("modes %v %v, want 0700 and 0600", store.DirMode, store.FileMode)
	}
}

func TestOpenFileRefusesUnsafeDirectories(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	regular := filepath.Join(tmp, "regular")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(tmp, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", regular, open} {
		if _, _, err := store.OpenFile(dir); err == nil {
			t.Errorf("OpenFile(%q) succeeded", dir)
		}
	}
}

func TestFileEntriesArePrivateJSONFilesNamedByKey(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sessions")
	s, _, err := store.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Date(2031, 2, 3, 4, 5, 6, 0, time.FixedZone("x", 3600))
	mustPutUntil(t, s, key(1), value(1), deadline)
	if err := s.Replace(t.Context(), key(1), value(2), deadline); err != nil {
		t.Fatal(err)
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{key(1)}) {
		t.Fatalf("directory holds %q, want just the key's file", names)
	}
	path := filepath.Join(dir, key(1))
	if p, err := s.Path(key(1)); err != nil || p != path {
		t.Errorf("Path = %q, %v; want %q", p, err, path)
	}
	wantMode(t, path, store.FileMode)
	wantMode(t, dir, os.ModeDir|store.DirMode)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Deadline time.Time       `json:"deadline"`
		Value    json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatalf("a session file is not JSON: %v\n%s", err, data)
	}
	if !env.Deadline.Equal(deadline) || !bytes.Equal(env.Value, value(2)) {
		t.Errorf("file holds deadline %v value %s, want %v %s", env.Deadline, env.Value, deadline, value(2))
	}
}

func TestFileRefusesKeysThatAreNotStoreKeys(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "sessions")
	s, _, err := store.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Victims outside the directory that a traversal would reach.
	victim := filepath.Join(tmp, "victim")
	victimData := []byte(`{"deadline":"2099-01-01T00:00:00Z","value":{"email":"victim@example.com"}}`)
	if err := os.WriteFile(victim, victimData, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "abcd")
	if err := os.Mkdir(sub, 0o700); err != nil { // a hex-named directory is not an entry
		t.Fatal(err)
	}
	before := listDir(t, tmp)
	bad := []string{
		"", "../victim", "../../" + filepath.Base(tmp) + "/victim", victim, strings.Repeat("../", 12) + strings.TrimPrefix(victim, "/"),
		"abcd/../../victim", "ab\x00cd", "ABCDEF", "abc/def", ".", "..", ".tmp-123", "a.b",
		"abc\n", " abc", string(bytes.Repeat([]byte("a"), 129)), "\xff\xfe",
	}
	for _, k := range bad {
		if _, err := s.Path(k); err == nil {
			t.Errorf("Path(%q) accepted an invalid key", k)
		}
		if err := s.Put(t.Context(), k, value(1), hour()); err == nil {
			t.Errorf("Put(%q) succeeded", k)
		}
		if err := s.Replace(t.Context(), k, value(1), hour()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Replace(%q) = %v, want ErrNotFound", k, err)
		}
		if got, err := s.Get(t.Context(), k); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) = %q, %v; want ErrNotFound", k, got, err)
		}
		if err := s.Delete(t.Context(), k); err != nil {
			t.Errorf("Delete(%q) = %v, want nil (nothing by that name can exist)", k, err)
		}
	}
	if got := listDir(t, tmp); !slices.Equal(got, before) {
		t.Errorf("parent directory changed: %q, was %q", got, before)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"abcd"}) {
		t.Errorf("store directory holds %q, want just the pre-existing abcd/", got)
	}
	if data, err := os.ReadFile(victim); err != nil || !bytes.Equal(data, victimData) {
		t.Errorf("victim file changed: %q, %v", data, err)
	}
	// The longest valid key is accepted (a SHA-512 in hex).
	long := string(bytes.Repeat([]byte("f"), 128))
	mustPut(t, s, long, value(1))
	wantValue(t, s, long, value(1))
}

func TestFileWritesLeaveNoTemporaryFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sessions")
	s, _, err := store.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		mustPut(t, s, key(i%3), value(i))
		if err := s.Replace(t.Context(), key(i%3), value(i+1), hour()); err != nil {
			t.Fatal(err)
		}
	}
	// A refused write (not JSON) cleans up too.
	s.Put(t.Context(), key(9), []byte("{"), hour())
	got := listDir(t, dir)
	want := []string{key(0), key(1), key(2)}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("directory holds %q, want only %q", got, want)
	}
}

func TestFileDirectoryDeletedIsRecreatedByPut(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sessions")
	s, _, err := store.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, key(1), value(1))
	if err := os.RemoveAll(dir); err != nil { // the story's rm -rf flask_session
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping without a directory = %v, want ErrUnavailable", err)
	}
	if _, err := s.Get(t.Context(), key(1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after the directory went = %v, want ErrNotFound", err)
	}
	if err := s.Replace(t.Context(), key(1), value(2), hour()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Replace after the directory went = %v, want ErrNotFound", err)
	}
	if err := s.Delete(t.Context(), key(1)); err != nil {
		t.Errorf("Delete after the directory went = %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("something other than Put recreated the directory: %v", err)
	}
	mustPut(t, s, key(2), value(2))
	wantMode(t, dir, os.ModeDir|store.DirMode)
	wantValue(t, s, key(2), value(2))
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping after recreation = %v", err)
	}
}

func TestFileDirectoryReplacedByAFileIsUnavailable(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sessions")
	s, _, err := store.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, key(1), value(1))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), key(2), value(2), hour()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Put = %v, want an error wrapping ErrUnavailable", err)
	}
	if err := s.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping = %v, want ErrUnavailable", err)
	}
	if _, err := s.Get(t.Context(), key(1)); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Get = %v, want ErrUnavailable", err)
	}
	if err := s.Replace(t.Context(), key(1), value(2), hour()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Replace = %v, want ErrUnavailable", err)
	}
	if err := s.Delete(t.Context(), key(1)); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Delete = %v, want ErrUnavailable (the record may still exist somewhere)", err)
	}
	if data, err := os.ReadFile(dir); err != nil || string(data) != "not a directory" {
		t.Errorf("the file in the directory's place changed: %q %v", data, err)
	}
}

func TestFileSweep(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sessions")
	s, _, err := store.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	write := func(name string, data []byte, age time.Duration) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	mustPutUntil(t, s, key(1), value(1), now.Add(time.Hour))    // live
	mustPutUntil(t, s, key(2), value(2), now.Add(-time.Second)) // expired
	mustPutUntil(t, s, key(3), value(3), now)                   // due exactly now
	write(key(4), []byte("\x00garbage"), 0)                     // corrupt
	write(key(5), nil, 0)                                       // empty
	write(store.TempPrefix+"crashed", []byte("{"), store.StaleTemp+time.Minute)
	write(store.TempPrefix+"writing", []byte("{"), 0) // a write in progress
	write("README", []byte("not ours"), time.Hour)
	write("notes.json", []byte(`{"deadline":"2000-01-01T00:00:00Z","value":1}`), time.Hour)
	write("ABCDEF", []byte("\x00"), time.Hour) // not a key: uppercase
	if err := os.Mkdir(filepath.Join(dir, "abcdef"), 0o700); err != nil {
		t.Fatal(err)
	}

	n, err := s.Sweep(t.Context(), now)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{key(1), store.TempPrefix + "writing", "README", "notes.json", "ABCDEF", "abcdef"}
	slices.Sort(want)
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Errorf("after Sweep the directory holds\n %q\nwant\n %q", got, want)
	}
	if n != 5 {
		t.Errorf("Sweep reported %d removals, want 5", n)
	}
	wantValue(t, s, key(1), value(1))

	if n, err := s.Sweep(t.Context(), now); n != 0 || err != nil {
		t.Errorf("second Sweep = %d, %v; want 0, nil", n, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Sweep(t.Context(), now); n != 0 || err != nil {
		t.Errorf("Sweep of a missing directory = %d, %v; want 0, nil", n, err)
	}
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode(); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}
