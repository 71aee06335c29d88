package session_test

import (
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/session"
	"github.com/sessionconf/sessionconf/reference/store"
)

func TestManagerLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(session.Lifetime{Absolute: testLifetime})
	w := httptest.NewRecorder()
	if err := f.m.Login(w, f.request(""), email); err != nil {
		t.Fatal(err)
	}
	c := sessionCookie(t, w, "session")
	if c == nil || !session.WellFormed(c.Value) {
		t.Fatalf("login cookie %q", w.Header().Values("Set-Cookie"))
	}
	raw, ok := f.st.get(session.HashKey(c.Value))
	if !ok || f.st.len() != 1 {
		t.Fatalf("no record under the token's hash (%d records)", f.st.len())
	}
	rec, err := session.DecodeRecord(raw)
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	if rec.Email != email || !rec.AuthenticatedAt.Equal(now) || rec.Deadline.Before(now.Add(testLifetime)) {
		t.Errorf("stored record %+v", rec)
	}
	// The cookie, the record and the store agree on when it ends.
	if !f.st.deadline(session.HashKey(c.Value)).Equal(rec.Deadline) {
		t.Errorf("store deadline %v, record deadline %v", f.st.deadline(session.HashKey(c.Value)), rec.Deadline)
	}
	if !c.Expires.Equal(rec.Deadline) {
		t.Errorf("cookie Expires %v, record deadline %v", c.Expires, rec.Deadline)
	}
	if want := int(rec.Deadline.Sub(now) / time.Second); c.MaxAge != want {
		t.Errorf("cookie Max-Age %d, want %d", c.MaxAge, want)
	}
	got, ok, err, w := f.current(c.Value)
	if err != nil || !ok || got.Email != email {
		t.Fatalf("Current after login = %+v, %v, %v", got, ok, err)
	}
	wantNoSetCookie(t, w) // no idle timeout: nothing to refresh
}

func TestManagerLoginRotatesAndDestroysThePresentedSession(t *testing.T) {
	t.Parallel()
	f := newFixture(session.Lifetime{Absolute: testLifetime})
	old := f.login(t, "")
	fresh := f.login(t, old)
	if fresh == old {
		t.Fatal("login kept the presented token")
	}
	if _, ok := f.st.get(session.HashKey(old)); ok {
		t.Error("the presented session's record survived the login")
	}
	if f.st.len() != 1 {
		t.Errorf("%d records after two logins in one browser, want 1", f.st.len())
	}
	if _, ok, err, w := f.current(old); ok || err != nil {
		t.Errorf("the pre-login token still works: ok=%v err=%v", ok, err)
	} else {
		wantDeletion(t, w, f.m.Cookie)
	}
	if _, ok, err, _ := f.current(fresh); !ok || err != nil {
		t.Errorf("the new token does not work: %v %v", ok, err)
	}

	// A token the server never issued (fixation attempt) is not adopted.
	planted, _ := session.RandomTokens{}.NewToken()
	got := f.login(t, planted)
	if got == planted {
		t.Fatal("login adopted a token the client chose")
	}
	if _, ok := f.st.get(session.HashKey(planted)); ok {
		t.Fatal("a record exists under the planted token")
	}
}

func TestManagerLoginStoreFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(session.Lifetime{Absolute: testLifetime})
	old := f.login(t, "")
	f.st.setFail(store.ErrUnavailable)
	for _, presented := range []string{"", old} {
		w := httptest.NewRecorder()
		err := f.m.Login(w, f.request(presented), email)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("Login with the store down (cookie presented: %v) = %v, want ErrUnavailable", presented != "", err)
		}
		wantNoSetCookie(t, w)
	}
}

func TestManagerCurrentAnonymous(t *testing.T) {
	t.Parallel()
	f := newFixture(session.Lifetime{Absolute: testLifetime})
	_, ok, err, w := f.current("")
	if ok || err != nil {
		t.Fatalf("Current without a cookie = %v, %v", ok, err)
	}
	wantNoSetCookie(t, w)
	if n := f.st.total(); n != 0 || f.st.len() != 0 {
		t.Errorf("a visitor without a cookie cost %d store calls and left %d records", n, f.st.len())
	}

	for _, v := range []string{"../../../etc/passwd", "x", strings.Repeat("A", 8192), "v1.abc"} {
		before := f.st.total()
		_, ok, err, w := f.current(v)
		if ok || err != nil {
			t.Errorf("Current(%q) = %v, %v", v, ok, err)
		}
		wantDeletion(t, w, f.m.Cookie)
		if f.st.total() != before {
			t.Errorf("a malformed cookie %q reached the store", v)
		}
	}

	unknown, _ := session.RandomTokens{}.NewToken()
	_, ok, err, w = f.current(unknown)
	if ok || err != nil {
		t.Fatalf("Current(unknown) = %v, %v", ok, err)
	}
	wantDeletion(t, w, f.m.Cookie)
	if f.st.len() != 0 {
		t.Error("an unknown token created a record")
	}
}

