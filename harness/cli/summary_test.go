package cli

import (
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/harness/results"
)

func TestTheTableLeavesOutWhatAppliesNowhereInTheRun(t *testing.T) {
	run := &results.Run{Profiles: []string{"filesystem", "cookie"}, Results: []results.Result{
		{Requirement: "PERSIST-1", Profile: "filesystem", Status: results.Pass},
		{Requirement: "PERSIST-1", Profile: "cookie", Status: results.Pass},
		{Requirement: "FAILOVER-1", Profile: "filesystem", Status: results.Unsupported},
		{Requirement: "FAILOVER-1", Profile: "cookie", Status: results.Unsupported},
		{Requirement: "PERSIST-4", Profile: "filesystem", Status: results.Unsupported, NotChecked: true},
		{Requirement: "LIFE-1", Profile: "filesystem", Status: results.Skipped},
		{Requirement: "CLEAR-1", Profile: "filesystem", Status: results.Pass},
		{Requirement: "CLEAR-1", Profile: "cookie", Status: results.Unsupported},
	}}
	var out strings.Builder
	printTable(&out, run)
	for _, id := range []string{"PERSIST-1", "PERSIST-4", "CLEAR-1"} {
		if !strings.Contains(out.String(), id+" ") {
			t.Errorf("the table leaves out %s:\n%s", id, out.String())
		}
	}
	for _, id := range []string{"FAILOVER-1", "LIFE-1"} {
		if strings.Contains(out.String(), id+" ") {
			t.Errorf("the table shows %s, which applies nowhere in this run:\n%s", id, out.String())
		}
	}
}

func TestACauseSharedByManyRequirementsIsPrintedOnce(t *testing.T) {
	cause := `the run could not start: app.yaml:8: process.command: "gunicorn" is not on PATH`
	run := &results.Run{Profiles: []string{"filesystem"}}
	for _, id := range []string{"PERSIST-1", "PERSIST-2", "LIFE-1", "LIFE-2", "COOKIE-1"} {
		run.Results = append(run.Results, results.Result{Requirement: id, Profile: "filesystem", Suite: "http", Status: results.Error, Messages: []string{cause}, Reproduce: "sessionconf run -label-filter '" + id + "'"})
	}
	run.Results = append(run.Results, results.Result{Requirement: "CLEAR-1", Profile: "filesystem", Suite: "http", Status: results.Fail, Messages: []string{"logout left the record"}, Reproduce: "sessionconf run -label-filter 'CLEAR-1'"})
	var out strings.Builder
	printFailures(&out, run)
	got := out.String()
	if n := strings.Count(got, cause); n != 1 {
		t.Errorf("the shared cause is printed %d times, want once:\n%s", n, got)
	}
	for _, want := range []string{"Failures (6):", "5 requirements filesystem/http", "PERSIST-1, PERSIST-2, LIFE-1, LIFE-2, COOKIE-1", "fail  CLEAR-1 filesystem/http: logout left the record"} {
		if !strings.Contains(got, want) {
			t.Errorf("the list lacks %q:\n%s", want, got)
		}
	}
}
