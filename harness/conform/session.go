package conform

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/onsi/gomega"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/story"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// State is what the state page says about a visitor.
type State = story.State

const (
	Authenticated = story.Authenticated
	Anonymous     = story.Anonymous
	OtherUser     = story.OtherUser
	ServerError   = story.ServerError
	Unexpected    = story.Unexpected
)

// Story is the target's story, with this spec's login timeout: how the
// harness logs in and out of this target (see harness/story).
func (t *T) Story() story.Story {
	s := story.New(t.Target)
	s.LoginTimeout = t.LoginTimeout(1)
	return s
}

// Account returns the target's i-th account (0: the story's John Smith).
func (t *T) Account(i int) manifest.Account { return t.Target.Accounts[i] }

// Marker is what the dashboard shows when acct is logged in.
func (t *T) Marker(acct manifest.Account) string {
	m, err := t.Story().Marker(acct)
	t.Must(err, "logged_in_marker")
	return m
}

// stepFailed ends the spec with status error: the harness could not take
// a step of the story (no answer, a refusal, no token). That says nothing
// about the promise the spec checks.
func (t *T) stepFailed(v *visitor.Visitor, err error) {
	var se *story.StepError
	if errors.As(err, &se) && se.Response != nil {
		t.Broken(fmt.Errorf("%s could not take %s: %s answered %s (%s)", v.Name, se.Step, se.Response.Path, story.Describe(se.Response), orHint(se.Fix)))
	}
	var na *visitor.NoAnswer
	if errors.As(err, &na) && na.TimedOut() {
		t.Broken(fmt.Errorf("%s: %w; slowness is not a verdict (%s)", v.Name, err, t.costNote()))
	}
	t.Broken(fmt.Errorf("%s: %w", v.Name, err))
}

func orHint(fix string) string {
	if fix == "" {
		return "check the manifest with `sessionconf doctor`"
	}
	return fix
}

// LoginResponse logs acct in through v the way the target takes logins
// and returns the answer, whatever it is (specs that expect a login to
// fail use it). When the login page itself fails with a 5xx, that is the
// answer: nobody could log in. A step the harness cannot take (no answer,
// a page without the promised CSRF token) ends the spec with status error.
func (t *T) LoginResponse(v *visitor.Visitor, acct manifest.Account) *visitor.Response {
	a, err := t.Story().Login(t.ctx, v, acct)
	if err != nil {
		t.stepFailed(v, err)
	}
	if a.StoppedAtPage() {
		t.Journal.Event("%s: the login page answered %d, so no credentials were posted", v.Name, a.Page.Status)
	}
	t.learnCookieName(v, a.Response)
	return a.Response
}

// learnCookieName learns the session cookie's name (cookie.name auto) from
// a login the spec made anyway. Without it CookieName would log a probe in
// to learn the name, and the probe's session would sit in the spec's store
// listings as one nobody asked for (LIFE-4 once compared it with john's
// cookie). A refused or failed login teaches nothing.
func (t *T) learnCookieName(v *visitor.Visitor, r *visitor.Response) {
	if r == nil || r.Status >= 400 || len(r.SetCookies) == 0 {
		return
	}
	in := t.instanceAt(v)
	if in == nil {
		return // through a proxy: the name is learnt when someone asks
	}
	prod := in.Config.Production
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, known := t.cookie[prod]; known {
		return
	}
	if name, err := t.Story().SessionCookieName(r, prod); err == nil {
		t.cookie[prod] = name
	}
}

// instanceAt is the spec's instance v talks to directly, or nil.
func (t *T) instanceAt(v *visitor.Visitor) *instance.Instance {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, in := range t.instances {
		if strings.TrimRight(in.BaseURL, "/") == v.Origin() {
			return in
		}
	}
	return nil
}

// Overloaded reports whether status is a server's (or the harness's
// proxy's) "not now": 502, 503, 504. It says nothing about a session.
func Overloaded(status int) bool { return overloaded(status) }

