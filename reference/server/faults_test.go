package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/config"
	"github.com/sessionconf/sessionconf/reference/server"
	"github.com/sessionconf/sessionconf/reference/session"
	"github.com/sessionconf/sessionconf/reference/store"
)

// outage503Bound is how long a session request may take to be refused
// while its store is down. The requirement is 503 within 1 s; the bound has
// slack for a loaded machine (the store's own timeouts are ~0.5 s).
const outage503Bound = 2 * time.Second

// leakMarkers must never appear in a page shown during an outage.
var leakMarkers = []string{"redis://", "goroutine ", "panic", ".go:", "dial tcp", "connection refused", "store:"}

// brokenStore fails every call with its error while one is set, and
// counts the calls.
type brokenStore struct {
	store.Store
	mu    sync.Mutex
	err   error
	calls atomic.Int64
}

func (b *brokenStore) setErr(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.err = err
}

func (b *brokenStore) fail() error {
	b.calls.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func (b *brokenStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.fail(); err != nil {
		return nil, err
	}
	return b.Store.Get(ctx, key)
}

func (b *brokenStore) Put(ctx context.Context, key string, v []byte, deadline time.Time) error {
	if err := b.fail(); err != nil {
		return err
	}
	return b.Store.Put(ctx, key, v, deadline)
}

func (b *brokenStore) Replace(ctx context.Context, key string, v []byte, deadline time.Time) error {
	if err := b.fail(); err != nil {
		return err
	}
	return b.Store.Replace(ctx, key, v, deadline)
}

func (b *brokenStore) Delete(ctx context.Context, key string) error {
	if err := b.fail(); err != nil {
		return err
	}
	return b.Store.Delete(ctx, key)
}

func (b *brokenStore) Ping(ctx context.Context) error {
	if err := b.fail(); err != nil {
		return err
	}
	return b.Store.Ping(ctx)
}

func TestHealthzNeverTouchesTheStore(t *testing.T) {
	t.Parallel()
	broken := &brokenStore{err: fmt.Errorf("%w: secret-detail redis://10.9.8.7:6379", store.ErrUnavailable)}
	s := settings(t)
	ts := start(t, s, server.Options{WrapStore: func(st store.Store) store.Store { broken.Store = st; return broken }})
	cookie := &http.Cookie{Name: "session", Value: strings.Repeat("a", 43)}
	for range 20 {
		r := do(t, http.MethodGet, ts.URL+server.HealthPath, cookie, nil)
		if r.StatusCode != http.StatusOK || r.Body != "ok\n" {
			t.Fatalf("healthz with the store down: %d %q", r.StatusCode, r.Body)
		}
	}
	// Pages that need no session keep working too (graceful degradation).
	for _, path := range []string{server.LoginPath, server.StylePath} {
		if r := do(t, http.MethodGet, ts.URL+path, nil, nil); r.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the store down: %d", path, r.StatusCode)
		}
	}
	if n := broken.calls.Load(); n != 0 {
		t.Fatalf("healthz and static pages made %d store calls", n)
	}
	r := do(t, http.MethodGet, ts.URL+server.ReadyPath, nil, nil)
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("readyz with the store down: %d Retry-After %q, want 503 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if broken.calls.Load() == 0 {
		t.Error("readyz did not ask the store")
	}
}

func TestReadyzReportsStoreHealth(t *testing.T) {
	t.Parallel()
	s := settings(t)
	ts := start(t, s, server.Options{})
	r := do(t, http.MethodGet, ts.URL+server.ReadyPath, nil, nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "ready") {
		t.Fatalf("readyz: %d %q", r.StatusCode, r.Body)
	}
	must(t, os.RemoveAll(s.FileDir))
	r = do(t, http.MethodGet, ts.URL+server.ReadyPath, nil, nil)
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz without a session directory: %d, want 503", r.StatusCode)
	}
	if strings.Contains(r.Body, s.FileDir) {
		t.Errorf("readyz shows the directory: %q", r.Body)
	}
}

