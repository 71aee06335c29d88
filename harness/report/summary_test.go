package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/harness/results"
)

func summaryOf(t *testing.T, run *results.Run) string {
	t.Helper()
	var b strings.Builder
	if err := SummaryMarkdown(&b, run); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSummaryMarkdown(t *testing.T) {
	run, _ := fixture(t)
	run.Results[2].Reproduce = "sessionconf run -target apps/evil.yaml -profiles filesystem -suites http -label-filter 'LIFE-1' -keep"
	run.Results[2].Messages[0] = "dashboard gave ```\n# not a heading\n" + hostile
	run.Results = append(run.Results,
		results.Result{Requirement: "LIFE-3", Level: "MUST", Title: "Idle timeout", Profile: "redis", Suite: "http", Status: results.Unsupported, NotChecked: true, Reason: "the manifest declares no idle timeout"},
		results.Result{Requirement: "LIFE-3", Level: "MUST", Title: "Idle timeout", Profile: "filesystem", Suite: "browser", Status: results.Unsupported, NotChecked: true, Reason: "the manifest declares no idle timeout"},
		results.Result{Requirement: "TOKEN-9", Level: "SHOULD", Title: "A SHOULD", Profile: "redis", Suite: "http", Status: results.Unsupported, NotChecked: true, Reason: "not a MUST"})
	md := summaryOf(t, run)

	if !strings.Contains(md, "**FAIL: 2 passed, 3 failed (1 fail, 1 error, 1 xpass); 1 xfail, 4 unsupported (2 MUST not checked), 1 skipped in 12.5s**") {
		t.Errorf("no verdict line:\n%s", md)
	}
	if !strings.Contains(md, "### ✗ sessionconf evil &lt;b&gt;\"app\"&lt;/b&gt;") {
		t.Errorf("the heading does not escape the target's name:\n%s", md)
	}
	if !strings.Contains(md, "Filtered run") {
		t.Error("a filtered run is not said to be filtered")
	}
	// One row per profile and suite that ran, counts in the legend's order.
	for _, row := range []string{
		"| filesystem | http | 1 | **1** | 0 | 0 | 0 | 1 | 0 |",
		"| filesystem | browser | 0 | 0 | **1** | 0 | 0 | 1 | 0 |",
		"| redis | http | 1 | 0 | 0 | 1 | **1** | 2 | 1 |",
	} {
		if !strings.Contains(md, row) {
			t.Errorf("no row %q in:\n%s", row, md)
		}
	}
	if !strings.Contains(md, "| profile | suite | ✓ pass | ✗ fail | ⚠ error | ⊘ xfail | ★ xpass | – unsupported | · skipped |") {
		t.Errorf("the counts table's header is not the statuses in order:\n%s", md)
	}
	// Failures: each with its first message in a fence the message cannot
	// close, and its reproduce command.
	if !strings.Contains(md, "#### Failures (3)") {
		t.Errorf("no failures heading:\n%s", md)
	}
	if !strings.Contains(md, "  ````text\n  dashboard gave ```\n  ````\n") {
		t.Errorf("the first message is not fenced beyond its own backticks:\n%s", md)
	}
	if strings.Contains(md, "# not a heading") {
		t.Error("more than the first line of a message is shown")
	}
	if !strings.Contains(md, "  ```sh\n  "+run.Results[2].Reproduce+"\n  ```\n") {
		t.Errorf("the reproduce command is not a shell block:\n%s", md)
	}
	if !strings.Contains(md, "★ **xpass** `PERSIST-1` (MUST, redis / http)") || !strings.Contains(md, "PERSIST-1 passed, but list:3 lists it") {
		t.Errorf("the xpass is not listed with its message:\n%s", md)
	}
	// MUST not checked, grouped by reason; a SHOULD is not listed.
	if !strings.Contains(md, "#### MUST not checked (2)") || !strings.Contains(md, "- `LIFE-3@redis`, `LIFE-3@filesystem/browser`: the manifest declares no idle timeout") {
		t.Errorf("the not-checked MUSTs are not listed:\n%s", md)
	}
	if strings.Contains(md, "TOKEN-9") {
		t.Error("a not-checked SHOULD is listed as a MUST")
	}
}

func TestSummaryMarkdownOfAPassingRunAndAFlood(t *testing.T) {
	pass := &results.Run{Target: results.Target{Name: "ok"}, Profiles: []string{"filesystem"}, Duration: 3,
		Results: []results.Result{{Requirement: "PERSIST-1", Level: "MUST", Profile: "filesystem", Suite: "http", Status: results.Pass}}}
	md := summaryOf(t, pass)
	if !strings.Contains(md, "### ✓ sessionconf ok") || !strings.Contains(md, "**PASS: 1 passed, 0 failed") || strings.Contains(md, "Failures") || strings.Contains(md, "not checked") {
		t.Errorf("a passing run:\n%s", md)
	}

	flood := &results.Run{Target: results.Target{Name: "bad"}, Profiles: []string{"redis"}}
	for i := range 70 {
		flood.Results = append(flood.Results, results.Result{Requirement: fmt.Sprintf("X-%d", i), Profile: "redis", Suite: "http", Status: results.Fail, Messages: []string{fmt.Sprintf("case %d: ", i) + strings.Repeat("long ", 200)}})
	}
	md = summaryOf(t, flood)
	if n := strings.Count(md, "✗ **fail**"); n != maxSummaryFailures || !strings.Contains(md, "…and 20 more: see report.html.") {
		t.Errorf("%d failures listed; want %d and a pointer to the rest", n, maxSummaryFailures)
	}
	if strings.Contains(md, strings.Repeat("long ", 70)) {
		t.Error("a long first message is not cut")
	}
}

func TestSummaryMarkdownListsASharedCauseOnce(t *testing.T) {
	run := &results.Run{Target: results.Target{Name: "bad"}, Profiles: []string{"redis"}}
	for _, id := range []string{"PERSIST-1", "PERSIST-2", "LIFE-1"} {
		run.Results = append(run.Results, results.Result{Requirement: id, Profile: "redis", Suite: "http", Status: results.Error,
			Messages: []string{"the run could not start: gunicorn is not on PATH"}, Reproduce: "sessionconf run -label-filter '" + id + "'"})
	}
	md := summaryOf(t, run)
	if n := strings.Count(md, "gunicorn is not on PATH"); n != 1 {
		t.Errorf("the shared cause is listed %d times, want once:\n%s", n, md)
	}
	if !strings.Contains(md, "#### Failures (3)") || !strings.Contains(md, "3 requirements (redis / http): PERSIST-1, PERSIST-2, LIFE-1") {
		t.Errorf("the group does not name its requirements:\n%s", md)
	}
}
