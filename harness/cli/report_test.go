package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/harness/results"
)

func TestRebaseEvidence(t *testing.T) {
	reports := t.TempDir()
	r := &results.Run{Results: []results.Result{{Requirement: "LIFE-1", Evidence: []results.Evidence{
		{Name: "journal.txt", Path: "evidence/LIFE-1/journal.txt"},
		{Name: "abs.log", Path: "/var/log/abs.log"},
	}}}}
	rebaseEvidence(r, reports, filepath.Join(reports, "redis", "browser"))
	ev := r.Results[0].Evidence
	if ev[0].Path != "redis/browser/evidence/LIFE-1/journal.txt" {
		t.Errorf("relative evidence path became %q", ev[0].Path)
	}
	if ev[1].Path != "/var/log/abs.log" {
		t.Errorf("absolute evidence path became %q", ev[1].Path)
	}
}

func TestReportRendersFromResultsJSON(t *testing.T) {
	dir := t.TempDir()
	run := &results.Run{Target: results.Target{Name: "app"}, Profiles: []string{"redis"}, Duration: 2,
		Results: []results.Result{{Requirement: "LIFE-1", Level: "MUST", Profile: "redis", Suite: "http", Status: results.Fail,
			Messages: []string{"still logged in"}, Reproduce: "sessionconf run -target app.yaml -profiles redis -suites http -label-filter 'LIFE-1' -keep"}}}
	if _, err := run.WriteJSON(dir); err != nil {
		t.Fatal(err)
	}
	summary := filepath.Join(t.TempDir(), "summary.md")
	var out, errb strings.Builder
	if code := Main([]string{"report", dir, "-summary-md", summary}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "sessionconf FAIL: 0 passed, 1 failed") {
		t.Errorf("no verdict line: %s", out.String())
	}
	for _, name := range []string{"report.html", "junit.xml"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !strings.Contains(string(data), "label-filter") {
			t.Errorf("%s lacks the reproduce command (%v)", name, err)
		}
	}
	if md, _ := os.ReadFile(summary); !strings.Contains(string(md), "`LIFE-1`") {
		t.Errorf("summary:\n%s", md)
	}
	if code := Main([]string{"report", t.TempDir()}, &out, &errb); code != exitUsage {
		t.Errorf("a directory without results.json: exit %d, want %d", code, exitUsage)
	}
}
