package conformance_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	. "github.com/sessionconf/sessionconf/harness/conform"
	"github.com/sessionconf/sessionconf/harness/entropy"
	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/tamper"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// The entropy specs' samples: a first idPilot rounds show the IDs'
// alphabet; the sample then grows to what testing that alphabet needs
// (entropy.MinSamples), at least idMinimum and at most idSamples.
const (
	idPilot   = 40
	idMinimum = 100
	idSamples = 400
)

// Entropy floors of TOKEN-1 (ASVS 4) and TOKEN-2 (ASVS 5).
const (
	minEntropyBits  = 64
	goodEntropyBits = 128
)

var _ = Describe("Token security", func() {
	Requirement("TOKEN-1", func(t *T) {
		app := t.Launch()
		e := collectIDEntropy(t, app)
		t.Check(len(e.Duplicates) == 0, "%d of %d session IDs repeated: %v", len(e.Duplicates), e.Samples, e.Duplicates)
		t.Check(e.Bits >= minEntropyBits, "session IDs carry %.1f bits of entropy (credited from %d IDs of %d characters: %d positions uniform over %d characters), fewer than %d", e.Bits, e.Samples, e.Length, e.Uniform, e.Alphabet, minEntropyBits)
	})

	Requirement("TOKEN-2", func(t *T) {
		app := t.Launch()
		e := collectIDEntropy(t, app)
		t.Check(e.Bits >= goodEntropyBits, "session IDs carry %.1f bits of entropy (credited from %d IDs of %d characters: %d positions uniform over %d characters), fewer than %d", e.Bits, e.Samples, e.Length, e.Uniform, e.Alphabet, goodEntropyBits)
	})

	Requirement("TOKEN-3", func(t *T) {
		app := t.Launch()
		name := t.CookieName(app)
		for _, c := range preLoginCookies(t, app) {
			v := t.Visitor(app, c.who)
			v.SetCookie(name, c.value)
			r := t.LoginResponse(v, t.Account(0))
			fresh := false
			for _, sc := range t.SessionCookies(r, app) {
				if sc.Value != "" && sc.Value != c.value {
					fresh = true
				}
			}
			t.Check(fresh, "logging in with %s (%q) did not issue a new session ID: the login response %s", c.what, c.value, setCookieSummary(r, name))
		}
	})

	Requirement("TOKEN-4", func(t *T) {
		app := t.Launch()
		name := t.CookieName(app)
		for _, c := range preLoginCookies(t, app) {
			v := t.Visitor(app, c.who)
			v.SetCookie(name, c.value)
			t.Login(v, t.Account(0))
			old := t.Visitor(app, c.who+"-replay")
			old.SetCookie(name, c.value)
			t.ExpectAnonymous(old, t.Account(0), fmt.Sprintf("replaying %s after a login made with it", c.what))
		}
	})

	Requirement("TOKEN-5", func(t *T) {
		app := t.Launch()
		name := t.CookieName(app)
		real := t.Login(t.Visitor(app, "john"), t.Account(0))

		// An ID the server never issued: on the pages anyone sees before
		// logging in, and at the login.
		forged := Forge(real)
		expectNotAdopted(t, app, name, forged, "an ID the server never issued", true)
		attacker := t.Visitor(app, "attacker")
		attacker.SetCookie(name, forged)
		t.LoginResponse(attacker, t.Account(0))
		got, _ := attacker.Cookie(name)
		t.Check(got != "" && got != forged, "a login made with the forged ID %q kept it (cookie now %q): the server must issue its own", forged, got)

		// An ID that was logged out.
		leaver := t.Visitor(app, "leaver")
		left := t.Login(leaver, t.Account(1))
		t.Logout(leaver)
		expectNotAdopted(t, app, name, left, "an ID that was logged out", false)

		// An ID removed by clearing the store.
		victim := t.Visitor(app, "cleared")
		old := t.Login(victim, t.Account(1))
		t.ClearStore()
		expectNotAdopted(t, app, name, old, "an ID removed by clearing the store", false)
		victim.SetCookie(name, old)
		t.LoginResponse(victim, t.Account(1))
		got, _ = victim.Cookie(name)
		t.Check(got != "" && got != old, "a login made with an ID removed by clearing the store reused it (%q)", old)

		// An ID whose session expired (its record may still be in the
		// store until a janitor runs) is no better.
		short := t.Launch(Lifetime(shortLifetime))
		late := t.Visitor(short, "expired")
		expired := t.Login(late, t.Account(1))
		t.SleepUntil(time.Now().Add(shortLifetime+t.Timeouts.Tolerance), "the session's lifetime plus tolerance")
		// The login first: a visit may rightly delete the expired record,
		// and a login that renews whatever record it finds needs one.
		late.SetCookie(name, expired)
		t.LoginResponse(late, t.Account(1))
		got, _ = late.Cookie(name)
		t.Check(got != "" && got != expired, "a login made with an expired ID reused it (%q)", expired)
		expectNotAdopted(t, short, name, expired, "an ID whose session expired", false)
	})

	Requirement("TOKEN-6", func(t *T) {
		app := t.Launch()
		name := t.CookieName(app)
		john, jane := t.Account(0), t.Account(1)
		johnC := t.Login(t.Visitor(app, "john"), john)
		janeC := t.Login(t.Visitor(app, "jane"), jane)
		probe := t.Visitor(app, "tamperer")
		muts := tamper.Mutations(johnC, janeC, john.Email, jane.Email)
		t.Journal.Event("%d tampered versions of john's cookie", len(muts))
		for _, m := range muts {
			r := t.Dashboard(probe, visitor.WithCookieHeader(name+"="+m.Value))
			if s := t.StateOf(r, john); s != Anonymous {
				t.Errorf("tampered cookie (%s) gave %s instead of nothing: %s", m.Name, s, describeShort(r))
			}
		}
	})

	Requirement("TOKEN-7", func(t *T) {
		app := t.Launch()
		if app.Config.Production {
			t.Unsupported("raw requests need plain HTTP")
		}
		name := t.CookieName(app)
		canary := t.PlantCanary()
		unrelated := t.PlantUnrelatedData()
		tree := t.Tree()
		jane := t.Visitor(app, "jane")
		t.Login(jane, t.Account(1))
		raw := t.Visitor(app, "hostile")
		creds := fmt.Sprintf("%s=%s&%s=%s", t.Target.Form.Email, t.Account(0).Email, t.Target.Form.Password, t.Account(0).Password)
		for _, hv := range tamper.Hostile(canary) {
			for _, req := range []struct{ method, path, body string }{
				{"GET", t.Target.Routes.Dashboard, ""},
				{"POST", t.Target.Routes.Login, creds},
				{t.Target.Routes.LogoutMethod, t.Target.Routes.Logout, ""},
			} {
				r, err := raw.Raw(t.Context(), rawRequest(req.method, req.path, app, name+"="+hv, req.body))
				if err != nil {
					t.Errorf("%s %s with the cookie %q: no answer (%v)", req.method, req.path, shorten(hv), err)
					continue
				}
				t.Check(r.Status < 500, "%s %s with the cookie %q answered %d", req.method, req.path, shorten(hv), r.Status)
			}
		}
		data, err := os.ReadFile(canary)
		t.Check(err == nil && strings.HasPrefix(string(data), "canary"), "the canary file next to the store was changed or deleted by a hostile cookie (%v)", err)
		after := t.Tree()
		for p := range after {
			if _, ok := tree[p]; !ok {
				t.Errorf("a hostile cookie created the file %s outside the store", p)
			}
		}
		for p := range tree {
			if _, ok := after[p]; !ok {
				t.Errorf("a hostile cookie deleted the file %s outside the store", p)
			}
		}
		unrelated()
		t.ExpectAuthenticated(jane, t.Account(1), "another user's session after the hostile cookies")
	})

	Requirement("TOKEN-8", func(t *T) {
		app := t.Launch()
		name := t.CookieName(app)
		v := t.Visitor(app, "john")
		var seen []*visitor.Response
		seen = append(seen, t.Get(v, t.Target.Routes.Login))
		seen = append(seen, t.LoginResponse(v, t.Account(0)))
		token := t.SessionCookie(v, app)
		seen = append(seen, t.Dashboard(v), t.Logout(v), t.Get(v, t.Target.Routes.Login))
		for _, r := range seen {
			t.Check(!strings.Contains(r.Location(), token), "%s %s redirects to a URL with the session token: %s", r.Method, r.Path, r.Location())
			t.Check(!strings.Contains(r.Body, token), "%s %s shows the session token in its body", r.Method, r.Path)
		}
		fresh := t.Visitor(app, "link")
		r := t.Get(fresh, t.Target.Routes.Dashboard+"?"+name+"="+token)
		t.Check(!strings.Contains(r.Body, t.Marker(t.Account(0))), "the session token was accepted from the query string (?%s=...): %s", name, describeShort(r))
		again := t.Visitor(app, "link2")
		live := t.Login(t.Visitor(app, "jane"), t.Account(1))
		r = t.Get(again, t.Target.Routes.Dashboard+"?"+name+"="+live)
		t.ExpectAnonymousResponse(r, "a visitor with the live token in the query string", t.Account(1), "GET "+t.Target.Routes.Dashboard+"?"+name+"=<valid token>")
	})

	Requirement("TOKEN-9", func(t *T) {
		app := t.Launch()
		acct := t.Account(0)
		value := t.Login(t.Visitor(app, "john"), acct)
		local, _, _ := strings.Cut(acct.Email, "@")
		for _, d := range inspect.Decodings(value) {
			lower := strings.ToLower(d)
			for _, secret := range []string{acct.Email, acct.Name, local} {
				if strings.Contains(lower, strings.ToLower(secret)) {
					t.Errorf("the session cookie reveals %q to anyone who decodes it: %s", secret, shorten(d))
				}
			}
		}
	})

	Requirement("TOKEN-10", func(t *T) {
		app := t.Launch()
		before := t.Records("before login")
		t.Login(t.Visitor(app, "john"), t.Account(0))
		for _, rec := range t.NewRecords(before, "after login") {
			if format := inspect.NativeSerialization(rec.Data); format != "" {
				t.Errorf("the record %s is in %s: write access to the store would mean code execution", rec.Key, format)
			}
		}
	})

	Requirement("TOKEN-11", func(t *T) {
		app := t.Launch()
		before := t.Records("before login")
		value := t.Login(t.Visitor(app, "john"), t.Account(0))
		parts := []string{value}
		for _, p := range strings.Split(value, ".") {
			if len(p) >= 16 {
				parts = append(parts, p)
			}
		}
		for _, rec := range t.NewRecords(before, "after login") {
			for _, p := range parts {
				t.Check(!strings.Contains(rec.Key, p), "the store key %s contains the raw cookie value %q: whoever reads the store can use it", rec.Key, p)
			}
		}
	})

	Requirement("TOKEN-12", func(t *T) {
		app := t.Launch()
		before := t.Records("before login")
		t.Login(t.Visitor(app, "john"), t.Account(0))
		for _, rec := range t.NewRecords(before, "after login") {
			t.Check(rec.Mode&0o077 == 0, "the session file %s has mode %v: group and others must have no access", rec.Key, rec.Mode)
		}
		dir := t.Store().(inspect.Dir)
		mode, err := dir.DirMode()
		if t.Check(err == nil, "the session directory %s: %v", dir.Path, err) {
			t.Check(mode&0o002 == 0, "the session directory %s is world-writable (mode %v)", dir.Path, mode)
		}
	})
})

