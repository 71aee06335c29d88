package conform

import (
	"crypto/rand"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/setcookie"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// Parallel runs fn(0..n-1) with at most width running at once and waits for
// all. Failures recorded inside fn (Errorf, Expect) are collected as usual;
// a Fatalf inside fn stops only that call. A Broken or Unsupported inside
// fn stops the spec once every call has returned.
func (t *T) Parallel(n, width int, fn func(i int)) {
	t.ParallelUntil(time.Time{}, n, width, fn)
}

// ParallelUntil is Parallel that starts no call after deadline (the zero
// time: none), and returns how many it started. A load bounded in time as
// well as in number ends when the suite's budget for it is spent, however
// busy the machine, and the spec judges what arrived, or says it could
// not finish; it never runs into the spec timeout.
func (t *T) ParallelUntil(deadline time.Time, n, width int, fn func(i int)) (started int) {
	sem := make(chan struct{}, width)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var stop *abort
	for i := range n {
		mu.Lock()
		stopped := stop != nil
		mu.Unlock()
		if stopped {
			break // the spec ends: start no more calls
		}
		sem <- struct{}{}
		if !deadline.IsZero() && time.Now().After(deadline) {
			<-sem
			break // the budget is spent
		}
		started++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer func() {
				if r := recover(); r != nil {
					a, ok := r.(abort)
					if !ok {
						panic(r)
					}
					if a.o.infra != nil || a.o.unsupported != "" {
						mu.Lock()
						if stop == nil {
							stop = &a
						}
						mu.Unlock()
					}
				}
			}()
			fn(i)
		}()
	}
	wg.Wait()
	if stop != nil {
		panic(*stop)
	}
	return started
}

// SessionCookies returns the Set-Cookie lines of the session cookie in r.
func (t *T) SessionCookies(r *visitor.Response, in *instance.Instance) []setcookie.Cookie {
	return setcookie.For(r.RawSetCookies, t.CookieName(in))
}

// Forge returns a random value shaped like v: the same length, letters for
// letters, digits for digits, every other character kept. A server that
// accepts it adopts an ID it never issued.
func Forge(v string) string {
	const lower, upper, digits = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
	hexOnly := strings.Trim(v, "0123456789abcdef") == ""
	b := []byte(v)
	for i, c := range b {
		switch {
		case hexOnly:
			b[i] = "0123456789abcdef"[randN(16)]
		case c >= 'a' && c <= 'z':
			b[i] = lower[randN(len(lower))]
		case c >= 'A' && c <= 'Z':
			b[i] = upper[randN(len(upper))]
		case c >= '0' && c <= '9':
			b[i] = digits[randN(len(digits))]
		}
	}
	return string(b)
}

func randN(n int) int {
	x, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(x.Int64())
}

// NewRecords lists the store and returns the records that were not in
// before; it records a failure when there are none, because then the store
// location in the manifest is wrong and every store check would pass
// vacuously.
func (t *T) NewRecords(before []inspect.Record, label string) []inspect.Record {
	after := t.Records(label)
	created := inspect.New(before, after)
	if len(created) == 0 {
		s := t.Store()
		t.Fatalf("%s: no new record appeared in the store (%s %s): the manifest's store location (store.dir / store.redis_prefix) must be where the target keeps sessions", label, s.Kind(), s.Location())
	}
	return created
}

// PlantCanary writes a file next to the session directory, where a path
// traversal through the cookie would land, and returns its path.
func (t *T) PlantCanary() string {
	p := filepath.Join(t.stateDir, "canary.txt")
	t.Must(os.WriteFile(p, []byte("canary: must survive every hostile cookie\n"), 0o644), "plant the canary")
	return p
}

// Tree lists every file under dir except the session directory and the
// logs, for "no file was created outside the store" checks.
func (t *T) Tree() map[string]string {
	files := map[string]string{}
	sessionDir, logDir := t.sessionDir(), t.logDir
	filepath.WalkDir(t.stateDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (p == sessionDir || p == logDir) {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			data, _ := os.ReadFile(p)
			files[p] = string(data)
		}
		return nil
	})
	return files
}

// PlantUnrelatedData puts data the target does not own beside its
// sessions (a Redis key outside the prefix; a file outside the session
// directory) and returns a check that it is still intact.
func (t *T) PlantUnrelatedData() (stillThere func()) {
	switch {
	case t.Profile.UsesRedis():
		const val = "must survive clearing the sessions"
		key := t.unrelatedKey()
		t.Must(t.RedisClient().Set(t.ctx, key, val, 0).Err(), "plant an unrelated key")
		return func() {
			got, err := t.RedisClient().Get(t.ctx, key).Result()
			t.Check(err == nil && got == val, "clearing the sessions deleted or changed the unrelated key %s (%v): sessions must be scoped by their prefix", key, err)
		}
	default:
		p := filepath.Join(t.stateDir, "unrelated.txt")
		t.Must(os.WriteFile(p, []byte("unrelated"), 0o644), "plant an unrelated file")
		return func() {
			_, err := os.Stat(p)
			t.Check(err == nil, "clearing the sessions removed the unrelated file %s", p)
		}
	}
}

// ExpectKeysUnderPrefix checks that every key of the spec's Redis database
// is a session key under the declared prefix (or the planted unrelated key).
func (t *T) ExpectKeysUnderPrefix() {
	s := t.Store().(inspect.Redis)
	keys, err := s.AllKeys(t.ctx)
	t.Must(err, "list the Redis keys")
	if r := t.redisOf(); r.cluster != nil && !r.private {
		t.Broken(errors.New("ExpectKeysUnderPrefix on a cluster other specs share: every key of it is not the spec's (PrivateCluster first)"))
	}
	for _, k := range keys {
		if k != t.unrelatedKey() && !strings.HasPrefix(k, s.Prefix) {
			t.Errorf("the key %q is outside the declared session prefix %q", k, s.Prefix)
		}
	}
}
