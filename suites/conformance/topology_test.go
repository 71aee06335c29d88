package conformance_test

import (
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	. "github.com/sessionconf/sessionconf/harness/conform"
	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// The Redis topologies' own requirements: sessions through a Sentinel
// failover, and sessions spread over the masters of a cluster.

// othersAfterLoss is how many logins of another user FAILOVER-4 makes
// after the failover, replaying the lost login's cookie after each.
const othersAfterLoss = 3

// maxClusterLogins bounds the logins that look for a session on every
// master: with three masters, 40 random keys miss one with a chance of
// about 1 in 60,000.
const maxClusterLogins = 40

var _ = Describe("Redis Sentinel failover", func() {
	Requirement("FAILOVER-1", func(t *T) {
		s := t.PrivateSentinel()
		app := t.Launch()
		john := t.Visitor(app, "john")
		t.Login(john, t.Account(0))
		t.Must(s.WaitReplicated(t.Context()), "wait until the replica has john's session")
		t.Journal.Event("the replica has every write the master took, john's session among them")
		t.CrashMaster(s)
		promoted := t.AwaitFailover(s)

		poll := t.ImpatientVisitor(app, "john", t.Timeouts.Outage+time.Second)
		poll.SetJar(john.Jar())
		var last string
		ok := t.HoldsBy(promoted.Add(t.Timeouts.Recovery), t.Timeouts.Poll, func() bool {
			r, err := poll.Get(t.Context(), t.Target.Routes.StatePath)
			if err != nil {
				last = err.Error()
				return false
			}
			st := t.StateOf(r, t.Account(0))
			last = fmt.Sprintf("%s: %s", st, describeShort(r))
			return st == Authenticated
		})
		if t.Check(ok, "john's session, which the replica had before the master crashed, did not work again within %v of the Sentinels naming the new master, without a restart (last answer: %s)", t.Timeouts.Recovery, last) {
			t.Journal.Event("john's session works again %v after the Sentinels named the new master", time.Since(promoted).Round(time.Millisecond))
		}
	})

	Requirement("FAILOVER-2", func(t *T) {
		s := t.PrivateSentinel()
		app := t.Launch()
		users := []struct {
			v    *visitor.Visitor
			acct manifest.Account
		}{{t.Visitor(app, "john"), t.Account(0)}, {t.Visitor(app, "jane"), t.Account(1)}}
		for _, u := range users {
			t.Login(u.v, u.acct)
		}
		// Jane's session is the last one the server read before the crash:
		// a server that answers from what it read last shows it to john.
		for _, u := range users {
			t.RequireAuthenticated(u.v, u.acct, "before the master crashes")
		}
		limit := t.Timeouts.Outage + time.Second
		var askers []*visitor.Visitor
		for _, u := range users {
			a := t.ImpatientVisitor(app, u.v.Name, limit)
			a.SetJar(u.v.Jar())
			askers = append(askers, a)
		}
		old := s.Master()
		crashed := t.CrashMaster(s)
		seen := map[State]int{}
		rounds := 0
		exited := false
		promoted := t.HoldsBy(crashed.Add(t.Timeouts.Failover), t.Timeouts.Poll, func() bool {
			if now, err := s.CurrentMaster(t.Context()); err == nil && now != old {
				return true // there is a master again
			}
			if exited {
				return false
			}
			for i, a := range askers {
				acct := users[i].acct
				r, err := a.Get(t.Context(), t.Target.Routes.StatePath)
				if err != nil {
					t.Errorf("without a master: %s's dashboard gave no answer within %v (%v); it must answer (a 5xx, a logged-out page or %s's own session) within %v", a.Name, limit, err, a.Name, t.Timeouts.Outage)
					continue
				}
				st := t.StateOf(r, acct)
				seen[st]++
				switch st {
				case ServerError, Anonymous, Authenticated:
				case OtherUser:
					t.Errorf("without a master: %s's cookie was answered with another user's session: %s", a.Name, describeShort(r))
				default:
					t.Errorf("without a master: %s's dashboard gave %s: %s; it must be a 5xx, a logged-out page or %s's own session", a.Name, st, describeShort(r), a.Name)
				}
				t.Check(r.Elapsed <= t.Timeouts.Outage, "without a master: %s's dashboard took %v to answer, more than %v", a.Name, r.Elapsed.Round(time.Millisecond), t.Timeouts.Outage)
			}
			rounds++
			exited = !t.Check(app.Running(), "without a master: the server process exited")
			return false
		})
		if !promoted {
			t.Broken(fmt.Errorf("the Sentinels promoted no replica within %v of the crash (the topology's trouble, not the target's)", t.Timeouts.Failover))
		}
		if rounds == 0 {
			t.Broken(fmt.Errorf("the Sentinels promoted the replica before the first request: nothing was asked while there was no master"))
		}
		t.Journal.Event("%d rounds of requests in the %v without a master: %s", rounds, time.Since(crashed).Round(time.Millisecond), describeStates(seen))
		t.Check(app.Running(), "the server process exited during the failover")
	})

	Requirement("FAILOVER-3", func(t *T) {
		s := t.PrivateSentinel()
		app := t.Launch()
		t.Login(t.Visitor(app, "john"), t.Account(0))
		t.CrashMaster(s)
		promoted := t.AwaitFailover(s)
		jane := t.Visitor(app, "jane")
		before := t.Records("on the new master, before jane's login")
		if ok, last := loginWorksBy(t, app, jane, t.Account(1), promoted.Add(t.Timeouts.Recovery)); !ok {
			t.Fatalf("logins did not work again within %v of the Sentinels naming the new master, without a restart (last: %s)", t.Timeouts.Recovery, last)
		}
		t.Journal.Event("jane logged in %v after the Sentinels named the new master", time.Since(promoted).Round(time.Millisecond))
		t.NewRecords(before, "on the new master, after jane's login")
		t.Rejoin(s)
		t.ExpectAuthenticated(jane, t.Account(1), "after the old master came back as a replica")
		t.Restart(app)
		t.ExpectAuthenticated(jane, t.Account(1), "after the old master came back and a graceful restart of the server")
	})

	Requirement("FAILOVER-4", func(t *T) {
		s := t.PrivateSentinel()
		app := t.Launch()
		replica := s.Replica()
		before := t.Records("before the replication is cut")
		t.Must(s.CutReplication(t.Context()), "cut the replication")
		t.Journal.Event("replication cut: replica %s no longer receives the master's writes (its link is down), as when a write is acknowledged before it is sent", replica)
		john := t.Visitor(app, "john")
		login := t.LoginResponse(john, t.Account(0))
		if login.Status >= 400 && login.Status < 500 {
			t.Broken(fmt.Errorf("john's login was refused: %s (%s)", describeShort(login), t.Story().RefusalFix("the login", login.Status)))
		}
		var name, cookie string
		if login.Status < 400 {
			name = t.CookieName(app)
			if cookie, _ = john.Cookie(name); cookie == "" {
				t.Broken(fmt.Errorf("john's login answered %s but set no %q cookie: the login did not log in (check accounts, the form fields and cookie.name with `sessionconf doctor`)", describeShort(login), name))
			}
		}
		acknowledged := cookie != ""
		var written []inspect.Record
		if acknowledged {
			written = inspect.New(before, t.Records("after john's login, on the master"))
			if got := t.KeysOn(s, replica, inspect.Keys(written)); len(got) > 0 {
				t.Broken(fmt.Errorf("the replica received john's record %v although its replication was cut: the harness could not keep the login from it", got))
			}
		}
		t.CrashMaster(s)
		t.Must(s.RestoreReplication(t.Context(), replica), "restore the replication settings")
		promoted := t.AwaitFailover(s)
		if !acknowledged {
			// Nothing was acknowledged, so nothing can be lost.
			t.Journal.Event("the login was refused (%s): a server that waits for the replica (WAIT) may refuse what it cannot replicate, so nothing acknowledged was lost", describeShort(login))
			return
		}
		t.Journal.Event("john's login was acknowledged (%s) with %d new record(s) on the master, none of which the replica received", describeShort(login), len(written))
		kept := false
		for _, rec := range t.Records("on the new master, after the failover") {
			if slices.ContainsFunc(written, func(w inspect.Record) bool { return w.Key == rec.Key }) {
				kept = true
			}
		}
		t.Journal.Event("the new master holds john's record: %v (lost with the old master unless the server waited for the replica)", kept)

		replay := t.ImpatientVisitor(app, "john-replayed", t.Timeouts.Outage+time.Second)
		replay.SetCookie(name, cookie)
		var state State
		var last string
		t.HoldsBy(promoted.Add(t.Timeouts.Recovery), t.Timeouts.Poll, func() bool {
			replay.SetJar(map[string]string{name: cookie}) // always the lost login's cookie
			r, err := replay.Get(t.Context(), t.Target.Routes.StatePath)
			if err != nil {
				state, last = Unexpected, err.Error()
				return false
			}
			state, last = t.StateOf(r, t.Account(0)), describeShort(r)
			if state == OtherUser {
				t.Errorf("after the failover john's cookie, whose login the failover lost, shows another user's session: %s", last)
			}
			return state == Authenticated || state == Anonymous || state == OtherUser
		})
		switch state {
		case Authenticated:
			t.Journal.Event("after the failover john's cookie is still john's session (kept)")
		case Anonymous:
			t.Journal.Event("after the failover john's cookie is treated as logged out (the login was lost)")
		case OtherUser:
		default:
			t.Errorf("%v after the Sentinels named the new master, john's cookie, whose login the failover lost, still gave %s (%s): it must be john's session or logged out, not an error", t.Timeouts.Recovery, state, last)
		}

		for i := range othersAfterLoss {
			jane := t.Visitor(app, fmt.Sprintf("jane%d", i+1))
			if ok, last := loginWorksBy(t, app, jane, t.Account(1), time.Now().Add(t.Timeouts.Recovery)); !ok {
				t.Fatalf("after the failover jane's login did not work within %v (last: %s)", t.Timeouts.Recovery, last)
			}
			replay.SetJar(map[string]string{name: cookie})
			r := t.Dashboard(replay)
			switch st := t.StateOf(r, t.Account(0)); st {
			case Authenticated, Anonymous:
			case OtherUser:
				t.Errorf("after jane's login #%d, john's lost cookie shows another user's session: %s", i+1, describeShort(r))
			default:
				t.Errorf("after jane's login #%d, john's lost cookie gave %s: %s; it must be john's session or logged out", i+1, st, describeShort(r))
			}
		}
	})
})

var _ = Describe("Redis Cluster", func() {
	Requirement("CLUSTER-1", func(t *T) {
		app := t.Launch()
		for _, cs := range sessionsOnEveryMaster(t, app, "logout") {
			saved := cs.v.Jar()
			t.Logout(cs.v)
			left := kept(cs.keys, t.KeysByMaster()[cs.master])
			t.Check(len(left) == 0, "the logout of %s left its key(s) %v on master %s", cs.v.Name, left, cs.master)
			cs.v.SetJar(saved)
			t.ExpectAnonymous(cs.v, cs.acct, fmt.Sprintf("replaying %s's cookie from before the logout (its key was on master %s)", cs.v.Name, cs.master))
		}
		clear := sessionsOnEveryMaster(t, app, "clear")
		t.ClearStore()
		for m, keys := range t.KeysByMaster() {
			t.Check(len(keys) == 0, "after the clear, master %s still holds session keys %v", m, keys)
		}
		for _, cs := range clear {
			t.ExpectAnonymous(cs.v, cs.acct, fmt.Sprintf("after the session keys of every master were deleted (%s's was on %s)", cs.v.Name, cs.master))
		}
		again := t.Visitor(app, "again")
		t.Login(again, t.Account(0))
		t.ExpectAuthenticated(again, t.Account(0), "a new login after the clear")
	})

	Requirement("CLUSTER-2", func(t *T) {
		app := t.Launch()
		sessions := sessionsOnEveryMaster(t, app, "user")
		for _, cs := range sessions {
			t.ExpectAuthenticated(cs.v, cs.acct, fmt.Sprintf("%s's session, whose key is on master %s", cs.v.Name, cs.master))
		}
		t.Restart(app)
		for _, cs := range sessions {
			t.ExpectAuthenticated(cs.v, cs.acct, fmt.Sprintf("after a graceful restart, %s's session, whose key is on master %s", cs.v.Name, cs.master))
		}
		// A login over a live session replaces it with a new ID, whose key
		// hashes to another slot: the server must not move the record in
		// one command of two keys (RENAME).
		for _, cs := range sessions {
			r := t.LoginResponse(cs.v, cs.acct)
			if t.Check(r.Status < 400, "%s logged in again over its session (key on master %s): the login answered %s", cs.v.Name, cs.master, describeShort(r)) {
				t.ExpectAuthenticated(cs.v, cs.acct, fmt.Sprintf("after %s logged in again over its session", cs.v.Name))
			}
		}
		for _, cs := range sessions {
			r := t.LogoutResponse(cs.v)
			t.Check(r.Status < 500, "%s's logout (its key is on master %s) answered %s", cs.v.Name, cs.master, describeShort(r))
		}
		for _, line := range t.ClusterErrorsInLogs() {
			t.Errorf("the server's log shows a multi-key operation across hash slots or a redirection it did not follow: %s", line)
		}
	})
})

// clusterSession is a login whose session key(s) live on one master.
type clusterSession struct {
	v      *visitor.Visitor
	acct   manifest.Account
	master string
	keys   []string
}

// sessionsOnEveryMaster logs in until every master of the spec's cluster
// holds a session's key, and returns one session per master. A login that
// answers 5xx is one whose key the server could not store: after
// maxClusterLogins logins, a master that got no session fails the spec.
func sessionsOnEveryMaster(t *T, app *instance.Instance, label string) []clusterSession {
	masters := t.Masters()
	got := map[string]clusterSession{}
	var refused []string
	for i := 0; len(got) < len(masters) && i < maxClusterLogins; i++ {
		acct := t.Account(i % 2)
		v := t.BulkVisitor(app, fmt.Sprintf("%s%d", label, i+1))
		before := t.KeysByMaster()
		r := t.LoginResponse(v, acct)
		if r.Status >= 500 {
			refused = append(refused, describeShort(r))
			continue
		}
		if r.Status >= 400 {
			t.Broken(fmt.Errorf("a login was refused: %s (%s)", describeShort(r), t.Story().RefusalFix("the login", r.Status)))
		}
		for m, keys := range t.KeysByMaster() {
			added := remaining(keys, before[m])
			if _, have := got[m]; len(added) == 0 || have {
				continue
			}
			got[m] = clusterSession{v: t.Visitor(app, v.Name), acct: acct, master: m, keys: added}
			got[m].v.SetJar(v.Jar())
		}
	}
	var missing []string
	for _, m := range masters {
		if _, ok := got[m]; !ok {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		why := "see its log"
		if lines := t.ClusterErrorsInLogs(); len(lines) > 0 {
			why = "its log: " + lines[0]
		}
		t.Fatalf("after %d logins no session key landed on master(s) %s; %d logins answered 5xx (e.g. %s): the server cannot keep sessions whose keys hash to those masters' slots (%s)",
			maxClusterLogins, strings.Join(missing, ", "), len(refused), strings.Join(refused[:min(3, len(refused))], ", "), why)
	}
	var out []clusterSession
	for _, m := range masters {
		cs := got[m]
		t.Journal.Event("%s's session key(s) %v are on master %s", cs.v.Name, cs.keys, m)
		out = append(out, cs)
	}
	return out
}

// remaining returns the keys of have that are not in old.
func remaining(have, old []string) []string {
	var out []string
	for _, k := range have {
		if !slices.Contains(old, k) {
			out = append(out, k)
		}
	}
	return out
}

// kept returns the keys of want that are in have.
func kept(want, have []string) []string {
	var out []string
	for _, k := range want {
		if slices.Contains(have, k) {
			out = append(out, k)
		}
	}
	return out
}

// loginWorksBy logs acct in through v until the login works and the
// dashboard shows acct (a server coming back from a failover answers 5xx
// meanwhile), until deadline.
func loginWorksBy(t *T, app *instance.Instance, v *visitor.Visitor, acct manifest.Account, deadline time.Time) (bool, string) {
	attempt := 0
	var last string
	ok := t.HoldsBy(deadline, t.Timeouts.Poll*2, func() bool {
		attempt++
		try := t.ImpatientVisitor(app, fmt.Sprintf("%s-try%d", v.Name, attempt), t.Timeouts.Outage+time.Second)
		l, err := outageLogin(t, try, acct)
		switch {
		case err != nil:
			last = "the login: " + err.Error()
			return false
		case l.Status >= 400:
			last = "the login answered " + describeShort(l)
			return false
		}
		d, err := try.Get(t.Context(), t.Target.Routes.StatePath)
		if err != nil {
			last = "the dashboard after the login: " + err.Error()
			return false
		}
		if st := t.StateOf(d, acct); st != Authenticated {
			last = fmt.Sprintf("the dashboard after the login gave %s: %s", st, describeShort(d))
			return false
		}
		v.SetJar(try.Jar())
		return true
	})
	return ok, last
}

// describeStates summarises how often each state was seen.
func describeStates(seen map[State]int) string {
	var parts []string
	for _, st := range []State{ServerError, Anonymous, Authenticated, OtherUser, Unexpected} {
		if n := seen[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	return strings.Join(parts, ", ")
}
