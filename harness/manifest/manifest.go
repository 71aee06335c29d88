// Package manifest reads target manifests: YAML files that tell the harness
// how to start, reach, configure and inspect an implementation. Everything
// defaults to the story's Flask app, so the reference's manifests are a few
// lines; see docs/targets.md for the full format.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sessionconf/sessionconf/harness/catalog"
)

// Manifest describes one implementation under test.
type Manifest struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Profiles    []catalog.Profile `yaml:"profiles"`

	// Exactly one way to run the target.
	Process   *Process   `yaml:"process"`   // the harness spawns it
	External  *External  `yaml:"external"`  // a base URL plus hook commands
	Container *Container `yaml:"container"` // an image testcontainers runs

	// Env is added to the target's environment; values are templates
	// ({{.Port}}, {{.StateDir}}, {{.SessionDir}}, {{.RedisURL}},
	// {{.Lifetime}}, {{.Secret}}, {{.ManifestDir}}).
	Env map[string]string `yaml:"env"`
	// Settings maps the standard settings to the app's env names.
	Settings Settings `yaml:"settings"`
	// ProfileEnv is the env that selects each profile (default: the story's
	// SESSION_TYPE values filesystem, redis and null).
	ProfileEnv map[catalog.Profile]map[string]string `yaml:"profile_env"`

	Routes   Routes    `yaml:"routes"`
	Form     Form      `yaml:"form"`
	CSRF     CSRF      `yaml:"csrf"`
	State    State     `yaml:"state"`
	Accounts []Account `yaml:"accounts"`
	// LoggedInMarker is what an authenticated dashboard shows; a template
	// over the account ({{.Name}}, {{.Email}}). Default: the name.
	LoggedInMarker string     `yaml:"logged_in_marker"`
	Cookie         CookieSpec `yaml:"cookie"`
	Store          StoreSpec  `yaml:"store"`
	// RedisURLs are the forms of settings.redis_url in the Redis topology
	// profiles (default: the reference's).
	RedisURLs RedisURLs   `yaml:"redis_urls"`
	Features  Features    `yaml:"features"`
	Timeouts  TimeoutSpec `yaml:"timeouts"`
	// KnownFailing is a file of requirement IDs the target is known to fail,
	// relative to the manifest (see harness/knownfail).
	KnownFailing string `yaml:"known_failing"`

	// Path and Dir are where the manifest was read from.
	Path string `yaml:"-"`
	Dir  string `yaml:"-"`

	positions map[string]position
}

// Process is the process mode: the harness starts Command in Workdir.
type Process struct {
	Command Command `yaml:"command"`
	// Workdir is relative to the manifest's directory (default: that
	// directory).
	Workdir string `yaml:"workdir"`
	// Build runs once per run, in Workdir, before the first start.
	Build Command `yaml:"build"`
	// StopGrace is how long a stop waits after SIGTERM before SIGKILL.
	StopGrace Duration `yaml:"stop_grace"`
}

// External is the URL + hooks mode, for stacks the harness cannot spawn
// (docker compose, a remote staging host). Hooks are shell commands run
// with the same env as a process target would get.
type External struct {
	URL   string `yaml:"url"`
	Hooks Hooks  `yaml:"hooks"`
}

// Hooks are shell commands; a requirement that needs a missing hook is
// reported unsupported.
type Hooks struct {
	Start   string `yaml:"start"`   // bring the target up (optional)
	Stop    string `yaml:"stop"`    // bring it down at the end (optional)
	Restart string `yaml:"restart"` // graceful restart, same state
	Kill    string `yaml:"kill"`    // crash: SIGKILL and start again
	Clear   string `yaml:"clear"`   // delete every session record
}

// Container is the container mode: testcontainers runs Image on a Docker
// network it shares with the Redis container; the harness reaches it
// through a port published on 127.0.0.1. The spec's state directory is
// mounted at the same path inside, so {{.SessionDir}} means the same
// directory on both sides.
type Container struct {
	Image string `yaml:"image"`
	// Port is the port the app listens on inside the container (default
	// 5000); the harness sets settings.port to it and settings.host to
	// 0.0.0.0.
	Port int `yaml:"port"`
	// Build runs once per run, in the manifest's directory, before the first
	// start: it should build or refresh Image (no registry is needed).
	Build Command `yaml:"build"`
}

