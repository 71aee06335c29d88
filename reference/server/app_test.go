package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/config"
	"github.com/sessionconf/sessionconf/reference/server"
	"github.com/sessionconf/sessionconf/reference/session"
)

func TestLoginForm(t *testing.T) {
	t.Parallel()
	s := settings(t)
	ts := start(t, s, server.Options{})
	r := do(t, http.MethodGet, ts.URL+server.LoginPath, nil, nil)
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("login page: %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for _, re := range []string{
		`<form method="post" action="/organizer/login">`,
		`<input id="email" name="email" type="email"`,
		`<input id="password" name="password" type="password"`,
		`<button id="submit" type="submit"`,
	} {
		if !strings.Contains(r.Body, re) {
			t.Errorf("login page lacks %s:\n%s", re, r.Body)
		}
	}
	wantNoSetCookie(t, r)
	wantPrivate(t, r)
	if n := fileRecords(s.FileDir)(t); n != 0 {
		t.Errorf("the login page created %d records", n)
	}
}

func TestWrongCredentials(t *testing.T) {
	t.Parallel()
	s := settings(t)
	ts := start(t, s, server.Options{})
	for _, form := range []map[string]string{
		{"email": userEmail, "password": "wrong"},
		{"email": "nobody@example.com", "password": userPassword},
		{"email": userEmail, "password": ""},
		{"email": "", "password": ""},
		{"email": `<script>alert(1)</script>`, "password": "x"},
	} {
		v := credentials(form["email"], form["password"])
		r := do(t, http.MethodPost, ts.URL+server.LoginPath, nil, v)
		if r.StatusCode != http.StatusUnauthorized {
			t.Errorf("%v: status %d, want 401", form, r.StatusCode)
		}
		if !strings.Contains(r.Body, `id="email"`) || !strings.Contains(r.Body, `id="password"`) {
			t.Errorf("%v: the 401 page has no form: %s", form, r.Body)
		}
		if !strings.Contains(r.Body, "Invalid email or password") {
			t.Errorf("%v: no message on the 401 page", form)
		}
		if strings.Contains(r.Body, "<script>alert") || strings.Contains(r.Body, userName) {
			t.Errorf("%v: the page echoes markup or shows the user: %s", form, r.Body)
		}
		wantNoSetCookie(t, r)
		wantPrivate(t, r)
	}
	if n := fileRecords(s.FileDir)(t); n != 0 {
		t.Errorf("failed logins stored %d records", n)
	}
}

// The story's flow in each server-side profile: login, dashboard, logout,
// and what the store holds at each step.
func TestLoginDashboardLogout(t *testing.T) {
	t.Parallel()
	for _, p := range serverProfiles(t) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			s := settings(t)
			count := p.setup(t, &s)
			ts := start(t, s, server.Options{})

			r := do(t, http.MethodPost, ts.URL+server.LoginPath, nil, credentials(userEmail, userPassword))
			if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != server.DashboardPath {
				t.Fatalf("login: %d Location %q", r.StatusCode, r.Header.Get("Location"))
			}
			wantPrivate(t, r)
			c := sessionCookie(t, r)
			if c == nil || !session.WellFormed(c.Value) {
				t.Fatalf("login cookie %q", r.Header.Values("Set-Cookie"))
			}
			if n := count(t); n != 1 {
				t.Fatalf("%d records after a login, want 1", n)
			}
			if p.name == "filesystem" {
				if _, err := os.Stat(filepath.Join(s.FileDir, session.HashKey(c.Value))); err != nil {
					t.Errorf("no file named by the token's hash: %v", err)
				}
			}

			d := do(t, http.MethodGet, ts.URL+server.DashboardPath, c, nil)
			if d.StatusCode != http.StatusOK || !strings.Contains(d.Body, userName) {
				t.Fatalf("dashboard: %d %q", d.StatusCode, d.Body)
			}
			wantPrivate(t, d)
			if strings.Contains(d.Body, c.Value) {
				t.Error("the token appears in the page")
			}

			out := do(t, http.MethodPost, ts.URL+server.LogoutPath, c, nil)
			if out.StatusCode != http.StatusSeeOther || out.Header.Get("Location") != server.LoginPath {
				t.Fatalf("logout: %d Location %q", out.StatusCode, out.Header.Get("Location"))
			}
			wantDeletion(t, out)
			wantPrivate(t, out)
			if n := count(t); n != 0 {
				t.Fatalf("%d records after logout, want 0", n)
			}
			wantLoggedOut(t, ts.URL, c) // a replay of the old cookie
			if n := count(t); n != 0 {
				t.Fatalf("the replay created %d records", n)
			}
		})
	}
}

