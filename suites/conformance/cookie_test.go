package conformance_test

import (
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/sessionconf/sessionconf/harness/catalog"
	. "github.com/sessionconf/sessionconf/harness/conform"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/setcookie"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// refreshes is how many dashboard loads the cookie specs watch for
// re-issued cookies (a server with an idle timeout refreshes on each).
const refreshes = 20

// maxCookieBytes is what browsers store for one cookie's name and value.
const maxCookieBytes = 4096

var _ = Describe("Cookie attributes", func() {
	Requirement("COOKIE-1", func(t *T) {
		for _, s := range sessionCookieFlow(t, launchRefreshing(t)) {
			if !s.deletion {
				t.Check(s.c.Has("HttpOnly"), "%s: the session cookie lacks HttpOnly, so page scripts can read it: %s", s.step, s.c.Raw)
			}
		}
	})

	Requirement("COOKIE-2", func(t *T) {
		for _, s := range sessionCookieFlow(t, t.Launch(Production())) {
			t.Check(s.c.Has("Secure"), "%s (production, over HTTPS): the session cookie lacks Secure: %s", s.step, s.c.Raw)
		}
	})

	Requirement("COOKIE-3", func(t *T) {
		for _, s := range sessionCookieFlow(t, launchRefreshing(t)) {
			if !s.deletion {
				ss := s.c.SameSite()
				t.Check(ss == "lax" || ss == "strict", "%s: the session cookie needs an explicit SameSite=Lax or Strict, has %q: %s", s.step, s.c.Get("SameSite"), s.c.Raw)
			}
		}
	})

	Requirement("COOKIE-4", func(t *T) {
		app := t.Launch(Production())
		seen := sessionCookieFlow(t, app)
		name := t.CookieName(app)
		switch {
		case strings.HasPrefix(name, "__Host-"):
			for _, s := range seen {
				t.Check(s.c.Has("Secure") && s.c.Get("Path") == "/" && !s.c.Has("Domain"), "%s: a __Host- cookie needs Secure, Path=/ and no Domain, or browsers drop it: %s", s.step, s.c.Raw)
			}
		case strings.HasPrefix(name, "__Secure-"):
			t.Journal.Event("the cookie uses __Secure-, the minimum; __Host- would also pin it to the host")
			for _, s := range seen {
				t.Check(s.c.Has("Secure"), "%s: a __Secure- cookie needs Secure: %s", s.step, s.c.Raw)
			}
		default:
			t.Errorf("in production the session cookie is named %q; it should be __Host-%s (or at least __Secure-%s)", name, name, name)
		}
	})

	Requirement("COOKIE-5", func(t *T) {
		root := appRoot(t.Target.Routes.Login, t.Target.Routes.Dashboard)
		var paths []string
		for _, s := range sessionCookieFlow(t, launchRefreshing(t)) {
			t.Check(!s.c.Has("Domain"), "%s: the session cookie has Domain=%s, which sends it to every subdomain too: %s", s.step, s.c.Get("Domain"), s.c.Raw)
			p := s.c.Path(s.path)
			t.Check(p == "/" || strings.TrimSuffix(p, "/") == root, "%s: the session cookie's Path is %q; it should be / or the app root %q: %s", s.step, p, root, s.c.Raw)
			paths = append(paths, p)
		}
		slices.Sort(paths)
		t.Check(len(slices.Compact(paths)) <= 1, "the session cookie's Path changes across set, refresh and delete: %v", slices.Compact(paths))
	})

	Requirement("COOKIE-6", func(t *T) {
		app := launchRefreshing(t)
		v := t.Visitor(app, "john")
		login := t.LoginResponse(v, t.Account(0))
		t.ExpectCacheSafe(login, true, "the login response, which sets the cookie")
		dash := t.Dashboard(v)
		t.ExpectCacheSafe(dash, len(t.SessionCookies(dash, app)) > 0, "the dashboard, whose content depends on the cookie")
	})

	Requirement("COOKIE-7", func(t *T) {
		app := launchRefreshing(t)
		var first *setcookie.Cookie
		for _, s := range sessionCookieFlow(t, app) {
			t.Check(s.perResponse <= 1, "%s: the response sets the session cookie %d times", s.step, s.perResponse)
			t.Check(len(s.c.Name)+len(s.c.Value) <= maxCookieBytes, "%s: the session cookie's name and value take %d bytes, more than the %d browsers keep", s.step, len(s.c.Name)+len(s.c.Value), maxCookieBytes)
			if s.deletion {
				continue
			}
			if first == nil {
				first = &s.c
				continue
			}
			t.Check(sameAttributes(*first, s.c), "%s: the refreshed cookie's attributes differ from the login's:\n  login:   %s\n  refresh: %s", s.step, first.Raw, s.c.Raw)
		}
	})
})

// launchRefreshing starts the target so that it refreshes its cookie when
// it can (an idle timeout), so refreshes are checked too.
func launchRefreshing(t *T) *instance.Instance {
	if t.Target.Has(catalog.IdleTimeout) {
		return t.Launch(IdleTimeout(time.Hour))
	}
	return t.Launch()
}

// seenCookie is one Set-Cookie of the session cookie during a flow.
type seenCookie struct {
	step, path  string
	c           setcookie.Cookie
	deletion    bool
	perResponse int
}

// sessionCookieFlow logs in, loads the dashboard `refreshes` times and
// logs out, and returns every Set-Cookie of the session cookie it saw.
func sessionCookieFlow(t *T, app *instance.Instance) []seenCookie {
	v := t.Visitor(app, "john")
	var seen []seenCookie
	collect := func(step, path string, r *visitor.Response) {
		now := time.Now()
		cs := t.SessionCookies(r, app)
		for _, c := range cs {
			seen = append(seen, seenCookie{step: step, path: path, c: c, deletion: c.IsDeletion(now), perResponse: len(cs)})
		}
	}
	collect("login", t.Target.Routes.Login, t.LoginResponse(v, t.Account(0)))
	if len(seen) == 0 {
		t.Fatalf("the login response set no session cookie")
	}
	for i := range refreshes {
		collect(fmt.Sprintf("dashboard load %d", i+1), t.Target.Routes.Dashboard, t.Dashboard(v))
	}
	collect("logout", t.Target.Routes.Logout, t.Logout(v))
	return seen
}

// sameAttributes compares two Set-Cookies of one cookie, ignoring the
// expiry values, which a refresh legitimately moves.
func sameAttributes(a, b setcookie.Cookie) bool {
	keys := func(c setcookie.Cookie) []string {
		var ks []string
		for k, v := range c.Attrs {
			if k == "expires" || k == "max-age" {
				ks = append(ks, k)
				continue
			}
			ks = append(ks, k+"="+strings.ToLower(v))
		}
		slices.Sort(ks)
		return ks
	}
	return a.Name == b.Name && slices.Equal(keys(a), keys(b))
}

// appRoot is the longest common directory of the app's routes.
func appRoot(paths ...string) string {
	root := paths[0]
	for _, p := range paths[1:] {
		for !strings.HasPrefix(p, root) {
			root = root[:len(root)-1]
		}
	}
	if i := strings.LastIndex(root, "/"); i >= 0 {
		root = root[:i]
	}
	return root
}