// expectNotAdopted presents id on the pages a visitor sees before logging
// in (the dashboard, the login page; a forged ID must show nobody there)
// and records a failure if the server
// starts keeping it: it sets it back, a record named by it appears in the
// store, or a record appears or is rewritten while the server issues no
// new ID (so the record can only be the presented ID's). PHP's default
// session.use_strict_mode=0 does the second; Flask-Session before 0.7
// the first.
func expectNotAdopted(t *T, app *instance.Instance, name, id, what string, forged bool) {
	before := t.Records("before presenting " + what)
	v := t.Visitor(app, "presenter")
	issued, dead := false, false
	for _, path := range []string{t.Target.Routes.StatePath, t.Target.Routes.Login} {
		r := t.Get(v, path, visitor.WithCookieHeader(name+"="+id))
		now := time.Now()
		for _, c := range t.SessionCookies(r, app) {
			switch {
			case c.Value == id:
				t.Errorf("presenting %s on %s: the server set it back (%s): it adopted an ID it must not", what, path, c.Raw)
			case c.Value != "" && !c.IsDeletion(now):
				issued = true
			}
		}
		if path == t.Target.Routes.StatePath {
			// Whether a logged-out or cleared ID still logs in is CLEAR-3's
			// and CLEAR-1's business; here only a rewrite of a dead
			// session's record is a revival.
			dead = t.StateOf(r, t.Account(0)) == Anonymous && t.StateOf(r, t.Account(1)) == Anonymous
			if forged {
				t.ExpectAnonymousResponse(r, "a visitor with "+what, t.Account(0), "presenting "+what)
			}
		}
	}
	after := t.Records("after presenting " + what)
	for _, rec := range inspect.New(before, after) {
		if strings.Contains(rec.Key, id) {
			t.Errorf("presenting %s created the record %s, named by it: the server keeps a session under an ID it did not issue", what, rec.Key)
			return
		}
	}
	if issued {
		return
	}
	if created := inspect.New(before, after); len(created) > 0 {
		t.Errorf("presenting %s created %d record(s) (%v) while the server issued no new ID: they can only be the presented ID's session (PHP's session.use_strict_mode=0 does this)", what, len(created), inspect.Keys(created))
	}
	if changed := inspect.Changed(before, after); dead && len(changed) > 0 {
		t.Errorf("presenting %s rewrote the record(s) %v while the server issued no new ID: the presented ID's session was brought back", what, inspect.Keys(changed))
	}
}