// Store failures are answered, never hidden: 503 with Retry-After when
// the store is unavailable, 500 otherwise, and never a detail.
func TestStoreErrorsAreAnswered(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err        error
		status     int
		retryAfter bool
	}{
		{fmt.Errorf("%w: secret-detail redis://10.9.8.7:6379", store.ErrUnavailable), http.StatusServiceUnavailable, true},
		{errors.New("secret-detail: disk on fire"), http.StatusInternalServerError, false},
	} {
		broken := &brokenStore{}
		s := settings(t)
		ts := start(t, s, server.Options{WrapStore: func(st store.Store) store.Store { broken.Store = st; return broken }})
		c2 := login(t, ts.URL) // while the store works
		broken.setErr(c.err)
		for _, req := range []struct {
			method, path string
			cookie       *http.Cookie
			form         bool
		}{
			{http.MethodGet, server.DashboardPath, c2, false},
			{http.MethodPost, server.LoginPath, nil, true},
			{http.MethodPost, server.LoginPath, c2, true},
			{http.MethodPost, server.LogoutPath, c2, false},
		} {
			var form = credentials(userEmail, userPassword)
			if !req.form {
				form = nil
			}
			r := do(t, req.method, ts.URL+req.path, req.cookie, form)
			what := fmt.Sprintf("%s %s (cookie %v) with %v", req.method, req.path, req.cookie != nil, c.err)
			if r.StatusCode != c.status {
				t.Errorf("%s: %d, want %d", what, r.StatusCode, c.status)
			}
			if got := r.Header.Get("Retry-After") != ""; got != c.retryAfter {
				t.Errorf("%s: Retry-After %q", what, r.Header.Get("Retry-After"))
			}
			if strings.Contains(r.Body, "secret-detail") || strings.Contains(r.Body, userName) {
				t.Errorf("%s: the page shows %q", what, r.Body)
			}
			wantNoSetCookie(t, r) // neither a new session nor a pretended logout
			wantPrivate(t, r)
		}
		broken.setErr(nil)
		wantLoggedIn(t, ts.URL, c2) // the failed logout did not pretend, and did not end it
		ts.Stop(t)
		if !strings.Contains(ts.Stderr.String(), "secret-detail") {
			t.Errorf("the cause was not logged: %q", ts.Stderr)
		}
	}
}

func TestRedisOutageAndRecovery(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	s := settings(t)
	rdb.use(t, &s)
	ts := start(t, s, server.Options{})
	c := login(t, ts.URL)
	wantLoggedIn(t, ts.URL, c)

	must(t, rdb.srv.Stop())
	wantRefusedQuickly := func(what string) {
		t.Helper()
		for _, req := range []struct {
			method, path string
			cookie       *http.Cookie
			form         bool
		}{
			{http.MethodGet, server.DashboardPath, c, false},
			{http.MethodPost, server.LoginPath, nil, true},
			{http.MethodPost, server.LogoutPath, c, false},
		} {
			form := credentials(userEmail, userPassword)
			if !req.form {
				form = nil
			}
			began := time.Now()
			r := do(t, req.method, ts.URL+req.path, req.cookie, form)
			took := time.Since(began)
			if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
				t.Errorf("%s: %s %s: %d Retry-After %q, want 503 with Retry-After", what, req.method, req.path, r.StatusCode, r.Header.Get("Retry-After"))
			}
			if took > outage503Bound {
				t.Errorf("%s: %s %s took %v, want < %v", what, req.method, req.path, took, outage503Bound)
			}
			for _, leak := range append(leakMarkers, rdb.srv.Addr, ":"+portOf(rdb.srv.Addr)) {
				if strings.Contains(r.Body, leak) {
					t.Errorf("%s: %s %s body shows %q: %s", what, req.method, req.path, leak, r.Body)
				}
			}
			wantNoSetCookie(t, r)
		}
		if r := do(t, http.MethodGet, ts.URL+server.HealthPath, nil, nil); r.StatusCode != http.StatusOK {
			t.Errorf("%s: healthz %d", what, r.StatusCode)
		}
		if r := do(t, http.MethodGet, ts.URL+server.ReadyPath, nil, nil); r.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: readyz %d, want 503", what, r.StatusCode)
		}
		if r := do(t, http.MethodGet, ts.URL+server.LoginPath, nil, nil); r.StatusCode != http.StatusOK {
			t.Errorf("%s: the login form %d", what, r.StatusCode)
		}
	}
	wantRefusedQuickly("Redis stopped")
	wantRefusedQuickly("Redis still stopped") // the pool has given up dialling by now

	// Back, without restarting the app. (This redis-server keeps no data,
	// so the old session is gone; a new login must work.)
	must(t, rdb.srv.Restart(context.Background()))
	eventually(t, 10*time.Second, "readiness after Redis came back", func() bool {
		return do(t, http.MethodGet, ts.URL+server.ReadyPath, nil, nil).StatusCode == http.StatusOK
	})
	c2 := login(t, ts.URL)
	wantLoggedIn(t, ts.URL, c2)

	// A frozen Redis (accepts, never answers) is refused in bounded time too.
	must(t, rdb.srv.Pause())
	t.Cleanup(func() { rdb.srv.Resume() })
	began := time.Now()
	r := do(t, http.MethodGet, ts.URL+server.DashboardPath, c2, nil)
	if r.StatusCode != http.StatusServiceUnavailable || time.Since(began) > outage503Bound {
		t.Errorf("frozen Redis: %d after %v, want 503 within %v", r.StatusCode, time.Since(began), outage503Bound)
	}
	must(t, rdb.srv.Resume())
	eventually(t, 10*time.Second, "dashboard after Redis resumed", func() bool {
		return do(t, http.MethodGet, ts.URL+server.DashboardPath, c2, nil).StatusCode == http.StatusOK
	})
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

