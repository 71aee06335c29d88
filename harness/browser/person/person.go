// Package person is the browser suite's user: someone at a real Chromium
// window who opens the login page, types the account into the form,
// clicks the button, reads the dashboard, reloads, goes back, logs out,
// and closes and reopens the browser. It ties the browser package to a
// conform.T: every step is a journal line, every check that fails
// records a failure with a screenshot of the page at that moment, and a
// spec that fails keeps the console log, the cookie jar and the requests
// with their cookies as evidence.
//
// One browser serves every spec of a Ginkgo process (launched on first
// use, closed by Shutdown in the suite's AfterSuite); each Person gets a
// fresh incognito context in it, so specs share nothing. OpenProfile
// starts a browser of the spec's own instead, on a profile directory that
// survives Reopen. A spec holds one of the machine's browser slots
// (browser.AcquireSlot) while its people use a browser.
package person

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-rod/rod/lib/proto"

	"github.com/sessionconf/sessionconf/harness/browser"
	"github.com/sessionconf/sessionconf/harness/conform"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/tlscert"
)

// AppHost is the host name the browser reaches a local target by, so its
// cookies are scoped to a real host name (browsers treat IP literals and
// "localhost" specially).
const AppHost = "app.test"

// OtherHost is a second site, cross-site to AppHost.
const OtherHost = "other.test"

// Person is someone at a browser window.
type Person struct {
	Name string

	t      *conform.T
	b      *browser.Browser // the process's shared browser, or the person's own
	own    bool             // b is the person's (OpenProfile)
	ctx    *browser.Context
	page   *browser.Page
	shots  int
	atShot int // failures recorded at the last screenshot
}

// procs is the process's shared browser and the spec browsers still open.
var procs struct {
	mu     sync.Mutex
	shared *browser.Browser
	err    error
	tried  bool
	own    map[*browser.Browser]bool
}

// sharedBrowser launches the process's browser on first use, and again if
// it has died since. A launch that failed is not retried: every later spec
// of the process reports the same error.
func sharedBrowser(t *conform.T) (*browser.Browser, error) {
	procs.mu.Lock()
	defer procs.mu.Unlock()
	if b := procs.shared; b != nil {
		select {
		case <-b.Exited():
			t.Journal.Event("the browser of this process (pid %d) has exited; starting another", b.PID())
			b.Close()
			procs.shared, procs.tried = nil, false
		default:
		}
	}
	if !procs.tried {
		procs.tried = true
		start := time.Now()
		procs.shared, procs.err = browser.Launch(context.Background(), launchOptions(t, ""))
		if procs.err == nil {
			t.Journal.Event("launched the browser of this process (pid %d, %v)", procs.shared.PID(), time.Since(start).Round(time.Millisecond))
		}
	}
	return procs.shared, procs.err
}

func launchOptions(t *conform.T, dir string) browser.Options {
	// A start costs more than any other browser operation, and on a
	// loaded machine many start at once.
	o := browser.Options{UserDataDir: dir, LaunchTimeout: 3 * t.Timeouts.Browser, CloseTimeout: t.Timeouts.Browser}
	if cert := t.TLSCert(); cert != "" {
		if spki, err := tlscert.SPKIHash(cert); err == nil {
			o.TrustSPKI = []string{spki}
		}
	}
	if ext := t.Target.External; ext != nil {
		if u, err := url.Parse(ext.URL); err == nil && !isLoopback(u.Hostname()) {
			o.Reachable = []string{u.Hostname()}
		}
	}
	return o
}

// Shutdown closes the process's browser and any browser a spec left open.
// Call it in the suite's AfterSuite (it runs on interrupts too); leakless
// ends them anyway if the process dies without it.
func Shutdown() {
	procs.mu.Lock()
	var all []*browser.Browser
	if procs.shared != nil {
		all = append(all, procs.shared)
	}
	for b := range procs.own {
		all = append(all, b)
	}
	procs.shared, procs.own = nil, nil
	procs.mu.Unlock()
	var wg sync.WaitGroup
	for _, b := range all {
		wg.Add(1)
		go func() { defer wg.Done(); b.Close() }()
	}
	wg.Wait()
}

