package person

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"

	"github.com/sessionconf/sessionconf/harness/conform"
)

// PlainHTTP is a plain-HTTP listener of the harness on the app's host
// name (another port: browsers scope cookies by host, not by port), which
// records the cookies every request to it carries and shows them on the
// page, so a screenshot says what arrived.
type PlainHTTP struct {
	URL string // http://app.test:<port>/sessionconf-plain-http

	mu       sync.Mutex
	received []string // Cookie headers, in order
}

// NewPlainHTTP starts a plain-HTTP listener on AppHost for the spec; it is
// closed when the spec ends.
func NewPlainHTTP(t *conform.T) *PlainHTTP {
	p := &PlainHTTP{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/favicon.ico" {
			http.NotFound(w, r)
			return
		}
		p.mu.Lock()
		p.received = append(p.received, r.Header.Get("Cookie"))
		p.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, `<!doctype html><html><head><title>plain HTTP</title></head><body style="font-family:sans-serif">
<h1>sessionconf: a plain-HTTP page on %s</h1>
<p>This request came over plain HTTP (no TLS) to the app's host name. Cookies it carried:</p>
<pre id="cookies" style="font-size:15px">%s</pre></body></html>`, html.EscapeString(r.Host), html.EscapeString(listCookies(r.Header.Get("Cookie"))))
	}))
	t.Defer(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p.URL = "http://" + net.JoinHostPort(AppHost, port) + "/sessionconf-plain-http"
	t.Journal.Event("a plain-HTTP listener of the harness serves %s", p.URL)
	return p
}

// Received returns the Cookie header of every request so far.
func (p *PlainHTTP) Received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.received...)
}

func listCookies(header string) string {
	if strings.TrimSpace(header) == "" {
		return "(none)"
	}
	parts := strings.Split(header, ";")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}

// CrossSite is a page of the harness on a second site (OtherHost) with a
// form that posts to an address of the app: the shape of a cross-site
// request forgery.
type CrossSite struct {
	URL    string // http://other.test:<port>/
	Submit string // the selector of the form's button
	Action string // where the form posts
}

// NewCrossSite serves the cross-site form posting to action for the spec.
func NewCrossSite(t *conform.T, action string) *CrossSite {
	c := &CrossSite{Submit: "#sessionconf-cross-site-submit", Action: action}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>another site</title></head><body style="font-family:sans-serif">
<h1>sessionconf: a page on another site (%s)</h1>
<form method="post" action="%s"><input type="hidden" name="sessionconf" value="cross-site">
<button id="sessionconf-cross-site-submit" type="submit">Post to the app</button></form></body></html>`, html.EscapeString(r.Host), html.EscapeString(action))
	}))
	t.Defer(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	c.URL = "http://" + net.JoinHostPort(OtherHost, port) + "/"
	t.Journal.Event("a page on another site, %s, has a form posting to %s", c.URL, action)
	return c
}
