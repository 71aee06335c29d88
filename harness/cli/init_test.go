package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sessionconf/sessionconf/harness/manifest"
)

func initOutput(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Main(append([]string{"init"}, args...), &out, &errb); code != exitOK {
		t.Fatalf("init %v: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

// parseIn parses a manifest as if it were the file dir/name.
func parseIn(t *testing.T, data []byte, name string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse(data, filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatalf("the starter does not load:\n%v\n---\n%s", err, data)
	}
	return m
}

func TestInitLoadsWithTheDefaults(t *testing.T) {
	m := parseIn(t, []byte(initOutput(t)), "my-app.yaml")
	if m.Name != "my-app" || len(m.Profiles) != 2 || m.Mode() != "process" {
		t.Errorf("name %q, profiles %v, mode %s", m.Name, m.Profiles, m.Mode())
	}
	// The values the starter shows are the defaults: it must load to the
	// same manifest as one that leaves everything out.
	bare := parseIn(t, []byte("name: my-app\nprofiles: [filesystem, redis]\nprocess:\n  command: [python3, app.py]\n"), "bare.yaml")
	for _, f := range []string{"Settings", "ProfileEnv", "Routes", "Form", "Accounts", "LoggedInMarker", "Cookie", "Store", "Features", "Timeouts", "KnownFailing", "Env"} {
		got := reflect.ValueOf(*m).FieldByName(f).Interface()
		want := reflect.ValueOf(*bare).FieldByName(f).Interface()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("the starter's %s is %+v; the default is %+v", f, got, want)
		}
	}
	rel := func(m *manifest.Manifest) string { r, _ := filepath.Rel(m.Dir, m.Process.Workdir); return r }
	if rel(m) != rel(bare) || m.Process.StopGrace != bare.Process.StopGrace {
		t.Errorf("process defaults differ: %+v vs %+v", m.Process, bare.Process)
	}
}

var commentedYAML = regexp.MustCompile(`^(\s*)# ((?:\s*)(?:[a-z_]+:(?:\s|$)|- ).*)$`)

// uncomment turns every commented-out YAML line on.
func uncomment(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if m := commentedYAML.FindStringSubmatch(l); m != nil {
			lines[i] = m[1] + m[2]
		}
	}
	return strings.Join(lines, "\n")
}

// yamlPaths collects every key path of a YAML document (a.b.c).
func yamlPaths(n *yaml.Node, prefix string, out map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			yamlPaths(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if prefix != "" {
				p = prefix + "." + p
			}
			out[p] = true
			yamlPaths(n.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			yamlPaths(c, prefix, out)
		}
	}
}

// manifestPaths lists every field path the manifest format has.
func manifestPaths(t reflect.Type, prefix string, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		p := tag
		if prefix != "" {
			p = prefix + "." + tag
		}
		out[p] = true
		if f.Type.Kind() != reflect.Map && f.Type != reflect.TypeFor[manifest.Command]() {
			manifestPaths(f.Type, p, out)
		}
	}
}

func TestInitShowsEveryField(t *testing.T) {
	all := uncomment(initOutput(t))
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(all), &doc); err != nil {
		t.Fatalf("with its optional lines on, the starter is not YAML: %v\n%s", err, all)
	}
	shown := map[string]bool{}
	yamlPaths(&doc, "", shown)
	want := map[string]bool{}
	manifestPaths(reflect.TypeFor[manifest.Manifest](), "", want)
	var missing []string
	for p := range want {
		if !shown[p] {
			missing = append(missing, p)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("the starter does not show these manifest fields (add them to harness/cli/starter.yaml.tmpl): %v", missing)
	}
}

// The commented-out examples are valid too: with them on, the starter
// loads in each of the three modes.
func TestInitOptionalLinesLoad(t *testing.T) {
	all := uncomment(initOutput(t, "-profiles", "filesystem,redis,cookie"))
	for _, mode := range []string{"process", "external", "container"} {
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(all), &doc); err != nil {
			t.Fatal(err)
		}
		for _, other := range []string{"process", "external", "container"} {
			if other != mode {
				delete(doc, other)
			}
		}
		if mode != "external" {
			delete(doc["store"].(map[string]any), "redis_url")
		}
		delete(doc["csrf"].(map[string]any), "meta") // csrf.meta and csrf.cookie are alternatives
		data, _ := yaml.Marshal(doc)
		m := parseIn(t, data, "all.yaml")
		if m.Mode() != mode {
			t.Errorf("mode %s loaded as %s", mode, m.Mode())
		}
	}
}

func TestInitWritesAndRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "apps", "shop.yaml")
	var out, errb bytes.Buffer
	if code := Main([]string{"init", "-profiles", "redis", p}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	m, err := manifest.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "shop" || len(m.Profiles) != 1 || m.Profiles[0] != "redis" {
		t.Errorf("name %q profiles %v", m.Name, m.Profiles)
	}
	os.WriteFile(p, []byte("mine\n"), 0o644)
	errb.Reset()
	if code := Main([]string{"init", p}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "-force") {
		t.Errorf("overwrite without -force: exit %d, %q", code, errb.String())
	}
	if data, _ := os.ReadFile(p); string(data) != "mine\n" {
		t.Error("the existing file was changed")
	}
	if code := Main([]string{"init", "-force", "-name", "Shop: the <app>", p}, &out, &errb); code != exitOK {
		t.Fatalf("-force: exit %d: %s", code, errb.String())
	}
	if m, err := manifest.Load(p); err != nil || m.Name != "Shop: the <app>" {
		t.Errorf("after -force: %v, name %q", err, m.Name)
	}
	if code := Main([]string{"init", "-profiles", "memcached"}, &out, &errb); code != exitUsage {
		t.Errorf("unknown profile: exit %d", code)
	}
}
