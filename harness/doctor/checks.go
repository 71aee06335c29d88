package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"
	goredis "github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/evidence"
	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/launch"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/redisprov"
	"github.com/sessionconf/sessionconf/harness/story"
	"github.com/sessionconf/sessionconf/harness/supervisor"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// checkRunnable: the workdir, the build and the command of the target.
func checkRunnable(ctx context.Context, c *checklist, m *manifest.Manifest) bool {
	switch {
	case m.Process != nil:
		wd := m.Process.Workdir
		if info, err := os.Stat(wd); err != nil || !info.IsDir() {
			c.fail(nil, fmt.Sprintf("process.workdir is relative to the manifest (%s); point it at the app's directory", m.Dir), "process.workdir %s is not a directory", wd)
			return false
		}
		if !runBuild(ctx, c, m.Process.Build, wd, "process.build") {
			return false
		}
		prog := m.Process.Command[0]
		switch {
		case strings.Contains(prog, "{{"):
			c.pass("process.command: %s (a template, resolved per start)", prog)
		case strings.Contains(prog, "/"):
			p := prog
			if !filepath.IsAbs(p) {
				p = filepath.Join(wd, p)
			}
			if info, err := os.Stat(p); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
				fix := "process.command[0] is relative to process.workdir; give an executable file"
				if len(m.Process.Build) == 0 {
					fix += ", or add a process.build that produces it"
				}
				c.fail(nil, fix, "process.command: %s is not an executable file", p)
				return false
			}
			c.pass("process.command: %s is executable", p)
		default:
			p, err := exec.LookPath(prog)
			if err != nil {
				c.fail(nil, "install it, or give its full path in process.command", "process.command: %q is not on PATH", prog)
				return false
			}
			c.pass("process.command: %s is %s", prog, p)
		}
	case m.Container != nil:
		return runBuild(ctx, c, m.Container.Build, m.Dir, "container.build")
	case m.External != nil:
		hooks := m.External.Hooks
		var have, missing []string
		for _, h := range []struct{ name, cmd string }{{"start", hooks.Start}, {"stop", hooks.Stop}, {"restart", hooks.Restart}, {"kill", hooks.Kill}, {"clear", hooks.Clear}} {
			if h.cmd != "" {
				have = append(have, h.name)
			} else {
				missing = append(missing, h.name)
			}
		}
		c.pass("external target at %s; hooks: %s", m.External.URL, orNone(have))
		if len(missing) > 0 {
			c.note("add the hooks you can: each missing one makes the requirements that need it unsupported", "no %s hook: requirements that need one will be unsupported", strings.Join(missing, ", "))
		}
	}
	return true
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func runBuild(ctx context.Context, c *checklist, build manifest.Command, dir, field string) bool {
	if len(build) == 0 {
		return true
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, build[0], build[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.fail([]string{tailLines(string(out), 15)}, fmt.Sprintf("%s runs in %s; make it succeed by hand first", field, dir), "%s failed: %v", field, err)
		return false
	}
	c.pass("%s: %s (%v)", field, strings.Join(build, " "), time.Since(start).Round(100*time.Millisecond))
	return true
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// checkDocker says whether a Docker engine answers; it returns its
// version, or "". Container-mode targets need it; for the redis profile
// it is the preferred provider.
func checkDocker(ctx context.Context, c *checklist, m *manifest.Manifest, redis bool) string {
	version, err := dockerVersion(ctx)
	needed := m.Container != nil
	switch {
	case err == nil && needed:
		if ierr := dockerImage(ctx, m.Container.Image); ierr != nil {
			c.pass("Docker engine %s answers", version)
			c.fail(nil, "build it (container.build runs before every run and doctor), e.g. docker build -t "+m.Container.Image+" .", "container.image %s is not in the engine: %v", m.Container.Image, ierr)
			return version
		}
		c.pass("Docker engine %s answers; image %s is present", version, m.Container.Image)
	case err == nil:
		c.pass("Docker engine %s answers", version)
	case needed:
		c.fail([]string{err.Error()}, "start the Docker engine (systemctl start docker), or point DOCKER_HOST at one", "Docker engine not reachable: container-mode targets need it")
	case redis:
		c.note("start the Docker engine to run Redis in a container (optional)", "Docker engine not reachable (%s): the redis profile will use a local redis-server instead", oneLine(err))
	default:
		c.note("", "Docker engine not reachable (%s); this target does not need it", oneLine(err))
	}
	return version
}

func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// dockerVersion connects the way testcontainers does (DOCKER_HOST,
// contexts, the default socket).
func dockerVersion(ctx context.Context) (v string, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = "", fmt.Errorf("testcontainers panicked: %v", r)
		}
	}()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	prov, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", err
	}
	defer prov.Close()
	sv, err := prov.Client().ServerVersion(cctx, client.ServerVersionOptions{})
	if err != nil {
		return "", err
	}
	return sv.Version, nil
}

func dockerImage(ctx context.Context, image string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("testcontainers panicked: %v", r)
		}
	}()
	prov, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer prov.Close()
	_, err = prov.Client().ImageInspect(ctx, image)
	return err
}

