package conform

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/onsi/gomega"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// State is what a dashboard response says about the visitor.
type State string

const (
	Authenticated State = "authenticated"
	Anonymous     State = "anonymous"
	OtherUser     State = "another user's session"
	ServerError   State = "server error"
	Unexpected    State = "unexpected answer"
)

// Account returns the target's i-th account (0: the story's John Smith).
func (t *T) Account(i int) manifest.Account { return t.Target.Accounts[i] }

// Marker is what the dashboard shows when acct is logged in.
func (t *T) Marker(acct manifest.Account) string {
	m, err := instance.Expand(t.Target.LoggedInMarker, acct)
	t.Must(err, "logged_in_marker")
	return m
}

// LoginResponse posts acct's credentials through v and returns the answer,
// whatever it is (specs that expect a login to fail use it).
func (t *T) LoginResponse(v *visitor.Visitor, acct manifest.Account) *visitor.Response {
	form := url.Values{t.Target.Form.Email: {acct.Email}, t.Target.Form.Password: {acct.Password}}
	if f := t.Target.Form.CSRFField; f != "" {
		page := t.get(v, t.Target.Routes.Login)
		token, ok := hiddenValue(page.Body, f)
		if !ok {
			t.Fatalf("the login page has no hidden input %q (form.csrf_field)", f)
		}
		form.Set(f, token)
	}
	r, err := v.PostForm(t.ctx, t.Target.Routes.Login, form)
	if err != nil {
		t.Fatalf("%s could not post the login form: %v", v.Name, err)
	}
	return r
}

// Login logs acct in through v and requires it to work: a 2xx or 3xx and
// a session cookie. It returns the session cookie's value.
func (t *T) Login(v *visitor.Visitor, acct manifest.Account) string {
	r := t.LoginResponse(v, acct)
	if r.Status >= 400 {
		t.Fatalf("logging in %s failed: %s", acct.Email, describe(r))
	}
	name := t.detectCookie(r, false)
	value, ok := v.Cookie(name)
	if !ok || value == "" {
		t.Fatalf("logging in %s set no %q cookie: %s", acct.Email, name, describe(r))
	}
	return value
}

// Logout logs v out the way the manifest says (POST or GET).
func (t *T) Logout(v *visitor.Visitor) *visitor.Response {
	var r *visitor.Response
	var err error
	if t.Target.Routes.LogoutMethod == http.MethodGet {
		r, err = v.Get(t.ctx, t.Target.Routes.Logout)
	} else {
		r, err = v.PostForm(t.ctx, t.Target.Routes.Logout, url.Values{})
	}
	if err != nil {
		t.Fatalf("%s could not log out: %v", v.Name, err)
	}
	return r
}

// Dashboard loads the dashboard through v.
func (t *T) Dashboard(v *visitor.Visitor, opts ...visitor.Option) *visitor.Response {
	return t.get(v, t.Target.Routes.Dashboard, opts...)
}

func (t *T) get(v *visitor.Visitor, path string, opts ...visitor.Option) *visitor.Response {
	r, err := v.Get(t.ctx, path, opts...)
	if err != nil {
		t.Fatalf("%s could not load %s: %v", v.Name, path, err)
	}
	return r
}

// StateOf classifies a dashboard response for acct.
func (t *T) StateOf(r *visitor.Response, acct manifest.Account) State {
	if r.Status >= 500 {
		return ServerError
	}
	for _, other := range t.Target.Accounts {
		if other.Email != acct.Email && strings.Contains(r.Body, t.Marker(other)) {
			return OtherUser
		}
	}
	shows := strings.Contains(r.Body, t.Marker(acct))
	switch {
	case r.Status == http.StatusOK && shows:
		return Authenticated
	case shows:
		return Unexpected // the name on an error or redirect page
	case r.Status >= 300 && r.Status < 400, r.Status == 401, r.Status == 403, r.Status == http.StatusOK:
		return Anonymous
	}
	return Unexpected
}

