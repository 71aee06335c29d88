package doctor

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/harness/runner"
)

// doctorRun runs the doctor on manifest (with the http suite only) and
// returns its outcome and output; it also checks that the doctor left
// nothing behind but the logs it names.
func doctorRun(t *testing.T, manifest string, redis ...string) (Outcome, string) {
	t.Helper()
	o := Options{Target: manifest, Suites: []string{"http"}}
	if len(redis) > 0 {
		o.Redis = redis[0]
	}
	return doctorRunWith(t, o)
}

func doctorRunWith(t *testing.T, o Options) (Outcome, string) {
	t.Helper()
	if o.Reports == "" {
		o.Reports = t.TempDir()
	}
	var out bytes.Buffer
	code := Run(context.Background(), o, &out)
	s := out.String()
	for _, m := range logsNamed.FindAllStringSubmatch(s, -1) {
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("the doctor names the log %s, which is gone: %v", m[1], err)
		}
		if !strings.HasPrefix(m[1], o.LogDir()) {
			t.Errorf("the log %s is not under the doctor's log directory %s", m[1], o.LogDir())
		}
	}
	for _, dir := range stateDirs.FindAllString(s, -1) {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("the doctor left its state directory %s", dir)
		}
		if pids := processesMentioning(dir); len(pids) > 0 {
			t.Errorf("processes %v started by the doctor (with %s in their environment) are still running", pids, dir)
		}
	}
	return code, s
}

var stateDirs = regexp.MustCompile(`/tmp/sessionconf-doctor-[0-9]+`)

// logsNamed finds the logs the doctor's lines point to.
var logsNamed = regexp.MustCompile(`(?m)(?:its log \(|The target's logs: )([^ )\n]+)`)

