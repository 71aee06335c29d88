// Package setcookie parses Set-Cookie header lines keeping every attribute
// as sent: whether Path was given at all, Domain, both expiry forms. The
// cookie requirements are about exactly those details, which net/http's
// parser smooths over.
package setcookie

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cookie is one Set-Cookie line.
type Cookie struct {
	Raw   string
	Name  string
	Value string
	// Attrs maps lower-case attribute names to their values ("" for flags
	// such as HttpOnly).
	Attrs map[string]string
}

// Parse reads one Set-Cookie line.
func Parse(raw string) Cookie {
	parts := strings.Split(raw, ";")
	name, value, _ := strings.Cut(parts[0], "=")
	c := Cookie{Raw: raw, Name: strings.TrimSpace(name), Value: strings.Trim(strings.TrimSpace(value), `"`), Attrs: map[string]string{}}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if k == "" {
			continue
		}
		c.Attrs[strings.ToLower(k)] = strings.TrimSpace(v)
	}
	return c
}

// For returns the parsed Set-Cookie lines of cookie name among raws.
func For(raws []string, name string) []Cookie {
	var out []Cookie
	for _, r := range raws {
		if c := Parse(r); c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// Has reports whether attribute a (any case) was given.
func (c Cookie) Has(a string) bool {
	_, ok := c.Attrs[strings.ToLower(a)]
	return ok
}

// Get returns attribute a's value.
func (c Cookie) Get(a string) string { return c.Attrs[strings.ToLower(a)] }

// MaxAge returns Max-Age, if given and a number.
func (c Cookie) MaxAge() (int, bool) {
	v, ok := c.Attrs["max-age"]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// Expires returns Expires, if given and a valid HTTP date.
func (c Cookie) Expires() (time.Time, bool) {
	v, ok := c.Attrs["expires"]
	if !ok {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	if err != nil {
		// Netscape's dashed form, still common.
		t, err = time.Parse("Mon, 02-Jan-2006 15:04:05 MST", v)
	}
	return t, err == nil
}

// Persistent reports whether the cookie outlives the browser session.
func (c Cookie) Persistent() bool {
	_, ma := c.MaxAge()
	_, ex := c.Expires()
	return ma || ex
}

// Expiry is when a browser receiving the cookie at received forgets it:
// Max-Age wins over Expires (RFC 6265bis 5.6). ok is false for a session
// cookie.
func (c Cookie) Expiry(received time.Time) (time.Time, bool) {
	if n, ok := c.MaxAge(); ok {
		if n <= 0 {
			return time.Unix(0, 0), true
		}
		return received.Add(time.Duration(n) * time.Second), true
	}
	return c.Expires()
}

// IsDeletion reports whether the line asks the browser to drop the cookie.
func (c Cookie) IsDeletion(received time.Time) bool {
	exp, ok := c.Expiry(received)
	return ok && !exp.After(received)
}

// Path returns the cookie's path as a browser stores it: the Path
// attribute, or the default path of the request URI it came with.
func (c Cookie) Path(requestPath string) string {
	if p := c.Get("path"); strings.HasPrefix(p, "/") {
		return p
	}
	i := strings.LastIndex(requestPath, "/")
	if i <= 0 {
		return "/"
	}
	return requestPath[:i]
}

// SameSite returns the SameSite value, lower-case ("" when absent).
func (c Cookie) SameSite() string { return strings.ToLower(c.Get("samesite")) }