func track(b *browser.Browser, open bool) {
	procs.mu.Lock()
	defer procs.mu.Unlock()
	if procs.own == nil {
		procs.own = map[*browser.Browser]bool{}
	}
	if open {
		procs.own[b] = true
	} else {
		delete(procs.own, b)
	}
}

// slots are the browser slots of the specs of this process: nil while a
// spec has given its slot back for a wait.
var slots struct {
	mu   sync.Mutex
	held map[*conform.T]*browser.Slot
}

// holdSlot takes one of the machine's browser slots for the spec unless it
// holds one, and gives it back when the spec ends (after its people are
// done).
func holdSlot(t *conform.T) {
	slots.mu.Lock()
	s, known := slots.held[t]
	slots.mu.Unlock()
	if s != nil {
		return
	}
	start := time.Now()
	s, err := browser.AcquireSlot(t.Context())
	if err != nil {
		t.Broken(err)
	}
	if waited := time.Since(start); waited > 500*time.Millisecond {
		t.Journal.Event("waited %v for a browser slot (%d browser specs at a time on this machine, %s)", waited.Round(time.Millisecond), browser.Slots(), browser.EnvSlots)
	}
	slots.mu.Lock()
	if slots.held == nil {
		slots.held = map[*conform.T]*browser.Slot{}
	}
	slots.held[t] = s
	slots.mu.Unlock()
	if !known {
		t.Defer(func() {
			slots.mu.Lock()
			s := slots.held[t]
			delete(slots.held, t)
			slots.mu.Unlock()
			s.Release()
		})
	}
}

// releaseSlot gives the spec's slot back for a while.
func releaseSlot(t *conform.T) {
	slots.mu.Lock()
	s := slots.held[t]
	if s != nil {
		slots.held[t] = nil
	}
	slots.mu.Unlock()
	s.Release()
}

// slotLead is how long before the end of a wait a spec asks for its
// browser slot again: taking it back can queue behind other specs' pages,
// and the step after the wait is timed.
const slotLead = 3 * time.Second

// WaitUntil lets time pass (t.SleepUntil: for timing the requirement
// needs) with the person's browser open and idle. A long wait frees the
// spec's browser slot for other specs and takes it back slotLead before
// the end; a short one keeps it, so the timed step is not late.
func (p *Person) WaitUntil(when time.Time, why string) {
	if time.Until(when) > 2*slotLead {
		releaseSlot(p.t)
		p.t.SleepUntil(when.Add(-slotLead), why+" (the browser slot is free for other specs meanwhile)")
		holdSlot(p.t)
	}
	p.t.SleepUntil(when, why)
}

// ReloadBefore presses reload if the moment a timed check is about has not
// passed yet. A harness that comes too late (a busy machine, a slow
// browser) observes another moment, and the spec ends as an error saying
// so: the target's verdict must not depend on the suite's own load.
func (p *Person) ReloadBefore(deadline time.Time, moment string) {
	p.t.OnTime(deadline, moment)
	p.Reload()
}

// Open puts a person at a fresh incognito window of the process's browser:
// an empty cookie jar, cache and history.
func Open(t *conform.T, name string) *Person {
	holdSlot(t)
	b, err := sharedBrowser(t)
	if err != nil {
		t.Broken(fmt.Errorf("the browser suite needs a browser: %w", err))
	}
	c, err := b.Incognito(t.Context(), t.Timeouts.Browser)
	if err != nil {
		t.Broken(err)
	}
	p := &Person{Name: name, t: t, b: b, ctx: c}
	t.Defer(p.finish)
	p.newPage()
	t.Journal.Event("%s opens a fresh incognito window", name)
	return p
}

