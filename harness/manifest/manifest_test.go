package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessionconf/sessionconf/harness/catalog"
)

func TestDefaultsAreTheStory(t *testing.T) {
	m, err := Parse([]byte("name: app\nprocess:\n  command: [./app]\n"), "/x/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"login":          {m.Routes.Login, "/organizer/login"},
		"dashboard":      {m.Routes.Dashboard, "/organizer/"},
		"logout":         {m.Routes.Logout, "/organizer/logout"},
		"logout method":  {m.Routes.LogoutMethod, "POST"},
		"ready":          {m.Routes.Ready, "/organizer/login"},
		"email field":    {m.Form.Email, "email"},
		"cookie":         {m.Cookie.Name, "auto"},
		"session type":   {*m.Settings.SessionType, "SESSION_TYPE"},
		"lifetime":       {*m.Settings.Lifetime, "PERMANENT_SESSION_LIFETIME"},
		"redis prefix":   {m.Store.RedisPrefix, "session:"},
		"cookie profile": {m.ProfileEnv[catalog.Cookie]["SESSION_TYPE"], "null"},
		"workdir":        {m.Process.Workdir, "/x"},
	}
	for what, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", what, c[0], c[1])
		}
	}
	if len(m.Accounts) != 2 || m.Accounts[0].Name != "John Smith" {
		t.Errorf("accounts = %+v", m.Accounts)
	}
	if m.Profiles[0] != catalog.Filesystem || m.Features.CleanupInterval.Std() != time.Minute {
		t.Errorf("profiles %v, cleanup %v", m.Profiles, m.Features.CleanupInterval)
	}
}