// chromiumNames are tried on PATH, in order (Debian's first).
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"}

// checkChromium finds the browser the browser suite drives and starts it
// headless once.
func checkChromium(ctx context.Context, c *checklist) {
	const install = "apt-get install chromium, or set SESSIONCONF_CHROMIUM to a Chrome or Chromium binary"
	bin := os.Getenv("SESSIONCONF_CHROMIUM")
	if bin != "" {
		p, err := exec.LookPath(bin)
		if err != nil {
			c.fail(nil, install, "SESSIONCONF_CHROMIUM=%s is not an executable", bin)
			return
		}
		bin = p
	} else {
		for _, n := range chromiumNames {
			if p, err := exec.LookPath(n); err == nil {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		c.fail(nil, install, "Chromium not found (tried %s on PATH)", strings.Join(chromiumNames, ", "))
		return
	}
	profile, err := os.MkdirTemp("", "sessionconf-doctor-chromium-*")
	if err != nil {
		c.fail(nil, "", "Chromium: %v", err)
		return
	}
	defer os.RemoveAll(profile)
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	const marker = "sessionconf-doctor-ok"
	cmd := exec.CommandContext(cctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--disable-background-networking", "--user-data-dir="+profile,
		"--dump-dom", "data:text/html,<p>"+marker+"</p>")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	if err != nil || !strings.Contains(stdout.String(), marker) {
		c.fail([]string{tailLines(stderr.String(), 8)}, "run it by hand with --headless --no-sandbox to see why; "+install, "Chromium %s did not render a page headless (%v)", bin, err)
		return
	}
	c.pass("Chromium %s renders a page headless (%v)", bin, time.Since(start).Round(100*time.Millisecond))
}

// startRedis starts the Redis a run would use.
func startRedis(ctx context.Context, c *checklist, provider, runID string) *doctorRedis {
	cfg := redisprov.ConfigFromEnv()
	if provider != "" {
		cfg.Provider = provider
	}
	var out bytes.Buffer
	cfg.Out, cfg.RunID = &out, runID
	p, err := redisprov.Select(ctx, cfg)
	fix := "start the Docker engine, or apt-get install redis-server (the local fallback), or give an external server: -redis-provider external with SESSIONCONF_REDIS_URL"
	if err != nil {
		c.fail(strings.Split(strings.TrimSpace(out.String()), "\n"), fix, "no Redis for the redis profile: %v", err)
		return nil
	}
	r := &doctorRedis{prov: p}
	inst, err := p.NewInstance(ctx)
	if err != nil {
		r.close()
		c.fail(strings.Split(strings.TrimSpace(out.String()), "\n"), fix, "the %s Redis provider could not start a server: %v", p.Kind(), err)
		return nil
	}
	r.inst = inst
	if err := inst.Ping(ctx); err != nil {
		r.close()
		c.fail(nil, fix, "Redis at %s does not answer PING: %v", inst.Addr(), err)
		return nil
	}
	why := p.Reason()
	if why == "" {
		why = "chosen"
	}
	c.pass("Redis: %s provider at %s (%s)", p.Kind(), inst.Addr(), why)
	return r
}

// profileCheck is one profile's checks.
type profileCheck struct {
	m        *manifest.Manifest
	profile  catalog.Profile
	stateDir string
	logDir   string // the target's logs: kept after the doctor exits
	redis    *doctorRedis
	// topoClient is the harness's client of a topology profile's Redis.
	topoClient goredis.UniversalClient
	timeouts   map[string]time.Duration
	suites     []string
	secret     string
}

// redisDB is the database the doctor gives the target (0 stays empty, so a
// target that ignores the database number shows).
const redisDB = 1

func checkProfile(ctx context.Context, c *checklist, pc profileCheck) {
	m := pc.m
	cfg := instance.Config{
		Name: "doctor", Profile: pc.profile, StateDir: pc.stateDir, SessionDir: filepath.Join(pc.stateDir, "flask_session"),
		Secret: pc.secret, LogDir: pc.logDir,
		StartTimeout: pc.timeouts["start"], StopGrace: pc.timeouts["stop"],
	}
	if pc.profile == catalog.Redis && pc.redis != nil {
		for db := range 16 {
			pc.redis.inst.Client(db).FlushDB(ctx)
		}
		cfg.RedisURL = pc.redis.inst.URL(redisDB)
	}
	if pc.profile.IsTopology() && pc.redis != nil {
		url, client, err := pc.redis.topology(ctx, m, pc.profile)
		if err != nil {
			c.fail(nil, "start the Docker engine or apt-get install redis-server; check redis_urls in the manifest", "the %s profile's Redis: %v", pc.profile, err)
			return
		}
		c.pass("Redis: %s for the %s profile; the app gets %s=%s", pc.redis.prov.Kind(), pc.profile, *m.Settings.RedisURL, url)
		cfg.RedisURL, pc.topoClient = url, client
	}
	store, storeNote := doctorStore(m, pc, cfg)
	var before []inspect.Record
	if store != nil {
		before, _ = store.List(ctx)
	}

	started := time.Now()
	in, err := launch.Instance(ctx, m, cfg)
	defer func() {
		if in != nil {
			sctx, cancel := context.WithTimeout(context.Background(), pc.timeouts["stop"]+15*time.Second)
			in.Close(sctx)
			cancel()
		}
	}()
	if err != nil {
		diagnoseStart(c, m, in, err, pc.timeouts["start"])
		c.skipped("login form, login, dashboard, store and logout: not checked (the target did not start)")
		return
	}
	c.pass("starts and is ready: %s answered in %v", in.URL(m.Routes.Ready), time.Since(started).Round(10*time.Millisecond))

	journal := evidence.NewJournal()
	v := visitor.New("doctor", in.BaseURL, journal, pc.timeouts["request"])
	acct := m.Accounts[0]
	if !checkLoginForm(ctx, c, m, v, pc.suites) {
		c.skipped("login, dashboard, store and logout: not checked (no usable login form)")
		return
	}
	// File times come from the kernel's coarse clock, a few ms behind ours.
	loginAt := time.Now().Add(-time.Second)
	cookie, ok := checkLogin(ctx, c, m, v, acct, in)
	if !ok {
		c.skipped("dashboard, store and logout: not checked (the login did not work)")
		return
	}
	markerWorks := checkDashboard(ctx, c, m, v, in, acct, cookie)

	switch {
	case pc.profile == catalog.Cookie:
		c.pass("store: none to check in the cookie profile (the session travels in the %q cookie)", cookie.Name)
	case store == nil:
		c.note(storeNote, "store: not checked (%s)", storeNote)
	default:
		checkStore(ctx, c, m, pc, cfg, in, store, before, loginAt)
	}
	checkLoginCost(ctx, c, story.New(m), in, acct, pc.timeouts["request"])
	checkLogout(ctx, c, m, v, acct, markerWorks)
	for _, r := range []struct{ field, path string }{{"routes.health", m.Routes.Health}, {"routes.static", m.Routes.Static}} {
		if r.path == "" {
			continue
		}
		resp, err := visitor.New("anonymous", in.BaseURL, journal, pc.timeouts["request"]).Get(ctx, r.path)
		switch {
		case err != nil:
			c.fail(nil, "give a path that answers without a session, or leave "+r.field+" out", "%s %s: %v", r.field, r.path, err)
		case resp.Status >= 400:
			c.fail(nil, "give a path that answers without a session, or leave "+r.field+" out", "%s %s answers %d", r.field, r.path, resp.Status)
		default:
			c.pass("%s %s answers %d", r.field, r.path, resp.Status)
		}
	}
}

// doctorStore is where the profile's records should appear, as the suites
// look for them; nil (with why) when there is none to look at.
func doctorStore(m *manifest.Manifest, pc profileCheck, cfg instance.Config) (inspect.Store, string) {
	if m.External != nil {
		switch {
		case pc.profile == catalog.Filesystem && m.Store.Dir != "" && !strings.Contains(m.Store.Dir, "{{"):
			return inspect.Dir{Path: m.Store.Dir}, ""
		case pc.profile == catalog.Redis && m.Store.RedisURL != "":
			s, err := redisStoreOf(m.Store.RedisURL, m.Store.RedisPrefix)
			if err != nil {
				return nil, "store.redis_url: " + err.Error()
			}
			return s, ""
		case pc.profile == catalog.Cookie:
			return nil, ""
		}
		return nil, "an external target's store is unknown: set store.dir (filesystem) or store.redis_url (redis), or requirements that inspect it are unsupported"
	}
	switch pc.profile {
	case catalog.Filesystem:
		dir, err := manifest.Expand(m.Store.Dir, map[string]any{"SessionDir": cfg.SessionDir, "StateDir": cfg.StateDir, "ManifestDir": m.Dir})
		if err != nil {
			return nil, "store.dir: " + err.Error()
		}
		return inspect.Dir{Path: dir}, ""
	case catalog.Redis:
		if pc.redis == nil {
			return nil, "no Redis"
		}
		return inspect.Redis{Client: pc.redis.inst.Client(redisDB), DB: redisDB, Prefix: m.Store.RedisPrefix}, ""
	case catalog.RedisSentinel, catalog.RedisCluster:
		if pc.topoClient == nil {
			return nil, "no Redis"
		}
		return inspect.Redis{Client: pc.topoClient, DB: redisDB, Prefix: m.Store.RedisPrefix}, ""
	}
	return nil, ""
}

// appEnv is the part of the target's environment the manifest decides
// (settings, profile env, env), for messages; the secret is redacted.
func appEnv(m *manifest.Manifest, in *instance.Instance, profile catalog.Profile) string {
	if in == nil {
		return ""
	}
	env, err := in.Environ()
	if err != nil {
		return ""
	}
	s := m.Settings
	names := map[string]bool{}
	for _, p := range []*string{s.Port, s.Host, s.SessionType, s.SessionDir, s.RedisURL, s.Lifetime, s.IdleTimeout, s.CleanupInterval, s.SecretKey, s.Production} {
		if *p != "" {
			names[*p] = true
		}
	}
	for k := range m.ProfileEnv[profile] {
		names[k] = true
	}
	for k := range m.Env {
		names[k] = true
	}
	var out []string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if !names[k] {
			continue
		}
		if k == *s.SecretKey && v != "" {
			v = "(redacted)"
		}
		out = append(out, k+"="+v)
	}
	return strings.Join(out, " ")
}

var listenAddr = regexp.MustCompile(`(?i)(?:\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-f:]*\]|\*):(\d{2,5})\b`)

// diagnoseStart turns a failed start into a checklist line with the most
// likely fix.
func diagnoseStart(c *checklist, m *manifest.Manifest, in *instance.Instance, err error, timeout time.Duration) {
	var un *instance.ErrUnsupported
	if errors.As(err, &un) {
		c.fail(nil, "map the setting in the manifest", "the target cannot be started: %s", un.Why)
		return
	}
	var se *supervisor.StartError
	if !errors.As(err, &se) {
		c.fail(strings.Split(err.Error(), "\n"), "", "the target did not start")
		return
	}
	details := []string{}
	if in != nil && m.Process != nil {
		details = append(details, fmt.Sprintf("started: %s (in %s)", strings.Join(m.Process.Command, " "), m.Process.Workdir))
	}
	if env := appEnv(m, in, in.Config.Profile); env != "" {
		details = append(details, "with: "+env)
	}
	if se.LogTail != "" {
		details = append(details, fmt.Sprintf("its log (%s) ends with:", se.LogPath), indentLines(se.LogTail, "  "))
	}
	port := *m.Settings.Port
	portHint := fmt.Sprintf("settings.port must name the env var your app reads its port from (now %q)", port)
	if port == "" {
		portHint = "settings.port is empty, so the app is told no port"
	}
	usesTemplate := m.Process != nil && strings.Contains(strings.Join(m.Process.Command, " "), "{{.Port}}")
	var fix string
	tail := strings.ToLower(se.LogTail)
	switch {
	case strings.Contains(se.Reason, "could not be started"):
		fix = "process.command cannot be executed: check the program and process.workdir"
	case strings.Contains(tail, "address already in use") || strings.Contains(tail, "eaddrinuse"):
		fix = fmt.Sprintf("the app binds a port that is taken, not the free port the harness gave it (%d): %s, or put {{.Port}} in process.command", in.Port, portHint)
	case strings.Contains(se.Reason, "was not ready"):
		var others []string
		for _, mm := range listenAddr.FindAllStringSubmatch(se.LogTail, -1) {
			if p, _ := strconv.Atoi(mm[1]); p != in.Port && !slices.Contains(others, mm[0]) {
				others = append(others, mm[0])
			}
		}
		switch {
		case len(others) > 0 && !usesTemplate:
			fix = fmt.Sprintf("the app listens on %s, not on the port the harness gave it (%d): %s, or put {{.Port}} in process.command", strings.Join(others, ", "), in.Port, portHint)
		case port == "" && !usesTemplate:
			fix = "the app is given no port: " + portHint + " and process.command has no {{.Port}}"
		default:
			fix = fmt.Sprintf("nothing answered below 500 at routes.ready (%s) within %v: if the app starts slowly raise timeouts.start (or -timeout start=60s); if it listens elsewhere check settings.port and settings.host; routes.ready must be a page that needs no session", m.Routes.Ready, timeout)
		}
	default:
		fix = "the command exits at start: read its log above, check process.command, process.workdir and the app's dependencies, and try it by hand with the env shown"
	}
	c.fail(details, fix, "the target did not start: %s", se.Reason)
}

func indentLines(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}

var csrfLike = regexp.MustCompile(`(?i)csrf|xsrf|authenticity|_token|nonce`)

// checkLoginForm loads the login page, checks the form's fields and says
// which shape of CSRF protection it found and whether the manifest names
// it. The harness sends what the app wants; it never asks for protection
// to be turned off.
func checkLoginForm(ctx context.Context, c *checklist, m *manifest.Manifest, v *visitor.Visitor, suites []string) bool {
	r, err := v.Get(ctx, m.Routes.Login)
	if err != nil {
		c.fail(nil, "", "GET %s (routes.login): %v", m.Routes.Login, err)
		return false
	}
	if r.Status >= 300 {
		c.fail([]string{describeResponse(r)}, "routes.login must be the page that shows the login form to a visitor without a session", "GET %s (routes.login) answers %d, not the login page", m.Routes.Login, r.Status)
		return false
	}
	page := story.ParsePage(r.Body)
	f, present := page.LoginForm()
	if m.Form.Encoding == "json" {
		c.pass("the login is posted as JSON to %s (form.encoding: json): fields %q and %q", m.Routes.Login, m.Form.Email, m.Form.Password)
	} else if !present {
		c.fail([]string{describeResponse(r)}, "routes.login must be the page with the login form (a form built by JavaScript only works in the browser suite; an API login is form.encoding: json)", "the login page %s has no <form>", m.Routes.Login)
		return false
	}
	ok := true
	if m.Form.Encoding != "json" {
		names := f.Names()
		for _, want := range []struct{ field, name, kind string }{{"form.email", m.Form.Email, "email"}, {"form.password", m.Form.Password, "password"}} {
			if _, found := f.Field(want.name); found {
				continue
			}
			ok = false
			fix := fmt.Sprintf("set %s to the name of the %s input", want.field, want.kind)
			if g := guessField(f, want.kind); g != "" {
				fix += fmt.Sprintf(": %s: %s", want.field, g)
			}
			c.fail([]string{"the form's fields: " + orNone(names)}, fix, "the login form has no field named %q (%s)", want.name, want.field)
		}
		if ok {
			c.pass("the login form at %s has the fields %q and %q", m.Routes.Login, m.Form.Email, m.Form.Password)
		}
	}
	if !checkCSRFShape(c, m, page, f, r, v) {
		ok = false
	}
	if f.Action != "" {
		if u, err := url.Parse(f.Action); err == nil && u.Path != "" && u.Path != m.Routes.Login {
			c.note("the harness posts the credentials to routes.login; if the form posts elsewhere, logins by the http suite will not work", "the form posts to %s, not to routes.login (%s)", u.Path, m.Routes.Login)
		}
	}
	if !slices.Contains(page.IDs, m.Form.Submit) && m.Form.Encoding != "json" {
		fix := "set form.submit to the id of the login button (the browser suite clicks it)"
		if contains(suites, "browser") {
			c.fail(nil, fix, "the login page has no element with id %q (form.submit)", m.Form.Submit)
		} else {
			c.note(fix, "the login page has no element with id %q (form.submit; only the browser suite uses it)", m.Form.Submit)
		}
	}
	return ok
}

// checkCSRFShape reports the CSRF token the login page carries, in which
// shape (a hidden input, a <meta> tag, a cookie for a header), and whether
// the manifest names it the same way.
func checkCSRFShape(c *checklist, m *manifest.Manifest, page story.Page, f story.Form, r *visitor.Response, v *visitor.Visitor) bool {
	var found []string // manifest lines that would describe what the page offers
	for _, in := range f.Inputs {
		if in.Type == "hidden" && csrfLike.MatchString(in.Name) && in.Value != "" {
			found = append(found, "form.csrf_field: "+in.Name)
		}
	}
	for name := range page.Metas {
		if csrfLike.MatchString(name) {
			found = append(found, "csrf.meta: "+name+" with csrf.header: X-CSRF-Token")
		}
	}
	for _, ck := range r.SetCookies {
		if csrfLike.MatchString(ck.Name) && ck.Value != "" {
			header := "X-CSRFToken"
			if strings.EqualFold(ck.Name, "XSRF-TOKEN") {
				header = "X-XSRF-TOKEN"
			}
			found = append(found, "csrf.cookie: "+ck.Name+" with csrf.header: "+header)
		}
	}
	slices.Sort(found)
	s := story.New(m)
	declared := m.Form.CSRFField != "" || m.CSRF.Meta != "" || m.CSRF.Cookie != ""
	switch {
	case !declared && len(found) == 0:
		c.pass("CSRF: the login page carries no token, and the manifest names none")
		return true
	case !declared:
		c.note("declare the token so the harness sends it with the login and the logout: "+strings.Join(found, ", or "), "CSRF: the login page carries a token the manifest does not name")
		return true
	}
	tok, ok := tokenOnLoginPage(s, r, v)
	if !ok {
		c.fail([]string{"tokens on the page: " + orNone(found)}, "name the token the page really carries: "+orNone(found), "CSRF: the manifest names %s, which the login page does not carry", describeDeclaredToken(m))
		return false
	}
	c.pass("CSRF: %s (%d characters), sent with the login and the logout", describeToken(m, tok), len(tok.Value))
	return true
}

func tokenOnLoginPage(s story.Story, r *visitor.Response, v *visitor.Visitor) (story.Token, bool) {
	switch {
	case s.M.Form.CSRFField != "":
		val, ok := story.ParsePage(r.Body).Hidden(s.M.Form.CSRFField)
		return story.Token{Source: "input", Name: s.M.Form.CSRFField, Value: val}, ok
	case s.M.CSRF.Meta != "":
		val := story.ParsePage(r.Body).Metas[s.M.CSRF.Meta]
		return story.Token{Source: "meta", Name: s.M.CSRF.Meta, Value: val}, val != ""
	}
	val, ok := v.Cookie(s.M.CSRF.Cookie)
	return story.Token{Source: "cookie", Name: s.M.CSRF.Cookie, Value: val}, ok && val != ""
}

func describeDeclaredToken(m *manifest.Manifest) string {
	switch {
	case m.Form.CSRFField != "":
		return fmt.Sprintf("a hidden input %q (form.csrf_field)", m.Form.CSRFField)
	case m.CSRF.Meta != "":
		return fmt.Sprintf("a <meta name=%q> (csrf.meta)", m.CSRF.Meta)
	}
	return fmt.Sprintf("a cookie %q (csrf.cookie)", m.CSRF.Cookie)
}

func describeToken(m *manifest.Manifest, tok story.Token) string {
	switch tok.Source {
	case "input":
		return fmt.Sprintf("a hidden input %q, posted back as a form field", tok.Name)
	case "meta":
		return fmt.Sprintf("a <meta name=%q>, echoed in the header %s", tok.Name, m.CSRF.Header)
	}
	return fmt.Sprintf("the cookie %q, echoed in the header %s", tok.Name, m.CSRF.Header)
}

// guessField proposes an input for the email or password field.
func guessField(f story.Form, kind string) string {
	for _, in := range f.Inputs {
		if in.Name == "" {
			continue
		}
		switch kind {
		case "password":
			if in.Type == "password" {
				return in.Name
			}
		case "email":
			if in.Type == "email" || regexp.MustCompile(`(?i)mail|user|login|name`).MatchString(in.Name) && in.Type != "password" && in.Type != "hidden" && in.Type != "submit" {
				return in.Name
			}
		}
	}
	return ""
}

func describeResponse(r *visitor.Response) string {
	s := fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status))
	if loc := r.Location(); loc != "" {
		s += " -> " + loc
	}
	if ex := story.Excerpt(r.Body, 200); ex != `""` {
		s += ", page text: " + ex
	}
	return s
}