// OpenProfile starts a browser of the person's own on a profile directory
// in the spec's state directory, with one tab: cookies land in the
// profile on disk, and Reopen quits and starts the same browser again.
func OpenProfile(t *conform.T, name string) *Person {
	holdSlot(t)
	dir := filepath.Join(t.StateDir(), "browser-"+name)
	start := time.Now()
	b, err := browser.Launch(t.Context(), launchOptions(t, dir))
	if err != nil {
		t.Broken(fmt.Errorf("the browser suite needs a browser: %w", err))
	}
	track(b, true)
	p := &Person{Name: name, t: t, b: b, own: true, ctx: b.Default(t.Timeouts.Browser)}
	t.Defer(p.finish)
	p.newPage()
	t.Journal.Event("%s starts a browser on the profile %s (pid %d, %v with its first tab)", name, dir, b.PID(), time.Since(start).Round(time.Millisecond))
	return p
}

func (p *Person) newPage() {
	page, err := p.ctx.NewPage(p.t.Context())
	if err != nil {
		p.t.Broken(err)
	}
	page.Notify = func(msg string) { p.t.Journal.Event("%s", msg) }
	p.page = page
}

// Reopen quits the person's browser the way a person does (a graceful
// close, which writes the cookie database) and starts it again on the
// same profile with one empty tab: session cookies are gone, persistent
// ones are back.
func (p *Person) Reopen() {
	if !p.own {
		p.t.Broken(errors.New("Reopen needs a person from OpenProfile"))
	}
	p.t.Journal.Event("%s quits the browser (graceful close) and opens it again on the same profile", p.Name)
	start := time.Now()
	old := p.b
	nb, err := old.Relaunch(p.t.Context())
	track(old, false)
	if err != nil {
		p.page = nil
		p.t.Broken(fmt.Errorf("reopen the browser: %w", err))
	}
	track(nb, true)
	p.b, p.ctx = nb, nb.Default(p.t.Timeouts.Browser)
	p.newPage()
	p.t.Journal.Event("%s's browser is open again (pid %d, %v)", p.Name, nb.PID(), time.Since(start).Round(time.Millisecond))
}

// finish runs after the spec body: on failure it keeps a screenshot (if
// the failure has none yet), the console, the cookie jar and the
// requests; then it closes the window (or the person's own browser).
func (p *Person) finish() {
	t := p.t
	if t.Failed() && p.page != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*t.Timeouts.Browser)
		defer cancel()
		page := p.page.WithContext(ctx)
		if fails := t.Failures(); len(fails) > p.atShot || p.shots == 0 {
			msg := "the spec stopped here"
			if len(fails) > 0 {
				msg = fails[len(fails)-1]
			}
			p.screenshot(page, "at-the-end", msg)
		}
		p.attachText("console.txt", strings.Join(page.Console(), "\n"))
		if jar, err := p.ctx.Cookies(ctx); err == nil {
			p.attachText("cookies.txt", browser.FormatCookies(jar))
		} else {
			p.attachText("cookies.txt", "the cookie jar could not be read: "+err.Error())
		}
		p.attachText("requests.txt", browser.FormatRequests(page.Requests()))
	}
	if p.page != nil {
		p.page.Close()
	}
	if p.own {
		p.b.Close()
		track(p.b, false)
	} else {
		p.ctx.Close()
	}
}