// Settings are the env names of the standard settings. An empty name means
// the app has no such setting; specs that need it are unsupported.
type Settings struct {
	Port        *string `yaml:"port"`
	Host        *string `yaml:"host"`
	SessionType *string `yaml:"session_type"`
	SessionDir  *string `yaml:"session_dir"`
	RedisURL    *string `yaml:"redis_url"`
	// RedisPrefix is the env var of the Redis key prefix. The harness sets
	// it only in the redis-cluster profile, where the specs share one
	// cluster (database 0 only) and each gets its own prefix.
	RedisPrefix     *string `yaml:"redis_prefix"`
	Lifetime        *string `yaml:"lifetime"`
	IdleTimeout     *string `yaml:"idle_timeout"`
	CleanupInterval *string `yaml:"cleanup_interval"`
	SecretKey       *string `yaml:"secret_key"`
	Production      *string `yaml:"production"`
	TLSCert         *string `yaml:"tls_cert"`
	TLSKey          *string `yaml:"tls_key"`
}

// Routes of the app.
type Routes struct {
	Login     string `yaml:"login"`
	Dashboard string `yaml:"dashboard"`
	Logout    string `yaml:"logout"`
	// LogoutMethod is POST, GET or DELETE.
	LogoutMethod string `yaml:"logout_method"`
	// LogoutOverride is a field a POST logout carries to stand for another
	// method ("_method=delete", as Rails and Laravel forms do).
	LogoutOverride string `yaml:"logout_override"`
	// LogoutPage is where the logout's CSRF token is read (the page with
	// the logout button; default: the dashboard).
	LogoutPage string `yaml:"logout_page"`
	// StatePath is the page that tells whether a visitor is logged in
	// (default: the dashboard); with state.json_path, a JSON endpoint.
	StatePath string `yaml:"state"`
	// Ready is polled after every start until it answers below 500
	// (default: the login page).
	Ready string `yaml:"ready"`
	// Health is a liveness URL that needs no session (ROBUST-5); optional.
	Health string `yaml:"health"`
	// Static is a static file (ROBUST-5); optional.
	Static string `yaml:"static"`
}

// Form is the login form.
type Form struct {
	Email    string `yaml:"email"`
	Password string `yaml:"password"`
	Submit   string `yaml:"submit"` // the submit button's id (browser suite)
	// CSRFField names a hidden input whose value the login form carries;
	// the harness reads it from the login page before posting, and from
	// routes.logout_page before logging out.
	CSRFField string `yaml:"csrf_field"`
	// Encoding is how the login is posted: "form"
	// (application/x-www-form-urlencoded, the default) or "json" (a JSON
	// object of the email and password fields, as single-page apps do).
	Encoding string `yaml:"encoding"`
}

// CSRF says where a CSRF token comes from when it is not (only) a hidden
// input of the form: a <meta> tag or a cookie, echoed in a request header.
// The harness sends it with the login and the logout.
type CSRF struct {
	// Meta names a <meta name=... content=TOKEN> of the page (Rails and
	// Laravel: csrf-token).
	Meta string `yaml:"meta"`
	// Cookie names a cookie whose value is the token (Django: csrftoken;
	// Angular and Axios: XSRF-TOKEN).
	Cookie string `yaml:"cookie"`
	// Header is the request header the token goes in (Django:
	// X-CSRFToken; Angular: X-XSRF-TOKEN; Rails: X-CSRF-Token).
	Header string `yaml:"header"`
}

// State says how a logged-in visitor is recognised when the state page is
// not HTML.
type State struct {
	// JSONPath is a dotted path (user.name, data.0.email) into the JSON
	// answer of routes.state; the visitor is logged in when the value there
	// shows logged_in_marker.
	JSONPath string `yaml:"json_path"`
}

// Account is a user of the target.
type Account struct {
	Email    string `yaml:"email"`
	Password string `yaml:"password"`
	Name     string `yaml:"name"`
}

// CookieSpec names the session cookie; "auto" (the default) takes the
// cookie the login response sets.
type CookieSpec struct {
	Name string `yaml:"name"`
	// ProductionName is the name in production mode (default: auto).
	ProductionName string `yaml:"production_name"`
}

