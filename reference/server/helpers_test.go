package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/reference/config"
	"github.com/sessionconf/sessionconf/reference/redisserver"
	"github.com/sessionconf/sessionconf/reference/server"
	"github.com/sessionconf/sessionconf/reference/session"
)

// The account of the story, from the repository's fixtures (bcrypt cost 4).
const (
	accountsFile = "" // the built-in accounts
	userEmail    = "john.smith@example.com"
	userPassword = "password123"
	userName     = "John Smith"
)

// startTimeout bounds how long a server may take to print its listening
// line; generous, because the machine is shared.
const startTimeout = 20 * time.Second

// syncBuffer is an io.Writer the server writes to while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// settings returns the server's defaults (as the binary would read them
// from an empty environment) with a fresh session directory, a free port
// and the fixtures' accounts.
func settings(t *testing.T) config.Settings {
	t.Helper()
	s, err := config.Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s.FileDir = filepath.Join(t.TempDir(), "flask_session")
	s.Port = 0
	s.AccountsFile = accountsFile
	s.ShutdownTimeout = 5 * time.Second
	return s
}

// testServer is server.Run running in the test process.
type testServer struct {
	URL            string
	Port           string
	S              config.Settings
	Stdout, Stderr *syncBuffer
	stop           func() error
}

var listeningRE = regexp.MustCompile(`listening on (https?)://127\.0\.0\.1:(\d+)\n`)