// AppURL is the address of path on app as the browser reaches it: a local
// target by the host name AppHost (same port), any other as it is.
func AppURL(app *instance.Instance, path string) string {
	u, err := url.Parse(app.BaseURL)
	if err != nil || !isLoopback(u.Hostname()) {
		return app.URL(path)
	}
	u.Host = net.JoinHostPort(AppHost, u.Port())
	return strings.TrimRight(u.String(), "/") + path
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Page is the person's tab, for checks the helpers do not cover.
func (p *Person) Page() *browser.Page { return p.page }

// Visit opens path on app in the tab, like typing the address.
func (p *Person) Visit(app *instance.Instance, path string) { p.VisitURL(AppURL(app, path)) }

// VisitURL opens an absolute URL in the tab.
func (p *Person) VisitURL(u string) {
	p.t.Journal.Event("%s opens %s", p.Name, u)
	p.step(p.page.Navigate(u), "open "+u)
}

// Reload presses the reload button.
func (p *Person) Reload() {
	p.t.Journal.Event("%s reloads %s", p.Name, p.page.URL())
	p.step(p.page.Reload(), "reload")
}

// Back presses the Back button.
func (p *Person) Back() {
	p.t.Journal.Event("%s goes back from %s", p.Name, p.page.URL())
	err := p.page.Back()
	if err == nil && p.page.RestoredFromCache() {
		p.t.Journal.Event("the browser restored the page from its back/forward cache, without a request")
	}
	p.step(err, "go back")
}

// step ends the spec when an action failed: a certificate the browser was
// not told to trust, or a browser that stopped answering, is the harness's
// problem (status error); a page that does not load or lacks what a person
// needs to go on is the target's (a failure).
func (p *Person) step(err error, what string) {
	for try := 1; err == nil && try <= unavailableRetries; try++ {
		wait, busy := p.unavailable()
		if !busy {
			break
		}
		p.t.Journal.Event("%s sees %s", p.Name, p.describe())
		p.t.SleepUntil(time.Now().Add(wait), fmt.Sprintf("the page says 503 Service Unavailable; %s tries again in a moment, as it asks (%d/%d)", p.Name, try, unavailableRetries))
		err = p.page.Reload()
	}
	if err == nil {
		p.t.Journal.Event("%s sees %s", p.Name, p.describe())
		return
	}
	var ne *browser.NavigationError
	if errors.As(err, &ne) && strings.Contains(ne.Text, "CERT") {
		p.t.Broken(fmt.Errorf("%s could not %s: %v (the browser should trust the run's certificate)", p.Name, what, err))
	}
	if p.t.Context().Err() != nil {
		p.t.Broken(fmt.Errorf("%s could not %s: the spec was interrupted: %v", p.Name, what, err))
	}
	p.Fatalf("%s could not %s: %v; the page shows %s", p.Name, what, err, p.describe())
}

// unavailableRetries is how often a person reloads a page that answered
// 503 (a store that is briefly slow on a loaded machine): the answer asks
// to try again in a moment, and a person does.
const unavailableRetries = 3

// unavailable reports whether the current page answered 503, and how long
// its Retry-After asks to wait (1s when absent, at most 5s).
func (p *Person) unavailable() (time.Duration, bool) {
	u := p.page.URL()
	reqs := p.page.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		r := reqs[i]
		if !r.Document || r.URL != u || r.Status == 0 {
			continue
		}
		if r.Status != http.StatusServiceUnavailable {
			return 0, false
		}
		wait := time.Second
		if n, err := strconv.Atoi(strings.TrimSpace(r.RetryAfter)); err == nil && n >= 0 {
			wait = min(5*time.Second, time.Duration(n)*time.Second)
		}
		return wait, true
	}
	return 0, false
}

// LogIn does the story's manual login: open the login page, type the
// account into the form, click the submit button, and see the account's
// name on the page that follows. It stops the spec if the name is not
// there: everything after it needs a logged-in person. It returns how
// long the login took.
func (p *Person) LogIn(app *instance.Instance, acct manifest.Account) time.Duration {
	return p.LogInBefore(app, acct, time.Time{})
}

// LogInBefore is LogIn for a session that expires soon: when the name is
// missing only because the login finished after expiry (a loaded machine),
// the spec ends with status error instead of a failure.
func (p *Person) LogInBefore(app *instance.Instance, acct manifest.Account, expiry time.Time) time.Duration {
	start := time.Now()
	p.logIn(app, acct)
	if !expiry.IsZero() && time.Now().After(expiry) {
		if s, err := p.state(acct); err == nil && s != LoggedIn {
			p.t.Broken(TooSlow("logging in through the form", time.Since(start), time.Until(expiry)+time.Since(start)))
		}
	}
	p.RequireLoggedIn(acct, "right after logging in through the form")
	return time.Since(start)
}

