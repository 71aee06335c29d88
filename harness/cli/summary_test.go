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