func TestAnonymousVisitorsGetNoRecordAndNoCookie(t *testing.T) {
	t.Parallel()
	s := settings(t)
	ts := start(t, s, server.Options{})
	r := do(t, http.MethodGet, ts.URL+server.DashboardPath, nil, nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != server.LoginPath {
		t.Fatalf("anonymous dashboard: %d Location %q, want 303 to %s", r.StatusCode, r.Header.Get("Location"), server.LoginPath)
	}
	wantNoSetCookie(t, r)
	wantPrivate(t, r)
	for _, path := range []string{"/", server.LoginPath, server.HealthPath, server.ReadyPath, server.StylePath} {
		r := do(t, http.MethodGet, ts.URL+path, nil, nil)
		if r.StatusCode >= 400 {
			t.Errorf("GET %s: %d", path, r.StatusCode)
		}
		wantNoSetCookie(t, r)
	}
	if r := do(t, http.MethodGet, ts.URL+"/", nil, nil); r.Header.Get("Location") != server.DashboardPath {
		t.Errorf("GET / redirects to %q", r.Header.Get("Location"))
	}
	if n := fileRecords(s.FileDir)(t); n != 0 {
		t.Errorf("anonymous visits created %d records", n)
	}
}

func TestLoginRotatesTheSession(t *testing.T) {
	t.Parallel()
	s := settings(t)
	ts := start(t, s, server.Options{})
	first := login(t, ts.URL)
	r := do(t, http.MethodPost, ts.URL+server.LoginPath, first, credentials(userEmail, userPassword))
	second := sessionCookie(t, r)
	if second == nil || second.Value == first.Value {
		t.Fatalf("a login with a session cookie kept it: %q", r.Header.Values("Set-Cookie"))
	}
	wantLoggedOut(t, ts.URL, first)
	wantLoggedIn(t, ts.URL, second)
	if n := fileRecords(s.FileDir)(t); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
}

func TestCookieAttributesAndExpiry(t *testing.T) {
	t.Parallel()
	s := settings(t)
	ts := start(t, s, server.Options{})
	before := time.Now()
	r := do(t, http.MethodPost, ts.URL+server.LoginPath, nil, credentials(userEmail, userPassword))
	header := r.Header.Get("Set-Cookie")
	for _, want := range []string{"; Path=/", "; HttpOnly", "; SameSite=Lax", "; Max-Age=", "; Expires="} {
		if !strings.Contains(header, want) {
			t.Errorf("Set-Cookie %q lacks %q", header, strings.TrimPrefix(want, "; "))
		}
	}
	if strings.Contains(header, "Domain=") || strings.Contains(header, "Secure") {
		t.Errorf("Set-Cookie %q: Domain or Secure in development", header)
	}
	c := sessionCookie(t, r)
	// Seven days, from both attributes.
	week := 7 * 24 * time.Hour
	if c.MaxAge < int(week/time.Second)-5 || c.MaxAge > int(week/time.Second) {
		t.Errorf("Max-Age %d, want about %d", c.MaxAge, int(week/time.Second))
	}
	if c.Expires.Before(before.Add(week).Add(-5*time.Second)) || c.Expires.After(time.Now().Add(week+time.Second)) {
		t.Errorf("Expires %v, want about %v", c.Expires, before.Add(week))
	}
}

func TestProductionCookie(t *testing.T) {
	t.Parallel()
	s := settings(t)
	s.Production = true
	s.SecretKey = strings.Repeat("p", 40)
	s.TLSCertFile, s.TLSKeyFile = selfSignedCert(t)
	ts := start(t, s, server.Options{})
	if !strings.HasPrefix(ts.URL, "https://") {
		t.Fatalf("production listens on %s, want https", ts.URL)
	}
	tlsClient := tlsClientFor(t, s.TLSCertFile)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+server.LoginPath, strings.NewReader("email=john.smith%40example.com&password=password123"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := tlsClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	header := resp.Header.Get("Set-Cookie")
	if !strings.HasPrefix(header, "__Host-session=") || !strings.Contains(header, "; Secure") || !strings.Contains(header, "; Path=/") || strings.Contains(header, "Domain=") {
		t.Fatalf("production Set-Cookie %q, want __Host-session with Secure, Path=/ and no Domain", header)
	}
	var c *http.Cookie
	for _, ck := range resp.Cookies() {
		c = ck
	}
	req, _ = http.NewRequest(http.MethodPost, ts.URL+server.LogoutPath, nil)
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	resp, err = tlsClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	del := resp.Header.Get("Set-Cookie")
	if !strings.HasPrefix(del, "__Host-session=;") || !strings.Contains(del, "; Secure") || !strings.Contains(del, "; Path=/") || !strings.Contains(del, "Max-Age=0") {
		t.Fatalf("production deletion cookie %q, want __Host-session with Secure, Path=/, Max-Age=0", del)
	}
	// Plain HTTP on the same port gets no page.
	if r, err := doErr(http.MethodGet, "http://127.0.0.1:"+ts.Port+server.DashboardPath, nil, nil); err == nil && r.StatusCode < 400 {
		t.Errorf("plain HTTP served %d", r.StatusCode)
	}
}

func TestCookieMode(t *testing.T) {
	t.Parallel()
	s := settings(t)
	s.Mode = config.Cookie
	ts := start(t, s, server.Options{})
	if !strings.Contains(ts.Stdout.String(), "SECRET_KEY is not set") {
		t.Errorf("cookie mode without a key did not say so: %q", ts.Stdout)
	}
	c := login(t, ts.URL)
	if !strings.HasPrefix(c.Value, "v1.") || strings.Contains(c.Value, "john") {
		t.Errorf("cookie-mode value %q", c.Value)
	}
	wantLoggedIn(t, ts.URL, c)
	// A filesystem-mode token from before the switch: logged out, no 5xx.
	tok, _ := session.RandomTokens{}.NewToken()
	wantLoggedOut(t, ts.URL, &http.Cookie{Name: "session", Value: tok})
	out := do(t, http.MethodPost, ts.URL+server.LogoutPath, c, nil)
	wantDeletion(t, out)
	if _, err := os.Stat(s.FileDir); err == nil {
		t.Error("cookie mode created a session directory")
	}
}

// A request carrying the session cookie may refresh it; none may ever see
// another Set-Cookie for it than the one the refresh sends.
func TestConcurrentRequestsOnOneSession(t *testing.T) {
	t.Parallel()
	for _, p := range serverProfiles(t) {
		for _, idle := range []time.Duration{0, time.Hour} {
			name := p.name
			if idle > 0 {
				name += "/idle"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				s := settings(t)
				s.IdleTimeout = idle
				count := p.setup(t, &s)
				ts := start(t, s, server.Options{})
				c := login(t, ts.URL)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for range 50 {
					wg.Go(func() {
						<-start
						r, err := doErr(http.MethodGet, ts.URL+server.DashboardPath, c, nil)
						if err != nil {
							t.Error(err)
							return
						}
						if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, userName) {
							t.Errorf("concurrent dashboard: %d", r.StatusCode)
						}
						if sc := sessionCookie(t, r); sc != nil && sc.Value != c.Value {
							t.Errorf("a concurrent request changed the cookie: %q", r.Header.Values("Set-Cookie"))
						}
					})
				}
				close(start)
				wg.Wait()
				wantLoggedIn(t, ts.URL, c)
				if n := count(t); n != 1 {
					t.Errorf("%d records after concurrent requests, want 1", n)
				}
			})
		}
	}
}