func (p *Person) logIn(app *instance.Instance, acct manifest.Account) {
	f := p.t.Target.Form
	p.Visit(app, p.t.Target.Routes.Login)
	email, password := fieldSelector(f.Email), fieldSelector(f.Password)
	p.t.Journal.Event("%s types %s and the password into %s and %s and clicks #%s", p.Name, acct.Email, email, password, f.Submit)
	if err := p.page.Input(email, acct.Email); err != nil {
		p.Fatalf("the login page has no %s field to type the email into (%v); it shows %s", email, err, p.describe())
	}
	if err := p.page.Input(password, acct.Password); err != nil {
		p.Fatalf("the login page has no %s field to type the password into (%v); it shows %s", password, err, p.describe())
	}
	p.step(p.page.Submit("#"+f.Submit), "submit the login form with #"+f.Submit)
}

func fieldSelector(name string) string { return fmt.Sprintf(`[name=%q]`, name) }

// LogOut clicks the dashboard's logout button (a form posting to the
// logout route), or opens the logout route when the manifest says logout
// is a GET.
func (p *Person) LogOut(app *instance.Instance) {
	r := p.t.Target.Routes
	if r.LogoutMethod == "GET" {
		p.Visit(app, r.Logout)
		return
	}
	p.t.Journal.Event("%s clicks the logout button (the form posting to %s)", p.Name, r.Logout)
	sel := fmt.Sprintf(`form[action$=%q] [type=submit], form[action$=%q] button`, r.Logout, r.Logout)
	ok, err := p.page.Has(sel)
	if err != nil {
		p.t.Broken(err)
	}
	if !ok {
		p.Fatalf("the dashboard has no logout button (no form posting to %s with a submit button); it shows %s", r.Logout, p.describe())
	}
	p.step(p.page.Submit(sel), "click the logout button")
}

// State is what a page shows about the person.
type State string

const (
	LoggedIn  State = "the dashboard with the account's name"
	LoginPage State = "the login page"
	NoUser    State = "a page without any user's data"
	OtherUser State = "another account's data"
)

// state reads the page: whose name it shows and whether it is the login
// form.
func (p *Person) state(acct manifest.Account) (State, error) {
	text, err := p.page.Text()
	if err != nil {
		return "", err
	}
	mine, other, err := p.t.Story().Shows(text, acct)
	switch {
	case err != nil:
		return "", err
	case other:
		return OtherUser, nil
	case mine:
		return LoggedIn, nil
	}
	form, err := p.page.Has(fieldSelector(p.t.Target.Form.Email))
	if err != nil {
		return "", err
	}
	if form {
		return LoginPage, nil
	}
	return NoUser, nil
}

// ExpectLoggedIn records a failure, with a screenshot, unless the page
// shows acct's name (the logged_in_marker).
func (p *Person) ExpectLoggedIn(acct manifest.Account, when string) bool {
	s, err := p.state(acct)
	if err != nil {
		p.t.Broken(err)
	}
	if s != LoggedIn {
		p.Errorf("%s: %s should see the dashboard with %q, but the page shows %s: %s%s", when, p.Name, p.t.Marker(acct), s, p.describe(), p.refusals())
		return false
	}
	p.t.Journal.Event("%s: %s is logged in (the page shows %q)", when, p.Name, p.t.Marker(acct))
	return true
}

// RequireLoggedIn is ExpectLoggedIn for a precondition: the spec stops.
func (p *Person) RequireLoggedIn(acct manifest.Account, when string) {
	if !p.ExpectLoggedIn(acct, when) {
		p.atShot++ // the screenshot of the failure above shows this too
		p.t.Fatalf("%s: cannot go on without a logged-in %s", when, p.Name)
	}
}