// processesMentioning lists processes whose environment names s.
func processesMentioning(s string) []string {
	entries, _ := os.ReadDir("/proc")
	var pids []string
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(data, []byte(s)) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

func repo(t *testing.T) string {
	t.Helper()
	root, err := runner.RepoRoot()
	if err != nil {
		t.Skip(err)
	}
	return root
}

// brokenManifest writes a copy of the reference's manifest with extra
// lines into a temporary directory.
func brokenManifest(t *testing.T, profiles, extra string) string {
	t.Helper()
	m := "name: broken\nprofiles: [" + profiles + "]\nprocess:\n  command: [bin/refserver]\n  workdir: " + repo(t) +
		"\n  build: [go, build, -o, bin/refserver, ./reference/cmd/refserver]\n" + extra
	p := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(p, []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestDoctorPassesTheReference(t *testing.T) {
	root := repo(t)
	code, out := doctorRun(t, filepath.Join(root, "fixtures/targets/reference-filesystem.yaml"))
	if code != Healthy {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "✗") {
		t.Errorf("a failing line for the reference:\n%s", out)
	}
	wantLines(t, out,
		"✓ process.build",
		"✓ starts and is ready",
		`✓ the login form at /organizer/login has the fields "email" and "password"`,
		`sets the session cookie "session"`,
		`✓ the dashboard /organizer/ shows "John Smith" when logged in, and not without the cookie`,
		"✓ store: 1 new file(s)",
		"✓ the logout POST /organizer/logout answers 303",
		"✓ routes.health /healthz answers 200",
		"all ",
	)
	// -suites http: the browser is not checked.
	wantLines(t, out, "– Chromium: not checked (-suites http: only the browser suite needs it)",
		"Next: sessionconf run -target "+filepath.Join(root, "fixtures/targets/reference-filesystem.yaml")+" -suites http")
	if strings.Contains(out, "✓ Chromium") {
		t.Errorf("-suites http checked Chromium:\n%s", out)
	}
}

// The browser suite needs Chromium: without it, that is a problem, not a
// note.
func TestDoctorBrowserSuiteNeedsChromium(t *testing.T) {
	t.Setenv("SESSIONCONF_CHROMIUM", "/nonexistent/chromium")
	bad := filepath.Join(t.TempDir(), "bad.yaml") // the manifest does not matter
	os.WriteFile(bad, []byte("name: x\nprofiles: [filesystem]\nprocess:\n  command: [/bin/false]\n"), 0o644)
	code, out := doctorRunWith(t, Options{Target: bad, Suites: []string{"browser"}})
	if code != Problems {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	wantLines(t, out, "✗ SESSIONCONF_CHROMIUM=/nonexistent/chromium is not an executable", "fix: apt-get install chromium")
}

// A target that dies at start: the doctor shows the end of its log and
// where the whole log is, and the log is still there afterwards.
func TestDoctorKeepsTheLogItNames(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "dies.yaml")
	os.WriteFile(m, []byte("name: dies\nprofiles: [filesystem]\nprocess:\n  command: \"echo the-reason-it-died; exit 3\"\n"), 0o644)
	reports := filepath.Join(dir, "reports")
	code, out := doctorRunWith(t, Options{Target: m, Suites: []string{"http"}, Reports: reports})
	if code != Problems {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	wantLines(t, out, "its log ("+filepath.Join(reports, "doctor", "filesystem")+"/", "the-reason-it-died", "The target's logs: "+filepath.Join(reports, "doctor"))
	found := false
	for _, mm := range logsNamed.FindAllStringSubmatch(out, -1) {
		if data, err := os.ReadFile(mm[1]); err == nil && strings.Contains(string(data), "the-reason-it-died") {
			found = true
		}
	}
	if !found {
		t.Errorf("no log the doctor named holds the target's output after it exited:\n%s", out)
	}
}

func TestDoctorRedisProfile(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("no redis-server for the local provider")
	}
	code, out := doctorRun(t, filepath.Join(repo(t), "fixtures/targets/reference-redis.yaml"), "local")
	if code != Healthy {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	wantLines(t, out, "✓ Redis: local provider", `✓ store: 1 new key(s) with the prefix "session:" in Redis db 1`)

	code, out = doctorRun(t, brokenManifest(t, "redis", "store:\n  redis_prefix: \"sess:\"\n"), "local")
	if code != Problems {
		t.Fatalf("wrong prefix: exit %d:\n%s", code, out)
	}
	wantLines(t, out, `✗ store: the login left no record in db 1, prefix "sess:"`, `set store.redis_prefix: "session:"`)
}

func TestDoctorWrongMarker(t *testing.T) {
	code, out := doctorRun(t, brokenManifest(t, "filesystem", "logged_in_marker: \"Hello, {{.Name}}\"\n"))
	if code != Problems {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	wantLines(t, out,
		`✗ the dashboard /organizer/ does not show "Hello, John Smith" after the login`,
		`fix: logged_in_marker must be text the logged-in dashboard shows; it shows the account's name, so "{{.Name}}"`,
		"1 problem(s)",
	)
}

func TestDoctorMarkerShownToEveryone(t *testing.T) {
	code, out := doctorRun(t, brokenManifest(t, "filesystem", "logged_in_marker: /organizer/\n"))
	if code != Problems {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// The dashboard has a form posting to /organizer/logout; the redirect
	// of a visitor without a session links to /organizer/login.
	wantLines(t, out, `shows "/organizer/" even without a session`)
}

func TestDoctorWrongStoreDir(t *testing.T) {
	code, out := doctorRun(t, brokenManifest(t, "filesystem", "store:\n  dir: \"{{.StateDir}}/sessions\"\n"))
	if code != Problems {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	wantLines(t, out, "✗ store: the login left no record in", `/filesystem/sessions`, `store.dir: "{{.SessionDir}}"`)
}

func TestDoctorWrongPortSetting(t *testing.T) {
	code, out := doctorRun(t, brokenManifest(t, "filesystem", "settings:\n  port: APP_PORT\ntimeouts:\n  start: 3s\n"))
	if code != Problems {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// The reference then binds its default port 5000, or fails to when
	// something else holds it; either way the fix names settings.port.
	wantLines(t, out, "✗ the target did not start", `settings.port must name the env var your app reads its port from (now "APP_PORT")`, "– login form, login, dashboard, store and logout: not checked")
	if strings.Contains(out, "listening on") && !strings.Contains(out, "the app listens on 127.0.0.1:5000") {
		t.Errorf("the log shows where the app listens, but the fix does not say so:\n%s", out)
	}
}

func TestDoctorWrongFormField(t *testing.T) {
	code, out := doctorRun(t, brokenManifest(t, "filesystem", "form:\n  email: username\n"))
	if code != Problems {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	wantLines(t, out, `✗ the login form has no field named "username" (form.email)`, "the form's fields: email, password", "form.email: email")
}

func TestDoctorBadManifest(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(p, []byte("name: x\nroutes:\n  login: nope\n  logn: /x\n"), 0o644)
	code, out := doctorRun(t, p)
	if code != Unusable {
		t.Errorf("exit %d, want %d", code, Unusable)
	}
	wantLines(t, out, "✗ the manifest does not load", "routes.logn: unknown field")
}