func TestManagerCurrentExpired(t *testing.T) {
	t.Parallel()
	f := newFixture(session.Lifetime{Absolute: time.Hour})
	tok := f.login(t, "")
	raw, _ := f.st.get(session.HashKey(tok))
	rec, _ := session.DecodeRecord(raw)

	// Still valid a nanosecond before the deadline.
	f.clock.Advance(rec.Deadline.Sub(f.clock.Now()) - time.Nanosecond)
	if _, ok, err, _ := f.current(tok); !ok || err != nil {
		t.Fatalf("invalid before the deadline: %v %v", ok, err)
	}
	f.clock.Advance(time.Nanosecond)
	_, ok, err, w := f.current(tok)
	if ok || err != nil {
		t.Fatalf("Current at the deadline = %v, %v; want anonymous (the server enforces expiry, whatever the cookie says)", ok, err)
	}
	wantDeletion(t, w, f.m.Cookie)
	if f.st.len() != 0 {
		t.Error("the expired record was not destroyed")
	}
}

func TestManagerCurrentCorrupt(t *testing.T) {
	t.Parallel()
	f := newFixture(session.Lifetime{Absolute: testLifetime})
	tok := f.login(t, "")
	other := f.login(t, "")
	for _, garbage := range []string{"\x00\xff", `{"v":1}`, ""} {
		f.st.set(session.HashKey(tok), []byte(garbage))
		_, ok, err, w := f.current(tok)
		if ok || err != nil {
			t.Fatalf("Current with record %q = %v, %v; want anonymous", garbage, ok, err)
		}
		wantDeletion(t, w, f.m.Cookie)
	}
	if !strings.Contains(f.log.String(), "unreadable session record") {
		t.Errorf("a corrupt record was not logged; log: %q", f.log.String())
	}
	if _, ok, err, _ := f.current(other); !ok || err != nil {
		t.Errorf("another session broke: %v %v", ok, err)
	}
}

func TestManagerCurrentStoreErrorIsAnErrorNotAnonymous(t *testing.T) {
	t.Parallel()
	f := newFixture(session.Lifetime{Absolute: testLifetime})
	tok := f.login(t, "")
	f.st.setFail(store.ErrUnavailable)
	_, ok, err, w := f.current(tok)
	if !errors.Is(err, store.ErrUnavailable) || ok {
		t.Fatalf("Current with the store down = %v, %v; want ErrUnavailable", ok, err)
	}
	wantNoSetCookie(t, w) // an outage does not log anyone out
	f.st.setFail(nil)
	if _, ok, err, _ := f.current(tok); !ok || err != nil {
		t.Fatalf("the session did not survive the outage: %v %v", ok, err)
	}
}

func TestManagerLogout(t *testing.T) {
	t.Parallel()
	f := newFixture(session.Lifetime{Absolute: testLifetime})
	tok := f.login(t, "")
	other := f.login(t, "")

	f.st.setFail(store.ErrUnavailable)
	w := httptest.NewRecorder()
	if err := f.m.Logout(w, f.request(tok)); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Logout with the store down = %v, want ErrUnavailable", err)
	}
	wantNoSetCookie(t, w) // not told "logged out" while the session lives on
	f.st.setFail(nil)

	w = httptest.NewRecorder()
	if err := f.m.Logout(w, f.request(tok)); err != nil {
		t.Fatal(err)
	}
	wantDeletion(t, w, f.m.Cookie)
	if _, ok := f.st.get(session.HashKey(tok)); ok {
		t.Error("Logout left the record")
	}
	if _, ok, _, _ := f.current(tok); ok {
		t.Error("the cookie works after logout")
	}
	if _, ok, err, _ := f.current(other); !ok || err != nil {
		t.Error("logout of one session ended another")
	}

	w = httptest.NewRecorder()
	if err := f.m.Logout(w, f.request("")); err != nil {
		t.Fatal(err)
	}
	wantDeletion(t, w, f.m.Cookie)
}