// refusals lists the Set-Cookie lines the browser refused so far, for
// failure messages (a __Host- cookie without Secure, say).
func (p *Person) refusals() string {
	var out []string
	for _, r := range p.page.Requests() {
		for _, b := range r.RefusedSetCookies {
			out = append(out, fmt.Sprintf("%s %s: %s", r.Method, r.URL, b))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "; the browser refused to store cookies: " + strings.Join(out, "; ")
}

// ExpectLoginPage records a failure unless the page is the login form and
// shows nobody's data.
func (p *Person) ExpectLoginPage(acct manifest.Account, when string) bool {
	s, err := p.state(acct)
	if err != nil {
		p.t.Broken(err)
	}
	if s != LoginPage {
		p.Errorf("%s: %s should be on the login page (logged out), but the page shows %s: %s", when, p.Name, s, p.describe())
		return false
	}
	p.t.Journal.Event("%s: %s is on the login page", when, p.Name)
	return true
}

// ExpectNoUserData records a failure if the page shows acct's (or any
// account's) name.
func (p *Person) ExpectNoUserData(acct manifest.Account, when string) bool {
	s, err := p.state(acct)
	if err != nil {
		p.t.Broken(err)
	}
	if s == LoggedIn || s == OtherUser {
		p.Errorf("%s: the page must show no user data, but it shows %s: %s", when, s, p.describe())
		return false
	}
	p.t.Journal.Event("%s: the page shows no user data (%s)", when, s)
	return true
}

// Check records a failure with a screenshot unless ok.
func (p *Person) Check(ok bool, format string, args ...any) bool {
	if !ok {
		p.Errorf(format, args...)
	}
	return ok
}

// Errorf records a failure and a screenshot of the page showing it.
func (p *Person) Errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.t.Errorf("%s", msg)
	p.shoot(msg, 0)
}

// Fatalf records a failure with a screenshot and stops the spec.
func (p *Person) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.shoot(msg, 1) // the failure Fatalf records next
	p.t.Fatalf("%s", msg)
}

// shoot takes the screenshot of a failure; pending failures are about to
// be recorded.
func (p *Person) shoot(msg string, pending int) {
	if p.page == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.t.Timeouts.Browser)
	defer cancel()
	p.screenshot(p.page.WithContext(ctx), "failure", msg)
	p.atShot += pending
}

// Keep saves a screenshot of the page as evidence whatever the outcome
// (the HTML report shows it): "dashboard-after-restart".
func (p *Person) Keep(name string) {
	path := filepath.Join(p.t.StateDir(), p.Name+"-"+name+".png")
	if err := p.page.Screenshot(path); err != nil {
		p.t.Journal.Event("could not take the screenshot %s: %v", name, err)
		return
	}
	p.t.Journal.Attach(filepath.Base(path), path)
	p.t.Journal.Event("kept a screenshot: %s", filepath.Base(path))
}

// screenshot writes a PNG with a banner saying what failed and attaches it.
func (p *Person) screenshot(page *browser.Page, label, msg string) {
	p.shots++
	p.atShot = len(p.t.Failures())
	name := fmt.Sprintf("%s-screenshot-%d-%s.png", p.Name, p.shots, label)
	path := filepath.Join(p.t.StateDir(), name)
	banner := fmt.Sprintf("sessionconf %s FAILED (%s profile) at %s\n%s", p.t.Req.ID, p.t.Profile, page.URL(), msg)
	remove, err := page.Banner(banner)
	if err == nil {
		defer remove()
	}
	if err := page.Screenshot(path); err != nil {
		p.t.Journal.Event("could not take a screenshot: %v", err)
		return
	}
	p.t.Journal.Attach(name, path)
	p.t.Journal.Event("screenshot %s", name)
}

func (p *Person) attachText(name, text string) {
	path := filepath.Join(p.t.StateDir(), p.Name+"-"+name)
	if err := os.WriteFile(path, []byte(text+"\n"), 0o644); err == nil {
		p.t.Journal.Attach(filepath.Base(path), path)
	}
}

var spaces = regexp.MustCompile(`\s+`)

// describe renders the current page for messages: address, response
// status, title and the start of its text.
func (p *Person) describe() string {
	u := p.page.URL()
	text, _ := p.page.Text()
	text = strings.TrimSpace(spaces.ReplaceAllString(text, " "))
	if len(text) > 160 {
		text = text[:160] + "..."
	}
	status := ""
	reqs := p.page.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].URL == u && reqs[i].Status > 0 {
			status = fmt.Sprintf(" %d", reqs[i].Status)
			break
		}
	}
	return fmt.Sprintf("%s%s (title %q, text %q)", u, status, p.page.Title(), text)
}