// loginCostSamples is how many logins doctor times.
const loginCostSamples = 3

// checkLogin logs the first account in the way the suites do and returns
// the session cookie the login sets.
func checkLogin(ctx context.Context, c *checklist, m *manifest.Manifest, v *visitor.Visitor, acct manifest.Account, in *instance.Instance) (*http.Cookie, bool) {
	s := story.New(m)
	a, err := s.Login(ctx, v, acct)
	if err != nil {
		var se *story.StepError
		fix := ""
		if errors.As(err, &se) {
			fix = se.Fix
		}
		c.fail(nil, fix, "the login could not be made: %v", err)
		return nil, false
	}
	r := a.Response
	if r.Status >= 400 {
		details := []string{describeResponse(r)}
		if r.Status >= 500 {
			details = append(details, "the target's log ends with:", indentLines(in.LogTail(15), "  "))
		}
		c.fail(details, s.RefusalFix("the login", r.Status), "logging in as %s answers %d", acct.Email, r.Status)
		return nil, false
	}
	name, err := s.SessionCookieName(r, false)
	if err != nil {
		c.fail([]string{describeResponse(r)}, "the login response must set the session cookie (Set-Cookie); the suites learn the cookie from it", "logging in as %s sets no cookie", acct.Email)
		return nil, false
	}
	var ck *http.Cookie
	raw := ""
	for i, sc := range r.SetCookies {
		if sc.Name == name && sc.Value != "" && !visitor.IsDeletion(sc) {
			ck, raw = sc, r.RawSetCookies[i]
		}
	}
	if ck == nil {
		var names []string
		for _, sc := range r.SetCookies {
			names = append(names, sc.Name)
		}
		c.fail(nil, fmt.Sprintf("set cookie.name to the session cookie (one of %s), or auto", orNone(names)), "logging in sets %s, not the cookie %q (cookie.name)", orNone(names), name)
		return nil, false
	}
	attrs := "no attributes"
	if i := strings.IndexByte(raw, ';'); i >= 0 {
		attrs = strings.TrimSpace(raw[i+1:])
	}
	how := "cookie.name"
	if m.Cookie.Name == "auto" {
		how = "found automatically"
	}
	to := ""
	if loc := r.Location(); loc != "" {
		to = " -> " + loc
	}
	c.pass("logging in as %s: %d%s, sets the session cookie %q (%s; %s)", acct.Email, r.Status, to, ck.Name, how, attrs)
	if ck.Secure && !strings.HasPrefix(in.BaseURL, "https") {
		c.note("outside production mode the app must not mark its cookie Secure: browsers would not send it over plain HTTP", "the session cookie is Secure on a plain-HTTP target")
	}
	return ck, true
}

