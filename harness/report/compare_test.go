package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/sessionconf/sessionconf/harness/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func res(id, profile, suite string, s results.Status) results.Result {
	return results.Result{Requirement: id, Profile: profile, Suite: suite, Status: s, Level: "MUST", Title: "t " + id}
}

// compareFixture: a reference with three profiles, a Flask app with two
// (and a browser suite), a PHP app with only redis and a filtered run,
// plus a requirement only the newest run knows.
func compareFixture() []Input {
	ref := &results.Run{Schema: results.Schema, SuiteVersion: "0.1.0", Target: results.Target{Name: "reference", Mode: "process"},
		Profiles: []string{"filesystem", "redis", "cookie"}, Results: []results.Result{
			res("PERSIST-1", "filesystem", "http", results.Pass), res("PERSIST-1", "redis", "http", results.Pass), res("PERSIST-1", "cookie", "http", results.Pass),
			res("LIFE-7", "filesystem", "http", results.Unsupported), res("LIFE-7", "redis", "http", results.Pass), res("LIFE-7", "cookie", "http", results.Unsupported),
			res("TOKEN-10", "filesystem", "http", results.Pass), res("TOKEN-10", "redis", "http", results.Pass), res("TOKEN-10", "cookie", "http", results.Unsupported),
		}}
	flask := &results.Run{Schema: results.Schema, SuiteVersion: "0.1.0", Target: results.Target{Name: "flask | <i>app</i>", Mode: "process"},
		Profiles: []string{"filesystem", "redis"}, Results: []results.Result{
			res("PERSIST-1", "filesystem", "http", results.Pass), res("PERSIST-1", "filesystem", "browser", results.Fail),
			res("PERSIST-1", "redis", "http", results.Pass),
			res("LIFE-7", "filesystem", "http", results.Unsupported), res("LIFE-7", "redis", "http", results.XFail),
			res("TOKEN-10", "filesystem", "http", results.XFail), res("TOKEN-10", "redis", "http", results.XFail),
		}}
	php := &results.Run{Schema: results.Schema, SuiteVersion: "0.2.0", Target: results.Target{Name: "php", Mode: "external"}, Filtered: true,
		Profiles: []string{"redis"}, Results: []results.Result{
			res("PERSIST-1", "redis", "http", results.Pass), res("LIFE-7", "redis", "http", results.Skipped),
			res("TOKEN-10", "redis", "http", results.Skipped), res("NEW-1", "redis", "http", results.Pass),
		}}
	return []Input{
		{Path: "ref/results.json", Run: ref, Report: "../ref/report.html"},
		{Path: "flask/results.json", Run: flask},
		{Path: "php/results.json", Run: php},
	}
}

func TestCompareMatrix(t *testing.T) {
	c := Compare(compareFixture())
	var ids []string
	differs := map[string]bool{}
	for _, r := range c.Rows {
		ids = append(ids, r.ID)
		differs[r.ID] = r.Differs
		if len(r.Cells) != 3+2+1 {
			t.Errorf("%s has %d cells, want one per implementation and profile (6)", r.ID, len(r.Cells))
		}
	}
	if got := strings.Join(ids, " "); got != "PERSIST-1 LIFE-7 TOKEN-10 NEW-1" {
		t.Errorf("rows %q", got)
	}
	// PERSIST-1: only flask ran the browser suite (and failed it); the http
	// suite agrees everywhere: no difference.
	// LIFE-7: pass vs xfail in redis: differ. TOKEN-10: pass vs xfail.
	// NEW-1: only php knows it: nothing to differ with.
	want := map[string]bool{"PERSIST-1": false, "LIFE-7": true, "TOKEN-10": true, "NEW-1": false}
	for id, w := range want {
		if differs[id] != w {
			t.Errorf("%s differs = %v, want %v", id, differs[id], w)
		}
	}
	p1 := c.Rows[0].Cells[3] // flask filesystem
	if len(p1.Parts) != 2 || p1.Parts[0].Suite != "" || p1.Parts[1].Suite != "browser" || p1.Parts[1].Status != results.Fail {
		t.Errorf("flask's PERSIST-1 filesystem cell is %+v; want http first (unnamed), then browser", p1.Parts)
	}
	if h := c.Rows[0].Cells[0].Parts[0].Href; h != "../ref/report.html#res-PERSIST-1-filesystem-http" {
		t.Errorf("reference cell links to %q", h)
	}
	if h := p1.Parts[0].Href; h != "" {
		t.Errorf("flask has no report, yet its cell links to %q", h)
	}
	if c.Impls[0].Verdict != "PASS" || c.Impls[1].Verdict != "FAIL" {
		t.Errorf("verdicts %s %s", c.Impls[0].Verdict, c.Impls[1].Verdict)
	}
}

