package conformance_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/sessionconf/sessionconf/harness/catalog"
	. "github.com/sessionconf/sessionconf/harness/conform"
	"github.com/sessionconf/sessionconf/harness/inspect"
)

// Lifetimes the expiry specs configure: short, so expiry happens during
// the run, and long enough that a loaded machine does not blur them.
const (
	shortLifetime = 2 * time.Second
	lifetime      = 4 * time.Second
	idleTimeout   = 3 * time.Second // polled every third of it, so a slow request keeps a margin
	longLifetime  = 20 * time.Second
	// defaultLifetime is the story's 7 days; the cookie must say so within
	// cookieClockSlack.
	defaultLifetime  = 7 * 24 * time.Hour
	cookieClockSlack = time.Minute
	// liveCleanups is how many cleanup intervals a live session must
	// outlast, with its record (LIFE-8).
	liveCleanups = 3
	// maxLifetime is the longest lifetime a browser keeps a cookie for.
	maxLifetime = 400 * 24 * time.Hour
)

var _ = Describe("Lifetime and expiry", func() {
	Requirement("LIFE-1", func(t *T) {
		app := t.Launch(Lifetime(shortLifetime))
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		loggedIn := time.Now()
		t.SleepUntil(loggedIn.Add(shortLifetime+t.Timeouts.Tolerance), "the lifetime plus tolerance, with no request in between")
		// The visitor's jar never expires cookies: this is a replay.
		t.ExpectAnonymous(john, t.Account(0), fmt.Sprintf("replaying the cookie %v after login (lifetime %v)", shortLifetime+t.Timeouts.Tolerance, shortLifetime))
	})

	Requirement("LIFE-2", func(t *T) {
		app := t.Launch(Lifetime(lifetime))
		john := t.Visitor(app, "john")
		started := time.Now()
		t.Login(john, t.Account(0))
		t.SleepUntil(started.Add(lifetime-t.Timeouts.Tolerance), "until shortly before the lifetime ends")
		t.OnTime(started.Add(lifetime-t.Timeouts.Tolerance/4), "shortly before the lifetime ends")
		t.ExpectAuthenticated(john, t.Account(0), fmt.Sprintf("%v after login, with a lifetime of %v", lifetime-t.Timeouts.Tolerance, lifetime))
	})

	Requirement("LIFE-3", func(t *T) {
		// Without configuration: 7 days.
		app := t.Launch()
		john := t.Visitor(app, "john")
		r := t.LoginResponse(john, t.Account(0))
		t.ExpectCookieLifetime(r, app, defaultLifetime, cookieClockSlack, "with no lifetime configured")

		// A configured lifetime is honoured.
		hour := t.Launch(Lifetime(time.Hour))
		jane := t.Visitor(hour, "jane")
		r = t.LoginResponse(jane, t.Account(1))
		t.ExpectCookieLifetime(r, hour, time.Hour, t.Timeouts.Tolerance+time.Second, "with a lifetime of 1h")
	})

	Requirement("LIFE-9", func(t *T) {
		// The target starts with its defaults, so a refusal below is about
		// the setting, not a target that never starts.
		t.Stop(t.Launch())
		tooLong := maxLifetime + 24*time.Hour
		capped, refused := t.TryLaunch(Lifetime(tooLong))
		if refused != nil {
			t.Journal.Event("a lifetime of 401 days was refused at start: %s", refused.Reason)
			return
		}
		r := t.LoginResponse(t.Visitor(capped, "probe"), t.Account(0))
		cookies := t.SessionCookies(r, capped)
		if !t.Check(len(cookies) > 0, "the target started with a lifetime of 401 days, and its login set no session cookie, so nothing shows the lifetime capped: %s", describeShort(r)) {
			return
		}
		for _, c := range cookies {
			exp, ok := c.Expiry(time.Now())
			switch {
			case !ok:
				t.Journal.Event("the session cookie has no expiry (a browser-session cookie; LIFE-4 judges that): %s", c.Raw)
			case time.Until(exp) > maxLifetime+t.Timeouts.Tolerance:
				t.Errorf("a configured lifetime of 401 days was neither refused nor capped: the cookie expires in %v (%s)", time.Until(exp).Round(time.Hour), c.Raw)
			}
		}
	})

	Requirement("LIFE-4", func(t *T) {
		app := t.Launch(Lifetime(lifetime))
		john := t.Visitor(app, "john")
		before := t.RecordsIfServer("before login")
		r := t.LoginResponse(john, t.Account(0))
		received := time.Now()
		cookies := t.SessionCookies(r, app)
		if !t.Check(len(cookies) == 1, "the login response should set the session cookie once, got %d Set-Cookie lines for it: %v", len(cookies), r.RawSetCookies) {
			return
		}
		c := cookies[0]
		expiry, persistent := c.Expiry(received)
		if !t.Check(persistent, "the session cookie should be persistent (Expires and/or Max-Age), got a browser-session cookie: %s", c.Raw) {
			return
		}
		maxAge, hasMaxAge := c.MaxAge()
		expires, hasExpires := c.Expires()
		if hasMaxAge && hasExpires {
			diff := received.Add(time.Duration(maxAge) * time.Second).Sub(expires)
			t.Check(diff.Abs() <= t.Timeouts.Tolerance+time.Second, "Max-Age=%d and Expires=%s disagree by %v: %s", maxAge, c.Get("expires"), diff.Round(time.Millisecond), c.Raw)
		}
		t.Check((expiry.Sub(received)-lifetime).Abs() <= t.Timeouts.Tolerance+time.Second, "with a lifetime of %v the cookie should expire in about %v, it expires in %v: %s", lifetime, lifetime, expiry.Sub(received).Round(time.Millisecond), c.Raw)
		if late := received.Add(lifetime + t.Timeouts.Tolerance + time.Second); expiry.After(late) {
			// That failed already; observe the server against the configured
			// lifetime, not a cookie expiry that may be days away (Max-Age
			// in milliseconds) and would outlast the spec.
			t.Journal.Event("the cookie expires in %v: the server's expiry is observed against the lifetime instead", expiry.Sub(received).Round(time.Second))
			expiry = received.Add(lifetime)
		}

		if t.Profile.UsesRedis() {
			for _, rec := range t.NewRecords(before, "after login") {
				left := expiry.Sub(time.Now())
				t.Check(rec.HasTTL && (rec.TTL-left).Abs() <= t.Timeouts.Tolerance+time.Second, "the Redis key %s should expire with the cookie (in about %v), its TTL is %v", rec.Key, left.Round(time.Millisecond), ttlString(rec))
			}
		}
		// The server's expiry, observed: valid a tolerance before the
		// cookie's, gone a tolerance after it.
		if early := expiry.Add(-t.Timeouts.Tolerance); time.Now().Before(early) {
			t.SleepUntil(early, "a tolerance before the cookie's expiry")
			t.OnTime(expiry.Add(-t.Timeouts.Tolerance/4), "a tolerance before the cookie's expiry")
			r := t.Dashboard(john)
			if s := t.StateOf(r, t.Account(0)); s != Authenticated {
				t.Errorf("a tolerance before the cookie's expiry (the cookie must not outlive the session): john should be logged in, but the dashboard gave %s: %s", s, describeShort(r))
			}
			// A server that refreshes the session on use (sliding expiry)
			// re-issues the cookie with the new deadline: the session must
			// then end with the cookie the browser now holds.
			for _, c := range t.SessionCookies(r, app) {
				now := time.Now()
				if e, ok := c.Expiry(now); ok && !c.IsDeletion(now) {
					t.Journal.Event("the dashboard re-issued the cookie: it now expires in %v", e.Sub(now).Round(time.Millisecond))
					expiry = e
				}
			}
		}
		t.SleepUntil(expiry.Add(t.Timeouts.Tolerance), "a tolerance after the cookie's expiry")
		t.ExpectAnonymous(john, t.Account(0), "a tolerance after the cookie's expiry (the session must not outlive the cookie)")
	}, WaitsLong)

	Requirement("LIFE-5", func(t *T) {
		opts := []LaunchOption{Lifetime(lifetime)}
		if t.Target.Has(catalog.IdleTimeout) {
			// Activity within the idle timeout must still not pass the absolute lifetime.
			opts = append(opts, IdleTimeout(lifetime-time.Second))
		}
		app := t.Launch(opts...)
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		// The server authenticated john at the latest when its answer came:
		// a login that hashes a password for a second starts the session
		// that much after the request was sent.
		loggedIn := time.Now()
		deadline := loggedIn.Add(lifetime + t.Timeouts.Tolerance)
		ended := t.HoldsBy(deadline, time.Second, func() bool { return t.StateOf(t.Dashboard(john), t.Account(0)) == Anonymous })
		t.Check(ended, "a session used every second must end within its absolute lifetime (%v) plus tolerance, but was still valid %v after login", lifetime, lifetime+t.Timeouts.Tolerance)
	}, WaitsLong)

	Requirement("LIFE-6", func(t *T) {
		app := t.Launch(Lifetime(longLifetime), IdleTimeout(idleTimeout))
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		t.Consistently(func() State { return t.StateOf(t.Dashboard(john), t.Account(0)) }).
			WithTimeout(2*idleTimeout).WithPolling(idleTimeout/3).
			Should(Equal(Authenticated), "LIFE-6: requests every %v keep a session with an idle timeout of %v alive", idleTimeout/3, idleTimeout)
		last := time.Now()
		t.SleepUntil(last.Add(idleTimeout+t.Timeouts.Tolerance), "the idle timeout plus tolerance, with no request")
		t.ExpectAnonymous(john, t.Account(0), fmt.Sprintf("after %v idle (idle timeout %v)", idleTimeout+t.Timeouts.Tolerance, idleTimeout))
	}, WaitsLong)

	Requirement("LIFE-7", func(t *T) {
		app := t.Launch(Lifetime(lifetime))
		before := t.Records("before login")
		for i := range 3 {
			t.Login(t.Visitor(app, fmt.Sprintf("user%d", i)), t.Account(i%2))
		}
		loggedIn := time.Now()
		created := t.NewRecords(before, "after 3 logins")
		for _, rec := range created {
			switch {
			case !rec.HasTTL:
				t.Errorf("the session key %s has no TTL: Redis will keep it forever", rec.Key)
			case rec.TTL <= 0 || rec.TTL > lifetime+t.Timeouts.Tolerance:
				t.Errorf("the session key %s has a TTL of %v; it must be positive and at most the lifetime (%v) plus tolerance", rec.Key, rec.TTL, lifetime)
			}
		}
		t.SleepUntil(loggedIn.Add(lifetime+t.Timeouts.Tolerance), "the lifetime plus tolerance")
		after := t.Records("after the lifetime")
		for _, rec := range created {
			for _, a := range after {
				t.Check(a.Key != rec.Key, "the session key %s is still in Redis after the lifetime (%s)", rec.Key, ttlString(a))
			}
		}
	}, WaitsLong)

	Requirement("LIFE-8", func(t *T) {
		interval := t.Target.Features.CleanupInterval.Std()
		opts := []LaunchOption{Lifetime(shortLifetime)}
		if *t.Target.Settings.CleanupInterval != "" {
			interval = time.Second
			opts = append(opts, CleanupInterval(interval))
		}
		if interval > 2*time.Minute {
			t.Unsupported("the declared cleanup interval (%v) is too long to wait for; declare settings.cleanup_interval so the harness can shorten it", interval)
		}
		app := t.Launch(opts...)
		before := t.Records("before logins")
		for i := range 10 {
			t.Login(t.Visitor(app, fmt.Sprintf("user%d", i)), t.Account(i%2))
		}
		loggedIn := time.Now()
		created := t.NewRecords(before, "after 10 logins")
		t.SleepUntil(loggedIn.Add(2*shortLifetime+interval+t.Timeouts.Tolerance), "twice the lifetime plus the cleanup interval")
		t.Get(t.Visitor(app, "anon"), t.Target.Routes.Login) // some stores clean up on a request
		after := t.Records("after expiry and cleanup")
		left := inspect.Keys(inspect.Remaining(created, after))
		if !t.Check(len(left) == 0, "%d of the 10 expired session files are still in the directory %v after the lifetime plus the cleanup interval (%v): %v", len(left), shortLifetime, interval, left) {
			return // no cleanup ran, so none can have taken a live session
		}

		// The cleanup that removed them must leave live sessions alone: a
		// janitor that deletes every file logs everyone out each run.
		t.Stop(app)
		long := t.Launch(append(opts[1:], Lifetime(longLifetime))...)
		john := t.Visitor(long, "john")
		before = t.Records("before the live login")
		t.Login(john, t.Account(0))
		live := t.NewRecords(before, "after the live login")
		loggedIn = time.Now()
		t.SleepUntil(loggedIn.Add(liveCleanups*interval+t.Timeouts.Tolerance), fmt.Sprintf("%d cleanup intervals with a live session (lifetime %v)", liveCleanups, longLifetime))
		gone := inspect.Keys(inspect.New(t.Records("after the cleanups"), live)) // live, and no longer there
		t.Check(len(gone) == 0, "the cleanup removed %d live session file(s) %v within %v of the login, with a lifetime of %v", len(gone), gone, time.Since(loggedIn).Round(time.Second), longLifetime)
		t.ExpectAuthenticated(john, t.Account(0), fmt.Sprintf("after %d cleanup intervals, %v into a %v session", liveCleanups, time.Since(loggedIn).Round(time.Second), longLifetime))
	}, WaitsLong)
})

func ttlString(r inspect.Record) string {
	if !r.HasTTL {
		return "no TTL"
	}
	return r.TTL.Round(time.Millisecond).String()
}