// SettledState loads the dashboard through v until the answer is not a
// server error, for at most the recovery timeout, and returns the last
// state seen: a target under load may refuse a request with a 5xx, which
// says nothing of the session the spec asks about.
func (t *T) SettledState(v *visitor.Visitor, acct manifest.Account) State {
	state := ServerError
	quiet := gomega.NewGomega(func(string, ...int) {}) // running out of time is the caller's verdict
	quiet.Eventually(t.ctx, func() State {
		state = t.StateOf(t.Dashboard(v), acct)
		return state
	}).WithTimeout(t.Timeouts.Recovery).WithPolling(t.Timeouts.Poll).ShouldNot(gomega.Equal(ServerError))
	return state
}

// ExpectAuthenticated loads the dashboard through v and records a failure
// unless it shows acct logged in.
func (t *T) ExpectAuthenticated(v *visitor.Visitor, acct manifest.Account, when string) bool {
	r := t.Dashboard(v)
	if s := t.StateOf(r, acct); s != Authenticated {
		t.Errorf("%s: %s should be logged in as %s (200 with %q), but the dashboard gave %s: %s", when, v.Name, acct.Email, t.Marker(acct), s, describe(r))
		return false
	}
	return true
}

// RequireAuthenticated is ExpectAuthenticated for a precondition: the spec
// stops if it does not hold.
func (t *T) RequireAuthenticated(v *visitor.Visitor, acct manifest.Account, when string) {
	if !t.ExpectAuthenticated(v, acct, when) {
		panic(abort{})
	}
}

// ExpectAnonymous loads the dashboard through v and records a failure
// unless v is logged out: a redirect (or 401/403, or a page without any
// user's name) and no 5xx.
func (t *T) ExpectAnonymous(v *visitor.Visitor, acct manifest.Account, when string) bool {
	return t.ExpectAnonymousResponse(t.Dashboard(v), v.Name, acct, when)
}

// ExpectAnonymousResponse checks a dashboard response already made.
func (t *T) ExpectAnonymousResponse(r *visitor.Response, who string, acct manifest.Account, when string) bool {
	if s := t.StateOf(r, acct); s != Anonymous {
		t.Errorf("%s: %s should be logged out (a redirect to the login page, no user data, no 5xx), but the dashboard gave %s: %s", when, who, s, describe(r))
		return false
	}
	return true
}

// CookieName is the session cookie's name: the manifest's, or the one the
// target's login sets ("auto"), learnt from the first login of the spec.
func (t *T) CookieName(in *instance.Instance) string {
	prod := in.Config.Production
	declared := t.Target.Cookie.Name
	if prod {
		declared = t.Target.Cookie.ProductionName
	}
	if declared != "auto" {
		return declared
	}
	t.mu.Lock()
	name, ok := t.cookie[prod]
	t.mu.Unlock()
	if ok {
		return name
	}
	probe := visitor.New("probe", in.BaseURL, t.Journal, t.Timeouts.Request)
	t.Journal.Event("learn the session cookie's name from a login")
	r := t.LoginResponse(probe, t.Account(1))
	return t.detectCookie(r, prod)
}

// SessionCookie returns v's session cookie, failing the spec if it has none.
func (t *T) SessionCookie(v *visitor.Visitor, in *instance.Instance) string {
	name := t.CookieName(in)
	val, ok := v.Cookie(name)
	if !ok {
		t.Fatalf("%s has no %q cookie (jar: %v)", v.Name, name, v.Jar())
	}
	return val
}

