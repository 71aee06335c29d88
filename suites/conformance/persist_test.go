package conformance_test

import (
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/sessionconf/sessionconf/harness/catalog"
	. "github.com/sessionconf/sessionconf/harness/conform"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// crashRounds is how many login-then-SIGKILL rounds PERSIST-2 runs: each
// round kills the server right after the login response.
const crashRounds = 10

// temporaryName matches the names writers give records before renaming
// them into place: a leading dot (.tmp-x), mkstemp's tmpXXXXXXXX, "tmp" or
// "temp" as a word of the name (x.tmp, x-temp), a trailing ~, cachelib's
// .__wz_cache. A random session ID in a key contains "tmp" by chance, inside
// a word ("session:_qmOr5TMPLenT6Dn"), which is no leftover.
var temporaryName = regexp.MustCompile(`(?i)^\.|^tmp|(^|[^a-z0-9])(tmp|temp)([^a-z0-9]|$)|~$|\.__wz_cache$`)

// restartSlack is what PERSIST-3's lifetime keeps in hand beyond the
// restart it measured.
const restartSlack = 2 * time.Second

// PERSIST-4's scale-out: requests alternated by a load balancer, and
// users browsing through a rolling restart.
const (
	balancedRequests = 10
	rollingUsers     = 4
)

// PERSIST-6's load is the requirement's 1,000 other sessions and anonymous
// requests: up to evictionLogins logins (more than Flask-Session's default
// file threshold of 500; a costly login gets fewer, never fewer than
// minEvictionLogins), the rest anonymous visits.
const (
	evictionLoad      = 1000
	evictionLogins    = 600
	minEvictionLogins = 100
	evictionWidth     = 16
)

var _ = Describe("Persistence", func() {
	Requirement("PERSIST-1", func(t *T) {
		app := t.Launch()
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		t.RequireAuthenticated(john, t.Account(0), "right after login")

		t.Restart(app)
		t.ExpectAuthenticated(john, t.Account(0), "after a graceful restart")
	})

	Requirement("PERSIST-2", func(t *T) {
		app := t.Launch()
		var users []*visitor.Visitor
		for round := range crashRounds {
			u := t.Visitor(app, fmt.Sprintf("user%d", round))
			t.LoginUnchecked(u, t.Account(round%2))
			t.Crash(app) // right after the login response: the record must be durable already
			t.ExpectAuthenticated(u, t.Account(round%2), fmt.Sprintf("round %d: after SIGKILL right after login", round))
			users = append(users, u)
		}
		for i, u := range users {
			t.ExpectAuthenticated(u, t.Account(i%2), fmt.Sprintf("after all %d crashes", crashRounds))
		}
		if t.Profile != catalog.Cookie {
			for _, r := range t.Records("after the crashes") {
				t.Check(!temporaryName.MatchString(r.Key),
					"the store holds a leftover temporary file %q after the crashes (a write was torn or never cleaned up)", r.Key)
			}
		}
		late := t.Visitor(app, "late")
		t.Login(late, t.Account(0))
		t.ExpectAuthenticated(late, t.Account(0), "a new login after the crashes")
	})

	Requirement("PERSIST-3", func(t *T) {
		// The session must outlive a restart in the middle of its lifetime,
		// so the lifetime is set from how long this target takes to restart.
		probe := t.Launch()
		began := time.Now()
		t.Restart(probe)
		restart := time.Since(began)
		t.Stop(probe)
		// The session must last: the wait before the restart (tolerance
		// plus a second), the restart (three probes' worth, for a slower
		// one), and a tolerance before its end when it is checked.
		lifetime := (2*t.Timeouts.Tolerance + time.Second + 3*restart + restartSlack).Round(time.Second)

		app := t.Launch(Lifetime(lifetime))
		// Two sessions logged in alike: john's is used after the restart
		// (it keeps its data); jane's is left alone until its deadline, so
		// a server that refreshes sessions on use (sliding expiry, LIFE-5's
		// concern) does not move the deadline this spec checks.
		john := t.Visitor(app, "john")
		jane := t.Visitor(app, "jane")
		loggedIn := time.Now()
		t.Login(jane, t.Account(1))
		janeIn := time.Now() // her deadline is at most a lifetime after this (plus rounding, within tolerance)
		t.Login(john, t.Account(0))

		// Restart late enough that a server resetting sessions to "restart
		// time + lifetime" would keep them past the original deadline.
		t.SleepUntil(loggedIn.Add(t.Timeouts.Tolerance+time.Second), "restart well after the login")
		t.Restart(app)
		if late := time.Since(loggedIn); late > lifetime-t.Timeouts.Tolerance {
			// A restart far slower than the probe's (a starved machine): the
			// session may have ended on time during it, so nothing is known.
			t.Broken(fmt.Errorf("the restart ended %v after the login, too close to the %v lifetime to check that the session survived it", late.Round(time.Millisecond), lifetime))
		}
		t.ExpectAuthenticated(john, t.Account(0), "after the restart (the session keeps its data)")

		t.SleepUntil(janeIn.Add(lifetime+t.Timeouts.Tolerance), "the original lifetime plus tolerance")
		t.ExpectAnonymous(jane, t.Account(1), "after the original lifetime, unused since the login (a restart must not extend the session)")
	}, WaitsLong)

	Requirement("PERSIST-4", func(t *T) {
		a := t.Launch()
		b := t.Launch()
		john := t.Visitor(a, "john")
		t.Login(john, t.Account(0))
		t.RequireAuthenticated(john, t.Account(0), "on instance a, where the login happened")
		onB := t.Switch(john, b)
		t.ExpectAuthenticated(onB, t.Account(0), "on instance b")

		// Behind a round-robin load balancer every request lands on the
		// other instance than the one before.
		lb := t.LoadBalancer(a, b)
		jane := t.VisitorAt(lb.URL, "jane@lb")
		t.Login(jane, t.Account(1))
		for i := range balancedRequests {
			t.ExpectAuthenticated(jane, t.Account(1), fmt.Sprintf("request %d through the load balancer", i+1))
		}

		// A rolling restart under continuous requests loses no session.
		users := make([]*visitor.Visitor, rollingUsers)
		for i := range users {
			users[i] = t.BulkVisitor(a, fmt.Sprintf("rolling%d", i)).Rebase(fmt.Sprintf("rolling%d@lb", i), lb.URL)
			t.Login(users[i], t.Account(i%2))
		}
		var served, lost, undecided atomic.Int64
		var example atomic.Value
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					r, err := u.Get(t.Context(), t.Target.Routes.StatePath)
					served.Add(1)
					switch {
					case err != nil || Overloaded(r.Status):
						// "Not now" during a restart loses no session.
						undecided.Add(1)
					case t.StateOf(r, t.Account(i%2)) != Authenticated:
						lost.Add(1)
						example.Store(describeShort(r))
					}
				}
			}()
		}
		t.Restart(a)
		t.Restart(b)
		close(stop)
		wg.Wait()
		t.Journal.Event("rolling restart: %d requests through the load balancer, %d not served as their session, %d without an answer or overloaded (backends: %v)", served.Load(), lost.Load(), undecided.Load(), lb.Served())
		if served.Load() > 0 && undecided.Load() == served.Load() {
			t.Broken(fmt.Errorf("no request through the load balancer got an answer during the rolling restart (%s)", t.CostNote()))
		}
		t.Check(lost.Load() == 0, "during a rolling restart of both instances, %d of %d requests were not served as the logged-in user (e.g. %v)", lost.Load(), served.Load(), example.Load())
		for i, u := range users {
			t.ExpectAuthenticated(u, t.Account(i%2), "after the rolling restart")
		}

		t.Stop(a)
		t.ExpectAuthenticated(onB, t.Account(0), "on instance b after a was stopped")
	})

	Requirement("PERSIST-5", func(t *T) {
		a := t.Launch()
		b := t.Launch()

		john := t.Visitor(a, "john")
		t.Login(john, t.Account(0))
		t.RequireAuthenticated(john, t.Account(0), "on a after login")
		replay := john.Jar()
		t.Logout(t.Switch(john, b))
		john.SetJar(replay)
		t.ExpectAnonymous(john, t.Account(0), "on a, replaying the cookie after a logout on b")

		jane := t.Visitor(a, "jane")
		t.Login(jane, t.Account(1))
		janeOnB := t.Switch(jane, b)
		t.RequireAuthenticated(jane, t.Account(1), "on a after login")
		t.RequireAuthenticated(janeOnB, t.Account(1), "on b after login")
		t.ClearStore()
		t.ExpectAnonymous(jane, t.Account(1), "on a after the store was cleared")
		t.ExpectAnonymous(janeOnB, t.Account(1), "on b after the store was cleared")
	})

	Requirement("PERSIST-6", func(t *T) {
		app := t.Launch()
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		t.RequireAuthenticated(john, t.Account(0), "before the load")

		logins := t.LoginBudget(evictionLogins, minEvictionLogins, "the other sessions")
		t.Journal.Event("%d logins of other sessions and %d anonymous visits", logins, evictionLoad-logins)
		// The load only has to arrive: a request that gets no answer is
		// counted, not judged. It stops where the spec could no longer
		// finish: on a machine busy with the rest of the run a slow app
		// answers slowly, and a load cut off by the spec timeout would
		// end in an error that names no cause.
		s := t.Story()
		s.LoginTimeout = t.LoginTimeout(evictionWidth)
		var answeredLogins, answeredVisits atomic.Int64
		began := time.Now()
		sent := t.ParallelUntil(t.LoadDeadline(s.LoginTimeout+t.Timeouts.Request), evictionLoad, evictionWidth, func(i int) {
			v := t.BulkVisitor(app, fmt.Sprintf("load%d", i))
			// Logins spread evenly among the visits.
			if (i+1)*logins/evictionLoad != i*logins/evictionLoad {
				if _, err := s.Login(t.Context(), v, t.Account(1)); err == nil {
					answeredLogins.Add(1)
				}
			} else if _, err := v.Get(t.Context(), t.Target.Routes.Login); err == nil {
				answeredVisits.Add(1)
			}
		})
		nLogins, nVisits := int(answeredLogins.Load()), int(answeredVisits.Load())
		t.Journal.Event("in %v: %d of %d requests sent, %d logins and %d visits answered", time.Since(began).Round(time.Millisecond), sent, evictionLoad, nLogins, nVisits)
		if sent < evictionLoad {
			t.Broken(fmt.Errorf("could not finish: the requirement needs %d other sessions and anonymous requests to arrive, and in %v, before the spec's time ran out, %d were sent (%d logins and %d visits answered; %s); a busy machine: raise the spec timeout (-timeout spec=...) or run fewer profiles at once",
				evictionLoad, time.Since(began).Round(time.Second), sent, nLogins, nVisits, t.CostNote()))
		}
		t.ExpectAuthenticated(john, t.Account(0), fmt.Sprintf("after %d other logins and %d anonymous visits", nLogins, nVisits))
	})

	Requirement("PERSIST-7", func(t *T) {
		const visits = 200
		app := t.Launch()
		before := t.Records("before anonymous visits")
		paths := []string{t.Target.Routes.Login, t.Target.Routes.Dashboard}
		for _, p := range []string{t.Target.Routes.Health, t.Target.Routes.Static} {
			if p != "" {
				paths = append(paths, p)
			}
		}
		t.Journal.Event("%d anonymous visits of %v", visits, paths)
		t.Parallel(visits, 8, func(i int) {
			v := t.BulkVisitor(app, "anon")
			v.Get(t.Context(), paths[i%len(paths)])
		})
		after := t.Records("after anonymous visits")
		t.Check(len(after) <= len(before), "%d anonymous visits grew the store from %d to %d records; requests that store nothing must create no record", visits, len(before), len(after))
	})
})
