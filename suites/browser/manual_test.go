package browser_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/sessionconf/sessionconf/harness/browser/person"
	"github.com/sessionconf/sessionconf/harness/catalog"
	. "github.com/sessionconf/sessionconf/harness/conform"
)

// longLifetime is the lifetime of the close-and-reopen part: nothing of it
// depends on how fast the machine is.
const longLifetime = time.Hour

var _ = Describe("The manual test", func() {
	Requirement("PERSIST-1", func(t *T) {
		app := t.Launch()
		john := person.Open(t, "john")
		john.LogIn(app, t.Account(0))

		t.Restart(app)
		john.Reload()
		john.ExpectLoggedIn(t.Account(0), "after the server restarted and the page was reloaded")
		john.Keep("dashboard-after-restart")
		if t.Profile != catalog.Cookie {
			recs := t.Records("after the restart")
			t.Check(len(recs) > 0, "the store holds no session record after the restart, though the browser is still logged in")
		}
	})

	// Quitting and reopening the browser keeps a persistent cookie and
	// drops a browser-session one; the cookie lasts as long as the server's
	// session, and once the lifetime is over a reload shows the login page.
	// That is LIFE-4 seen from a browser.
	Requirement("LIFE-4", func(t *T) {
		john := person.OpenProfile(t, "john")
		app := t.Launch(Lifetime(longLifetime))
		loggingIn := time.Now()
		took := john.LogIn(app, t.Account(0))
		john.Reopen()
		john.Visit(app, t.Target.Routes.Dashboard)
		john.ExpectLoggedIn(t.Account(0), "after quitting and reopening the browser (the session cookie must be persistent, not a browser-session cookie)")
		john.ExpectCookieExpiry(app, loggingIn, longLifetime, "after reopening the browser")

		// A second server of the deployment with a lifetime short enough
		// to wait for: the same browser logs in there.
		lifetime := person.ShortLifetime(took)
		short := t.Launch(Lifetime(lifetime))
		loggingIn = time.Now()
		john.LogInBefore(short, t.Account(0), loggingIn.Add(lifetime-t.Timeouts.Tolerance))
		if !john.ExpectCookieExpiry(short, loggingIn, lifetime, "after logging in with a lifetime of "+lifetime.String()) {
			return // a cookie that ends elsewhere than the session: waiting for it would only repeat that
		}

		// The server keeps the session as long as the browser holds the
		// cookie (a moment before it expires, at the resolution of cookie
		// dates)...
		c := john.RequireSessionCookie(short, "after the login")
		before := c.Expires.Time().Add(-t.Timeouts.Tolerance - person.CookieDateResolution)
		if time.Now().After(before) {
			t.Broken(person.TooSlow("logging in and reading the cookie", time.Since(loggingIn), lifetime))
		}
		john.WaitUntil(before, "a moment before the cookie expires")
		// Later than this the server no longer has its clock tolerance.
		john.ReloadBefore(c.Expires.Time().Add(-t.Timeouts.Tolerance), "a moment before the cookie expires")
		john.ExpectLoggedIn(t.Account(0), "a moment before the cookie expires (the session must not end before its cookie)")
		// ...and ends with the cookie the browser then holds (a server
		// that refreshes sessions on use re-issued it just now).
		c = john.RequireSessionCookie(short, "a moment before it expires")
		john.WaitUntil(c.Expires.Time().Add(t.Timeouts.Tolerance), "the cookie's expiry plus tolerance")
		john.Reload()
		john.ExpectLoginPage(t.Account(0), "after the cookie's expiry")
	}, WaitsLong)
})
