package story

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/harness/evidence"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// shape is how a small test app asks for its login and logout, one per
// framework habit the story must follow.
type shape struct {
	name   string
	csrf   string // "", "input", "meta" or "cookie"
	json   bool   // JSON login and JSON state endpoint
	logout string // POST, GET, DELETE or OVERRIDE (POST with _method=delete)
	routes string // the manifest's routes lines for the shape
	yaml   string // its other manifest lines
}

var shapes = []shape{
	{name: "plain form, POST logout", logout: "POST"},
	{name: "GET logout", logout: "GET", routes: "  logout_method: GET\n"},
	{name: "hidden input token (Django, PHP, Rails forms)", csrf: "input", logout: "POST", yaml: "form:\n  csrf_field: authenticity_token\n"},
	{name: "meta token in a header (Rails, Laravel XHR)", csrf: "meta", logout: "DELETE", routes: "  logout_method: DELETE\n", yaml: "csrf:\n  meta: csrf-token\n  header: X-CSRF-Token\n"},
	{name: "cookie echoed in a header (Django csrftoken)", csrf: "cookie", logout: "POST", yaml: "csrf:\n  cookie: csrftoken\n  header: X-CSRFToken\n"},
	{name: "method override (Rails button_to)", csrf: "input", logout: "OVERRIDE", routes: "  logout_override: _method=delete\n", yaml: "form:\n  csrf_field: authenticity_token\n"},
	{name: "JSON login and state (SPA backend)", csrf: "cookie", json: true, logout: "POST", routes: "  state: /api/me\n", yaml: "form:\n  encoding: json\ncsrf:\n  cookie: XSRF-TOKEN\n  header: X-XSRF-TOKEN\nstate:\n  json_path: user.name\n"},
}

// A token with characters that HTML escapes and URLs encode: the story
// must send the decoded value.
const rawToken = `t0k&n+/="`

// app serves the story's routes in one shape, and refuses any step that
// does not carry what the shape wants.
type app struct {
	shape
	mu       sync.Mutex
	sessions map[string]string // session ID -> email
}

func (a *app) tokenOK(r *http.Request) bool {
	// Like Django over HTTPS: a form POST comes from a page of the app.
	if o := r.Header.Get("Origin"); o == "" || !strings.HasPrefix(r.Header.Get("Referer"), o+"/") {
		return false
	}
	switch a.csrf {
	case "input":
		return r.PostFormValue("authenticity_token") == rawToken
	case "meta":
		return r.Header.Get("X-CSRF-Token") == rawToken
	case "cookie":
		for _, h := range []string{"X-CSRFToken", "X-XSRF-TOKEN"} {
			if r.Header.Get(h) == rawToken {
				return true
			}
		}
		return false
	}
	return true
}