// start runs server.Run with s and opts until the test ends.
func start(t *testing.T, s config.Settings, opts server.Options) *testServer {
	t.Helper()
	ts := &testServer{S: s, Stdout: &syncBuffer{}, Stderr: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, s, opts, ts.Stdout, ts.Stderr) }()
	var once sync.Once
	var runErr error
	ts.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(s.ShutdownTimeout + 10*time.Second):
				runErr = errors.New("Run did not return after its context ended")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := ts.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	deadline := time.Now().Add(startTimeout)
	for {
		if m := listeningRE.FindStringSubmatch(ts.Stdout.String()); m != nil {
			ts.Port = m[2]
			ts.URL = m[1] + "://127.0.0.1:" + m[2]
			return ts
		}
		select {
		case err := <-done:
			t.Fatalf("Run returned before listening: %v\nstdout: %s\nstderr: %s", err, ts.Stdout, ts.Stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listening line within %v; stdout %q", startTimeout, ts.Stdout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Stop ends the server the way SIGTERM does and waits for Run to return.
func (ts *testServer) Stop(t *testing.T) {
	t.Helper()
	if err := ts.stop(); err != nil {
		t.Fatal(err)
	}
}

// client follows no redirects and keeps no cookies: every test says which
// cookie it sends and looks at every Set-Cookie.
var client = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

type response struct {
	*http.Response
	Body string
}

// do sends a request with the session cookie c (nil: none) and reads the
// whole answer.
func do(t testing.TB, method, u string, c *http.Cookie, form url.Values) response {
	t.Helper()
	r, err := doErr(method, u, c, form)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func doErr(method, u string, c *http.Cookie, form url.Values) (response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return response{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c != nil {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{resp, string(b)}, nil
}

func credentials(email, password string) url.Values {
	return url.Values{"email": {email}, "password": {password}}
}

// login logs the account in and returns the session cookie it got.
func login(t testing.TB, base string) *http.Cookie {
	t.Helper()
	r := do(t, http.MethodPost, base+server.LoginPath, nil, credentials(userEmail, userPassword))
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != server.DashboardPath {
		t.Fatalf("login: %d Location %q, want 303 to %s; body %q", r.StatusCode, r.Header.Get("Location"), server.DashboardPath, r.Body)
	}
	c := sessionCookie(t, r)
	if c == nil || c.Value == "" || c.MaxAge <= 0 {
		t.Fatalf("login set no live session cookie: %q", r.Header.Values("Set-Cookie"))
	}
	return c
}

// sessionCookie returns the response's one Set-Cookie for a session name,
// or nil.
func sessionCookie(t testing.TB, r response) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name != session.CookieName && c.Name != session.HostCookieName {
			continue
		}
		if found != nil {
			t.Fatalf("two session Set-Cookies: %q", r.Header.Values("Set-Cookie"))
		}
		found = c
	}
	return found
}

// wantLoggedIn checks that c gets the dashboard with the user's name.
func wantLoggedIn(t testing.TB, base string, c *http.Cookie) {
	t.Helper()
	r := do(t, http.MethodGet, base+server.DashboardPath, c, nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, userName) {
		t.Fatalf("dashboard: %d, want 200 with %q; body %q", r.StatusCode, userName, r.Body)
	}
}

// wantLoggedOut checks that c is sent to the login page, and told to go.
func wantLoggedOut(t testing.TB, base string, c *http.Cookie) {
	t.Helper()
	r := do(t, http.MethodGet, base+server.DashboardPath, c, nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != server.LoginPath || strings.Contains(r.Body, userName) {
		t.Fatalf("dashboard with a dead cookie: %d Location %q body %q; want 303 to the login page", r.StatusCode, r.Header.Get("Location"), r.Body)
	}
	wantDeletion(t, r)
}

func wantDeletion(t testing.TB, r response) {
	t.Helper()
	c := sessionCookie(t, r)
	if c == nil || c.Value != "" || c.MaxAge >= 0 || c.Path != "/" {
		t.Fatalf("no deletion cookie: %q", r.Header.Values("Set-Cookie"))
	}
}

func wantNoSetCookie(t testing.TB, r response) {
	t.Helper()
	if v := r.Header.Values("Set-Cookie"); len(v) != 0 {
		t.Fatalf("unexpected Set-Cookie %q", v)
	}
}

func wantPrivate(t testing.TB, r response) {
	t.Helper()
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s %s: Cache-Control %q, want no-store", r.Request.Method, r.Request.URL.Path, got)
	}
	if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Cookie") {
		t.Errorf("%s %s: Vary %q, want Cookie", r.Request.Method, r.Request.URL.Path, r.Header.Values("Vary"))
	}
}

// records counts the session records a profile's store holds.
type records func(t testing.TB) int

func fileRecords(dir string) records {
	return func(t testing.TB) int {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
}

func redisRecords(c *redis.Client, prefix string) records {
	return func(t testing.TB) int {
		t.Helper()
		keys, err := c.Keys(context.Background(), "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, prefix) {
				t.Errorf("Redis key %q lacks the prefix %q", k, prefix)
			}
		}
		return len(keys)
	}
}

// redisDBs hands out the logical databases of one redis-server.
type redisDBs struct {
	srv  *redisserver.Server
	next atomic.Int32
}

func startRedis(t *testing.T) *redisDBs {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*redisserver.StartTimeout)
	defer cancel()
	srv, err := redisserver.Start(ctx, redisserver.Options{Databases: 64})
	if err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return &redisDBs{srv: srv}
}

// use points s at a fresh database and returns a client on it.
func (p *redisDBs) use(t *testing.T, s *config.Settings) *redis.Client {
	t.Helper()
	db := int(p.next.Add(1))
	if db >= 64 {
		t.Fatal("out of Redis databases")
	}
	s.Mode = config.Redis
	s.RedisURL = p.srv.URL(db)
	c := redis.NewClient(&redis.Options{Addr: p.srv.Addr, DB: db})
	t.Cleanup(func() { c.Close() })
	return c
}

// profile is a session mode with a way to count its records.
type profile struct {
	name  string
	setup func(t *testing.T, s *config.Settings) records
}

func serverProfiles(t *testing.T) []profile {
	rdb := startRedis(t)
	return []profile{
		{"filesystem", func(t *testing.T, s *config.Settings) records { return fileRecords(s.FileDir) }},
		{"redis", func(t *testing.T, s *config.Settings) records {
			return redisRecords(rdb.use(t, s), s.KeyPrefix)
		}},
	}
}

// eventually polls cond every 10 ms until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