// Jar returns every cookie the person's browser holds.
func (p *Person) Jar() []*proto.NetworkCookie {
	jar, err := p.ctx.Cookies(p.t.Context())
	if err != nil {
		p.t.Broken(fmt.Errorf("read the cookie jar: %w", err))
	}
	return jar
}

// SessionCookie returns the session cookie of app in the jar, if any.
func (p *Person) SessionCookie(app *instance.Instance) (*proto.NetworkCookie, bool) {
	name := p.t.CookieName(app)
	host := hostOf(AppURL(app, "/"))
	for _, c := range p.Jar() {
		if c.Name == name && domainMatch(host, c.Domain) {
			return c, true
		}
	}
	return nil, false
}

// RequireSessionCookie returns the session cookie, stopping the spec with
// a failure if the jar has none.
func (p *Person) RequireSessionCookie(app *instance.Instance, when string) *proto.NetworkCookie {
	c, ok := p.SessionCookie(app)
	if !ok {
		p.Fatalf("%s: the browser holds no %q cookie for %s; the jar has:\n%s", when, p.t.CookieName(app), hostOf(AppURL(app, "/")), browser.FormatCookies(p.Jar()))
	}
	p.t.Journal.Note("the session cookie in "+p.Name+"'s jar ("+when+")", browser.FormatCookies([]*proto.NetworkCookie{c}))
	return c
}

// DocumentCookie is what page scripts see of the cookies (document.cookie).
func (p *Person) DocumentCookie() string {
	s, err := p.page.Eval(`() => document.cookie`)
	if err != nil {
		p.t.Broken(fmt.Errorf("read document.cookie: %w", err))
	}
	p.t.Journal.Event("%s's page reads document.cookie = %q", p.Name, s)
	return s
}

// SetScriptCookie sets a cookie from a page script (document.cookie) on
// the current page's host: not Secure, not HttpOnly, Path=/.
func (p *Person) SetScriptCookie(name, value string) {
	if _, err := p.page.Eval(`(c) => { document.cookie = c; return document.cookie; }`, name+"="+value+"; Path=/; Max-Age=600"); err != nil {
		p.t.Broken(fmt.Errorf("set a cookie from a script: %w", err))
	}
	p.t.Journal.Event("%s's page script sets the cookie %s=%s (not Secure)", p.Name, name, value)
}

// Requests are the requests of the person's tab so far.
func (p *Person) Requests() []browser.Request { return p.page.Requests() }

// Submit clicks the element selector finds and waits for the navigation.
func (p *Person) Submit(selector string) {
	p.t.Journal.Event("%s clicks %s on %s", p.Name, selector, p.page.URL())
	p.step(p.page.Submit(selector), "click "+selector)
}

// SubmitAway clicks selector on a page that posts somewhere else (the
// harness's cross-site page) and waits for the browser to go there. How
// the app answers (a 404 or 405 from a route that takes no POST, a 403
// from its CSRF check) does not matter: the request was sent, and the
// cookies it carried are in Requests.
func (p *Person) SubmitAway(selector string) {
	p.t.Journal.Event("%s clicks %s on %s", p.Name, selector, p.page.URL())
	err := p.page.Submit(selector)
	var ne *browser.NavigationError
	if errors.As(err, &ne) && strings.Contains(ne.Text, "ERR_HTTP_RESPONSE_CODE_FAILURE") {
		p.t.Journal.Event("the app answered the request with an error page (%s); the request was sent", ne.Text)
		return
	}
	p.step(err, "click "+selector)
}

func hostOf(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return pu.Hostname()
}

// domainMatch reports whether a cookie of domain (host-only "app.test" or
// ".app.test") is sent to host.
func domainMatch(host, domain string) bool {
	d := strings.TrimPrefix(domain, ".")
	return host == d || strings.HasSuffix(host, "."+d)
}
