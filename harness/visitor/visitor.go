// Package visitor is the suites' HTTP client: one Visitor per simulated user,
// with its own cookie jar that behaves like a browser's on deletion but never
// expires cookies by itself (so a spec can replay a cookie past its Expires,
// as an attacker would). Every exchange goes into the spec's journal.
package visitor

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sessionconf/sessionconf/harness/evidence"
)

// maxBody is how much of a response body is kept.
const maxBody = 1 << 20

// Visitor is a simulated user agent.
type Visitor struct {
	Name    string
	base    *url.URL
	client  *http.Client
	journal *evidence.Journal
	timeout time.Duration

	mu  sync.Mutex
	jar map[string]*http.Cookie
}

// New returns a visitor of base (http:// or https://; certificates are not
// verified: the harness tests cookies, not PKI).
func New(name, base string, journal *evidence.Journal, timeout time.Duration) *Visitor {
	u, err := url.Parse(base)
	if err != nil {
		panic(fmt.Sprintf("visitor: bad base URL %q: %v", base, err))
	}
	return &Visitor{
		Name: name, base: u, journal: journal, timeout: timeout,
		jar: map[string]*http.Cookie{},
		client: &http.Client{
			// Each request is bounded by its context (send), so a login may
			// be given longer than a page.
			Transport: &http.Transport{
				TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
				MaxIdleConnsPerHost: 64,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Rebase points the visitor at another base URL, keeping its jar: the same
// browser talking to instance B, or to the plain-HTTP port.
func (v *Visitor) Rebase(name, base string) *Visitor {
	c := New(name, base, v.journal, v.timeout)
	c.SetJar(v.Jar())
	return c
}

// URL is the absolute URL of path at the visitor's base.
func (v *Visitor) URL(path string) string {
	return v.base.ResolveReference(&url.URL{Path: pathOnly(path), RawQuery: queryOnly(path)}).String()
}

// Origin is the scheme and host of the visitor's base, as a browser's
// Origin header names it.
func (v *Visitor) Origin() string { return v.base.Scheme + "://" + v.base.Host }

// Response is what came back.
type Response struct {
	Method, Path string
	Status       int
	Header       http.Header
	Body         string
	// SetCookies are the Set-Cookie header lines, raw and parsed.
	RawSetCookies []string
	SetCookies    []*http.Cookie
	Elapsed       time.Duration
}

// SetCookieFor returns the Set-Cookie lines of cookie name.
func (r *Response) SetCookieFor(name string) (raw []string, parsed []*http.Cookie) {
	for i, c := range r.SetCookies {
		if c.Name == name {
			raw = append(raw, r.RawSetCookies[i])
			parsed = append(parsed, c)
		}
	}
	return raw, parsed
}

// Location returns the redirect target, "" if none.
func (r *Response) Location() string { return r.Header.Get("Location") }

// Option changes one request.
type Option func(*sendOptions)

type sendOptions struct {
	edits   []func(*http.Request)
	timeout time.Duration
}

func edit(f func(*http.Request)) Option {
	return func(o *sendOptions) { o.edits = append(o.edits, f) }
}

// WithCookieHeader sends exactly this Cookie header instead of the jar.
func WithCookieHeader(h string) Option {
	return edit(func(r *http.Request) {
		r.Header.Del("Cookie")
		if h != "" {
			r.Header.Set("Cookie", h)
		}
	})
}

// WithoutCookies sends no Cookie header.
func WithoutCookies() Option { return WithCookieHeader("") }

// WithHeader adds a request header.
func WithHeader(k, v string) Option { return edit(func(r *http.Request) { r.Header.Set(k, v) }) }

// WithTimeout bounds this request by d instead of the visitor's timeout:
// a login that spends a second hashing a password needs more than a page.
func WithTimeout(d time.Duration) Option { return func(o *sendOptions) { o.timeout = d } }

// Get requests path.
func (v *Visitor) Get(ctx context.Context, path string, opts ...Option) (*Response, error) {
	return v.Do(ctx, http.MethodGet, path, nil, opts...)
}

// PostForm posts form to path.
func (v *Visitor) PostForm(ctx context.Context, path string, form url.Values, opts ...Option) (*Response, error) {
	return v.Do(ctx, http.MethodPost, path, form, opts...)
}

// Do sends one request (form, if not nil, as its url-encoded body) and
// applies the Set-Cookies of its response to the jar.
func (v *Visitor) Do(ctx context.Context, method, path string, form url.Values, opts ...Option) (*Response, error) {
	if form == nil {
		return v.send(ctx, method, path, "", nil, opts)
	}
	return v.send(ctx, method, path, "application/x-www-form-urlencoded", []byte(form.Encode()), opts)
}

// DoJSON sends value as a JSON body.
func (v *Visitor) DoJSON(ctx context.Context, method, path string, value any, opts ...Option) (*Response, error) {
	body, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	return v.send(ctx, method, path, "application/json", body, append([]Option{WithHeader("Accept", "application/json")}, opts...))
}

func (v *Visitor) send(ctx context.Context, method, path, contentType string, body []byte, opts []Option) (*Response, error) {
	o := sendOptions{timeout: v.timeout}
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	u := v.base.ResolveReference(&url.URL{Path: pathOnly(path), RawQuery: queryOnly(path)})
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if h := v.cookieHeader(); h != "" {
		req.Header.Set("Cookie", h)
	}
	for _, e := range o.edits {
		e(req)
	}
	start := time.Now()
	resp, err := v.client.Do(req)
	if err != nil {
		v.journal.Exchange(fmt.Sprintf("%s -> %s %s%s\n           %s <- error after %v: %v", v.Name, method, path, cookieNote(req.Header.Get("Cookie")), v.Name, time.Since(start).Round(time.Millisecond), err))
		return nil, &NoAnswer{Method: method, Path: path, After: time.Since(start), Limit: o.timeout, Err: err}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	r := &Response{
		Method: method, Path: path, Status: resp.StatusCode, Header: resp.Header,
		Body: string(data), RawSetCookies: resp.Header.Values("Set-Cookie"),
		SetCookies: resp.Cookies(), Elapsed: time.Since(start),
	}
	// resp.Cookies() drops lines it cannot parse; keep raw and parsed aligned.
	if len(r.SetCookies) != len(r.RawSetCookies) {
		r.SetCookies = parseEach(r.RawSetCookies)
	}
	v.apply(r.SetCookies)
	v.journal.Exchange(formatExchange(v.Name, req, r))
	return r, nil
}

// NoAnswer is a request that got no HTTP answer: the connection was
// refused or reset, or the answer did not come within the limit.
type NoAnswer struct {
	Method, Path string
	After, Limit time.Duration
	Err          error
}

func (e *NoAnswer) Error() string {
	if e.TimedOut() {
		return fmt.Sprintf("%s %s: no answer within %v", e.Method, e.Path, e.Limit)
	}
	return fmt.Sprintf("%s %s: no answer (%v)", e.Method, e.Path, e.Err)
}

func (e *NoAnswer) Unwrap() error { return e.Err }

// TimedOut reports whether the limit ran out (rather than the connection
// failing).
func (e *NoAnswer) TimedOut() bool {
	return errors.Is(e.Err, context.DeadlineExceeded) || os.IsTimeout(e.Err)
}

// Raw sends raw request bytes over a fresh TCP connection: for cookie
// values Go's client refuses to send (NUL, CR/LF, invalid UTF-8). Only for
// plain-HTTP targets.
func (v *Visitor) Raw(ctx context.Context, request []byte) (*Response, error) {
	d := net.Dialer{Timeout: v.timeout}
	conn, err := d.DialContext(ctx, "tcp", v.base.Host)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(v.timeout))
	start := time.Now()
	if _, err := conn.Write(request); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	firstLine, _, _ := bytes.Cut(request, []byte("\r\n"))
	if err != nil {
		v.journal.Exchange(fmt.Sprintf("%s -> raw %q\n           %s <- error: %v", v.Name, firstLine, v.Name, err))
		return nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	r := &Response{
		Method: "RAW", Path: string(firstLine), Status: resp.StatusCode, Header: resp.Header,
		Body: string(data), RawSetCookies: resp.Header.Values("Set-Cookie"), Elapsed: time.Since(start),
	}
	r.SetCookies = parseEach(r.RawSetCookies)
	v.journal.Exchange(fmt.Sprintf("%s -> raw request %q (%d bytes)\n           %s <- %d %s in %v%s", v.Name, truncate(string(firstLine), 60), len(request), v.Name, r.Status, http.StatusText(r.Status), r.Elapsed.Round(time.Millisecond), setCookieNotes(r.RawSetCookies)))
	return r, nil
}

// Cookie returns the jar's value for name.
func (v *Visitor) Cookie(name string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.jar[name]
	if !ok {
		return "", false
	}
	return c.Value, true
}

// SetCookie puts name=value in the jar (replaying or forging a cookie).
func (v *Visitor) SetCookie(name, value string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.jar[name] = &http.Cookie{Name: name, Value: value}
}

// DeleteCookie removes name from the jar.
func (v *Visitor) DeleteCookie(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.jar, name)
}

// Jar returns a copy of the jar.
func (v *Visitor) Jar() map[string]string {
	v.mu.Lock()
	defer v.mu.Unlock()
	m := make(map[string]string, len(v.jar))
	for k, c := range v.jar {
		m[k] = c.Value
	}
	return m
}

// SetJar replaces the jar.
func (v *Visitor) SetJar(m map[string]string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.jar = make(map[string]*http.Cookie, len(m))
	for k, val := range m {
		v.jar[k] = &http.Cookie{Name: k, Value: val}
	}
}

func (v *Visitor) cookieHeader() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	names := make([]string, 0, len(v.jar))
	for n := range v.jar {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + v.jar[n].Value
	}
	return strings.Join(parts, "; ")
}

// apply updates the jar like a browser would for deletions (empty value,
// Max-Age<=0 or an Expires in the past), and never expires anything else.
func (v *Visitor) apply(cookies []*http.Cookie) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, c := range cookies {
		if c == nil {
			continue
		}
		if IsDeletion(c) {
			delete(v.jar, c.Name)
			continue
		}
		v.jar[c.Name] = c
	}
}

// IsDeletion reports whether a Set-Cookie asks the browser to drop the
// cookie. Max-Age, when present, wins over Expires (RFC 6265 5.3): a
// cookie with Max-Age=2 whose Expires, rounded down to the second, has
// just passed because the response was slow is not a deletion.
func IsDeletion(c *http.Cookie) bool {
	if c.MaxAge != 0 {
		return c.MaxAge < 0
	}
	return !c.Expires.IsZero() && c.Expires.Before(time.Now())
}

func parseEach(lines []string) []*http.Cookie {
	out := make([]*http.Cookie, len(lines))
	for i, l := range lines {
		if c, err := http.ParseSetCookie(l); err == nil {
			out[i] = c
		} else {
			out[i] = &http.Cookie{Name: "(unparseable)", Raw: l}
		}
	}
	return out
}

func formatExchange(name string, req *http.Request, r *Response) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s -> %s %s%s\n", name, req.Method, req.URL.RequestURI(), cookieNote(req.Header.Get("Cookie")))
	fmt.Fprintf(&b, "           %s <- %d %s in %v", name, r.Status, http.StatusText(r.Status), r.Elapsed.Round(time.Millisecond))
	if loc := r.Location(); loc != "" {
		fmt.Fprintf(&b, "  Location: %s", loc)
	}
	b.WriteString(setCookieNotes(r.RawSetCookies))
	return b.String()
}

func cookieNote(h string) string {
	if h == "" {
		return "  (no cookies)"
	}
	return "  Cookie: " + truncate(h, 160)
}

func setCookieNotes(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "\n             Set-Cookie: %s", truncate(l, 240))
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("...(%d bytes)", len(s))
}

func pathOnly(p string) string {
	path, _, _ := strings.Cut(p, "?")
	return path
}

func queryOnly(p string) string {
	_, q, _ := strings.Cut(p, "?")
	return q
}