func TestCorruptRecordIsNoSession(t *testing.T) {
	t.Parallel()
	s := settings(t)
	ts := start(t, s, server.Options{})
	c := login(t, ts.URL)
	other := login(t, ts.URL)
	path := filepath.Join(s.FileDir, session.HashKey(c.Value))
	for _, garbage := range []string{"\x00\x01garbage", "", `{"deadline":"2099-01-01T00:00:00Z","value":{"v":1}}`, `{"dead`} {
		must(t, os.WriteFile(path, []byte(garbage), 0o600))
		r := do(t, http.MethodGet, ts.URL+server.DashboardPath, c, nil)
		if r.StatusCode >= 500 || r.StatusCode != http.StatusSeeOther || strings.Contains(r.Body, userName) {
			t.Fatalf("record %q: dashboard %d, want 303 to the login page", garbage, r.StatusCode)
		}
	}
	wantLoggedIn(t, ts.URL, other)
	if !regexp.MustCompile(`unreadable session record`).MatchString(ts.Stderr.String()) {
		t.Errorf("corrupt records were not logged: %q", ts.Stderr)
	}
}

// The story's rm -rf flask_session while the server runs: existing sessions
// end, the next login recreates the directory.
func TestSessionDirectoryDeletedWhileRunning(t *testing.T) {
	t.Parallel()
	s := settings(t)
	ts := start(t, s, server.Options{})
	c := login(t, ts.URL)
	must(t, os.RemoveAll(s.FileDir))
	wantLoggedOut(t, ts.URL, c)
	c2 := login(t, ts.URL)
	wantLoggedIn(t, ts.URL, c2)
	info, err := os.Stat(s.FileDir)
	if err != nil || info.Mode() != os.ModeDir|0o700 {
		t.Fatalf("directory after recreation: %v %v", info, err)
	}
}

