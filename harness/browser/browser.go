// Package browser launches and drives a real headless Chromium with go-rod
// for the browser suite: Debian's chromium found on PATH (or a configured
// binary), headless, without the sandbox when running as root, on a fresh
// user-data directory, with leakless guarding the process tree so that no
// Chromium outlives the test process, and with host names such as
// app.test mapped to 127.0.0.1 so cookies are scoped to real host names.
//
// Everything that waits is bounded: the launch, every CDP call made
// through a Page, every element lookup and navigation.
package browser

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/launcher"
	"github.com/go-rod/rod/lib/launcher/flags"
	"github.com/go-rod/rod/lib/proto"
)

// EnvBin names the environment variable that points at the browser binary.
const EnvBin = "SESSIONCONF_CHROMIUM"

// EnvDownload set to 0 or false forbids rod's own browser download when no
// binary is found (it is only tried when the machine has a network).
const EnvDownload = "SESSIONCONF_CHROMIUM_DOWNLOAD"

var flagBin = flag.String("sessionconf.chromium", os.Getenv(EnvBin), "Chrome or Chromium binary of the browser suite (env "+EnvBin+"; default: chromium on PATH)")

// DefaultHosts are the host names every browser resolves to 127.0.0.1: the
// app's and a second, cross-site origin's.
var DefaultHosts = []string{"app.test", "other.test"}

// InstallHint says how to get a browser on the machines this project runs on.
const InstallHint = "install Debian's chromium (`apt-get install chromium`, or `.ci/deps browser`), or point " + EnvBin + " (or -sessionconf.chromium) at a Chrome or Chromium binary"

// ErrNoBrowser is returned (wrapped) when no browser binary can be found.
var ErrNoBrowser = errors.New("no Chrome or Chromium browser found")

// Options configure a launch. The zero value is a fresh headless browser.
type Options struct {
	// Bin is the browser binary; empty: FindBin.
	Bin string
	// UserDataDir is the profile directory. Empty: a fresh temporary
	// directory that Close removes. A given directory is kept, so a
	// second Launch on it is the same browser reopened.
	UserDataDir string
	// Hosts are resolved to 127.0.0.1 inside the browser (default
	// DefaultHosts); every other name fails to resolve, so nothing leaves
	// the machine.
	Hosts []string
	// Reachable are host names resolved normally (a remote target's);
	// every other name but Hosts and localhost fails to resolve.
	Reachable []string
	// TrustSPKI are base64 SHA-256 hashes of public keys whose
	// certificates the browser accepts (tlscert.SPKIHash).
	TrustSPKI []string
	// LaunchTimeout bounds the start until the DevTools endpoint answers
	// (default 30s).
	LaunchTimeout time.Duration
	// CloseTimeout bounds a graceful close, after which the browser is
	// killed (default 30s; a loaded machine can take many seconds).
	CloseTimeout time.Duration
	// Log receives the browser's stdout and stderr (default: discarded).
	Log io.Writer
}

// Browser is a running Chromium.
type Browser struct {
	Rod *rod.Browser // connected on the background context (see Connect)

	opts    Options
	l       *launcher.Launcher
	bin     string
	dir     string
	ownDir  bool
	pid     int
	closeMu sync.Mutex
	closed  bool
	exited  chan struct{}
}

// lookPath is rod's search: PATH, then the usual install locations.
var lookPath = launcher.LookPath

// FindBin returns the browser binary to use: -sessionconf.chromium or
// $SESSIONCONF_CHROMIUM when set, else the first of rod's usual names on
// PATH (chromium on Debian). The error wraps ErrNoBrowser and says how to
// install one.
func FindBin() (string, error) {
	if p := *flagBin; p != "" {
		abs, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%w: %s=%s is not an executable (%v); %s", ErrNoBrowser, EnvBin, p, err, InstallHint)
		}
		return abs, nil
	}
	if p, ok := lookPath(); ok {
		return p, nil
	}
	return "", fmt.Errorf("%w on PATH; %s", ErrNoBrowser, InstallHint)
}