// collectIDEntropy gathers session IDs until the sample is large enough
// to test their alphabet (entropy.MinSamples), and estimates their
// entropy. A round visits the login page (some servers give anonymous
// visitors an ID) and logs in; when visits do give IDs, the sample is
// topped up with visits alone, which cost the target no password hash.
func collectIDEntropy(t *T, app *instance.Instance) entropy.Estimate {
	name := t.CookieName(app)
	var mu sync.Mutex
	var ids []string
	anonymous, refused, unsent := 0, 0, 0
	// What a login in flight may take, and the judging after: the sample
	// stops short of the spec timeout by that much, and says so.
	deadline := t.LoadDeadline(t.LoginTimeout(t.LoginWidth()) + t.Timeouts.Request)
	add := func(id string, anon bool) {
		mu.Lock()
		defer mu.Unlock()
		ids = append(ids, id)
		if anon {
			anonymous++
		}
	}
	rounds := func(from, n int, login bool) {
		width := t.LoginWidth()
		if !login {
			width = 16
		}
		started := t.ParallelUntil(deadline, n, width, func(i int) {
			v := t.BulkVisitor(app, fmt.Sprintf("sample%d", from+i))
			v.Get(t.Context(), t.Target.Routes.Login)
			anon, hasAnon := v.Cookie(name)
			if hasAnon {
				add(anon, true)
			}
			if !login {
				return
			}
			if r := t.LoginResponse(v, t.Account(i%2)); r.Status >= 500 {
				mu.Lock()
				refused++
				mu.Unlock()
			}
			// A server that keeps the visit's ID through the login issued
			// one ID, not two: counting it twice would report a repeat
			// (keeping the ID is TOKEN-3's failure, not this one's).
			if c, ok := v.Cookie(name); ok && !(hasAnon && c == anon) {
				add(c, false)
			}
		})
		unsent += n - started
	}
	// A first sample shows the IDs' alphabet, which sets the size the
	// test needs: 5 IDs per character it may hold.
	rounds(0, idPilot, true)
	need := min(idSamples, max(idMinimum, entropy.MinSamples(entropy.Alphabet(ids))))
	if missing := need - len(ids); missing > 0 {
		if anonymous > 0 {
			rounds(idPilot, missing, false)
		} else {
			logins := t.LoginBudget(missing, missing, fmt.Sprintf("an ID sample of %d (the IDs use %d characters)", need, entropy.Alphabet(ids)))
			rounds(idPilot, logins, true)
		}
	}
	e := entropy.Of(ids)
	t.Journal.Note("session ID sample", fmt.Sprintf("%d IDs (%d from anonymous visits), %d distinct, length %d, %d characters, %d of %d positions uniform, credited %.1f bits (a truly uniform position is misjudged with probability %g); first: %v",
		e.Samples, anonymous, e.Distinct, e.Length, e.Alphabet, e.Uniform, e.Length, e.Bits, entropy.Alpha, ids[:min(5, len(ids))]))
	if e.Samples < need {
		if unsent > 0 {
			t.Broken(fmt.Errorf("could not finish: %d of %d IDs were collected before the spec's time ran out (%d logins or visits never sent; %s, logins %d at a time); a busy machine: raise the spec timeout (-timeout spec=...) or run fewer profiles at once", e.Samples, need, unsent, t.CostNote(), t.LoginWidth()))
		}
		if refused > 0 && e.Samples+refused >= need {
			// An overloaded target, not a fault of its IDs.
			t.Broken(fmt.Errorf("only %d of %d IDs were collected: the target answered %d logins with a 5xx, so the sample is too small to judge its IDs (an overloaded machine: run with fewer -procs)", e.Samples, need, refused))
		}
		t.Fatalf("only %d of %d logins and visits produced a session cookie", e.Samples, need)
	}
	return e
}