// checkLoginCost times a few logins of fresh visitors, one at a time: the
// suites size their samples to what a login costs.
func checkLoginCost(ctx context.Context, c *checklist, s story.Story, in *instance.Instance, acct manifest.Account, request time.Duration) {
	var fastest time.Duration
	for range loginCostSamples {
		v := visitor.New("timing", in.BaseURL, evidence.NewJournal(), request)
		start := time.Now()
		if _, err := s.Login(ctx, v, acct); err != nil {
			return
		}
		if took := time.Since(start); fastest == 0 || took < fastest {
			fastest = took
		}
	}
	c.pass("a login takes %v (the fastest of %d); the suites size their samples to it", fastest.Round(time.Millisecond), loginCostSamples)
}

// checkDashboard: the state page shows the marker with the cookie, and not
// without.
func checkDashboard(ctx context.Context, c *checklist, m *manifest.Manifest, v *visitor.Visitor, in *instance.Instance, acct manifest.Account, ck *http.Cookie) bool {
	s := story.New(m)
	marker, err := s.Marker(acct)
	if err != nil {
		c.fail(nil, "logged_in_marker is a template over the account: {{.Name}}, {{.Email}}", "%v", err)
		return false
	}
	page := s.StatePath()
	r, err := v.Get(ctx, page)
	if err != nil {
		c.fail(nil, "", "GET %s (routes.state): %v", page, err)
		return false
	}
	if st, _ := s.StateOf(r, acct); st == story.Authenticated {
		anon, err := visitor.New("anonymous", in.BaseURL, evidence.NewJournal(), 10*time.Second).Get(ctx, page)
		if err == nil {
			if st, _ := s.StateOf(anon, acct); st != story.Anonymous {
				c.fail([]string{"without a cookie: " + describeResponse(anon)}, "logged_in_marker must be text only a logged-in dashboard shows: every requirement tells logged in from logged out by it", "the dashboard %s shows %q even without a session (%s)", page, marker, st)
				return false
			}
		}
		c.pass("the dashboard %s shows %q when logged in, and not without the cookie", page, marker)
		return true
	}
	details := []string{describeResponse(r)}
	var fix string
	switch {
	case r.Status == http.StatusOK && m.State.JSONPath != "":
		fix = fmt.Sprintf("state.json_path (%s) must point at a value of the JSON answer that shows logged_in_marker", m.State.JSONPath)
	case r.Status == http.StatusOK:
		fix = "logged_in_marker must be text the logged-in dashboard shows"
		switch {
		case acct.Name != "" && strings.Contains(r.Body, acct.Name):
			fix += `; it shows the account's name, so "{{.Name}}" (or text around it) would do`
		case strings.Contains(r.Body, acct.Email):
			fix += `; it shows the account's email, so "{{.Email}}" would do`
		default:
			fix += "; the page shows neither the account's name nor its email: are accounts[0].name and routes.dashboard right?"
		}
	case r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed:
		fix = "routes.dashboard (or routes.state) must be the page a logged-in user sees"
	case r.Status >= 500:
		fix = "the dashboard fails with the session: see the target's log"
		details = append(details, "the target's log ends with:", indentLines(in.LogTail(15), "  "))
	default:
		fix = fmt.Sprintf("the dashboard did not accept the session cookie %q the login set: check routes.dashboard, the cookie's Path and Domain (the harness talks to 127.0.0.1), and that the session is saved on login", ck.Name)
	}
	c.fail(details, fix, "the dashboard %s does not show %q after the login", page, marker)
	return false
}

