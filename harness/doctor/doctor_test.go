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
// nothing behind.
func doctorRun(t *testing.T, manifest string, redis ...string) (Outcome, string) {
	t.Helper()
	var out bytes.Buffer
	o := Options{Target: manifest, Suites: []string{"http"}}
	if len(redis) > 0 {
		o.Redis = redis[0]
	}
	code := Run(context.Background(), o, &out)
	s := out.String()
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

// noChromium keeps the doctor's browser check (optional with -suites http)
// out of the timing of tests that are not about it.
func noChromium(t *testing.T) { t.Setenv("SESSIONCONF_CHROMIUM", "/bin/false") }

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
	if _, err := exec.LookPath("chromium"); err == nil {
		wantLines(t, out, "✓ Chromium")
	}
}

func TestDoctorRedisProfile(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("no redis-server for the local provider")
	}
	noChromium(t)
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
	noChromium(t)
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
	noChromium(t)
	code, out := doctorRun(t, brokenManifest(t, "filesystem", "logged_in_marker: /organizer/\n"))
	if code != Problems {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// The dashboard has a form posting to /organizer/logout; the redirect
	// of a visitor without a session links to /organizer/login.
	wantLines(t, out, `shows "/organizer/" even without a session`)
}

func TestDoctorWrongStoreDir(t *testing.T) {
	noChromium(t)
	code, out := doctorRun(t, brokenManifest(t, "filesystem", "store:\n  dir: \"{{.StateDir}}/sessions\"\n"))
	if code != Problems {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	wantLines(t, out, "✗ store: the login left no record in", `/filesystem/sessions`, `store.dir: "{{.SessionDir}}"`)
}

func TestDoctorWrongPortSetting(t *testing.T) {
	noChromium(t)
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
	noChromium(t)
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