func TestUnreachableRedisAtStart(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	s := settings(t)
	s.Mode = config.Redis
	s.RedisURL = "redis://" + addr + "/0"
	ts := start(t, s, server.Options{}) // starts: no Fatal from start
	if r := do(t, http.MethodGet, ts.URL+server.HealthPath, nil, nil); r.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", r.StatusCode)
	}
	if r := do(t, http.MethodGet, ts.URL+server.ReadyPath, nil, nil); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with no Redis: %d, want 503", r.StatusCode)
	}
	r := do(t, http.MethodPost, ts.URL+server.LoginPath, nil, credentials(userEmail, userPassword))
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("login with no Redis: %d, want 503", r.StatusCode)
	}
	wantNoSetCookie(t, r)
}

func TestLogoutRacingInFlightRequestsIsNotUndone(t *testing.T) {
	t.Parallel()
	const trials, inFlight = 10, 20
	for _, p := range serverProfiles(t) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			s := settings(t)
			s.IdleTimeout = time.Hour
			count := p.setup(t, &s)
			// With an idle timeout every request writes the session back
			// (LastSeen): the in-flight requests are writers.
			ts := start(t, s, server.Options{})
			for trial := range trials {
				c := login(t, ts.URL)
				var wg sync.WaitGroup
				begin := make(chan struct{})
				for i := range inFlight + 1 {
					wg.Go(func() {
						<-begin
						if i == inFlight/2 {
							r, err := doErr(http.MethodPost, ts.URL+server.LogoutPath, c, nil)
							if err != nil || r.StatusCode != http.StatusSeeOther {
								t.Errorf("logout: %v %v", r.Response, err)
							}
							return
						}
						r, err := doErr(http.MethodGet, ts.URL+server.DashboardPath, c, nil)
						if err != nil || r.StatusCode >= 500 {
							t.Errorf("in-flight request: %v %v", r.Response, err)
						}
					})
				}
				close(begin)
				wg.Wait()
				if n := count(t); n != 0 {
					t.Fatalf("trial %d: %d records after the logout, want 0", trial, n)
				}
				wantLoggedOut(t, ts.URL, c)
			}
		})
	}
}

// gatedStore holds the first Replace until released, so a test can log
// out between a request's read and its write.
type gatedStore struct {
	store.Store
	entered, release chan struct{}
	once             sync.Once
}

