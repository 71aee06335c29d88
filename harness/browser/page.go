package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/cdp"
	"github.com/go-rod/rod/lib/proto"
)

// Context is a browser context: its own cookie jar, cache, storage and
// history. An incognito context keeps everything in memory and loses it
// at Close; the default context is the profile on disk.
type Context struct {
	Rod       *rod.Browser
	b         *Browser
	timeout   time.Duration
	incognito bool
}

// Incognito creates a fresh, isolated browser context. Every operation of
// its pages is bounded by timeout.
func (b *Browser) Incognito(ctx context.Context, timeout time.Duration) (*Context, error) {
	res, err := proto.TargetCreateBrowserContext{DisposeOnDetach: true}.Call(b.Rod.Context(ctx))
	if err != nil {
		return nil, fmt.Errorf("create an incognito context: %w", err)
	}
	rb := *b.Rod
	rb.BrowserContextID = res.BrowserContextID
	return &Context{Rod: &rb, b: b, timeout: timeout, incognito: true}, nil
}

// Default is the browser's default context: the profile in the user-data
// directory, which survives Close and Relaunch (persistent cookies do).
func (b *Browser) Default(timeout time.Duration) *Context {
	return &Context{Rod: b.Rod, b: b, timeout: timeout}
}

// Close disposes an incognito context and everything in it; for the
// default context it closes nothing (close the Browser).
func (c *Context) Close() error {
	if !c.incognito {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	return proto.TargetDisposeBrowserContext{BrowserContextID: c.Rod.BrowserContextID}.Call(c.Rod.Context(ctx))
}

// Cookies returns every cookie of the context's jar.
func (c *Context) Cookies(ctx context.Context) ([]*proto.NetworkCookie, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, err := proto.StorageGetCookies{BrowserContextID: c.Rod.BrowserContextID}.Call(c.Rod.Context(ctx))
	if err != nil {
		return nil, err
	}
	return res.Cookies, nil
}

// Page is a tab. It records its console and every request's cookies from
// the moment it opens; every operation is bounded by the context's
// timeout and by the ctx it was opened with.
type Page struct {
	Rod *rod.Page
	// Notify, when set, hears what the page does on its own (a navigation
	// it retried), for a journal.
	Notify func(msg string)

	ctx     context.Context
	stop    context.CancelFunc
	timeout time.Duration
	rec     *recorder
}

// recorder keeps what a page logged and requested.
type recorder struct {
	mu       sync.Mutex
	lastNav  proto.PageNavigationType
	console  []string
	requests map[proto.NetworkRequestID]*request
	order    []proto.NetworkRequestID
}

// request is one request (all its redirect hops share the ID).
type request struct {
	document bool   // a page (main frame or frame) load
	failed   string // net::ERR_... when loading failed
	hops     []hop  // from requestWillBeSent, in order
	extra    []*proto.NetworkRequestWillBeSentExtraInfo
	// blocked are the Set-Cookie lines the browser refused, one list per
	// response (each hop's response has one extra-info report, in order;
	// the reports do not always arrive before the next hop).
	blocked [][]string
}

type hop struct {
	at          time.Time
	method, url string
	status      int    // of the response (0: none seen)
	retryAfter  string // its Retry-After header
}

// Request is what the browser sent in one request.
type Request struct {
	At     time.Time
	Method string
	URL    string
	Status int // of the response; 0 when none came
	// RetryAfter is the response's Retry-After header.
	RetryAfter string
	// Document is a page load (not an image, style, script or fetch).
	Document bool
	// Cookie is the Cookie header as sent; Seen is false when the browser
	// reported no headers for the request (served from cache, or the
	// report was missing).
	Cookie string
	Seen   bool
	// Withheld are the cookies the browser did not send, with why
	// ("session: SameSiteLax").
	Withheld []string
	// RefusedSetCookies are Set-Cookie lines of the response the browser
	// did not store, with why.
	RefusedSetCookies []string
	// Failed is the network error that ended the request (net::ERR_...).
	Failed string
}

// NewPage opens a tab in c. ctx bounds the page's whole life (the spec's
// context): when it ends, every wait of the page ends.
func (c *Context) NewPage(ctx context.Context) (*Page, error) {
	octx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	target, err := proto.TargetCreateTarget{URL: "about:blank", BrowserContextID: c.Rod.BrowserContextID}.Call(c.Rod.Context(octx))
	if err != nil {
		return nil, fmt.Errorf("open a tab: %w", err)
	}
	// The page keeps the context of the browser it comes from for its
	// whole life (its event stream and its calls), so attach on the
	// background context and bound the attach from outside.
	type attached struct {
		p   *rod.Page
		err error
	}
	done := make(chan attached, 1)
	go func() {
		rp, err := c.Rod.PageFromTarget(target.TargetID)
		done <- attached{rp, err}
	}()
	var rp *rod.Page
	select {
	case a := <-done:
		if a.err != nil {
			return nil, fmt.Errorf("attach to the tab: %w", a.err)
		}
		rp = a.p
	case <-octx.Done():
		return nil, fmt.Errorf("attach to the tab: no answer within %v: %w", c.timeout, octx.Err())
	}
	life, stop := context.WithCancel(ctx)
	p := &Page{Rod: rp.Context(life), ctx: life, stop: stop, timeout: c.timeout, rec: &recorder{requests: map[proto.NetworkRequestID]*request{}}}
	for _, enable := range []proto.Request{proto.PageEnable{}, proto.RuntimeEnable{}, proto.LogEnable{}, proto.NetworkEnable{}} {
		if err := p.call(func(rp *rod.Page) error {
			_, err := rp.Call(rp.GetContext(), string(rp.SessionID), enable.ProtoReq(), enable)
			return err
		}); err != nil {
			stop()
			return nil, fmt.Errorf("enable %s: %w", enable.ProtoReq(), err)
		}
	}
	go p.Rod.EachEvent(
		func(e *proto.RuntimeConsoleAPICalled) {
			var args []string
			for _, a := range e.Args {
				args = append(args, remoteString(a))
			}
			p.log("console.%s: %s", e.Type, strings.Join(args, " "))
		},
		func(e *proto.RuntimeExceptionThrown) {
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			p.log("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, msg)
		},
		func(e *proto.LogEntryAdded) {
			p.log("%s %s: %s %s", e.Entry.Source, e.Entry.Level, e.Entry.Text, e.Entry.URL)
		},
		func(e *proto.NetworkRequestWillBeSent) {
			p.rec.mu.Lock()
			defer p.rec.mu.Unlock()
			r := p.rec.request(e.RequestID)
			if e.RedirectResponse != nil && len(r.hops) > 0 {
				r.hops[len(r.hops)-1].status = e.RedirectResponse.Status
			}
			r.hops = append(r.hops, hop{at: time.Now(), method: e.Request.Method, url: e.Request.URL})
			r.document = e.Type == proto.NetworkResourceTypeDocument
		},
		func(e *proto.NetworkLoadingFailed) {
			p.rec.mu.Lock()
			defer p.rec.mu.Unlock()
			p.rec.request(e.RequestID).failed = e.ErrorText
		},
		func(e *proto.NetworkResponseReceived) {
			p.rec.mu.Lock()
			defer p.rec.mu.Unlock()
			r := p.rec.request(e.RequestID)
			if len(r.hops) > 0 && e.Response != nil {
				h := &r.hops[len(r.hops)-1]
				h.status = e.Response.Status
				for k, v := range e.Response.Headers {
					if strings.EqualFold(k, "Retry-After") {
						h.retryAfter = v.Str()
					}
				}
			}
		},
		func(e *proto.NetworkRequestWillBeSentExtraInfo) {
			p.rec.mu.Lock()
			defer p.rec.mu.Unlock()
			r := p.rec.request(e.RequestID)
			r.extra = append(r.extra, e)
		},
		func(e *proto.NetworkResponseReceivedExtraInfo) {
			p.rec.mu.Lock()
			defer p.rec.mu.Unlock()
			r := p.rec.request(e.RequestID)
			var refused []string
			for _, bc := range e.BlockedCookies {
				var why []string
				for _, reason := range bc.BlockedReasons {
					why = append(why, string(reason))
				}
				refused = append(refused, fmt.Sprintf("%s (%s)", bc.CookieLine, strings.Join(why, ", ")))
			}
			r.blocked = append(r.blocked, refused)
		},
	)()
	return p, nil
}

func (r *recorder) request(id proto.NetworkRequestID) *request {
	req, ok := r.requests[id]
	if !ok {
		req = &request{}
		r.requests[id] = req
		r.order = append(r.order, id)
	}
	return req
}

func (p *Page) log(format string, args ...any) {
	p.rec.mu.Lock()
	defer p.rec.mu.Unlock()
	p.rec.console = append(p.rec.console, time.Now().Format("15:04:05.000")+" "+fmt.Sprintf(format, args...))
}

// WithContext returns the same tab with its operations bounded by ctx
// instead of the context it was opened with (evidence taken after the
// spec's context ended, say).
func (p *Page) WithContext(ctx context.Context) *Page {
	q := *p
	q.ctx = ctx
	q.Rod = p.Rod.Context(ctx)
	return &q
}

func remoteString(o *proto.RuntimeRemoteObject) string {
	if o == nil {
		return ""
	}
	if s := o.Value.Str(); o.Type == proto.RuntimeRemoteObjectTypeString {
		return s
	}
	if o.Description != "" {
		return o.Description
	}
	return o.Value.JSON("", "")
}

// WithTimeout returns the same tab with every operation bounded by d.
func (p *Page) WithTimeout(d time.Duration) *Page {
	q := *p
	q.timeout = d
	return &q
}

// Console returns the console messages, uncaught exceptions and browser
// log entries of the page so far.
func (p *Page) Console() []string {
	p.rec.mu.Lock()
	defer p.rec.mu.Unlock()
	return append([]string(nil), p.rec.console...)
}

// Requests returns every request the page made so far, in order, with
// the cookies the browser sent and withheld.
func (p *Page) Requests() []Request {
	p.rec.mu.Lock()
	defer p.rec.mu.Unlock()
	var out []Request
	for _, id := range p.rec.order {
		r := p.rec.requests[id]
		for i, h := range r.hops {
			req := Request{At: h.at, Method: h.method, URL: h.url, Status: h.status, RetryAfter: h.retryAfter, Document: r.document}
			if i < len(r.extra) {
				e := r.extra[i]
				req.Seen = true
				for k, v := range e.Headers {
					if strings.EqualFold(k, "cookie") {
						req.Cookie = v.Str()
					}
				}
				for _, ac := range e.AssociatedCookies {
					if len(ac.BlockedReasons) == 0 || ac.Cookie == nil {
						continue
					}
					var why []string
					for _, reason := range ac.BlockedReasons {
						why = append(why, string(reason))
					}
					req.Withheld = append(req.Withheld, ac.Cookie.Name+": "+strings.Join(why, ", "))
				}
			}
			if i < len(r.blocked) {
				req.RefusedSetCookies = r.blocked[i]
			}
			if i == len(r.hops)-1 {
				req.Failed = r.failed
			}
			out = append(out, req)
		}
	}
	return out
}

// Close closes the tab and ends its event loop.
func (p *Page) Close() error {
	defer p.stop()
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	return p.Rod.Context(ctx).Close()
}

// call runs fn on the page bounded by the page's timeout.
func (p *Page) call(fn func(*rod.Page) error) error {
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	err := fn(p.Rod.Context(ctx))
	if err != nil && ctx.Err() != nil && p.ctx.Err() == nil {
		return fmt.Errorf("%w (no answer within %v)", err, p.timeout)
	}
	return err
}

// NavigationError is a navigation the browser could not complete (the
// server refused the connection, a certificate was not trusted, ...).
type NavigationError struct {
	URL  string
	Text string // Chromium's net::ERR_... code
}

func (e *NavigationError) Error() string { return fmt.Sprintf("%s: %s", e.URL, e.Text) }

// networkChangeRetries bounds how often a navigation that Chromium
// aborted because the machine's network changed is retried.
const networkChangeRetries = 3

// retryable are the navigation errors worth a reload: Chromium's error
// for requests in flight when an interface or address of the machine
// changed (containers and network namespaces coming and going on a shared
// machine do that). The target has nothing to do with them.
var retryable = []string{"net::ERR_NETWORK_CHANGED"}

// navigate runs action, which makes the main frame navigate, and waits
// until the new document has loaded. A navigation Chromium aborted
// because the machine's network changed is reloaded (a person presses
// reload; a form post is sent again), at most networkChangeRetries times.
func (p *Page) navigate(what string, action func(*rod.Page) error) error {
	return p.navigateRetry(what, action, func(rp *rod.Page) error {
		return whenAttached(rp, func() error { return proto.PageReload{}.Call(rp) })
	})
}

// navigateRetry is navigate with the action a retry takes (a reload
// re-sends a form post, but reloads the old page if the failed load never
// committed its error page: a plain navigation retries by navigating).
func (p *Page) navigateRetry(what string, action, again func(*rod.Page) error) error {
	err := p.navigateOnce(what, action)
	for i := 0; i < networkChangeRetries && isRetryable(err); i++ {
		p.log("harness: %v; reloading (retry %d)", err, i+1)
		if p.Notify != nil {
			p.Notify(fmt.Sprintf("%v: the browser reloads the page (retry %d of %d)", err, i+1, networkChangeRetries))
		}
		err = p.navigateOnce(what+" (again)", again)
	}
	return err
}

// whenAttached runs a navigation command, again while Chromium says the
// tab is "not attached to an active page": it says so for a moment while
// it swaps the document, e.g. to show the error page of a failed load.
func whenAttached(rp *rod.Page, call func() error) error {
	for {
		err := call()
		if !errors.Is(err, cdp.ErrNotAttachedToActivePage) {
			return err
		}
		select {
		case <-rp.GetContext().Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func isRetryable(err error) bool {
	var ne *NavigationError
	if !errors.As(err, &ne) {
		return false
	}
	for _, r := range retryable {
		if strings.Contains(ne.Text, r) {
			return true
		}
	}
	return false
}

func (p *Page) navigateOnce(what string, action func(*rod.Page) error) error {
	return p.call(func(rp *rod.Page) error {
		var nav proto.PageFrameNavigated
		wait := rp.EachEvent(func(e *proto.PageFrameNavigated) bool {
			if e.Frame.ParentID == "" {
				nav = *e
				return true
			}
			return false
		})
		if err := action(rp); err != nil {
			var ne *rod.NavigationError
			if errors.As(err, &ne) {
				return &NavigationError{URL: what, Text: ne.Reason}
			}
			return err
		}
		wait()
		if err := rp.GetContext().Err(); err != nil {
			return fmt.Errorf("%s: the page did not navigate: %w", what, err)
		}
		p.rec.mu.Lock()
		p.rec.lastNav = nav.Type
		p.rec.mu.Unlock()
		if nav.Frame != nil && nav.Frame.UnreachableURL != "" {
			return &NavigationError{URL: nav.Frame.UnreachableURL, Text: p.lastDocumentFailure()}
		}
		return rp.WaitLoad()
	})
}

// lastDocumentFailure is the error of the latest page load that failed.
func (p *Page) lastDocumentFailure() string {
	p.rec.mu.Lock()
	defer p.rec.mu.Unlock()
	for i := len(p.rec.order) - 1; i >= 0; i-- {
		if r := p.rec.requests[p.rec.order[i]]; r.document && r.failed != "" {
			return r.failed
		}
	}
	return "the page could not be reached"
}

// RestoredFromCache reports whether the last navigation restored the
// page from the back/forward cache (no request was made).
func (p *Page) RestoredFromCache() bool {
	p.rec.mu.Lock()
	defer p.rec.mu.Unlock()
	return p.rec.lastNav == proto.PageNavigationTypeBackForwardCacheRestore
}

// Navigate loads url and waits for its load event.
func (p *Page) Navigate(url string) error {
	open := func(rp *rod.Page) error {
		return whenAttached(rp, func() error { return rp.Navigate(url) })
	}
	return p.navigateRetry(url, open, open)
}

// Reload reloads the page (as the reload button does) and waits for the
// new document.
func (p *Page) Reload() error {
	return p.navigate("reload", func(rp *rod.Page) error {
		_, err := rp.Evaluate(rod.Eval(`() => location.reload()`).ByUser())
		return err
	})
}

// Back goes one entry back in the history (the Back button) and waits for
// the document, whether fetched again or restored from a cache.
func (p *Page) Back() error {
	return p.navigate("back", func(rp *rod.Page) error {
		hist, err := rp.GetNavigationHistory()
		if err != nil {
			return err
		}
		if hist.CurrentIndex < 1 {
			return errors.New("there is no earlier page in the history")
		}
		return proto.PageNavigateToHistoryEntry{EntryID: hist.Entries[hist.CurrentIndex-1].ID}.Call(rp)
	})
}

// Input types text into the element selector finds (waiting for it).
func (p *Page) Input(selector, text string) error {
	return p.call(func(rp *rod.Page) error {
		el, err := rp.Element(selector)
		if err != nil {
			return fmt.Errorf("no element %s: %w", selector, err)
		}
		if err := el.SelectAllText(); err != nil {
			return err
		}
		return el.Input(text)
	})
}

// Submit clicks the element selector finds, as a person does, and waits
// for the navigation the click causes (a form post and its redirects).
func (p *Page) Submit(selector string) error {
	return p.navigate("submit "+selector, func(rp *rod.Page) error {
		el, err := rp.Element(selector)
		if err != nil {
			return fmt.Errorf("no element %s: %w", selector, err)
		}
		return el.Click(proto.InputMouseButtonLeft, 1)
	})
}

// SubmitFunc runs js in the page (a function expression) that navigates,
// for flows without a button to click, and waits for the navigation.
func (p *Page) SubmitFunc(what, js string, args ...any) error {
	return p.navigate(what, func(rp *rod.Page) error {
		_, err := rp.Evaluate(rod.Eval(js, args...).ByUser())
		return err
	})
}

// Has reports whether the current document has an element matching
// selector, without waiting for one to appear.
func (p *Page) Has(selector string) (bool, error) {
	var ok bool
	err := p.call(func(rp *rod.Page) error {
		var err error
		ok, _, err = rp.Has(selector)
		return err
	})
	return ok, err
}

// Eval runs a JavaScript function expression and returns its result as a
// string (JSON for non-strings).
func (p *Page) Eval(js string, args ...any) (string, error) {
	var s string
	err := p.call(func(rp *rod.Page) error {
		res, err := rp.Eval(js, args...)
		if err != nil {
			return err
		}
		s = remoteString(res)
		return nil
	})
	return s, err
}

// Text is the visible text of the document's body.
func (p *Page) Text() (string, error) {
	return p.Eval(`() => document.body ? document.body.innerText : ""`)
}

// URL is the address of the current document ("" if the browser does not
// answer).
func (p *Page) URL() string {
	info, _ := p.info()
	return info.URL
}

// Title is the current document's title.
func (p *Page) Title() string {
	info, _ := p.info()
	return info.Title
}

func (p *Page) info() (proto.TargetTargetInfo, error) {
	var info proto.TargetTargetInfo
	err := p.call(func(rp *rod.Page) error {
		res, err := proto.TargetGetTargetInfo{TargetID: rp.TargetID}.Call(rp)
		if err == nil && res.TargetInfo != nil {
			info = *res.TargetInfo
		}
		return err
	})
	return info, err
}

// Screenshot writes a PNG of the viewport to path.
func (p *Page) Screenshot(path string) error {
	return p.call(func(rp *rod.Page) error {
		png, err := rp.Screenshot(false, &proto.PageCaptureScreenshot{Format: proto.PageCaptureScreenshotFormatPng})
		if err != nil {
			return err
		}
		return os.WriteFile(path, png, 0o644)
	})
}

// Banner shows text in a box fixed at the bottom of the page, for a
// screenshot that says what was checked; it returns a function that
// removes it again.
func (p *Page) Banner(text string) (remove func(), err error) {
	_, err = p.Eval(`(text) => {
		const d = document.createElement("div");
		d.id = "sessionconf-banner";
		d.textContent = text;
		d.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:2147483647;margin:0;padding:8px 12px;" +
			"background:#fff3cd;color:#5a1a00;border-top:3px solid #c00;font:13px/1.35 monospace;white-space:pre-wrap;" +
			"max-height:45vh;overflow:hidden";
		(document.body || document.documentElement).appendChild(d);
		return "ok";
	}`, text)
	return func() {
		p.Eval(`() => { const d = document.getElementById("sessionconf-banner"); if (d) d.remove(); return "ok"; }`)
	}, err
}

// FormatCookies renders a jar one cookie a line, sorted by domain and
// name, with every attribute a browser keeps.
func FormatCookies(cookies []*proto.NetworkCookie) string {
	sorted := append([]*proto.NetworkCookie(nil), cookies...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Domain != sorted[j].Domain {
			return sorted[i].Domain < sorted[j].Domain
		}
		return sorted[i].Name < sorted[j].Name
	})
	var b strings.Builder
	if len(sorted) == 0 {
		b.WriteString("(the jar is empty)\n")
	}
	for _, c := range sorted {
		expires := "session (until the browser closes)"
		if !c.Session {
			expires = "expires " + c.Expires.Time().UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(&b, "%s=%s; Domain=%s; Path=%s; %s", c.Name, c.Value, c.Domain, c.Path, expires)
		if c.HTTPOnly {
			b.WriteString("; HttpOnly")
		}
		if c.Secure {
			b.WriteString("; Secure")
		}
		if c.SameSite != "" {
			b.WriteString("; SameSite=" + string(c.SameSite))
		} else {
			b.WriteString("; SameSite not set")
		}
		if c.SourceScheme != "" {
			fmt.Fprintf(&b, "; set over %s", c.SourceScheme)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// FormatRequests renders requests one a line with the cookies sent.
func FormatRequests(reqs []Request) string {
	var b strings.Builder
	for _, r := range reqs {
		status := "(no response)"
		if r.Status > 0 {
			status = fmt.Sprintf("-> %d", r.Status)
		}
		fmt.Fprintf(&b, "%s %s %s %s\n", r.At.Format("15:04:05.000"), r.Method, r.URL, status)
		switch {
		case !r.Seen:
			b.WriteString("    (no request headers reported: served from a cache, or not sent)\n")
		case r.Cookie == "":
			b.WriteString("    Cookie: (none)\n")
		default:
			fmt.Fprintf(&b, "    Cookie: %s\n", r.Cookie)
		}
		for _, w := range r.Withheld {
			fmt.Fprintf(&b, "    withheld %s\n", w)
		}
		for _, s := range r.RefusedSetCookies {
			fmt.Fprintf(&b, "    refused Set-Cookie %s\n", s)
		}
		if r.Failed != "" {
			fmt.Fprintf(&b, "    failed: %s\n", r.Failed)
		}
	}
	return b.String()
}
