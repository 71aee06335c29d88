package session

import (
	"net/http"
	"time"
)

// Cookie names: the story's Flask default, and the prefixed name production
// uses so that browsers enforce Secure, Path=/ and no Domain for it.
const (
	CookieName     = "session"
	HostCookieName = "__Host-session"
)

// CookieSpec is every attribute of the session cookie. Login, refresh and
// logout all write from the same spec, so a deletion always matches what it
// deletes (same name, Path and Domain).
type CookieSpec struct {
	Name     string
	Path     string
	Domain   string // empty: host-only
	Secure   bool
	HttpOnly bool
	SameSite http.SameSite
	// Persistent cookies carry Expires and Max-Age; a session cookie (false)
	// would be forgotten when the browser closes.
	Persistent bool
}

// DefaultCookie is the development spec; production adds Secure and the
// __Host- name.
func DefaultCookie(production bool) CookieSpec {
	c := CookieSpec{Name: CookieName, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Persistent: true}
	if production {
		c.Name = HostCookieName
		c.Secure = true
	}
	return c
}

// Set writes the session cookie expiring at deadline. Max-Age is rounded
// down so the cookie never outlives the record.
func (c CookieSpec) Set(w http.ResponseWriter, value string, deadline, now time.Time) {
	ck := c.base(value)
	if c.Persistent {
		maxAge := int(deadline.Sub(now) / time.Second)
		if maxAge < 1 {
			maxAge = -1 // already due: delete rather than set
		}
		ck.MaxAge = maxAge
		ck.Expires = deadline.UTC()
	}
	http.SetCookie(w, ck)
}

// Delete writes the deletion cookie: same name, Path, Domain and Secure,
// empty value, Max-Age=0 and an Expires in the past.
func (c CookieSpec) Delete(w http.ResponseWriter) {
	ck := c.base("")
	ck.MaxAge = -1
	ck.Expires = time.Unix(1, 0).UTC()
	http.SetCookie(w, ck)
}

// Read returns the value of the session cookie in r, or "" when absent.
// Only the cookie is consulted: a token in a URL is never accepted.
func (c CookieSpec) Read(r *http.Request) string {
	ck, err := r.Cookie(c.Name)
	if err != nil {
		return ""
	}
	return ck.Value
}

func (c CookieSpec) base(value string) *http.Cookie {
	return &http.Cookie{
		Name: c.Name, Value: value, Path: c.Path, Domain: c.Domain,
		Secure: c.Secure, HttpOnly: c.HttpOnly, SameSite: c.SameSite,
	}
}