// detectCookie learns the session cookie's name from a login response.
func (t *T) detectCookie(r *visitor.Response, prod bool) string {
	declared := t.Target.Cookie.Name
	if prod {
		declared = t.Target.Cookie.ProductionName
	}
	if declared != "auto" {
		return declared
	}
	t.mu.Lock()
	name, known := t.cookie[prod]
	t.mu.Unlock()
	if known {
		return name
	}
	var names []string
	for _, c := range r.SetCookies {
		if c.Value != "" && !visitor.IsDeletion(c) {
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		t.Fatalf("the login response set no cookie, so the session cookie's name cannot be detected: %s", describe(r))
	}
	name = names[0]
	for _, n := range names {
		if strings.Contains(strings.ToLower(n), "sess") {
			name = n
			break
		}
	}
	t.mu.Lock()
	t.cookie[prod] = name
	t.mu.Unlock()
	return name
}

// describe renders a response for a failure message.
func describe(r *visitor.Response) string {
	s := fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status))
	if loc := r.Location(); loc != "" {
		s += " -> " + loc
	}
	if r.Status >= 500 || (r.Status < 300 && r.Status != http.StatusNoContent) {
		s += fmt.Sprintf(" (body: %s)", excerpt(r.Body, 160))
	}
	return s
}

var spaces = regexp.MustCompile(`\s+`)
var tags = regexp.MustCompile(`<[^>]*>`)

func excerpt(body string, n int) string {
	s := strings.TrimSpace(spaces.ReplaceAllString(tags.ReplaceAllString(body, " "), " "))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return fmt.Sprintf("%q", s)
}

func hiddenValue(html, name string) (string, bool) {
	re := regexp.MustCompile(`<input[^>]*name=["']` + regexp.QuoteMeta(name) + `["'][^>]*>`)
	tag := re.FindString(html)
	if tag == "" {
		return "", false
	}
	m := regexp.MustCompile(`value=["']([^"']*)["']`).FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// Get loads path through v (a page that needs no session, say).
func (t *T) Get(v *visitor.Visitor, path string, opts ...visitor.Option) *visitor.Response {
	return t.get(v, path, opts...)
}

// ExpectCookieLifetime records a failure unless the session cookie r sets
// expires want from now, within slack.
func (t *T) ExpectCookieLifetime(r *visitor.Response, in *instance.Instance, want, slack time.Duration, when string) {
	received := time.Now()
	cookies := t.SessionCookies(r, in)
	if len(cookies) == 0 {
		t.Errorf("%s: the login response set no session cookie: %s", when, describe(r))
		return
	}
	for _, c := range cookies {
		exp, ok := c.Expiry(received)
		if !ok {
			t.Errorf("%s: the session cookie is a browser-session cookie (no Expires or Max-Age), expected it to last %v: %s", when, want, c.Raw)
			continue
		}
		if got := exp.Sub(received); (got - want).Abs() > slack {
			t.Errorf("%s: the session cookie should last %v (within %v), it lasts %v: %s", when, want, slack, got.Round(time.Second), c.Raw)
		}
	}
}

// RecordsIfServer is Records in the server-side profiles and nil in the
// cookie profile.
func (t *T) RecordsIfServer(label string) []inspect.Record {
	if t.Profile == catalog.Cookie {
		return nil
	}
	return t.Records(label)
}

// FirstLine returns the first line of an error, for journal notes.
func FirstLine(err error) string { return firstLine(err.Error()) }

// ExpectCacheSafe records failures unless r may not be cached for anyone
// else: Vary: Cookie, and Cache-Control no-store (or private, unless the
// response sets a cookie, which needs no-store).
func (t *T) ExpectCacheSafe(r *visitor.Response, setsCookie bool, what string) {
	vary := strings.ToLower(strings.Join(r.Header.Values("Vary"), ","))
	t.Check(strings.Contains(vary, "cookie") || strings.Contains(vary, "*"), "%s lacks Vary: Cookie (Vary: %q), so a shared cache may serve it to someone else", what, r.Header.Values("Vary"))
	cc := strings.ToLower(strings.Join(r.Header.Values("Cache-Control"), ","))
	switch {
	case strings.Contains(cc, "no-store"):
	case setsCookie:
		t.Errorf("%s sets the session cookie, so it needs Cache-Control: no-store (got %q)", what, r.Header.Values("Cache-Control"))
	case !strings.Contains(cc, "private"):
		t.Errorf("%s needs Cache-Control: no-store or private (got %q)", what, r.Header.Values("Cache-Control"))
	}
}
