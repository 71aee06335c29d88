package browser_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/sessionconf/sessionconf/harness/browser/person"
	. "github.com/sessionconf/sessionconf/harness/conform"
)

// controlCookie is a cookie a page script sets (not Secure): a plain-HTTP
// request that carries it shows the browser would send a non-Secure
// cookie of the app's host there, so the session cookie's absence means
// something.
const controlCookie = "sessionconf_control"

var _ = Describe("Cookie attributes in a browser", func() {
	Requirement("COOKIE-1", func(t *T) {
		app := t.Launch()
		john := person.Open(t, "john")
		john.LogIn(app, t.Account(0))
		name := t.CookieName(app)
		c := john.RequireSessionCookie(app, "after logging in")

		john.Check(c.HTTPOnly, "the browser keeps the session cookie %q without HttpOnly: %s", name, person.FormatCookie(c))
		seen := john.DocumentCookie()
		_, exposed := person.CookieIn(seen, name)
		john.Check(!exposed, "page scripts can read the session cookie: document.cookie = %q", seen)
	})

	Requirement("COOKIE-2", func(t *T) {
		app := t.Launch(Production())
		john := person.Open(t, "john")
		john.LogIn(app, t.Account(0))
		name := t.CookieName(app)
		c := john.RequireSessionCookie(app, "after logging in over HTTPS")
		john.Check(c.Secure, "in production the browser keeps the session cookie %q without Secure: %s", name, person.FormatCookie(c))

		plain := person.NewPlainHTTP(t)
		john.SetScriptCookie(controlCookie, "1")
		john.VisitURL(plain.URL)
		received := plain.Received()
		if len(received) == 0 {
			t.Broken(person.NotPlain(plain.URL, john.Page().URL()))
		}
		got := received[len(received)-1]
		if _, ok := person.CookieIn(got, controlCookie); !ok {
			t.Broken(person.CookiesScopedByPort(plain.URL, got))
		}
		_, leaked := person.CookieIn(got, name)
		john.Check(!leaked, "a plain-HTTP request to %s carried the session cookie %q, readable by anyone on the network: Cookie: %s", plain.URL, name, got)
	})

	Requirement("COOKIE-3", func(t *T) {
		app := t.Launch()
		john := person.Open(t, "john")
		john.LogIn(app, t.Account(0))
		name := t.CookieName(app)
		john.RequireSessionCookie(app, "after logging in")

		// The same-site request that showed the dashboard after the login
		// carried the cookie: the browser reports what it sends.
		dashboard := person.AppURL(app, t.Target.Routes.Dashboard)
		if req, ok := person.LastRequest(john.Requests(), "GET", dashboard); !ok || !req.Seen {
			t.Broken(person.Unobservable("GET "+dashboard, john.Requests()))
		} else if _, sent := person.CookieIn(req.Cookie, name); !sent {
			john.Fatalf("the dashboard was shown, but its same-site request carried no %q cookie (Cookie: %q): the session cookie's name in the manifest is wrong", name, req.Cookie)
		}

		evil := person.NewCrossSite(t, dashboard)
		john.VisitURL(evil.URL)
		john.SubmitAway(evil.Submit)
		req, ok := person.LastRequest(john.Requests(), "POST", dashboard)
		if !ok || !req.Seen {
			t.Broken(person.Unobservable("POST "+dashboard, john.Requests()))
		}
		t.Journal.Note("the cross-site POST as the browser sent it", "Cookie: "+req.Cookie+"\nwithheld: "+strings.Join(req.Withheld, "; "))
		value, sent := person.CookieIn(req.Cookie, name)
		john.Check(!sent, "a form on %s posting to %s carried the session cookie %s=%s: the cookie needs SameSite=Lax or Strict", evil.URL, dashboard, name, value)
	})
})