func TestErrorsNameFileLineAndPath(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string
		want []string
	}{
		"unknown top-level field": {"name: a\nprocess:\n  command: [x]\ncolour: red\n", []string{"m.yaml:4:1: colour: unknown field (known: "}},
		"unknown nested field":    {"name: a\nprocess:\n  command: [x]\nroutes:\n  logn: /x\n", []string{"m.yaml:5:3: routes.logn: unknown field"}},
		"wrong scalar type":       {"name: a\nprocess:\n  command: [x]\nfeatures:\n  idle_timeout: sometimes\n", []string{"m.yaml:5:17: features.idle_timeout: expected true or false, got \"sometimes\""}},
		"list where a map is due": {"name: a\nprocess:\n  command: [x]\nroutes: [a, b]\n", []string{"m.yaml:4:9: routes: expected a mapping, got a list"}},
		"bad duration":            {"name: a\nprocess:\n  command: [x]\nfeatures:\n  cleanup_interval: soon\n", []string{"m.yaml:5:21: features.cleanup_interval: expected a duration"}},
		"bad account":             {"name: a\nprocess:\n  command: [x]\naccounts:\n  - {email: a@b, password: x, nmae: A}\n", []string{"accounts[0].nmae: unknown field"}},
		"several at once":         {"name: a\nprocess:\n  command: [x]\nfoo: 1\nbar: 2\n", []string{"m.yaml:4:1: foo:", "m.yaml:5:1: bar:"}},
		"missing name":            {"process:\n  command: [x]\n", []string{"name: required"}},
		"unknown profile":         {"name: a\nprofiles: [disk]\nprocess:\n  command: [x]\n", []string{"m.yaml:2", "profiles[0]: unknown profile \"disk\""}},
		"two modes":               {"name: a\nprocess:\n  command: [x]\ncontainer:\n  image: i\n", []string{"exactly one of process, external and container"}},
		"bad logout method":       {"name: a\nprocess:\n  command: [x]\nroutes:\n  logout_method: PATCH\n", []string{"routes.logout_method: want POST, GET or DELETE"}},
		"override without POST":   {"name: a\nprocess:\n  command: [x]\nroutes:\n  logout_method: GET\n  logout_override: _method=delete\n", []string{"routes.logout_override: a method override rides on a POST"}},
		"override not k=v":        {"name: a\nprocess:\n  command: [x]\nroutes:\n  logout_override: delete\n", []string{"routes.logout_override: want field=value"}},
		"header-less csrf cookie": {"name: a\nprocess:\n  command: [x]\ncsrf:\n  cookie: csrftoken\n", []string{"csrf.header:", "X-CSRFToken"}},
		"two csrf sources":        {"name: a\nprocess:\n  command: [x]\ncsrf:\n  cookie: c\n  meta: m\n  header: H\n", []string{"csrf.meta: give the token's source once"}},
		"bad encoding":            {"name: a\nprocess:\n  command: [x]\nform:\n  encoding: xml\n", []string{"form.encoding: want form or json"}},
		"not yaml":                {"name: [a\n", []string{"m.yaml:"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "m.yaml")
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestCommandForms(t *testing.T) {
	m, err := Parse([]byte("name: a\nprocess:\n  command: gunicorn -w 2 app:app\n"), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Process.Command, "|"); got != "/bin/sh|-c|gunicorn -w 2 app:app" {
		t.Errorf("string command = %q", got)
	}
	if _, err := Parse([]byte("name: a\nprocess:\n  command: []\n"), "m.yaml"); err == nil || !strings.Contains(err.Error(), "empty command") {
		t.Errorf("an empty command must be refused, got %v", err)
	}
}

func TestSettingsCanBeRenamedOrRemoved(t *testing.T) {
	m, err := Parse([]byte("name: a\nprocess:\n  command: [x]\nsettings:\n  lifetime: SESSION_SECONDS\n  idle_timeout: \"\"\n"), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if *m.Settings.Lifetime != "SESSION_SECONDS" || *m.Settings.IdleTimeout != "" || *m.Settings.Port != "PORT" {
		t.Errorf("settings: lifetime %q idle %q port %q", *m.Settings.Lifetime, *m.Settings.IdleTimeout, *m.Settings.Port)
	}
}

func TestTheShippedManifestsLoad(t *testing.T) {
	files, _ := filepath.Glob("../../fixtures/targets/*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests found")
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%v", err)
		}
	}
	if _, err := os.Stat("../../fixtures/targets/reference-filesystem.yaml"); err != nil {
		t.Error(err)
	}
}

// The topology profiles' URLs default to the reference's forms; a manifest
// can give its own, and one that does not render is refused at load.
func TestRedisURLForms(t *testing.T) {
	m, err := Parse([]byte("name: app\nprofiles: [redis-sentinel, redis-cluster]\nprocess:\n  command: [./app]\n"), "/x/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.ProfileEnv[catalog.RedisSentinel]["SESSION_TYPE"] != "redis" || m.ProfileEnv[catalog.RedisCluster]["SESSION_TYPE"] != "redis" || *m.Settings.RedisPrefix != "SESSION_KEY_PREFIX" {
		t.Errorf("profile env %v, redis_prefix %q", m.ProfileEnv, *m.Settings.RedisPrefix)
	}
	s, err := m.SentinelURL([]string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}, "mymaster", 7)
	if want := "redis://127.0.0.1:1/7?master_name=mymaster&addr=127.0.0.1:2&addr=127.0.0.1:3"; err != nil || s != want {
		t.Errorf("SentinelURL = %q, %v; want %q", s, err, want)
	}
	c, err := m.ClusterURL([]string{"127.0.0.1:4", "127.0.0.1:5"})
	if want := "redis://127.0.0.1:4?cluster=true&addr=127.0.0.1:5"; err != nil || c != want {
		t.Errorf("ClusterURL = %q, %v; want %q", c, err, want)
	}

	own, err := Parse([]byte("name: app\nprocess:\n  command: [./app]\nredis_urls:\n  sentinel: \"sentinel://{{join .Sentinels \\\",\\\"}}/{{.MasterName}}/{{.DB}}\"\n"), "/x/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := own.SentinelURL([]string{"h1:1", "h2:2"}, "m", 0); s != "sentinel://h1:1,h2:2/m/0" {
		t.Errorf("a form of the manifest's own: %q", s)
	}
	if _, err := Parse([]byte("name: app\nprocess:\n  command: [./app]\nredis_urls:\n  cluster: \"redis://{{.Hosts}}\"\n"), "/x/app.yaml"); err == nil || !strings.Contains(err.Error(), "redis_urls.cluster") {
		t.Errorf("a template over an unknown name: %v", err)
	}
}
