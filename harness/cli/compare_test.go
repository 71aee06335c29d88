package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/harness/results"
)

func writeRun(t *testing.T, dir, name string, profiles []string, rs ...results.Result) string {
	t.Helper()
	r := &results.Run{Target: results.Target{Name: name}, Profiles: profiles, Results: rs}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := r.WriteJSON(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCompareCommand(t *testing.T) {
	tmp := t.TempDir()
	a := writeRun(t, filepath.Join(tmp, "a"), "alpha", []string{"filesystem", "redis"},
		results.Result{Requirement: "PERSIST-1", Profile: "filesystem", Suite: "http", Status: results.Pass},
		results.Result{Requirement: "PERSIST-1", Profile: "redis", Suite: "http", Status: results.Fail})
	os.WriteFile(filepath.Join(tmp, "a", "report.html"), []byte("<!doctype html>"), 0o644)
	writeRun(t, filepath.Join(tmp, "b"), "beta", []string{"redis"},
		results.Result{Requirement: "PERSIST-1", Profile: "redis", Suite: "http", Status: results.Pass})

	// Markdown on stdout; a report directory is as good as its results.json.
	var out, errb bytes.Buffer
	if code := Main([]string{"compare", a, filepath.Join(tmp, "b")}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	md := out.String()
	for _, want := range []string{"alpha (filesystem)", "alpha (redis)", "beta (redis)", "**PERSIST-1** ≠", "✗ fail"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}

	// -out writes both files; the HTML links into alpha's report.
	out.Reset()
	dir := filepath.Join(tmp, "cmp")
	if code := Main([]string{"compare", "-out", dir, a, filepath.Join(tmp, "b", "results.json")}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	page, err := os.ReadFile(filepath.Join(dir, "compare.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `href="../a/report.html#res-PERSIST-1-redis-http"`) {
		t.Error("the HTML does not link into alpha's report.html")
	}
	if _, err := os.Stat(filepath.Join(dir, "compare.md")); err != nil {
		t.Error(err)
	}
}

func TestCompareRefusesOtherSchemas(t *testing.T) {
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "results.json")
	os.WriteFile(bad, []byte(`{"schema":"sessionconf.results/v0","results":[]}`), 0o644)
	notJSON := filepath.Join(tmp, "junit.xml")
	os.WriteFile(notJSON, []byte(`<testsuites/>`), 0o644)
	for _, args := range [][]string{{"compare", bad}, {"compare", notJSON}, {"compare", filepath.Join(tmp, "missing.json")}, {"compare"}} {
		var out, errb bytes.Buffer
		if code := Main(args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if errb.Len() == 0 {
			t.Errorf("%v: no message", args)
		}
	}
	var out, errb bytes.Buffer
	Main([]string{"compare", bad}, &out, &errb)
	if !strings.Contains(errb.String(), `schema "sessionconf.results/v0"`) {
		t.Errorf("the schema error does not say which schema: %s", errb.String())
	}
}