func TestCompareSkippedIsNotADifference(t *testing.T) {
	in := compareFixture()
	in = []Input{in[0], in[2]} // reference and the filtered php run
	c := Compare(in)
	for _, r := range c.Rows {
		if r.ID == "LIFE-7" && r.Differs {
			t.Error("a requirement skipped by a filter counts as a difference")
		}
	}
}

func TestCompareMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Compare(compareFixture()).Markdown(&b, false); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "compare.md")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update once)", err)
	}
	if b.String() != string(want) {
		t.Errorf("Markdown differs from %s (go test -update to accept):\n%s", golden, b.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if strings.HasPrefix(line, "| ") && strings.Contains(line, "<i>") {
			t.Errorf("raw HTML from a target name in the Markdown: %s", line)
		}
	}
}

func TestCompareMarkdownOnlyDifferences(t *testing.T) {
	var b bytes.Buffer
	if err := Compare(compareFixture()).Markdown(&b, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "**NEW-1**") || strings.Contains(b.String(), "**PERSIST-1**") || !strings.Contains(b.String(), "**LIFE-7** ≠") {
		t.Errorf("-only-differences kept the wrong rows:\n%s", b.String())
	}
}

func TestCompareHTML(t *testing.T) {
	var b bytes.Buffer
	if err := Compare(compareFixture()).HTML(&b, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(elements(doc, "script")); n != 1 {
		t.Errorf("%d scripts", n)
	}
	if n := len(elements(doc, "i")); n != 0 {
		t.Error("a target name's HTML was rendered")
	}
	var groups []string
	walk(doc, func(n *html.Node) {
		if v, _ := attr(n, "scope"); v == "colgroup" {
			span, _ := attr(n, "colspan")
			groups = append(groups, text(n)+"/"+span)
		}
	})
	if got := strings.Join(groups, " "); got != "reference/3 flask | <i>app</i>/2 php/1" {
		t.Errorf("implementation headers %q", got)
	}
	var differing int
	walk(doc, func(n *html.Node) {
		if v, _ := attr(n, "data-differs"); v == "true" {
			differing++
		}
	})
	if differing != 2 {
		t.Errorf("%d rows marked differing, want 2", differing)
	}
}

func TestDisagreeComparesSharedSuitesOnly(t *testing.T) {
	http := map[string]results.Status{"http": results.Pass}
	both := map[string]results.Status{"http": results.Pass, "browser": results.Fail}
	bothPass := map[string]results.Status{"http": results.Pass, "browser": results.Pass}
	for _, c := range []struct {
		impls []map[string]results.Status
		want  bool
	}{
		{[]map[string]results.Status{http, both}, false},    // only one ran the browser suite
		{[]map[string]results.Status{both, bothPass}, true}, // both did, and disagree
		{[]map[string]results.Status{http, {}}, false},      // the other skipped everything
		{[]map[string]results.Status{http, http, both}, false},
		{[]map[string]results.Status{{"http": results.XFail}, http}, true},
	} {
		if got := disagree(c.impls); got != c.want {
			t.Errorf("disagree(%v) = %v, want %v", c.impls, got, c.want)
		}
	}
}
