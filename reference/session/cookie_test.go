package session_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/reference/session"
)

// attrs splits a Set-Cookie header into its name=value and a map of
// attributes (lowercase name to value, "" for flags).
func attrs(t *testing.T, header string) (string, map[string]string) {
	t.Helper()
	parts := strings.Split(header, ";")
	m := map[string]string{}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		k = strings.ToLower(k)
		if _, dup := m[k]; dup {
			t.Fatalf("attribute %s twice in %q", k, header)
		}
		m[k] = v
	}
	return strings.TrimSpace(parts[0]), m
}

func oneSetCookie(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	v := w.Header().Values("Set-Cookie")
	if len(v) != 1 {
		t.Fatalf("%d Set-Cookie headers, want 1: %q", len(v), v)
	}
	return v[0]
}

func TestCookieSet(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	deadline := time.Date(2030, 1, 9, 3, 4, 6, 0, time.UTC) // 7 days and 0.4 s later
	for _, production := range []bool{false, true} {
		spec := session.DefaultCookie(production)
		w := httptest.NewRecorder()
		spec.Set(w, "tok", deadline, now)
		header := oneSetCookie(t, w)
		nv, a := attrs(t, header)

		wantName := "session"
		if production {
			wantName = "__Host-session"
		}
		if nv != wantName+"=tok" {
			t.Errorf("production=%v: cookie %q, want %s=tok", production, nv, wantName)
		}
		if _, ok := a["httponly"]; !ok {
			t.Errorf("production=%v: no HttpOnly in %q", production, header)
		}
		if a["samesite"] != "Lax" {
			t.Errorf("production=%v: SameSite %q, want Lax, in %q", production, a["samesite"], header)
		}
		if a["path"] != "/" {
			t.Errorf("production=%v: Path %q, want /", production, a["path"])
		}
		if _, ok := a["domain"]; ok {
			t.Errorf("production=%v: a Domain attribute widens the cookie: %q", production, header)
		}
		if _, secure := a["secure"]; secure != production {
			t.Errorf("production=%v: Secure=%v in %q", production, secure, header)
		}

		// Expires and Max-Age both say the deadline: Expires exactly (to the
		// second), Max-Age rounded down so the cookie never outlives the
		// record.
		expires, err := http.ParseTime(a["expires"])
		if err != nil {
			t.Fatalf("Expires %q: %v", a["expires"], err)
		}
		if !expires.Equal(deadline) {
			t.Errorf("Expires = %v, want the deadline %v", expires, deadline)
		}
		maxAge, err := strconv.Atoi(a["max-age"])
		if err != nil {
			t.Fatalf("Max-Age %q: %v", a["max-age"], err)
		}
		if want := int(deadline.Sub(now) / time.Second); maxAge != want {
			t.Errorf("Max-Age = %d, want %d", maxAge, want)
		}
		if end := now.Add(time.Duration(maxAge) * time.Second); end.After(deadline) || deadline.Sub(end) >= time.Second {
			t.Errorf("Max-Age ends at %v, deadline %v: they disagree", end, deadline)
		}
	}
}

func TestCookieSetAtOrAfterTheDeadlineDeletes(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, deadline := range []time.Time{now, now.Add(500 * time.Millisecond), now.Add(-time.Hour)} {
		w := httptest.NewRecorder()
		session.DefaultCookie(false).Set(w, "tok", deadline, now)
		_, a := attrs(t, oneSetCookie(t, w))
		if a["max-age"] != "0" {
			t.Errorf("deadline %v at %v: Max-Age %q, want 0 (a cookie with no time left)", deadline, now, a["max-age"])
		}
	}
}

func TestCookieDelete(t *testing.T) {
	t.Parallel()
	for _, production := range []bool{false, true} {
		spec := session.DefaultCookie(production)
		set := httptest.NewRecorder()
		spec.Set(set, "tok", time.Now().Add(time.Hour), time.Now())
		del := httptest.NewRecorder()
		spec.Delete(del)

		setName, setAttrs := attrs(t, oneSetCookie(t, set))
		header := oneSetCookie(t, del)
		nv, a := attrs(t, header)
		if nv != spec.Name+"=" {
			t.Errorf("production=%v: deletion %q, want %s= (same name, empty value)", production, nv, spec.Name)
		}
		if !strings.HasPrefix(setName, spec.Name+"=") {
			t.Errorf("production=%v: set %q and delete %q use different names", production, setName, nv)
		}
		if a["max-age"] != "0" {
			t.Errorf("production=%v: deletion Max-Age %q, want 0", production, a["max-age"])
		}
		if exp, err := http.ParseTime(a["expires"]); err != nil || !exp.Before(time.Now().Add(-24*time.Hour)) {
			t.Errorf("production=%v: deletion Expires %q, want one in the past", production, a["expires"])
		}
		// The same scope as the cookie it deletes, or the browser keeps it.
		for _, k := range []string{"path", "domain", "secure", "httponly", "samesite"} {
			sv, sok := setAttrs[k]
			dv, dok := a[k]
			if sv != dv || sok != dok {
				t.Errorf("production=%v: %s is %q/%v on set and %q/%v on delete", production, k, sv, sok, dv, dok)
			}
		}
	}
}

func TestCookieSessionOnlySpecHasNoExpiry(t *testing.T) {
	t.Parallel()
	spec := session.DefaultCookie(false)
	if !spec.Persistent {
		t.Fatal("the default cookie is not persistent: a browser restart would log users out")
	}
	spec.Persistent = false
	w := httptest.NewRecorder()
	spec.Set(w, "tok", time.Now().Add(time.Hour), time.Now())
	_, a := attrs(t, oneSetCookie(t, w))
	if _, ok := a["expires"]; ok {
		t.Error("a non-persistent cookie has Expires")
	}
	if _, ok := a["max-age"]; ok {
		t.Error("a non-persistent cookie has Max-Age")
	}
}

func TestCookieReadOnlyFromTheCookie(t *testing.T) {
	t.Parallel()
	spec := session.DefaultCookie(false)
	r := httptest.NewRequest(http.MethodGet, "/organizer/?session=fromquery&__Host-session=q", strings.NewReader("session=frombody"))
	if got := spec.Read(r); got != "" {
		t.Errorf("Read without a cookie = %q, want empty (a token in a URL is never accepted)", got)
	}
	r.AddCookie(&http.Cookie{Name: "other", Value: "x"})
	r.AddCookie(&http.Cookie{Name: "session", Value: "tok"})
	if got := spec.Read(r); got != "tok" {
		t.Errorf("Read = %q, want tok", got)
	}
	if got := session.DefaultCookie(true).Read(r); got != "" {
		t.Errorf("production Read of a cookie named session = %q, want empty (only __Host-session counts)", got)
	}
}
