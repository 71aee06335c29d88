package conformance_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"

	. "github.com/sessionconf/sessionconf/harness/conform"
	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/story"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// ROBUST-7's load: parallel requests on one session, repeated; then
// parallel logins of two users (fewer when a login is costly, never fewer
// than minParallelLogins).
const (
	parallelRequests  = 50
	parallelRounds    = 20
	parallelLogins    = 50
	minParallelLogins = 10
)

// leakMarkers are what an error page must not show during an outage.
var leakMarkers = []string{"Traceback", "redis://", "rediss://", "ConnectionError", "goroutine ", "panic:", "dial tcp", "connection refused", "i/o timeout"}

var _ = Describe("Robustness", func() {
	Requirement("ROBUST-1", func(t *T) {
		app := t.Launch()
		jane := t.Visitor(app, "jane")
		t.Login(jane, t.Account(1))
		for _, how := range inspect.Corruptions {
			before := t.Records("before john's login")
			john := t.Visitor(app, "john-"+strings.ReplaceAll(string(how), " ", "-"))
			t.Login(john, t.Account(0))
			rec := t.NewRecords(before, "after john's login")[0]
			t.Journal.Event("corrupt %s: %s", rec.Key, how)
			t.Must(t.Store().Corrupt(t.Context(), rec.Key, how), "corrupt the record")
			t.ExpectAnonymous(john, t.Account(0), fmt.Sprintf("with a %s record", how))
			t.ExpectAuthenticated(jane, t.Account(1), fmt.Sprintf("another user's session, after john's record became %s", how))
		}
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		for _, rec := range t.Records("before corrupting everything") {
			t.Must(t.Store().Corrupt(t.Context(), rec.Key, inspect.Garbage), "corrupt a record")
		}
		t.ExpectAnonymous(john, t.Account(0), "with every record corrupted")
		t.ExpectAnonymous(jane, t.Account(1), "with every record corrupted")
		fresh := t.Visitor(app, "fresh")
		t.Login(fresh, t.Account(0))
		t.ExpectAuthenticated(fresh, t.Account(0), "a new login after every record was corrupted")
	})

	Requirement("ROBUST-2", func(t *T) {
		outages, _ := t.BreakableRedis()
		app := t.Launch()
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		// Every answer must come within the outage bound: a request that
		// hangs is this requirement's failure, not the harness's.
		limit := t.Timeouts.Outage + time.Second
		impatient := t.ImpatientVisitor(app, "john", limit)
		impatient.SetJar(john.Jar())
		for _, o := range outages {
			t.Journal.Event("Redis %s", o.Name)
			t.Must(o.Down(t.Context()), "take Redis down")
			r, err := impatient.Get(t.Context(), t.Target.Routes.StatePath)
			if err != nil {
				t.Errorf("Redis %s: the dashboard with a valid cookie gave no answer (%v); it must fail closed with a 5xx within %v", o.Name, err, t.Timeouts.Outage)
			} else {
				t.Check(r.Status >= 500, "Redis %s: the dashboard with a valid cookie answered %s; it must fail closed with a 5xx", o.Name, describeShort(r))
				t.Check(r.Elapsed <= t.Timeouts.Outage, "Redis %s: the dashboard took %v to answer, more than %v", o.Name, r.Elapsed.Round(time.Millisecond), t.Timeouts.Outage)
				if r.Status != 503 || r.Header.Get("Retry-After") == "" {
					t.Journal.Event("note: the SHOULD part (503 with Retry-After) is not met: %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
				}
			}
			newcomer := t.ImpatientVisitor(app, "newcomer", limit)
			l, err := outageLogin(t, newcomer, t.Account(1))
			var na *visitor.NoAnswer
			if err != nil && !errors.As(err, &na) {
				t.Broken(fmt.Errorf("Redis %s: the login could not be attempted: %w", o.Name, err))
			}
			if err != nil {
				t.Errorf("Redis %s: a login gave no answer (%v); with nowhere to store the session it must answer 5xx within %v", o.Name, err, t.Timeouts.Outage)
			} else {
				t.Check(l.Status >= 500, "Redis %s: a login answered %s; with nowhere to store the session it must answer 5xx", o.Name, describeShort(l))
				t.Check(l.Elapsed <= t.Timeouts.Outage, "Redis %s: the login took %v to answer, more than %v", o.Name, l.Elapsed.Round(time.Millisecond), t.Timeouts.Outage)
			}
			t.Check(app.Running(), "Redis %s: the target process exited", o.Name)
			t.Must(o.Up(t.Context()), "bring Redis back")
		}
	})

	Requirement("ROBUST-3", func(t *T) {
		outages, _ := t.BreakableRedis()
		app := t.Launch()
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		for _, o := range outages {
			t.Journal.Event("Redis %s", o.Name)
			t.Must(o.Down(t.Context()), "take Redis down")
			// Let the target notice. A request that hangs in the outage is
			// ROBUST-2's failure, not a failure to recover: no answer is fine.
			if _, err := john.Get(t.Context(), t.Target.Routes.Dashboard); err != nil {
				t.Journal.Event("Redis %s: the dashboard gave no answer (%v)", o.Name, err)
			}
			t.Must(o.Up(t.Context()), "bring Redis back")
			back := time.Now().Add(t.Timeouts.Recovery)
			if o.Kept() {
				ok := t.HoldsBy(back, t.Timeouts.Poll*5, func() bool { return t.StateOf(t.Dashboard(john), t.Account(0)) == Authenticated })
				t.Check(ok, "after Redis was %s, the session it kept did not work again within %v, without a restart", o.Name, t.Timeouts.Recovery)
			}
			v := t.BulkVisitor(app, "after-"+o.Name)
			ok := t.HoldsBy(back, t.Timeouts.Poll*5, func() bool {
				// Not yet, while the login gets no answer or an error.
				l, err := outageLogin(t, v, t.Account(1))
				if err != nil || l.Status >= 400 {
					return false
				}
				d, err := v.Get(t.Context(), t.Target.Routes.StatePath)
				return err == nil && t.StateOf(d, t.Account(1)) == Authenticated
			})
			t.Check(ok, "after Redis was %s, logins did not work again within %v, without a restart", o.Name, t.Timeouts.Recovery)
		}
	})

	Requirement("ROBUST-4", func(t *T) {
		outages, addrs := t.BreakableRedis()
		app := t.Launch()
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		markers := append(addrs, leakMarkers...)
		for _, o := range outages {
			t.Journal.Event("Redis %s", o.Name)
			t.Must(o.Down(t.Context()), "take Redis down")
			for _, r := range outageAnswers(t, app, john, o.Name) {
				text := r.Body + fmt.Sprint(r.Header)
				for _, m := range markers {
					t.Check(!strings.Contains(text, m), "Redis %s: %s %s reveals %q to the client", o.Name, r.Method, r.Path, m)
				}
			}
			t.Must(o.Up(t.Context()), "bring Redis back")
		}
	})

	Requirement("ROBUST-5", func(t *T) {
		outages, _ := t.BreakableRedis()
		app := t.Launch()
		paths := []string{t.Target.Routes.Login}
		for _, p := range []string{t.Target.Routes.Health, t.Target.Routes.Static} {
			if p != "" {
				paths = append(paths, p)
			}
		}
		v := t.ImpatientVisitor(app, "visitor", t.Timeouts.Outage+time.Second)
		for _, o := range outages {
			t.Journal.Event("Redis %s", o.Name)
			t.Must(o.Down(t.Context()), "take Redis down")
			for _, p := range paths {
				r, err := v.Get(t.Context(), p)
				if err != nil {
					t.Errorf("Redis %s: %s, which needs no session, gave no answer (%v)", o.Name, p, err)
					continue
				}
				t.Check(r.Status == 200, "Redis %s: %s, which needs no session, answered %s", o.Name, p, describeShort(r))
			}
			t.Must(o.Up(t.Context()), "bring Redis back")
		}
	})

	Requirement("ROBUST-6", func(t *T) {
		if t.Profile.UsesRedis() {
			robust6Redis(t)
			return
		}
		app := t.Launch()
		dir := t.Store().(inspect.Dir).Path
		t.Login(t.Visitor(app, "warmup"), t.Account(0)) // the directory exists

		t.Journal.Event("delete the session directory (rm -rf %s)", dir)
		t.Must(os.RemoveAll(dir), "delete the session directory")
		expectNoFalseSuccess(t, app, "with the session directory deleted", false)

		t.Journal.Event("replace the session directory by a file")
		t.Must(os.RemoveAll(dir), "delete the session directory")
		t.Must(os.WriteFile(dir, []byte("not a directory"), 0o600), "put a file where the directory was")
		expectNoFalseSuccess(t, app, "with the session directory replaced by a file", true)

		t.Journal.Event("restore the session directory")
		t.Must(os.Remove(dir), "remove the file")
		t.Must(os.MkdirAll(dir, 0o700), "recreate the directory")
		expectLoginsWorkAgain(t, app, "once the directory is back")
	})

	Requirement("ROBUST-7", func(t *T) {
		app := launchRefreshing(t)
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		jar := john.Jar()
		// A wrong answer is a failure; no answer, or an overloaded one
		// (502, 503, 504), is slowness and decides nothing.
		var bad, undecided atomic.Int64
		var example, unanswered atomic.Value
		for range parallelRounds {
			t.Parallel(parallelRequests, parallelRequests, func(i int) {
				v := t.BulkVisitor(app, "john")
				v.SetJar(jar)
				r, err := v.Get(t.Context(), t.Target.Routes.StatePath)
				switch {
				case err != nil:
					undecided.Add(1)
					unanswered.Store(err.Error())
				case Overloaded(r.Status):
					undecided.Add(1)
					unanswered.Store(describeShort(r))
				case t.StateOf(r, t.Account(0)) != Authenticated:
					bad.Add(1)
					example.Store(fmt.Sprintf("%s: %s", t.StateOf(r, t.Account(0)), describeShort(r)))
				}
			})
		}
		t.Journal.Event("%d rounds of %d parallel dashboard loads: %d not authenticated, %d without an answer or overloaded", parallelRounds, parallelRequests, bad.Load(), undecided.Load())
		t.Check(bad.Load() == 0, "%d of %d parallel requests with one session were not served as john (e.g. %v)", bad.Load(), parallelRounds*parallelRequests, example.Load())
		t.ExpectAuthenticated(john, t.Account(0), "after the parallel requests")

		logins := t.LoginBudget(parallelLogins, minParallelLogins, "parallel logins of two users")
		width := min(logins, t.LoginWidth()*2) // more at once than the target has workers: they overlap
		s := t.Story()
		s.LoginTimeout = t.LoginTimeout(width)
		var mixed atomic.Int64
		t.Parallel(logins, width, func(i int) {
			acct := t.Account(i % 2)
			v := t.BulkVisitor(app, fmt.Sprintf("user%d", i))
			a, err := s.Login(t.Context(), v, acct)
			if err != nil || Overloaded(a.Response.Status) {
				undecided.Add(1)
				unanswered.Store(fmt.Sprintf("a login: %v", orStatus(err, a.Response)))
				return
			}
			if a.Response.Status >= 400 && a.Response.Status < 500 {
				t.Broken(fmt.Errorf("a parallel login was refused: %s (%s)", describeShort(a.Response), s.RefusalFix("the login", a.Response.Status)))
			}
			r, err := v.Get(t.Context(), t.Target.Routes.StatePath)
			if err != nil || Overloaded(r.Status) {
				undecided.Add(1)
				unanswered.Store(fmt.Sprintf("the dashboard after a login: %v", orStatus(err, r)))
				return
			}
			if st := t.StateOf(r, acct); st != Authenticated {
				mixed.Add(1)
				example.Store(fmt.Sprintf("%s logged in (%s) and got %s", acct.Email, describeShort(a.Response), st))
			}
		})
		t.Journal.Event("%d parallel logins of two users, %d at once: %d did not see their own session", logins, width, mixed.Load())
		t.Check(mixed.Load() == 0, "%d of %d parallel logins of two users did not see their own session (e.g. %v)", mixed.Load(), logins, example.Load())
		if n := undecided.Load(); n > 0 && !t.Failed() {
			t.Broken(fmt.Errorf("%d requests got no answer or an overloaded status (e.g. %v): nothing wrong was seen, but they decide nothing (%s)", n, unanswered.Load(), t.CostNote()))
		}
	})
})

func orStatus(err error, r *visitor.Response) string {
	if err != nil {
		return err.Error()
	}
	return describeShort(r)
}

// outageAnswers loads the dashboard, posts a login and logs out during an
// outage, and returns the answers. A request that gets no answer (it hangs
// until the client gives up) reveals nothing: it is left out, and ROBUST-2
// judges the hang.
func outageAnswers(t *T, app *instance.Instance, v *visitor.Visitor, outage string) []*visitor.Response {
	newcomer := t.Visitor(app, "newcomer")
	var out []*visitor.Response
	for _, req := range []struct {
		what string
		do   func() (*visitor.Response, error)
	}{
		{"the dashboard", func() (*visitor.Response, error) { return v.Get(t.Context(), t.Target.Routes.StatePath) }},
		{"a login", func() (*visitor.Response, error) { return outageLogin(t, newcomer, t.Account(1)) }},
		{"a logout", func() (*visitor.Response, error) {
			l, err := t.Story().PrepareLogout(t.Context(), v)
			if err != nil {
				return stepAnswer(err)
			}
			return l.Send(t.Context(), v)
		}},
	} {
		r, err := req.do()
		if err != nil {
			t.Journal.Event("Redis %s: %s gave no answer (%v), so it revealed nothing", outage, req.what, err)
			continue
		}
		out = append(out, r)
	}
	return out
}

// outageLogin is a login during an outage: the answer of whichever step
// answered with an error (the login page of an app that needs the store to
// render its CSRF token fails first), or the error of one that did not
// answer at all.
func outageLogin(t *T, v *visitor.Visitor, acct manifest.Account) (*visitor.Response, error) {
	a, err := t.Story().Login(t.Context(), v, acct)
	if err != nil {
		return stepAnswer(err)
	}
	return a.Response, nil
}

// stepAnswer is the server error a story step got before it stopped (a
// logout page that fails is the logout's answer); any other stop is
// returned as the error it is.
func stepAnswer(err error) (*visitor.Response, error) {
	var se *story.StepError
	if errors.As(err, &se) && se.Response != nil && se.Response.Status >= 500 {
		return se.Response, nil
	}
	return nil, err
}

// expectNoFalseSuccess tries a login while the store cannot take it: a 5xx
// is right; a success is right only if the session really works (the
// store recovered); a success with a dead cookie is the failure.
func expectNoFalseSuccess(t *T, app *instance.Instance, when string, mustFail bool) {
	v := t.Visitor(app, "login")
	r := t.LoginResponse(v, t.Account(0))
	if r.Status >= 500 {
		return
	}
	if r.Status >= 400 {
		t.Errorf("%s: the login answered %s; a store failure is a 5xx, not a client error", when, describeShort(r))
		return
	}
	if mustFail {
		t.Errorf("%s: the login answered %s as if it had worked, though the session cannot be stored", when, describeShort(r))
	}
	if t.StateOf(t.Dashboard(v), t.Account(0)) != Authenticated {
		t.Errorf("%s: the login reported success (%s) but the session does not work: the write failure was hidden", when, describeShort(r))
	}
}

// robust6Redis makes the private Redis refuse writes (maxmemory with no
// eviction; on a topology, wherever sessions are written: the Sentinels'
// master, every cluster master) and checks the login says so, then that
// it recovers.
func robust6Redis(t *T) {
	t.BreakableRedis()
	app := t.Launch()
	t.Login(t.Visitor(app, "warmup"), t.Account(0))
	t.Journal.Event("Redis refuses writes (maxmemory 1, noeviction)")
	t.ConfigureRedis("maxmemory-policy", "noeviction")
	t.ConfigureRedis("maxmemory", "1")
	expectNoFalseSuccess(t, app, "with Redis refusing writes", true)
	t.Journal.Event("Redis accepts writes again")
	t.ConfigureRedis("maxmemory", "0")
	expectLoginsWorkAgain(t, app, "once Redis accepts writes again")
}

// expectLoginsWorkAgain records a failure unless a login works (and
// shows the user) within the recovery timeout, without a restart: that is
// the promise here, so a target that keeps answering 503 breaks it.
func expectLoginsWorkAgain(t *T, app *instance.Instance, when string) {
	v := t.Visitor(app, "again")
	var last string
	ok := t.HoldsBy(time.Now().Add(t.Timeouts.Recovery), t.Timeouts.Poll*5, func() bool {
		l, err := outageLogin(t, v, t.Account(0))
		if err != nil {
			last = err.Error()
			return false
		}
		if l.Status >= 400 {
			last = "the login answered " + describeShort(l)
			return false
		}
		d, err := v.Get(t.Context(), t.Target.Routes.StatePath)
		if err != nil {
			last = err.Error()
			return false
		}
		last = "the dashboard after the login answered " + describeShort(d)
		return t.StateOf(d, t.Account(0)) == Authenticated
	})
	t.Check(ok, "%s, logins did not work again within %v without a restart (last: %s)", when, t.Timeouts.Recovery, last)
}