// StoreSpec is where the records are, for the inspect/clear/corrupt hooks.
type StoreSpec struct {
	// Dir is the filesystem profile's session directory (template; default
	// {{.SessionDir}}, the directory the harness gives the target).
	Dir string `yaml:"dir"`
	// RedisPrefix is the documented prefix of session keys.
	RedisPrefix string `yaml:"redis_prefix"`
	// RedisURL is where the harness can read an external target's Redis
	// (external mode only; process and container targets use the run's).
	RedisURL string `yaml:"redis_url"`
}

// RedisURLs are templates of the Redis URL the app gets in the topology
// profiles, for apps that take Sentinel or Cluster addresses in another
// form than the reference (a URL scheme of their own, a list of hosts).
type RedisURLs struct {
	// Sentinel is the redis-sentinel profile's URL: a template over
	// .Sentinels (the Sentinels' host:port), .MasterName and .DB.
	Sentinel string `yaml:"sentinel"`
	// Cluster is the redis-cluster profile's URL: a template over .Nodes
	// (every master's host:port).
	Cluster string `yaml:"cluster"`
}

// The reference's forms (reference/store.ParseRedisURL), the defaults.
const (
	DefaultSentinelURL = "redis://{{first .Sentinels}}/{{.DB}}?master_name={{.MasterName}}{{range rest .Sentinels}}&addr={{.}}{{end}}"
	DefaultClusterURL  = "redis://{{first .Nodes}}?cluster=true{{range rest .Nodes}}&addr={{.}}{{end}}"
)

// SentinelURL is the redis-sentinel profile's Redis URL for the Sentinels
// at sentinels, watching master, and logical database db.
func (m *Manifest) SentinelURL(sentinels []string, master string, db int) (string, error) {
	u, err := expandURL(m.RedisURLs.Sentinel, map[string]any{"Sentinels": sentinels, "MasterName": master, "DB": db})
	if err != nil {
		return "", fmt.Errorf("%s: redis_urls.sentinel: %v", m.Position("redis_urls.sentinel"), err)
	}
	return u, nil
}

// ClusterURL is the redis-cluster profile's Redis URL for the masters at
// nodes.
func (m *Manifest) ClusterURL(nodes []string) (string, error) {
	u, err := expandURL(m.RedisURLs.Cluster, map[string]any{"Nodes": nodes})
	if err != nil {
		return "", fmt.Errorf("%s: redis_urls.cluster: %v", m.Position("redis_urls.cluster"), err)
	}
	return u, nil
}

// urlFuncs help the URL templates put a list of addresses in the form the
// app wants: {{first .Nodes}}, {{range rest .Nodes}}, {{join .Nodes ","}}.
var urlFuncs = template.FuncMap{
	"first": func(s []string) string {
		if len(s) == 0 {
			return ""
		}
		return s[0]
	},
	"rest": func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		return s[1:]
	},
	"join": func(s []string, sep string) string { return strings.Join(s, sep) },
}