// checkStore: the login created a record where the manifest says.
func checkStore(ctx context.Context, c *checklist, m *manifest.Manifest, pc profileCheck, cfg instance.Config, in *instance.Instance, store inspect.Store, before []inspect.Record, since time.Time) {
	after, err := store.List(ctx)
	if err != nil {
		c.fail(nil, "", "listing the store (%s %s): %v", store.Kind(), store.Location(), err)
		return
	}
	fresh := inspect.New(before, after)
	if len(fresh) > 0 {
		r := fresh[0]
		switch store.Kind() {
		case "directory":
			c.pass("store: %d new file(s) in %s after the login (%s: %v, %d bytes)", len(fresh), store.Location(), r.Key, r.Mode, r.Size)
		default:
			ttl := "no TTL"
			if r.HasTTL {
				ttl = "TTL " + r.TTL.Round(time.Second).String()
			}
			c.pass("store: %d new key(s) with the prefix %q in Redis db %d after the login (%s, %s)", len(fresh), m.Store.RedisPrefix, redisDB, r.Key, ttl)
		}
		return
	}
	details := []string{fmt.Sprintf("looked in: %s %s", store.Kind(), store.Location())}
	if env := appEnv(m, in, pc.profile); env != "" {
		details = append(details, "the target ran with: "+env)
	}
	var fix string
	switch store.Kind() {
	case "directory":
		fix = filesystemStoreHint(m, pc, cfg, store.Location(), since)
	default:
		fix = redisStoreHint(ctx, m, pc)
	}
	c.fail(details, fix, "store: the login left no record in %s", store.Location())
}