func (g *gatedStore) Replace(ctx context.Context, key string, value []byte, deadline time.Time) error {
	g.once.Do(func() { close(g.entered); <-g.release })
	return g.Store.Replace(ctx, key, value, deadline)
}

func TestInFlightWriteAfterLogoutIsRefused(t *testing.T) {
	t.Parallel()
	for _, p := range serverProfiles(t) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			s := settings(t)
			s.IdleTimeout = time.Hour
			count := p.setup(t, &s)
			g := &gatedStore{entered: make(chan struct{}), release: make(chan struct{})}
			ts := start(t, s, server.Options{WrapStore: func(st store.Store) store.Store { g.Store = st; return g }})
			c := login(t, ts.URL)
			done := make(chan response, 1)
			go func() {
				r, err := doErr(http.MethodGet, ts.URL+server.DashboardPath, c, nil)
				if err != nil {
					t.Error(err)
				}
				done <- r
			}()
			select {
			case <-g.entered:
			case r := <-done:
				t.Fatalf("with an idle timeout the dashboard request wrote nothing (%d): nothing to race", r.StatusCode)
			}
			out := do(t, http.MethodPost, ts.URL+server.LogoutPath, c, nil)
			if out.StatusCode != http.StatusSeeOther {
				t.Fatalf("logout: %d", out.StatusCode)
			}
			close(g.release)
			r := <-done
			if r.StatusCode != http.StatusSeeOther || strings.Contains(r.Body, userName) {
				t.Errorf("the in-flight request answered %d after the logout, want 303 to the login page", r.StatusCode)
			}
			if n := count(t); n != 0 {
				t.Fatalf("the in-flight request wrote the session back (%d records)", n)
			}
			wantLoggedOut(t, ts.URL, c)
		})
	}
}

// Cookie values a browser would never send, in raw requests (Go's client
// refuses to send most of them). None is a 5xx, none a session, none a
// file touched outside the store.
func TestHostileCookieValues(t *testing.T) {
	t.Parallel()
	s := settings(t)
	ts := start(t, s, server.Options{})
	parent := filepath.Dir(s.FileDir)
	victim := filepath.Join(parent, "victim")
	must(t, os.WriteFile(victim, []byte(`{"deadline":"2099-01-01T00:00:00Z","value":{"v":1,"email":"john.smith@example.com"}}`), 0o600))
	good := login(t, ts.URL)
	values := []string{
		// Paths aim at the victim, never at a file of the machine: a
		// regression run as root would delete what the cookie names.
		"../victim", strings.Repeat("../", 12) + strings.TrimPrefix(victim, "/"), victim, "..%2Fvictim",
		"a\x00b", strings.Repeat("a", 42) + "\x00", "\xff\xfe\xfd", "é" + strings.Repeat("a", 41),
		strings.Repeat("A", 8192), good.Value + "x", good.Value[:42], session.HashKey(good.Value),
		"v1." + strings.Repeat("A", 200), `"` + good.Value + "x" + `"`, good.Value + "x; session=" + good.Value,
	}
	for _, v := range values {
		raw := "GET " + server.DashboardPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: session=" + v + "\r\nConnection: close\r\n\r\n"
		status, body := rawRequest(t, ts.Port, raw)
		if status >= 500 || status == http.StatusOK || strings.Contains(body, userName) {
			t.Errorf("cookie %q: status %d", v, status)
		}
	}
	entries, err := os.ReadDir(parent)
	must(t, err)
	if len(entries) != 2 {
		t.Errorf("the directory above the store holds %d entries, want 2", len(entries))
	}
	if n := fileRecords(s.FileDir)(t); n != 1 {
		t.Errorf("the store holds %d records, want the one login's", n)
	}
	wantLoggedIn(t, ts.URL, good)
}

// rawRequest writes raw to the server and returns the status and body.
func rawRequest(t *testing.T, port, raw string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 5*time.Second)
	must(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	_, err = conn.Write([]byte(raw))
	must(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	must(t, err)
	defer resp.Body.Close()
	var sb strings.Builder
	_, err = bufio.NewReader(resp.Body).WriteTo(&sb)
	must(t, err)
	return resp.StatusCode, sb.String()
}
