package visitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/harness/evidence"
)

func TestJarDeletesButNeverExpires(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			// Already expired by its Max-Age: a browser would drop it only
			// later, our jar keeps it (a replay), unless it is a deletion.
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc", MaxAge: 1, Path: "/"})
			w.Header().Add("Set-Cookie", "other=x; Path=/")
		case "/logout":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "", MaxAge: -1, Path: "/"})
		case "/echo":
			w.Write([]byte(r.Header.Get("Cookie")))
		}
	}))
	defer srv.Close()
	j := evidence.NewJournal()
	v := New("alice", srv.URL, j, 5*time.Second)
	ctx := context.Background()
	if _, err := v.Get(ctx, "/login"); err != nil {
		t.Fatal(err)
	}
	if got, _ := v.Cookie("session"); got != "abc" {
		t.Fatalf("jar session = %q", got)
	}
	r, _ := v.Get(ctx, "/echo")
	if r.Body != "other=x; session=abc" {
		t.Errorf("sent Cookie %q", r.Body)
	}
	r, _ = v.Get(ctx, "/echo", WithCookieHeader("session=forged"))
	if r.Body != "session=forged" {
		t.Errorf("WithCookieHeader sent %q", r.Body)
	}
	v.Get(ctx, "/logout")
	if _, ok := v.Cookie("session"); ok {
		t.Error("a deletion cookie must remove the cookie from the jar")
	}
	if !strings.Contains(j.String(), "alice -> GET /login") || !strings.Contains(j.String(), "Set-Cookie: session=abc") {
		t.Errorf("journal:\n%s", j)
	}
}

func TestIsDeletionMaxAgeWins(t *testing.T) {
	past := time.Now().Add(-time.Second)
	for _, tc := range []struct {
		c    http.Cookie
		want bool
	}{
		{http.Cookie{Name: "s", Value: "v", MaxAge: 2, Expires: past}, false}, // a slow response: Expires already passed, Max-Age has not
		{http.Cookie{Name: "s", Value: "", MaxAge: -1, Expires: time.Now().Add(time.Hour)}, true},
		{http.Cookie{Name: "s", Value: "", Expires: past}, true},
		{http.Cookie{Name: "s", Value: "v", Expires: time.Now().Add(time.Hour)}, false},
		{http.Cookie{Name: "s", Value: "v"}, false},
	} {
		if got := IsDeletion(&tc.c); got != tc.want {
			t.Errorf("IsDeletion(%s) = %v, want %v", tc.c.String(), got, tc.want)
		}
	}
}

func TestRawRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	v := New("raw", srv.URL, evidence.NewJournal(), 5*time.Second)
	r, err := v.Raw(context.Background(), []byte("GET / HTTP/1.1\r\nHost: x\r\nCookie: session=a\x00b\r\nConnection: close\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 400 && r.Status != 204 {
		t.Errorf("status %d", r.Status)
	}
}

func TestNoRedirectsFollowed(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("/elsewhere", http.StatusSeeOther))
	defer srv.Close()
	r, err := New("v", srv.URL, evidence.NewJournal(), 5*time.Second).Get(context.Background(), "/")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 303 || r.Location() != "/elsewhere" {
		t.Errorf("got %d -> %q; redirects must be seen, not followed", r.Status, r.Location())
	}
}
