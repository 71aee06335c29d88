package person

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-rod/rod/lib/proto"

	"github.com/sessionconf/sessionconf/harness/browser"
	"github.com/sessionconf/sessionconf/harness/instance"
)

// ExpectCookieExpiry records a failure, with a screenshot, unless the
// browser holds app's session cookie as a persistent cookie expiring
// lifetime after a login that began at loggingIn, or after a later answer
// that refreshed it (within the clock tolerance): a browser keeps the
// cookie exactly as long as the server keeps the session.
func (p *Person) ExpectCookieExpiry(app *instance.Instance, loggingIn time.Time, lifetime time.Duration, when string) bool {
	c, ok := p.SessionCookie(app)
	if !ok {
		p.Errorf("%s: the browser holds no %q cookie; the jar has:\n%s", when, p.t.CookieName(app), browser.FormatCookies(p.Jar()))
		return false
	}
	// A cookie date has whole seconds, and a server that refreshes the
	// session on use re-issues the cookie on every answer up to now.
	tol := p.t.Timeouts.Tolerance
	earliest, latest := loggingIn.Add(lifetime-tol-CookieDateResolution), time.Now().Add(lifetime+tol)
	expires := c.Expires.Time()
	if c.Session || expires.Before(earliest) || expires.After(latest) {
		p.Errorf("%s: the session cookie should expire with the session, %v after the login (between %s and %s), but the browser keeps it until %s: %s",
			when, lifetime, earliest.Format(time.TimeOnly), latest.Format(time.TimeOnly), Expiry(c), FormatCookie(c))
		return false
	}
	p.t.Journal.Event("%s: the browser keeps the session cookie until %s, %v after the login", when, Expiry(c), expires.Sub(loggingIn).Round(time.Second))
	return true
}

// CookieDateResolution is the resolution of a cookie's Expires date.
const CookieDateResolution = time.Second

// FormatCookie renders one cookie of a jar with its attributes.
func FormatCookie(c *proto.NetworkCookie) string {
	return strings.TrimSpace(browser.FormatCookies([]*proto.NetworkCookie{c}))
}

// Expiry says when the browser drops c.
func Expiry(c *proto.NetworkCookie) string {
	if c.Session {
		return "the browser closes (a browser-session cookie)"
	}
	return c.Expires.Time().Format(time.TimeOnly)
}

// CookieIn finds the cookie name in a Cookie header.
func CookieIn(header, name string) (string, bool) {
	for _, part := range strings.Split(header, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// LastRequest finds the latest request with method to url that went to
// the network (a page from the browser's cache tells nothing of cookies).
func LastRequest(reqs []browser.Request, method, url string) (browser.Request, bool) {
	var cached *browser.Request
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method != method || reqs[i].URL != url {
			continue
		}
		if reqs[i].Seen {
			return reqs[i], true
		}
		if cached == nil {
			cached = &reqs[i]
		}
	}
	if cached != nil {
		return *cached, true
	}
	return browser.Request{}, false
}

// ShortLifetime is a session lifetime a spec can wait for and still log in
// well within on this machine: three times what a login took, plus two
// seconds, at least four seconds and at most a minute.
func ShortLifetime(loginTook time.Duration) time.Duration {
	d := (3*loginTook + 2*time.Second + time.Second - 1).Truncate(time.Second)
	return min(time.Minute, max(4*time.Second, d))
}

// TooSlow is the error of a spec whose steps took longer than the timing
// it checks allows: nothing is known about the target.
func TooSlow(what string, took, budget time.Duration) error {
	return fmt.Errorf("%s took %v, too close to the %v lifetime the spec checks; the machine is too slow or loaded (raise -sessionconf.timeout-scale, or run with fewer -procs)", what, took.Round(time.Millisecond), budget)
}

// NotPlain is the error of a plain-HTTP request that never reached the
// harness's listener (the browser upgraded it to HTTPS, say).
func NotPlain(want, landed string) error {
	return fmt.Errorf("the browser never sent the plain-HTTP request to %s (it ended at %s): HSTS or an HTTPS upgrade may have turned it into HTTPS, so whether a plain request carries the cookie cannot be observed", want, landed)
}

// CookiesScopedByPort is the error of a browser that did not send a
// non-Secure cookie of the app's host to a plain-HTTP port of that host:
// it scopes cookies by scheme or port, so the plain-HTTP check shows
// nothing.
func CookiesScopedByPort(url, got string) error {
	return fmt.Errorf("the plain-HTTP request to %s did not carry the control cookie %q set by the app's page (Cookie: %q): this browser binds cookies to the scheme or port, so the check cannot tell whether the session cookie is Secure", url, "sessionconf_control", got)
}

// Unobservable is the error of a request the browser reported no headers
// for.
func Unobservable(what string, reqs []browser.Request) error {
	return fmt.Errorf("the browser reported no request headers for %s, so the cookies it sent cannot be checked; requests seen:\n%s", what, browser.FormatRequests(reqs))
}

// ExpectSessionCookieGone records a failure, with a screenshot, if the
// browser still holds the session cookie with the value it had while
// logged in (old): the logout did not delete it. A cookie with another
// value is a new, anonymous session the pages after the logout started
// (PERSIST-7's business, not the logout's), and is only noted.
func (p *Person) ExpectSessionCookieGone(app *instance.Instance, old string, when string) bool {
	c, ok := p.SessionCookie(app)
	switch {
	case ok && c.Value == old:
		p.Errorf("%s: the browser still holds the logged-in session cookie: %s", when, FormatCookie(c))
		return false
	case ok:
		p.t.Journal.Event("%s: the logged-in cookie is gone; the browser holds a new %q cookie that the pages after the logout set (a new anonymous session)", when, c.Name)
	default:
		p.t.Journal.Event("%s: %s's browser holds no %q cookie", when, p.Name, p.t.CookieName(app))
	}
	return true
}