func expandURL(tmpl string, data map[string]any) (string, error) {
	t, err := template.New("").Funcs(urlFuncs).Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Features are the optional capabilities the target declares.
type Features struct {
	IdleTimeout   bool `yaml:"idle_timeout"`
	Production    bool `yaml:"production"`
	MultiInstance bool `yaml:"multi_instance"`
	// IndependentSessions: two logins of one account are separate sessions
	// (CLEAR-8). HashedKeys: store keys are hashes of the token (TOKEN-11).
	IndependentSessions bool `yaml:"independent_sessions"`
	HashedKeys          bool `yaml:"hashed_keys"`
	// CleanupInterval is how often expired files are removed (LIFE-8). When
	// settings.cleanup_interval names an env var, the harness shortens it.
	CleanupInterval Duration `yaml:"cleanup_interval"`
	// SwitchFrom is the server-side profile the app switches to cookie
	// sessions from (PROFILE-1): filesystem or redis. Default: the first of
	// them in profiles; with neither, PROFILE-1 is unsupported.
	SwitchFrom catalog.Profile `yaml:"switch_from"`
}

// TimeoutSpec overrides the harness's named timeouts for this target.
type TimeoutSpec struct {
	Start   Duration `yaml:"start"`
	Stop    Duration `yaml:"stop"`
	Request Duration `yaml:"request"`
	// Tolerance is the clock tolerance of expiry checks: 1 s plus the
	// store's timing granularity (a store that stamps expiry in whole
	// seconds, like cachelib's int(time()) + timeout, needs 2 s).
	Tolerance Duration `yaml:"tolerance"`
}

// Has reports whether the target declares f.
func (m *Manifest) Has(f catalog.Feature) bool {
	switch f {
	case catalog.IdleTimeout:
		return m.Features.IdleTimeout
	case catalog.Production:
		return m.Features.Production
	case catalog.MultiInstance:
		return m.Features.MultiInstance
	case catalog.Independent:
		return m.Features.IndependentSessions
	case catalog.HashedKeys:
		return m.Features.HashedKeys
	case "":
		return true
	}
	return false
}

// SwitchSource is the server-side profile a switch to cookie sessions
// starts from (PROFILE-1), or "" when the manifest declares none.
func (m *Manifest) SwitchSource() catalog.Profile {
	if m.Features.SwitchFrom != "" {
		return m.Features.SwitchFrom
	}
	for _, p := range m.Profiles {
		if p == catalog.Filesystem || p == catalog.Redis {
			return p
		}
	}
	return ""
}

// SelectProfiles returns the profiles named in want (all the manifest
// declares when want is empty); naming one it does not declare is an
// error.
func (m *Manifest) SelectProfiles(want []string) ([]catalog.Profile, error) {
	if len(want) == 0 {
		return m.Profiles, nil
	}
	var out []catalog.Profile
	for _, w := range want {
		p, err := catalog.ParseProfile(w)
		if err != nil {
			return nil, err
		}
		if !m.Declares(p) {
			return nil, fmt.Errorf("%s declares the profiles %v, not %s", m.Path, m.Profiles, p)
		}
		out = append(out, p)
	}
	return out, nil
}

// Declares reports whether profile p is one of the target's.
func (m *Manifest) Declares(p catalog.Profile) bool { return slices.Contains(m.Profiles, p) }

// Mode names how the target runs.
func (m *Manifest) Mode() string {
	switch {
	case m.External != nil:
		return "external"
	case m.Container != nil:
		return "container"
	}
	return "process"
}

// Position returns "file:line" of a field path, for messages about values
// that parsed but do not work (a missing command, say).
func (m *Manifest) Position(path string) string {
	if p, ok := m.positions[path]; ok {
		return fmt.Sprintf("%s:%d", m.Path, p.line)
	}
	return m.Path
}

var manifestType = reflect.TypeFor[Manifest]()

// Load reads, checks and completes a manifest.
func Load(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	return Parse(data, path)
}

// Parse is Load for bytes already read; path is used for messages and to
// resolve relative paths.
func Parse(data []byte, path string) (*Manifest, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty manifest", path)
	}
	c := &checker{file: path, positions: map[string]position{}}
	c.walk(doc.Content[0], manifestType, "")
	if len(c.errs) > 0 {
		return nil, errors.New(strings.Join(c.errs, "\n"))
	}
	m := &Manifest{Path: path, positions: c.positions}
	if err := doc.Content[0].Decode(m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	m.Dir = filepath.Dir(abs)
	m.applyDefaults()
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Manifest) applyDefaults() {
	if len(m.Profiles) == 0 {
		m.Profiles = []catalog.Profile{catalog.Filesystem}
	}
	if m.Process == nil && m.External == nil && m.Container == nil {
		m.Process = &Process{}
	}
	if m.Process != nil {
		if m.Process.Workdir == "" {
			m.Process.Workdir = "."
		}
		if !filepath.IsAbs(m.Process.Workdir) {
			m.Process.Workdir = filepath.Join(m.Dir, m.Process.Workdir)
		}
	}
	if m.Container != nil && m.Container.Port == 0 {
		m.Container.Port = 5000
	}
	m.Settings.defaults()
	if m.ProfileEnv == nil {
		m.ProfileEnv = map[catalog.Profile]map[string]string{}
	}
	storyTypes := map[catalog.Profile]string{catalog.Filesystem: "filesystem", catalog.Redis: "redis", catalog.Cookie: "null",
		catalog.RedisSentinel: "redis", catalog.RedisCluster: "redis"}
	for p, v := range storyTypes {
		if _, ok := m.ProfileEnv[p]; !ok && *m.Settings.SessionType != "" {
			m.ProfileEnv[p] = map[string]string{*m.Settings.SessionType: v}
		}
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&m.Routes.Login, "/organizer/login")
	def(&m.Routes.Dashboard, "/organizer/")
	def(&m.Routes.Logout, "/organizer/logout")
	def(&m.Routes.LogoutMethod, "POST")
	m.Routes.LogoutMethod = strings.ToUpper(m.Routes.LogoutMethod)
	def(&m.Routes.LogoutPage, m.Routes.Dashboard)
	def(&m.Routes.StatePath, m.Routes.Dashboard)
	def(&m.Routes.Ready, m.Routes.Login)
	def(&m.Form.Encoding, "form")
	def(&m.Form.Email, "email")
	def(&m.Form.Password, "password")
	def(&m.Form.Submit, "submit")
	if len(m.Accounts) == 0 {
		m.Accounts = []Account{
			{Email: "john.smith@example.com", Password: "password123", Name: "John Smith"},
			{Email: "jane.doe@example.com", Password: "password456", Name: "Jane Doe"},
		}
	}
	def(&m.LoggedInMarker, "{{.Name}}")
	def(&m.Cookie.Name, "auto")
	def(&m.Cookie.ProductionName, "auto")
	def(&m.Store.Dir, "{{.SessionDir}}")
	def(&m.Store.RedisPrefix, "session:")
	def(&m.RedisURLs.Sentinel, DefaultSentinelURL)
	def(&m.RedisURLs.Cluster, DefaultClusterURL)
	if m.Features.CleanupInterval == 0 {
		m.Features.CleanupInterval = Duration(time.Minute)
	}
}

func (s *Settings) defaults() {
	for _, f := range []struct {
		p   **string
		def string
	}{
		{&s.Port, "PORT"}, {&s.Host, "HOST"}, {&s.SessionType, "SESSION_TYPE"},
		{&s.SessionDir, "SESSION_FILE_DIR"}, {&s.RedisURL, "REDIS_URL"}, {&s.RedisPrefix, "SESSION_KEY_PREFIX"},
		{&s.Lifetime, "PERMANENT_SESSION_LIFETIME"}, {&s.IdleTimeout, "SESSION_IDLE_TIMEOUT"},
		{&s.CleanupInterval, "SESSION_CLEANUP_INTERVAL"}, {&s.SecretKey, "SECRET_KEY"},
		{&s.Production, "PRODUCTION"}, {&s.TLSCert, "TLS_CERT_FILE"}, {&s.TLSKey, "TLS_KEY_FILE"},
	} {
		if *f.p == nil {
			v := f.def
			*f.p = &v
		}
	}
}

func (m *Manifest) validate() error {
	var errs []string
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s: %s: %s", m.Position(path), path, fmt.Sprintf(format, args...)))
	}
	if m.Name == "" {
		bad("name", "required (used in reports)")
	}
	for i, p := range m.Profiles {
		if _, err := catalog.ParseProfile(string(p)); err != nil {
			bad(fmt.Sprintf("profiles[%d]", i), "%v", err)
		}
	}
	if f := m.Features.SwitchFrom; f != "" && f != catalog.Filesystem && f != catalog.Redis {
		bad("features.switch_from", "want filesystem or redis (the server-side profile the app switches to cookies from), got %q", f)
	}
	for p := range m.ProfileEnv {
		if _, err := catalog.ParseProfile(string(p)); err != nil {
			bad("profile_env."+string(p), "%v", err)
		}
	}
	// The URL templates must render for a typical topology.
	if _, err := m.SentinelURL([]string{"127.0.0.1:26379", "127.0.0.1:26380"}, "mymaster", 1); err != nil {
		errs = append(errs, err.Error())
	}
	if _, err := m.ClusterURL([]string{"127.0.0.1:7000", "127.0.0.1:7001"}); err != nil {
		errs = append(errs, err.Error())
	}
	modes := 0
	for _, set := range []bool{m.Process != nil, m.External != nil, m.Container != nil} {
		if set {
			modes++
		}
	}
	if modes > 1 {
		bad("process", "give exactly one of process, external and container")
	}
	if m.Process != nil && len(m.Process.Command) == 0 {
		bad("process.command", "required: the command that starts the target")
	}
	if m.External != nil && !strings.HasPrefix(m.External.URL, "http://") && !strings.HasPrefix(m.External.URL, "https://") {
		bad("external.url", "want an http:// or https:// URL, got %q", m.External.URL)
	}
	if m.Container != nil && m.Container.Image == "" {
		bad("container.image", "required")
	}
	switch m.Routes.LogoutMethod {
	case "POST", "GET", "DELETE":
	default:
		bad("routes.logout_method", "want POST, GET or DELETE, got %q", m.Routes.LogoutMethod)
	}
	if o := m.Routes.LogoutOverride; o != "" {
		if k, _, ok := strings.Cut(o, "="); !ok || k == "" {
			bad("routes.logout_override", "want field=value, such as _method=delete, got %q", o)
		} else if m.Routes.LogoutMethod != "POST" {
			bad("routes.logout_override", "a method override rides on a POST; routes.logout_method is %s", m.Routes.LogoutMethod)
		}
	}
	if m.Form.Encoding != "form" && m.Form.Encoding != "json" {
		bad("form.encoding", "want form or json, got %q", m.Form.Encoding)
	}
	if (m.CSRF.Meta != "" || m.CSRF.Cookie != "") && m.CSRF.Header == "" {
		bad("csrf.header", "a token from a <meta> tag or a cookie is sent in a request header: name it (Django: X-CSRFToken; Angular and Axios: X-XSRF-TOKEN; Rails: X-CSRF-Token)")
	}
	if m.CSRF.Meta != "" && m.CSRF.Cookie != "" {
		bad("csrf.meta", "give the token's source once: csrf.meta or csrf.cookie")
	}
	for _, r := range []struct{ path, v string }{
		{"routes.login", m.Routes.Login}, {"routes.dashboard", m.Routes.Dashboard},
		{"routes.logout", m.Routes.Logout}, {"routes.ready", m.Routes.Ready},
		{"routes.logout_page", m.Routes.LogoutPage}, {"routes.state", m.Routes.StatePath},
	} {
		if !strings.HasPrefix(r.v, "/") {
			bad(r.path, "want a path starting with /, got %q", r.v)
		}
	}
	for i, a := range m.Accounts {
		if a.Email == "" || a.Password == "" || a.Name == "" {
			bad(fmt.Sprintf("accounts[%d]", i), "email, password and name are all required")
		}
	}
	if len(m.Accounts) < 2 {
		bad("accounts", "two accounts are needed (multi-user specs)")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

// KnownFailingPath returns the known-failing list's path, or "".
func (m *Manifest) KnownFailingPath() string {
	if m.KnownFailing == "" || filepath.IsAbs(m.KnownFailing) {
		return m.KnownFailing
	}
	return filepath.Join(m.Dir, m.KnownFailing)
}

// Duration is a YAML duration: "2s", "1m30s" or whole seconds.
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration like 2s or a number of seconds")
	}
	if secs, err := strconv.Atoi(n.Value); err == nil {
		*d = Duration(time.Duration(secs) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("expected a duration like 2s or a number of seconds, got %q", n.Value)
	}
	*d = Duration(v)
	return nil
}

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Command is a program and its arguments: a YAML list, or a string run by
// /bin/sh -c.
type Command []string

func (c *Command) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if strings.TrimSpace(n.Value) == "" {
			return fmt.Errorf("empty command")
		}
		*c = Command{"/bin/sh", "-c", n.Value}
		return nil
	case yaml.SequenceNode:
		var argv []string
		if err := n.Decode(&argv); err != nil {
			return fmt.Errorf("expected a list of strings")
		}
		if len(argv) == 0 || argv[0] == "" {
			return fmt.Errorf("empty command")
		}
		*c = argv
		return nil
	}
	return fmt.Errorf("expected a command string or a list of strings")
}

// Expand renders a manifest template ({{.Port}}, {{.Name}}, ...) with
// data; a missing key is an error, not an empty string.
func Expand(s string, data any) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	t, err := template.New("").Option("missingkey=error").Parse(s)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
