package session_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/session"
	"github.com/sessionconf/sessionconf/reference/store"
)

// memStore is a Store in memory with fault injection and call counting, so
// the session tests can see exactly what reached the store.
type memStore struct {
	mu      sync.Mutex
	data    map[string][]byte
	expiry  map[string]time.Time
	calls   map[string]int
	fail    error        // returned by every call while set
	onCall  func(string) // called (unlocked) before each call, with its name
	corrupt map[string]bool
}

func newMemStore() *memStore {
	return &memStore{data: map[string][]byte{}, expiry: map[string]time.Time{}, calls: map[string]int{}, corrupt: map[string]bool{}}
}

func (m *memStore) enter(name string) error {
	m.mu.Lock()
	m.calls[name]++
	hook, fail := m.onCall, m.fail
	m.mu.Unlock()
	if hook != nil {
		hook(name)
	}
	if fail != nil {
		return fail
	}
	return nil
}

func (m *memStore) Get(_ context.Context, key string) ([]byte, error) {
	if err := m.enter("Get"); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.data[key]
	if !ok {
		return nil, store.ErrNotFound
	}
	if m.corrupt[key] || !json.Valid(v) {
		return nil, fmt.Errorf("%w: %s", store.ErrCorrupt, key)
	}
	return bytes.Clone(v), nil
}

func (m *memStore) Put(_ context.Context, key string, value []byte, deadline time.Time) error {
	if err := m.enter("Put"); err != nil {
		return err
	}
	if !json.Valid(value) {
		return errors.New("not JSON")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[key], m.expiry[key] = bytes.Clone(value), deadline
	return nil
}

func (m *memStore) Replace(_ context.Context, key string, value []byte, deadline time.Time) error {
	if err := m.enter("Replace"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.data[key]; !ok {
		return store.ErrNotFound
	}
	m.data[key], m.expiry[key] = bytes.Clone(value), deadline
	return nil
}

func (m *memStore) Delete(_ context.Context, key string) error {
	if err := m.enter("Delete"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, key)
	delete(m.expiry, key)
	return nil
}

func (m *memStore) Ping(context.Context) error { return m.enter("Ping") }
func (m *memStore) Close() error               { return nil }

// set plants raw bytes under key, behind the store's back.
func (m *memStore) set(key string, v []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[key] = v
}

func (m *memStore) get(key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.data[key]
	return v, ok
}

func (m *memStore) deadline(key string) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.expiry[key]
}

func (m *memStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.data)
}

func (m *memStore) count(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[name]
}

func (m *memStore) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		n += c
	}
	return n
}

func (m *memStore) setFail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

// clock is a manual clock for the Manager.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2030, 5, 6, 7, 8, 9, 250_000_000, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// logBuffer collects a Manager's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type fixture struct {
	m     *session.Manager
	st    *memStore
	clock *clock
	log   *logBuffer
}

const (
	testLifetime = 7 * 24 * time.Hour
	email        = "john.smith@example.com"
)

// newFixture is a Manager over a memStore with the production parts, a
// manual clock and lifetime l.
func newFixture(l session.Lifetime) *fixture {
	st := newMemStore()
	c := newClock()
	lb := &logBuffer{}
	m := &session.Manager{
		Backend:  session.NewServerBackend(st),
		Policy:   l,
		Cookie:   session.DefaultCookie(false),
		Rotation: session.StrictRotation{},
		Now:      c.Now,
		Log:      slog.New(slog.NewTextHandler(lb, nil)),
	}
	return &fixture{m: m, st: st, clock: c, log: lb}
}

// request is a GET with the session cookie set to token ("" for none).
func (f *fixture) request(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/organizer/", nil)
	if token != "" {
		r.AddCookie(&http.Cookie{Name: f.m.Cookie.Name, Value: token})
	}
	return r
}

// login logs in with the presented token and returns the new token.
func (f *fixture) login(t *testing.T, presented string) string {
	t.Helper()
	w := httptest.NewRecorder()
	if err := f.m.Login(w, f.request(presented), email); err != nil {
		t.Fatalf("Login: %v", err)
	}
	c := sessionCookie(t, w, f.m.Cookie.Name)
	if c == nil || c.Value == "" {
		t.Fatalf("Login set no session cookie: %q", w.Header().Values("Set-Cookie"))
	}
	return c.Value
}

// current calls Current with token and returns its results and response.
func (f *fixture) current(token string) (session.Record, bool, error, *httptest.ResponseRecorder) {
	w := httptest.NewRecorder()
	rec, ok, err := f.m.Current(w, f.request(token))
	return rec, ok, err, w
}

// sessionCookie returns the one Set-Cookie for name in w, nil if there is
// none, and fails the test if there are several.
func sessionCookie(t *testing.T, w *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name != name {
			continue
		}
		if found != nil {
			t.Fatalf("more than one Set-Cookie for %s: %q", name, w.Header().Values("Set-Cookie"))
		}
		found = c
	}
	return found
}

// wantDeletion checks that w deletes the session cookie.
func wantDeletion(t *testing.T, w *httptest.ResponseRecorder, spec session.CookieSpec) {
	t.Helper()
	c := sessionCookie(t, w, spec.Name)
	if c == nil {
		t.Fatalf("no deletion cookie; Set-Cookie: %q", w.Header().Values("Set-Cookie"))
	}
	if c.Value != "" || c.MaxAge >= 0 || c.Path != spec.Path || c.Secure != spec.Secure || c.Domain != "" {
		t.Fatalf("not a deletion of the session cookie: %q", w.Header().Values("Set-Cookie"))
	}
}

func wantNoSetCookie(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if v := w.Header().Values("Set-Cookie"); len(v) > 0 {
		t.Fatalf("unexpected Set-Cookie: %q", v)
	}
}

func contains(haystack []byte, needles ...string) string {
	for _, n := range needles {
		if bytes.Contains(haystack, []byte(n)) || strings.Contains(strings.ToLower(string(haystack)), strings.ToLower(n)) {
			return n
		}
	}
	return ""
}