// preLogin is a cookie a client may hold before it logs in.
type preLogin struct{ who, what, value string }

// preLoginCookies returns the IDs TOKEN-3 and TOKEN-4 present at login:
// the one an anonymous visit got (if the server hands those out) and an
// authenticated session of another user (a privilege change).
func preLoginCookies(t *T, app *instance.Instance) []preLogin {
	name := t.CookieName(app)
	var out []preLogin
	anon := t.Visitor(app, "anonymous")
	t.Get(anon, t.Target.Routes.Login)
	if c, ok := anon.Cookie(name); ok && c != "" {
		out = append(out, preLogin{"anonymous", "the pre-login ID of an anonymous visit", c})
	}
	jane := t.Visitor(app, "jane")
	out = append(out, preLogin{"jane", "another user's authenticated session ID", t.Login(jane, t.Account(1))})
	return out
}

func setCookieSummary(r *visitor.Response, name string) string {
	var lines []string
	for _, l := range r.RawSetCookies {
		if strings.HasPrefix(l, name+"=") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return "set no " + name + " cookie"
	}
	return "set " + strings.Join(lines, " | ")
}

func rawRequest(method, path string, app *instance.Instance, cookie, body string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nCookie: %s\r\nConnection: close\r\n", method, path, app.Port, cookie)
	if method == "POST" {
		fmt.Fprintf(&b, "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n" + body)
	return []byte(b.String())
}

func shorten(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%q...(%d bytes)", s[:60], len(s))
	}
	return fmt.Sprintf("%q", s)
}

func describeShort(r *visitor.Response) string {
	s := fmt.Sprintf("%d", r.Status)
	if loc := r.Location(); loc != "" {
		s += " -> " + loc
	}
	return s
}
