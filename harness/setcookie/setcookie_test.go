package setcookie

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	c := Parse("session=abc; Path=/; Expires=Fri, 04 Dec 2026 13:55:17 GMT; Max-Age=60; HttpOnly; SameSite=Lax")
	if c.Name != "session" || c.Value != "abc" {
		t.Fatalf("name/value = %q/%q", c.Name, c.Value)
	}
	if !c.Has("httponly") || c.SameSite() != "lax" || c.Get("PATH") != "/" || c.Has("domain") {
		t.Errorf("attributes: %v", c.Attrs)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if exp, ok := c.Expiry(now); !ok || !exp.Equal(now.Add(time.Minute)) {
		t.Errorf("Max-Age must win over Expires: got %v", exp)
	}
	if !c.Persistent() || c.IsDeletion(now) {
		t.Error("a 60-second cookie is persistent and not a deletion")
	}
}

func TestDeletionAndDefaultPath(t *testing.T) {
	now := time.Now()
	for _, raw := range []string{"s=; Max-Age=0", "s=; Expires=Thu, 01 Jan 1970 00:00:01 GMT", "s=x; Expires=Thu, 01-Jan-1970 00:00:01 GMT"} {
		if !Parse(raw).IsDeletion(now) {
			t.Errorf("%q should be a deletion", raw)
		}
	}
	if Parse("s=x").IsDeletion(now) || Parse("s=x").Persistent() {
		t.Error("a session cookie is neither persistent nor a deletion")
	}
	if got := Parse("s=x").Path("/organizer/login"); got != "/organizer" {
		t.Errorf("default path = %q, want /organizer", got)
	}
	if got := Parse("s=x").Path("/login"); got != "/" {
		t.Errorf("default path = %q, want /", got)
	}
}