func overloaded(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// LoginUnchecked logs acct in through v, requires the answer to be a
// success with a session cookie, and returns the cookie's value. It does
// not load the dashboard afterwards: for specs whose timing matters (a
// kill right after the login answer). A refusal (4xx) ends the spec with
// status error; a 500 is the target failing to log anyone in.
func (t *T) LoginUnchecked(v *visitor.Visitor, acct manifest.Account) string {
	var r *visitor.Response
	deadline := time.Now().Add(t.Timeouts.Recovery)
	for {
		r = t.LoginResponse(v, acct)
		if !overloaded(r.Status) || time.Now().After(deadline) {
			break
		}
		t.Journal.Event("%s: the login answered %d (overloaded); trying again", v.Name, r.Status)
		t.pause(t.Timeouts.Poll * 5)
	}
	switch {
	case overloaded(r.Status):
		t.Broken(fmt.Errorf("logging in %s: the target kept answering %s for %v (overloaded; %s)", acct.Email, story.Describe(r), t.Timeouts.Recovery, t.costNote()))
	case r.Status >= 500:
		t.Fatalf("logging in %s failed: %s: the target cannot log anyone in (see its log)", acct.Email, story.Describe(r))
	case r.Status >= 400:
		t.Broken(fmt.Errorf("logging in %s was refused: %s (%s)", acct.Email, story.Describe(r), t.Story().RefusalFix("the login", r.Status)))
	}
	prod := false
	if in := t.instanceAt(v); in != nil {
		prod = in.Config.Production
	}
	name := t.detectCookie(r, prod)
	value, ok := v.Cookie(name)
	if !ok || value == "" {
		t.Broken(fmt.Errorf("logging in %s answered %s but %s holds no %q cookie: the login did not log in (check accounts, the form fields and cookie.name with `sessionconf doctor`)", acct.Email, story.Describe(r), v.Name, name))
	}
	return value
}

// Login logs acct in through v, requires it to work, and returns the
// session cookie's value. It then loads the dashboard: a login that does
// not show acct logged in is no positive control, and every "logged out"
// a spec then observes would pass for nothing.
func (t *T) Login(v *visitor.Visitor, acct manifest.Account) string {
	value := t.LoginUnchecked(v, acct)
	r := t.Dashboard(v)
	switch s := t.StateOf(r, acct); {
	case s == Authenticated:
	case s == ServerError && !overloaded(r.Status):
		t.Fatalf("right after logging in %s the dashboard failed: %s", acct.Email, story.Describe(r))
	default:
		t.Broken(fmt.Errorf("logging in %s answered success, but the dashboard then showed %s (%s): the session did not work. If logged_in_marker and routes.dashboard are right (`sessionconf doctor`), the target loses sessions right after the login", acct.Email, s, story.Describe(r)))
	}
	return value
}

// LogoutResponse logs v out the way the manifest says (with its CSRF
// token) and returns the answer, whatever it is.
func (t *T) LogoutResponse(v *visitor.Visitor) *visitor.Response {
	l := t.PrepareLogout(v)
	r, err := l.Send(t.ctx, v)
	if err != nil {
		t.stepFailed(v, err)
	}
	return r
}

// PrepareLogout reads what v's logout needs (its CSRF token), so a spec
// can send it later at the moment it wants.
func (t *T) PrepareLogout(v *visitor.Visitor) story.Logout {
	l, err := t.Story().PrepareLogout(t.ctx, v)
	if err != nil {
		t.stepFailed(v, err)
	}
	return l
}

// Logout logs v out and requires the target to take the logout: a
// refusal (a missing CSRF token, a wrong method) or an overloaded answer
// is a step the harness could not take, so the spec ends with status
// error rather than judge a logout that never happened.
func (t *T) Logout(v *visitor.Visitor) *visitor.Response {
	r := t.LogoutResponse(v)
	switch {
	case overloaded(r.Status):
		t.Broken(fmt.Errorf("%s's logout answered %s (overloaded; %s)", v.Name, story.Describe(r), t.costNote()))
	case r.Status >= 500:
		t.Fatalf("%s's logout failed: %s", v.Name, story.Describe(r))
	case r.Status >= 400:
		t.Broken(fmt.Errorf("%s's logout was refused: %s %s answered %s (%s)", v.Name, t.Target.Routes.LogoutMethod, t.Target.Routes.Logout, story.Describe(r), t.Story().RefusalFix("the logout", r.Status)))
	}
	return r
}

// Dashboard loads the state page (routes.state, by default the dashboard)
// through v.
func (t *T) Dashboard(v *visitor.Visitor, opts ...visitor.Option) *visitor.Response {
	return t.get(v, t.Target.Routes.StatePath, opts...)
}

func (t *T) get(v *visitor.Visitor, path string, opts ...visitor.Option) *visitor.Response {
	r, err := v.Get(t.ctx, path, opts...)
	if err != nil {
		t.stepFailed(v, err)
	}
	return r
}

// StateOf classifies a state-page answer for acct.
func (t *T) StateOf(r *visitor.Response, acct manifest.Account) State {
	s, err := t.Story().StateOf(r, acct)
	t.Must(err, "classify the dashboard's answer")
	return s
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
	switch {
	case overloaded(r.Status):
		t.Broken(fmt.Errorf("the login that shows the session cookie's name answered %s (overloaded; %s)", story.Describe(r), t.costNote()))
	case r.Status >= 500:
		t.Fatalf("logging in %s failed: %s: the target cannot log anyone in, so it sets no session cookie (see its log)", t.Account(1).Email, story.Describe(r))
	case r.Status >= 400:
		t.Broken(fmt.Errorf("the login that shows the session cookie's name was refused: %s (%s)", story.Describe(r), t.Story().RefusalFix("the login", r.Status)))
	}
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
	t.mu.Lock()
	name, known := t.cookie[prod]
	t.mu.Unlock()
	if known {
		return name
	}
	name, err := t.Story().SessionCookieName(r, prod)
	if err != nil {
		t.Broken(err)
	}
	t.mu.Lock()
	t.cookie[prod] = name
	t.mu.Unlock()
	return name
}

// describe renders a response for a failure message.
func describe(r *visitor.Response) string { return story.Describe(r) }

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

// ExpectCacheSafe records failures unless no shared cache may give r to
// someone else: Cache-Control no-store or private keeps it out of shared
// caches (Vary adds nothing then); otherwise Vary: Cookie must key it by
// the cookie. A response that sets the session cookie needs no-store.
func (t *T) ExpectCacheSafe(r *visitor.Response, setsCookie bool, what string) {
	cc := strings.ToLower(strings.Join(r.Header.Values("Cache-Control"), ","))
	vary := strings.ToLower(strings.Join(r.Header.Values("Vary"), ","))
	switch {
	case strings.Contains(cc, "no-store"):
	case setsCookie:
		t.Errorf("%s sets the session cookie, so it needs Cache-Control: no-store (got %q)", what, r.Header.Values("Cache-Control"))
	case strings.Contains(cc, "private"):
	case strings.Contains(vary, "cookie") || strings.Contains(vary, "*"):
	default:
		t.Errorf("%s has neither Cache-Control: no-store or private (got %q) nor Vary: Cookie (got %q), so a shared cache may serve it to someone else", what, r.Header.Values("Cache-Control"), r.Header.Values("Vary"))
	}
}