func filesystemStoreHint(m *manifest.Manifest, pc profileCheck, cfg instance.Config, looked string, since time.Time) string {
	if m.External != nil {
		return "store.dir must be the directory where the external target writes its session files"
	}
	var elsewhere []string
	seen := map[string]bool{}
	add := func(dir string) {
		if !seen[dir] && dir != looked {
			seen[dir] = true
			elsewhere = append(elsewhere, dir)
		}
	}
	filepath.WalkDir(pc.stateDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && p == cfg.LogDir {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			if info, err := d.Info(); err == nil && !info.ModTime().Before(since) {
				add(filepath.Dir(p))
			}
		}
		return nil
	})
	if len(elsewhere) > 0 {
		suggest := ""
		if rel, err := filepath.Rel(cfg.StateDir, elsewhere[0]); err == nil && !strings.HasPrefix(rel, "..") {
			suggest = fmt.Sprintf(`: store.dir: "{{.StateDir}}/%s"`, filepath.ToSlash(rel))
			if elsewhere[0] == cfg.SessionDir {
				suggest = `: store.dir: "{{.SessionDir}}" (the default, the directory the harness gives the app)`
			}
		}
		return fmt.Sprintf("the sessions went to %s; point store.dir there%s", strings.Join(elsewhere, ", "), suggest)
	}
	if *m.Settings.SessionDir == "" {
		return "settings.session_dir is empty, so the app is not told where to keep session files: map it to the env var your app reads"
	}
	if m.Process != nil {
		if dirs := recentDirs(m.Process.Workdir, since, 2); len(dirs) > 0 {
			return fmt.Sprintf("new files appeared in %s: the app ignores $%s (settings.session_dir) and uses its own directory; map settings.session_dir to the env var your app reads", strings.Join(dirs, ", "), *m.Settings.SessionDir)
		}
	}
	return fmt.Sprintf("nothing was written where the doctor looked: does the app save the session at login, does $%s (settings.session_dir) tell it where, and does profile_env select the filesystem store?", *m.Settings.SessionDir)
}

