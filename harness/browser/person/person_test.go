package person

import (
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/harness/browser"
	"github.com/sessionconf/sessionconf/harness/instance"
)

func TestAppURL(t *testing.T) {
	for base, want := range map[string]string{
		"http://127.0.0.1:5000":       "http://app.test:5000/organizer/login",
		"https://127.0.0.1:24001":     "https://app.test:24001/organizer/login",
		"http://localhost:8080":       "http://app.test:8080/organizer/login",
		"https://staging.example.com": "https://staging.example.com/organizer/login",
	} {
		if got := AppURL(&instance.Instance{BaseURL: base}, "/organizer/login"); got != want {
			t.Errorf("AppURL(%s) = %s, want %s", base, got, want)
		}
	}
}

func TestCookieIn(t *testing.T) {
	h := "theme=dark; session=abc=def; __Host-session=x"
	for name, want := range map[string]string{"session": "abc=def", "__Host-session": "x", "theme": "dark"} {
		if v, ok := CookieIn(h, name); !ok || v != want {
			t.Errorf("CookieIn(%q) = %q, %v", name, v, ok)
		}
	}
	if _, ok := CookieIn(h, "sess"); ok {
		t.Error("a prefix of a name matched")
	}
	if _, ok := CookieIn("", "session"); ok {
		t.Error("an empty header matched")
	}
}

func TestShortLifetime(t *testing.T) {
	for took, want := range map[time.Duration]time.Duration{
		300 * time.Millisecond:  4 * time.Second,
		time.Second:             5 * time.Second,
		1100 * time.Millisecond: 6 * time.Second, // rounded up to whole seconds
		10 * time.Second:        32 * time.Second,
		time.Minute:             time.Minute,
	} {
		if got := ShortLifetime(took); got != want {
			t.Errorf("ShortLifetime(%v) = %v, want %v", took, got, want)
		}
	}
}

func TestDomainMatch(t *testing.T) {
	for _, c := range []struct {
		host, domain string
		want         bool
	}{
		{"app.test", "app.test", true},
		{"app.test", ".app.test", true},
		{"www.app.test", ".app.test", true},
		{"app.test", "other.test", false},
		{"evilapp.test", "app.test", false},
	} {
		if got := domainMatch(c.host, c.domain); got != c.want {
			t.Errorf("domainMatch(%s, %s) = %v", c.host, c.domain, got)
		}
	}
}

func TestLastRequestPrefersTheNetwork(t *testing.T) {
	reqs := []browser.Request{
		{Method: "GET", URL: "http://app.test:1/d", Seen: true, Cookie: "session=1"},
		{Method: "GET", URL: "http://app.test:1/d"}, // from the cache
		{Method: "POST", URL: "http://app.test:1/d", Seen: true},
	}
	r, ok := LastRequest(reqs, "GET", "http://app.test:1/d")
	if !ok || !r.Seen || r.Cookie != "session=1" {
		t.Errorf("LastRequest = %+v, %v", r, ok)
	}
	if r, ok := LastRequest(reqs[1:2], "GET", "http://app.test:1/d"); !ok || r.Seen {
		t.Errorf("only a cached request: %+v, %v", r, ok)
	}
	if _, ok := LastRequest(reqs, "GET", "http://app.test:1/other"); ok {
		t.Error("found a request never made")
	}
}