func (a *app) user(r *http.Request) string {
	c, err := r.Cookie("sessionid")
	if err != nil {
		return ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessions[c.Value]
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.csrf == "cookie" {
		for _, n := range []string{"csrftoken", "XSRF-TOKEN"} {
			http.SetCookie(w, &http.Cookie{Name: n, Value: strings.NewReplacer("&", "%26", "+", "%2B", "/", "%2F", "=", "%3D", `"`, "%22").Replace(rawToken), Path: "/"})
		}
	}
	page := func(body string) {
		fmt.Fprintf(w, `<html><head><meta name="csrf-token" content="%s"></head><body>%s</body></html>`, html.EscapeString(rawToken), body)
	}
	hidden := fmt.Sprintf(`<input type="hidden" name="authenticity_token" value="%s">`, strings.ReplaceAll(html.EscapeString(rawToken), "+", "&#43;"))
	switch {
	case r.URL.Path == "/login" && r.Method == http.MethodGet:
		page(`<form method="post" action="/login">` + hidden + `<input name="email"><input type="password" name="password"><button id="submit">Log in</button></form>`)
	case r.URL.Path == "/login" && r.Method == http.MethodPost:
		email := r.PostFormValue("email")
		if a.json {
			var creds map[string]string
			if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&creds) != nil {
				http.Error(w, "want JSON", http.StatusUnsupportedMediaType)
				return
			}
			email = creds["email"]
		}
		if !a.tokenOK(r) {
			http.Error(w, "CSRF token missing or wrong", http.StatusForbidden)
			return
		}
		b := make([]byte, 16)
		rand.Read(b)
		id := hex.EncodeToString(b)
		a.mu.Lock()
		a.sessions[id] = email
		a.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: id, Path: "/", HttpOnly: true})
		if a.json {
			fmt.Fprint(w, `{"ok": true}`)
			return
		}
		http.Redirect(w, r, "/dashboard", http.StatusFound)
	case r.URL.Path == "/dashboard":
		if u := a.user(r); u != "" {
			page(`<p>Hello ` + u + `</p><form method="post" action="/logout">` + hidden + `<button>Log out</button></form>`)
			return
		}
		http.Redirect(w, r, "/login", http.StatusFound)
	case r.URL.Path == "/api/me":
		w.Header().Set("Content-Type", "application/json")
		if u := a.user(r); u != "" {
			json.NewEncoder(w).Encode(map[string]any{"user": map[string]string{"name": u}})
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"user": null}`)
	case r.URL.Path == "/logout":
		method := r.Method
		if method == http.MethodPost && r.PostFormValue("_method") == "delete" {
			method = "OVERRIDE"
		}
		if method != a.logout {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if method != http.MethodGet && !a.tokenOK(r) {
			http.Error(w, "CSRF token missing or wrong", http.StatusUnprocessableEntity)
			return
		}
		if c, err := r.Cookie("sessionid"); err == nil {
			a.mu.Lock()
			delete(a.sessions, c.Value)
			a.mu.Unlock()
		}
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "", Path: "/", MaxAge: -1})
		http.Redirect(w, r, "/login", http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func storyFor(t *testing.T, sh shape) Story {
	t.Helper()
	doc := "name: shape\nprocess:\n  command: [x]\nlogged_in_marker: \"{{.Email}}\"\n" +
		"routes:\n  login: /login\n  dashboard: /dashboard\n  logout: /logout\n" + sh.routes + sh.yaml
	m, err := manifest.Parse([]byte(doc), "shape.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return New(m)
}

func TestEveryShapeLogsInAndOut(t *testing.T) {
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			srv := httptest.NewServer(&app{shape: sh, sessions: map[string]string{}})
			defer srv.Close()
			s := storyFor(t, sh)
			ctx := context.Background()
			v := visitor.New("john", srv.URL, evidence.NewJournal(), 5*time.Second)
			john := s.M.Accounts[0]

			a, err := s.Login(ctx, v, john)
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if a.Response.Status >= 400 {
				t.Fatalf("login answered %s", Describe(a.Response))
			}
			if name, err := s.SessionCookieName(a.Response, false); err != nil || name != "sessionid" {
				t.Errorf("session cookie %q (%v), want sessionid (never the CSRF cookie)", name, err)
			}
			expectState(t, s, v, john, Authenticated, "after the login")

			r, err := s.Logout(ctx, v)
			if err != nil {
				t.Fatalf("logout: %v", err)
			}
			if r.Status >= 400 {
				t.Fatalf("logout answered %s", Describe(r))
			}
			expectState(t, s, v, john, Anonymous, "after the logout")
		})
	}
}

func expectState(t *testing.T, s Story, v *visitor.Visitor, acct manifest.Account, want State, when string) {
	t.Helper()
	r, err := v.Get(context.Background(), s.StatePath())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.StateOf(r, acct); err != nil || got != want {
		t.Errorf("%s: state %s (%v), want %s: %s", when, got, err, want, Describe(r))
	}
}

// A page without the token the manifest promises is a step the harness
// cannot take, named with the field to fix; not a failed login.
func TestMissingTokenIsAStepError(t *testing.T) {
	srv := httptest.NewServer(&app{shape: shapes[0], sessions: map[string]string{}})
	defer srv.Close()
	s := storyFor(t, shape{yaml: "form:\n  csrf_field: csrfmiddlewaretoken\n"})
	v := visitor.New("john", srv.URL, evidence.NewJournal(), 5*time.Second)
	_, err := s.Login(context.Background(), v, s.M.Accounts[0])
	var se *StepError
	if !errors.As(err, &se) || se.Step != "the login page" || !strings.Contains(se.Error(), "csrfmiddlewaretoken") || !strings.Contains(se.Fix, "form.csrf_field") {
		t.Errorf("want a step error naming form.csrf_field, got %v", err)
	}
}

// A login page that fails with a 5xx is the login's answer: the target
// did not let anyone log in (ROBUST-6 counts on it), and no credentials
// were sent.
func TestLoginPageFailureIsTheAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			t.Error("credentials posted after the login page failed")
		}
		http.Error(w, "session store unavailable", http.StatusInternalServerError)
	}))
	defer srv.Close()
	s := storyFor(t, shape{yaml: "form:\n  csrf_field: authenticity_token\n"})
	a, err := s.Login(context.Background(), visitor.New("john", srv.URL, evidence.NewJournal(), 5*time.Second), s.M.Accounts[0])
	if err != nil || !a.StoppedAtPage() || a.Response.Status != 500 {
		t.Errorf("want the page's 500 as the answer, got %+v, %v", a, err)
	}
}

// A refused logout is named with what the manifest should say.
func TestRefusalFix(t *testing.T) {
	s := storyFor(t, shape{})
	for _, tc := range []struct {
		step   string
		status int
		want   string
	}{
		{"the logout", 422, "may want a CSRF token"},
		{"the logout", 405, "routes.logout_method"},
		{"the login", 404, "routes.login"},
		{"the login", 401, "accounts"},
	} {
		if got := s.RefusalFix(tc.step, tc.status); !strings.Contains(got, tc.want) {
			t.Errorf("%s %d: %q lacks %q", tc.step, tc.status, got, tc.want)
		}
	}
}

func TestParsePageDecodesEntities(t *testing.T) {
	p := ParsePage(`<form><input type=hidden name=t value='a&amp;b&#43;c'><input name=email type=email></form><meta name="csrf-token" content="x&lt;y">`)
	if v, ok := p.Hidden("t"); !ok || v != "a&b+c" {
		t.Errorf("hidden input %q %v, want a&b+c", v, ok)
	}
	if p.Metas["csrf-token"] != "x<y" {
		t.Errorf("meta %q", p.Metas["csrf-token"])
	}
	if f, ok := p.LoginForm(); !ok || len(f.Names()) != 2 {
		t.Errorf("form %+v", f)
	}
}

func TestJSONText(t *testing.T) {
	body := `{"user": {"name": "John Smith", "ids": [7, {"email": "j@x"}]}, "n": null}`
	for path, want := range map[string]string{"user.name": "John Smith", "user.ids.0": "7", "user.ids.1.email": "j@x", "n": "", "nope.x": "", "user.ids.9": ""} {
		if got := jsonText(body, path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	if jsonText("<html>", "a") != "" {
		t.Error("HTML read as JSON")
	}
}