// A login that cannot be stored must not look like a success.
func TestUnwritableStoreFailsTheLogin(t *testing.T) {
	t.Parallel()
	s := settings(t)
	ts := start(t, s, server.Options{})
	must(t, os.RemoveAll(s.FileDir))
	must(t, os.WriteFile(s.FileDir, []byte("in the way"), 0o600))
	r := do(t, http.MethodPost, ts.URL+server.LoginPath, nil, credentials(userEmail, userPassword))
	if r.StatusCode < 500 {
		t.Fatalf("login with an unwritable store: %d Location %q, want 5xx", r.StatusCode, r.Header.Get("Location"))
	}
	if r.Header.Get("Location") != "" {
		t.Errorf("a failed login redirects to %q", r.Header.Get("Location"))
	}
	wantNoSetCookie(t, r)
	if rr := do(t, http.MethodGet, ts.URL+server.ReadyPath, nil, nil); rr.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readiness with an unusable directory: %d, want 503", rr.StatusCode)
	}
	must(t, os.Remove(s.FileDir))
	c := login(t, ts.URL) // recovers without a restart
	wantLoggedIn(t, ts.URL, c)
}

// PERSIST-1 in miniature: a graceful restart keeps the session.
func TestRestartKeepsSessions(t *testing.T) {
	t.Parallel()
	for _, p := range serverProfiles(t) {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			s := settings(t)
			p.setup(t, &s)
			ts := start(t, s, server.Options{})
			c := login(t, ts.URL)
			ts.Stop(t)
			ts2 := start(t, s, server.Options{})
			wantLoggedIn(t, ts2.URL, c)
		})
	}
}

// The janitor removes expired session files while the server runs, and
// leaves live ones.
func TestJanitorRemovesExpiredFiles(t *testing.T) {
	t.Parallel()
	s := settings(t)
	s.CleanupInterval = 20 * time.Millisecond
	ts := start(t, s, server.Options{})
	c := login(t, ts.URL)
	expired := filepath.Join(s.FileDir, strings.Repeat("ab", 32))
	must(t, os.WriteFile(expired, []byte(`{"deadline":"2001-01-01T00:00:00Z","value":{"v":1}}`), 0o600))
	eventually(t, 10*time.Second, "the janitor removing an expired file", func() bool {
		_, err := os.Stat(expired)
		return os.IsNotExist(err)
	})
	wantLoggedIn(t, ts.URL, c)
	if n := fileRecords(s.FileDir)(t); n != 1 {
		t.Errorf("%d files after the sweep, want the live session's", n)
	}
}
