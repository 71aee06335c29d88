package cli

import (
	"path/filepath"
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