// recentDirs lists directories under root (to depth) holding files
// modified since t.
func recentDirs(root string, since time.Time, depth int) []string {
	var out []string
	base := strings.Count(filepath.Clean(root), string(filepath.Separator))
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if strings.Count(p, string(filepath.Separator))-base >= depth || d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if info, err := d.Info(); err == nil && !info.ModTime().Before(since) && !slices.Contains(out, filepath.Dir(p)) {
			out = append(out, filepath.Dir(p))
		}
		return nil
	})
	return out
}

func redisStoreHint(ctx context.Context, m *manifest.Manifest, pc profileCheck) string {
	if m.External != nil || pc.redis == nil {
		return "store.redis_url and store.redis_prefix must say where the external target keeps its session keys"
	}
	if pc.profile.IsTopology() {
		return fmt.Sprintf("no key under store.redis_prefix %q appeared where the %s profile's sessions go: settings.redis_url must name the env var your app reads (now %q), redis_urls the form it takes, and profile_env must select the Redis store", m.Store.RedisPrefix, pc.profile, *m.Settings.RedisURL)
	}
	keys, _ := inspect.Redis{Client: pc.redis.inst.Client(redisDB), DB: redisDB}.AllKeys(ctx)
	if len(keys) > 0 {
		prefix := keys[0]
		if i := strings.LastIndexAny(prefix, ":_-/."); i >= 0 {
			prefix = prefix[:i+1]
		}
		return fmt.Sprintf("the app wrote %d key(s) without the prefix %q (e.g. %q): set store.redis_prefix: %q", len(keys), m.Store.RedisPrefix, keys[0], prefix)
	}
	for db := range 16 {
		if db == redisDB {
			continue
		}
		if n, err := pc.redis.inst.Client(db).DBSize(ctx).Result(); err == nil && n > 0 {
			return fmt.Sprintf("the app wrote to Redis database %d, not %d from the URL the harness gave it: it must use the database number in $%s (specs share one server, a database each)", db, redisDB, *m.Settings.RedisURL)
		}
	}
	return fmt.Sprintf("the app wrote nothing to the Redis the harness gave it (%s): settings.redis_url must name the env var your app reads (now %q), and profile_env must select the Redis store", pc.redis.inst.URL(redisDB), *m.Settings.RedisURL)
}