// resolveBin is FindBin, then rod's download where a network allows it.
func resolveBin(ctx context.Context, log io.Writer) (string, error) {
	bin, err := FindBin()
	if err == nil || *flagBin != "" {
		return bin, err
	}
	switch strings.ToLower(os.Getenv(EnvDownload)) {
	case "0", "false", "no", "off":
		return "", err
	}
	// rod's download races its hosts and fails at once offline; on a
	// machine with a network it fetches a pinned Chromium into ~/.cache.
	dl := launcher.NewBrowser()
	dl.Context = ctx
	dl.Logger = discardLogger{}
	path, derr := dl.Get()
	if derr != nil {
		return "", fmt.Errorf("%w; rod's download (tried because no browser was found) failed too: %v", err, firstLine(derr.Error()))
	}
	fmt.Fprintf(log, "browser: no local browser; using rod's download %s\n", path)
	return path, nil
}

type discardLogger struct{}

func (discardLogger) Println(...interface{}) {}

// Launch starts a browser and connects to it.
func Launch(ctx context.Context, opts Options) (*Browser, error) {
	if opts.LaunchTimeout <= 0 {
		opts.LaunchTimeout = 30 * time.Second
	}
	if opts.CloseTimeout <= 0 {
		opts.CloseTimeout = 30 * time.Second
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Hosts == nil {
		opts.Hosts = DefaultHosts
	}
	ctx, cancel := context.WithTimeout(ctx, opts.LaunchTimeout)
	defer cancel()

	bin := opts.Bin
	if bin == "" {
		var err error
		if bin, err = resolveBin(ctx, opts.Log); err != nil {
			return nil, err
		}
	}
	b := &Browser{opts: opts, bin: bin, dir: opts.UserDataDir, exited: make(chan struct{})}
	if b.dir == "" {
		dir, err := os.MkdirTemp("", "sessionconf-chromium-*")
		if err != nil {
			return nil, err
		}
		b.dir, b.ownDir = dir, true
	} else if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(b.dir)
	if err != nil {
		return nil, err
	}
	b.dir = abs

	b.l = launcher.New().
		Context(ctx).
		Bin(bin).
		Headless(true).
		Leakless(true). // SIGKILL of this process takes the browser tree with it
		UserDataDir(b.dir).
		Logger(opts.Log).
		Set("disable-gpu").
		Set("disable-component-update").
		Set("no-default-browser-check").
		Set("password-store", "basic").
		// The features of a release, not the field trials a non-Chrome
		// build turns on for testing.
		Set("disable-field-trial-config").
		Set("disable-features", disabledFeatures...).
		Set("host-resolver-rules", hostRules(opts.Hosts, opts.Reachable))
	if os.Geteuid() == 0 {
		b.l.NoSandbox(true) // Chromium refuses to run as root with its sandbox
	}
	if len(opts.TrustSPKI) > 0 {
		b.l.Set("ignore-certificate-errors-spki-list", opts.TrustSPKI...)
	}

	type launched struct {
		url string
		err error
	}
	done := make(chan launched, 1)
	go func() {
		u, err := b.l.Launch()
		done <- launched{u, err}
	}()
	var u string
	select {
	case r := <-done:
		if r.err != nil {
			b.removeDir()
			return nil, fmt.Errorf("launch %s: %w", bin, cleanLaunchError(r.err))
		}
		u = r.url
	case <-ctx.Done():
		// The launch may still finish: make sure it does not leave a
		// browser behind.
		go func() {
			if r := <-done; r.err == nil {
				b.kill()
			}
			b.removeDir()
		}()
		return nil, fmt.Errorf("launch %s: no DevTools endpoint within %v: %w", bin, opts.LaunchTimeout, ctx.Err())
	}
	b.pid = b.l.PID()
	b.l.Delete(flags.UserDataDir) // so Cleanup below never removes it: the directory is ours to handle
	go func() {
		b.l.Cleanup() // returns once the browser process has exited
		close(b.exited)
	}()

	// Connect on the background context: the CDP event loop lives as long
	// as the browser, not as long as a call (rod's Timeout on a Browser
	// would bind the loop to a context that is cancelled later).
	rb := rod.New().ControlURL(u)
	if err := rb.Connect(); err != nil {
		b.kill()
		b.removeDir()
		return nil, fmt.Errorf("connect to %s: %w", u, err)
	}
	b.Rod = rb
	return b, nil
}

// Relaunch closes b gracefully and starts the same browser again on the
// same user-data directory: what a person does when they quit the browser
// and open it again. b's directory must be one the caller gave (a fresh
// directory is removed by Close).
func (b *Browser) Relaunch(ctx context.Context) (*Browser, error) {
	if b.ownDir {
		return nil, errors.New("browser: Relaunch needs a browser launched with Options.UserDataDir (a fresh directory is deleted at close)")
	}
	if err := b.Close(); err != nil {
		return nil, err
	}
	opts := b.opts
	opts.Bin = b.bin
	return Launch(ctx, opts)
}

// disabledFeatures are Chromium features the suite turns off: rod's two,
// a few that only make background traffic, and two that would change what
// the specs observe:
//   - HttpsUpgrades (and its auto-enabling): a plain http:// navigation
//     must stay plain, or no plain-HTTP request can be checked (COOKIE-2).
//   - CacheControlNoStoreEnterBackForwardCache: Chromium now keeps pages
//     served with Cache-Control: no-store in the back/forward cache and
//     restores them on Back, even after logout deleted the session cookie
//     (measured with Chromium 156: a Secure HttpOnly cookie deleted by the
//     logout response, with or without Clear-Site-Data: "cache"). The
//     requirement (CLEAR-6) is the server's no-store; with this feature on,
//     no server header could pass and none could fail, so the suite checks
//     the browser behaviour no-store was made for.
var disabledFeatures = []string{
	"site-per-process", "TranslateUI",
	"HttpsUpgrades", "HttpsFirstBalancedModeAutoEnable",
	"CacheControlNoStoreEnterBackForwardCache",
	"MediaRouter", "OptimizationHints",
}

// hostRules maps hosts to 127.0.0.1, leaves reachable (and localhost)
// alone and makes every other name unresolvable, so the browser's own
// background lookups never leave the machine.
func hostRules(hosts, reachable []string) string {
	var rules []string
	for _, h := range hosts {
		rules = append(rules, "MAP "+h+" 127.0.0.1")
	}
	rules = append(rules, "MAP * ~NOTFOUND", "EXCLUDE localhost", "EXCLUDE 127.0.0.1")
	for _, h := range reachable {
		rules = append(rules, "EXCLUDE "+h)
	}
	return strings.Join(rules, ", ")
}

// PID is the browser's main process.
func (b *Browser) PID() int { return b.pid }

// UserDataDir is the browser's profile directory (absolute).
func (b *Browser) UserDataDir() string { return b.dir }

// Bin is the binary the browser runs.
func (b *Browser) Bin() string { return b.bin }

// Exited is closed once the browser process has exited.
func (b *Browser) Exited() <-chan struct{} { return b.exited }

// Close closes the browser gracefully (CDP Browser.close, which flushes the
// cookie database), waits for the process to exit, killing it if it does
// not, and removes the user-data directory if Launch created it. It is
// idempotent.
func (b *Browser) Close() error {
	b.closeMu.Lock()
	defer b.closeMu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	closeGrace := b.opts.CloseTimeout
	var err error
	if b.Rod != nil {
		ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
		err = proto.BrowserClose{}.Call(b.Rod.Context(ctx))
		cancel()
		if err != nil && isClosedConn(err) {
			err = nil // the browser went away while answering
		}
	}
	select {
	case <-b.exited:
	case <-time.After(closeGrace):
		b.kill()
		select {
		case <-b.exited:
		case <-time.After(10 * time.Second):
			err = errors.Join(err, fmt.Errorf("browser pid %d did not exit after SIGKILL", b.pid))
		}
		if err == nil {
			err = fmt.Errorf("browser pid %d did not close within %v and was killed", b.pid, closeGrace)
		}
	}
	b.removeDir()
	return err
}

// kill ends the browser's process group at once (no graceful close).
func (b *Browser) kill() {
	if pid := b.l.PID(); pid > 0 {
		syscall.Kill(-pid, syscall.SIGKILL)
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

func (b *Browser) removeDir() {
	if b.ownDir && b.dir != "" {
		os.RemoveAll(b.dir)
	}
}

func isClosedConn(err error) bool {
	s := err.Error()
	return strings.Contains(s, "use of closed network connection") || strings.Contains(s, "EOF") || strings.Contains(s, "connection reset")
}

// cleanLaunchError drops the Debian wrapper's harmless first line (its
// /dev/shm check fails on some machines) so the real cause is readable.
func cleanLaunchError(err error) error {
	lines := strings.Split(err.Error(), "\n")
	var keep []string
	for _, l := range lines {
		if strings.Contains(l, "unexpected operator") && strings.Contains(l, "chromium") {
			continue
		}
		keep = append(keep, l)
	}
	return errors.New(strings.TrimSpace(strings.Join(keep, "\n")))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