func TestManagerIdleRefresh(t *testing.T) {
	t.Parallel()
	const idle = 10 * time.Minute
	f := newFixture(session.Lifetime{Absolute: testLifetime, Idle: idle})
	tok := f.login(t, "")
	f.clock.Advance(idle - time.Second)
	_, ok, err, w := f.current(tok)
	if !ok || err != nil {
		t.Fatalf("Current before the idle timeout = %v, %v", ok, err)
	}
	if f.st.count("Replace") != 1 {
		t.Fatalf("%d Replace calls for a request with an idle timeout, want 1", f.st.count("Replace"))
	}
	c := sessionCookie(t, w, "session")
	want := f.clock.Now().Add(idle)
	if c == nil || c.Value != tok || c.MaxAge != int(idle/time.Second) {
		t.Fatalf("refresh cookie %q, want the same token with Max-Age %d", w.Header().Values("Set-Cookie"), int(idle/time.Second))
	}
	if got := f.st.deadline(session.HashKey(tok)); !got.Equal(want) {
		t.Errorf("store deadline after refresh %v, want %v", got, want)
	}
	// The refresh moved the idle deadline: another idle period minus a
	// second later, the session still works; a full idle period after the
	// last request, it does not.
	f.clock.Advance(idle - time.Second)
	if _, ok, err, _ := f.current(tok); !ok || err != nil {
		t.Fatalf("Current within the refreshed idle period = %v, %v", ok, err)
	}
	f.clock.Advance(idle)
	if _, ok, err, w := f.current(tok); ok || err != nil {
		t.Fatalf("Current after an idle period = %v, %v; want anonymous", ok, err)
	} else {
		wantDeletion(t, w, f.m.Cookie)
	}
}

// A request that loaded the session before a logout and writes after it
// must not bring the session back.
func TestManagerUpdateAfterConcurrentLogoutDoesNotResurrect(t *testing.T) {
	t.Parallel()
	f := newFixture(session.Lifetime{Absolute: testLifetime, Idle: time.Hour})
	tok := f.login(t, "")
	f.clock.Advance(time.Minute) // so the next request writes

	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.st.mu.Lock()
	f.st.onCall = func(name string) {
		if name == "Replace" || name == "Put" { // the write of the refresh
			once.Do(func() { close(entered); <-release })
		}
	}
	f.st.mu.Unlock()

	type result struct {
		ok  bool
		err error
		w   *httptest.ResponseRecorder
	}
	done := make(chan result)
	go func() {
		_, ok, err, w := f.current(tok)
		done <- result{ok, err, w}
	}()
	select {
	case <-entered: // the request has loaded the session and is about to write
	case r := <-done:
		t.Fatalf("the request finished without writing (ok=%v err=%v): nothing to race", r.ok, r.err)
	}
	lw := httptest.NewRecorder()
	if err := f.m.Logout(lw, f.request(tok)); err != nil {
		t.Fatal(err)
	}
	close(release)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.ok {
		t.Error("the in-flight request answered as logged in after the logout")
	}
	wantDeletion(t, r.w, f.m.Cookie)
	if f.st.len() != 0 {
		t.Fatal("the in-flight request wrote the logged-out session back")
	}
	if _, ok, _, _ := f.current(tok); ok {
		t.Fatal("the cookie works again after logout")
	}
}

func TestManagerConcurrentRequestsOnOneSession(t *testing.T) {
	t.Parallel()
	f := newFixture(session.Lifetime{Absolute: testLifetime, Idle: time.Hour})
	tok := f.login(t, "")
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			f.clock.Advance(time.Millisecond)
			if _, ok, err, _ := f.current(tok); !ok || err != nil {
				t.Errorf("concurrent Current = %v, %v", ok, err)
			}
		})
	}
	wg.Wait()
	if _, ok, err, _ := f.current(tok); !ok || err != nil {
		t.Fatalf("session broken after 50 concurrent requests: %v %v", ok, err)
	}
}

func TestManagerCookieMode(t *testing.T) {
	t.Parallel()
	c := newClock()
	m := &session.Manager{
		Backend:  &session.CookieBackend{Sealer: newSealer(t, testSecret)},
		Policy:   session.Lifetime{Absolute: time.Hour},
		Cookie:   session.DefaultCookie(false),
		Rotation: session.StrictRotation{},
		Now:      c.Now,
		Log:      slog.New(slog.DiscardHandler),
	}
	f := &fixture{m: m, clock: c}
	tok := f.login(t, "")
	for _, view := range decodings(tok) {
		if strings.Contains(string(view), email) {
			t.Fatal("the cookie shows the email")
		}
	}
	if rec, ok, err, _ := f.current(tok); !ok || err != nil || rec.Email != email {
		t.Fatalf("Current = %+v %v %v", rec, ok, err)
	}
	ch := "A"
	if tok[10] == 'A' {
		ch = "B"
	}
	tampered := tok[:10] + ch + tok[11:]
	if _, ok, err, w := f.current(tampered); ok || err != nil {
		t.Fatalf("a tampered cookie works: %v %v", ok, err)
	} else {
		wantDeletion(t, w, m.Cookie)
	}
	w := httptest.NewRecorder()
	if err := m.Logout(w, f.request(tok)); err != nil {
		t.Fatal(err)
	}
	wantDeletion(t, w, m.Cookie)
	c.Advance(time.Hour + time.Second) // the deadline is rounded up to a whole second
	if _, ok, err, w := f.current(tok); ok || err != nil {
		t.Fatalf("a replayed cookie past its lifetime works: %v %v", ok, err)
	} else {
		wantDeletion(t, w, m.Cookie)
	}
}