// checkLogout logs out the way the suites do (with the CSRF token, the
// method, the override the manifest names) and checks the visitor is
// logged out afterwards.
func checkLogout(ctx context.Context, c *checklist, m *manifest.Manifest, v *visitor.Visitor, acct manifest.Account, markerWorks bool) {
	s := story.New(m)
	how := m.Routes.LogoutMethod + " " + m.Routes.Logout
	if m.Routes.LogoutOverride != "" {
		how += " with " + m.Routes.LogoutOverride
	}
	l, err := s.PrepareLogout(ctx, v)
	if err != nil {
		var se *story.StepError
		fix := ""
		if errors.As(err, &se) {
			fix = se.Fix + "; routes.logout_page is where the logout's token is read (default: the dashboard)"
		}
		c.fail(nil, fix, "the logout %s could not be prepared: %v", how, err)
		return
	}
	r, err := l.Send(ctx, v)
	switch {
	case err != nil:
		c.fail(nil, "", "the logout %s: %v", how, err)
		return
	case r.Status >= 400:
		c.fail([]string{describeResponse(r)}, s.RefusalFix("the logout", r.Status), "the logout %s answers %d", how, r.Status)
		return
	}
	with := ""
	if l.Token.Source != "" {
		with = fmt.Sprintf(" (with the CSRF token from %s)", l.Token.Name)
	}
	after, err := v.Get(ctx, s.StatePath())
	if err == nil && markerWorks {
		if st, _ := s.StateOf(after, acct); st != story.Anonymous {
			c.fail([]string{describeResponse(after)}, "the logout route must end the session: check routes.logout and routes.logout_method", "after the logout %s%s (%d) the dashboard still gives %s", how, with, r.Status, st)
			return
		}
	}
	c.pass("the logout %s%s answers %d, and the dashboard then shows nobody", how, with, r.Status)
}

func redisStoreOf(rawURL, prefix string) (inspect.Store, error) {
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return inspect.Redis{Client: goredis.NewClient(opts), DB: opts.DB, Prefix: prefix}, nil
}
