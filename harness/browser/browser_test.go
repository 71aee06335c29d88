package browser

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/harness/tlscert"
)

// opTimeout bounds every page operation of the tests.
const opTimeout = 30 * time.Second

// launch starts a browser for one test and closes it at the end.
func launch(t *testing.T, opts Options) *Browser {
	t.Helper()
	b, err := Launch(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return b
}

func tab(t *testing.T, c *Context) *Page {
	t.Helper()
	p, err := c.NewPage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func incognito(t *testing.T, b *Browser) *Context {
	t.Helper()
	c, err := b.Incognito(context.Background(), opTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// hostURL is srv's address under a host name the browser maps to
// 127.0.0.1.
func hostURL(srv *httptest.Server, host string) string {
	u := srv.URL
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	scheme := strings.SplitN(u, "://", 2)[0]
	return scheme + "://" + net.JoinHostPort(host, port)
}

// loginApp is a tiny login app: a form, a persistent HttpOnly cookie
// "sid" and a browser-session cookie "visit", a page showing the user.
func loginApp() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "visit", Value: "1", Path: "/"})
		fmt.Fprint(w, `<html><head><title>Log in</title></head><body><form method="post" action="/login">
<input id="email" name="email"><input id="password" name="password" type="password">
<button id="submit">Log in</button></form></body></html>`)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("email") != "alice@example.com" || r.FormValue("password") != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, "<html><body>wrong</body></html>")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "alice-session", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 3600})
		http.Redirect(w, r, "/home", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /home", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err != nil || c.Value != "alice-session" {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		fmt.Fprint(w, `<html><head><title>Home</title></head><body><h1 id="welcome">Welcome, Alice</h1>
<script>console.log("home loaded")</script></body></html>`)
	})
	return mux
}

func TestLoginThroughTheForm(t *testing.T) {
	srv := httptest.NewServer(loginApp())
	defer srv.Close()
	b := launch(t, Options{})
	c := incognito(t, b)
	p := tab(t, c)
	base := hostURL(srv, "app.test")

	must(t, p.Navigate(base+"/login"))
	must(t, p.Input("#email", "alice@example.com"))
	must(t, p.Input("#password", "secret"))
	must(t, p.Submit("#submit"))
	text, err := p.Text()
	must(t, err)
	if !strings.Contains(text, "Welcome, Alice") {
		t.Fatalf("after the login the page shows %q at %s", text, p.URL())
	}
	if got := p.URL(); got != base+"/home" {
		t.Errorf("URL = %q, want %q", got, base+"/home")
	}
	if got := p.Title(); got != "Home" {
		t.Errorf("Title = %q", got)
	}

	jar, err := c.Cookies(context.Background())
	must(t, err)
	var sid bool
	for _, ck := range jar {
		if ck.Name == "sid" {
			sid = true
			if !ck.HTTPOnly || ck.Session || ck.Domain != "app.test" {
				t.Errorf("sid in the jar: %s", FormatCookies(jar))
			}
		}
	}
	if !sid {
		t.Fatalf("no sid cookie in the jar:\n%s", FormatCookies(jar))
	}
	doc, err := p.Eval(`() => document.cookie`)
	must(t, err)
	if doc != "visit=1" {
		t.Errorf("document.cookie = %q, want only the non-HttpOnly visit=1", doc)
	}

	var home *Request
	for _, r := range p.Requests() {
		if r.Method == "GET" && r.URL == base+"/home" {
			home = &r
		}
	}
	if home == nil || !home.Seen || !strings.Contains(home.Cookie, "sid=alice-session") || home.Status != 200 {
		t.Errorf("the request log lacks GET /home with the sid cookie:\n%s", FormatRequests(p.Requests()))
	}
	if !strings.Contains(strings.Join(p.Console(), "\n"), "console.log: home loaded") {
		t.Errorf("console = %q", p.Console())
	}

	shot := filepath.Join(t.TempDir(), "home.png")
	remove, err := p.Banner("a banner")
	must(t, err)
	must(t, p.Screenshot(shot))
	remove()
	if data, err := os.ReadFile(shot); err != nil || len(data) < 1000 || string(data[1:4]) != "PNG" {
		t.Errorf("screenshot: %d bytes, %v", len(data), err)
	}
	if text, _ := p.Text(); strings.Contains(text, "a banner") {
		t.Errorf("the banner was not removed: %q", text)
	}

	must(t, p.Reload())
	must(t, p.Back())
	if text, _ := p.Text(); !strings.Contains(text, "Log in") && !strings.Contains(text, "Welcome") {
		t.Errorf("after Back the page shows %q", text)
	}
}

func TestIncognitoContextsShareNothing(t *testing.T) {
	srv := httptest.NewServer(loginApp())
	defer srv.Close()
	b := launch(t, Options{})
	base := hostURL(srv, "app.test")

	a := tab(t, incognito(t, b))
	must(t, a.Navigate(base+"/login"))
	must(t, a.Input("#email", "alice@example.com"))
	must(t, a.Input("#password", "secret"))
	must(t, a.Submit("#submit"))

	other := incognito(t, b)
	o := tab(t, other)
	must(t, o.Navigate(base+"/home"))
	if got := o.URL(); got != base+"/login" {
		t.Errorf("a second context reached %s: it sees the first context's cookie", got)
	}
	jar, err := other.Cookies(context.Background())
	must(t, err)
	for _, c := range jar {
		if c.Name == "sid" {
			t.Errorf("the second context's jar holds sid:\n%s", FormatCookies(jar))
		}
	}
}

func TestHostNames(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<html><body>host %s</body></html>", r.Host)
	}))
	defer srv.Close()
	b := launch(t, Options{})
	p := tab(t, incognito(t, b))
	for _, host := range DefaultHosts {
		must(t, p.Navigate(hostURL(srv, host)+"/"))
		if text, _ := p.Text(); !strings.Contains(text, "host "+host) {
			t.Errorf("%s: page shows %q", host, text)
		}
	}
	err := p.Navigate("http://sessionconf-unknown.example/")
	var ne *NavigationError
	if !errors.As(err, &ne) || !strings.Contains(ne.Text, "NAME_NOT_RESOLVED") {
		t.Errorf("an unmapped host name: err = %v, want net::ERR_NAME_NOT_RESOLVED (nothing may leave the machine)", err)
	}
}

func TestTrustsTheRunCertificate(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, err := tlscert.Write(dir)
	must(t, err)
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	must(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body>over TLS</body></html>")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	spki, err := tlscert.SPKIHash(certPath)
	must(t, err)

	trusting := launch(t, Options{TrustSPKI: []string{spki}})
	p := tab(t, incognito(t, trusting))
	must(t, p.Navigate(hostURL(srv, "app.test")+"/"))
	if text, _ := p.Text(); text != "over TLS" {
		t.Errorf("page shows %q", text)
	}

	plain := launch(t, Options{})
	q := tab(t, incognito(t, plain))
	err = q.Navigate(hostURL(srv, "app.test") + "/")
	var ne *NavigationError
	if !errors.As(err, &ne) || !strings.Contains(ne.Text, "CERT") {
		t.Errorf("a browser not told to trust the certificate: err = %v, want a net::ERR_CERT_... error", err)
	}
}

func TestRelaunchKeepsPersistentCookiesOnly(t *testing.T) {
	srv := httptest.NewServer(loginApp())
	defer srv.Close()
	base := hostURL(srv, "app.test")
	dir := filepath.Join(t.TempDir(), "profile")
	b, err := Launch(context.Background(), Options{UserDataDir: dir})
	must(t, err)
	p := tab(t, b.Default(opTimeout))
	must(t, p.Navigate(base+"/login")) // the browser-session cookie "visit"
	must(t, p.Input("#email", "alice@example.com"))
	must(t, p.Input("#password", "secret"))
	must(t, p.Submit("#submit")) // the persistent cookie "sid"

	again, err := b.Relaunch(context.Background())
	must(t, err)
	defer again.Close()
	if again.UserDataDir() != b.UserDataDir() || again.PID() == b.PID() {
		t.Errorf("relaunch: dir %s pid %d, before %s pid %d", again.UserDataDir(), again.PID(), b.UserDataDir(), b.PID())
	}
	for _, p := range Live(Processes(dir)) {
		if p.PID == b.PID() {
			t.Errorf("the first browser (pid %d) still runs after Relaunch", b.PID())
		}
	}
	jar, err := again.Default(opTimeout).Cookies(context.Background())
	must(t, err)
	names := map[string]bool{}
	for _, c := range jar {
		names[c.Name] = true
	}
	if !names["sid"] || names["visit"] {
		t.Errorf("after a graceful close and relaunch the jar should hold the persistent sid and not the browser-session visit:\n%s", FormatCookies(jar))
	}
	q := tab(t, again.Default(opTimeout))
	must(t, q.Navigate(base+"/home"))
	if text, _ := q.Text(); !strings.Contains(text, "Welcome, Alice") {
		t.Errorf("after reopening the browser /home shows %q", text)
	}
	must(t, again.Close())
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("Close removed the caller's profile directory: %v", err)
	}
}

func TestCloseLeavesNothing(t *testing.T) {
	b, err := Launch(context.Background(), Options{})
	must(t, err)
	dir := b.UserDataDir()
	p := tab(t, incognito(t, b))
	must(t, p.Navigate("about:blank"))
	if len(Live(Processes(dir))) < 2 {
		t.Fatalf("the browser's processes are not found by their user-data dir: %v", Processes(dir))
	}
	must(t, b.Close())
	must(t, b.Close()) // idempotent
	if !gone(dir, 30*time.Second) {
		t.Errorf("processes left after Close: %v", Live(Processes(dir)))
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the fresh user-data dir %s is still there: %v", dir, err)
	}
}

// gone waits until no live process mentions marker (a browser's helpers
// exit a moment after the main process).
func gone(marker string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		if len(Live(Processes(marker))) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestWaitsAreBounded(t *testing.T) {
	srv := httptest.NewServer(loginApp())
	defer srv.Close()
	b := launch(t, Options{})
	p := tab(t, incognito(t, b))
	must(t, p.Navigate(hostURL(srv, "app.test")+"/login"))
	start := time.Now()
	err := p.WithTimeout(time.Second).Input("#no-such-field", "x")
	if err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("waiting for a missing element: err = %v after %v, want an error after about 1s", err, time.Since(start))
	}
	if ok, err := p.Has("#email"); err != nil || !ok {
		t.Errorf("Has(#email) = %v, %v", ok, err)
	}
	if ok, err := p.Has("#no-such-field"); err != nil || ok {
		t.Errorf("Has(#no-such-field) = %v, %v", ok, err)
	}
}

// TestRetriesAbortedNavigation: a form post that the network aborts is
// sent again by the reload (here the server drops the first post's
// connection, which Chromium reports as ERR_EMPTY_RESPONSE; in the suite
// only ERR_NETWORK_CHANGED is retried).
func TestRetriesAbortedNavigation(t *testing.T) {
	old := retryable
	retryable = append(retryable, "net::ERR_EMPTY_RESPONSE")
	defer func() { retryable = old }()
	var posts atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><form method="post" action="/post"><input name="x" value="42"><button id="go">go</button></form></body></html>`)
	})
	mux.HandleFunc("POST /post", func(w http.ResponseWriter, r *http.Request) {
		if posts.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		fmt.Fprintf(w, "<html><body>posted x=%s</body></html>", r.FormValue("x"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	b := launch(t, Options{})
	p := tab(t, incognito(t, b))
	must(t, p.Navigate(hostURL(srv, "app.test")+"/form"))
	must(t, p.Submit("#go"))
	if text, _ := p.Text(); text != "posted x=42" || posts.Load() != 2 {
		t.Errorf("after a dropped post: page %q, %d posts (want the form sent again)", text, posts.Load())
	}
}

func TestNoBrowser(t *testing.T) {
	oldBin := *flagBin
	defer func() { *flagBin = oldBin }()

	*flagBin = filepath.Join(t.TempDir(), "no-chromium-here")
	_, err := Launch(context.Background(), Options{})
	if !errors.Is(err, ErrNoBrowser) || !strings.Contains(err.Error(), "apt-get install chromium") {
		t.Errorf("a configured binary that does not exist: err = %v", err)
	}

	*flagBin = ""
	oldLook := lookPath
	defer func() { lookPath = oldLook }()
	lookPath = func() (string, bool) { return "", false }
	t.Setenv(EnvDownload, "0")
	_, err = Launch(context.Background(), Options{})
	if !errors.Is(err, ErrNoBrowser) || !strings.Contains(err.Error(), "apt-get install chromium") || !strings.Contains(err.Error(), EnvBin) {
		t.Errorf("no browser on PATH: err = %v, want ErrNoBrowser saying how to install one", err)
	}
}

// TestKilledProcessTakesItsBrowser: SIGKILL of the process that launched
// the browser (no Close, no cleanup) still ends the browser: leakless.
func TestKilledProcessTakesItsBrowser(t *testing.T) {
	if os.Getenv("SESSIONCONF_BROWSER_CHILD") != "" {
		b, err := Launch(context.Background(), Options{})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("dir", b.UserDataDir())
		select {} // until killed
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledProcessTakesItsBrowser$")
	cmd.Env = append(os.Environ(), "SESSIONCONF_BROWSER_CHILD=1")
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	var once sync.Once
	kill := func() { once.Do(func() { cmd.Process.Signal(syscall.SIGKILL); cmd.Wait() }) }
	defer kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	must(t, err)
	dir, ok := strings.CutPrefix(strings.TrimSpace(line), "dir ")
	if !ok {
		t.Fatalf("child: %s", line)
	}
	defer os.RemoveAll(dir)
	if len(Live(Processes(dir))) == 0 {
		t.Fatalf("the child's browser is not running")
	}
	kill()
	if !gone(dir, 30*time.Second) {
		t.Errorf("the browser outlived the process that launched it: %v", Live(Processes(dir)))
	}
}
