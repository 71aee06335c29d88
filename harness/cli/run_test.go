package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/harness/results"
)

// These tests run the real HTTP suite (one or two specs each) against the
// reference, to check the run's verdict rules end to end.

func reference(t *testing.T, profile string) string {
	p, err := filepath.Abs("../../fixtures/targets/reference-" + profile + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sessionconf(t *testing.T, args ...string) (int, string, *results.Run) {
	t.Helper()
	reports := t.TempDir()
	var out bytes.Buffer
	code := Main(append(args, "-reports", reports, "-suites", "http", "-procs", "2"), &out, &out)
	run, _ := results.ReadJSON(filepath.Join(reports, "results.json"))
	return code, out.String(), run
}

func writeFile(t *testing.T, name, content string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func statusOf(run *results.Run, id string) results.Status {
	for _, r := range run.Results {
		if r.Requirement == id {
			return r.Status
		}
	}
	return ""
}

func TestRunPassesTheReference(t *testing.T) {
	code, out, run := sessionconf(t, "run", "-target", reference(t, "filesystem"), "-label-filter", "PERSIST-1 || TOKEN-12")
	if code != exitOK || run == nil || statusOf(run, "PERSIST-1") != results.Pass || statusOf(run, "TOKEN-12") != results.Pass {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if !strings.Contains(out, "2 passed, 0 failed") || !run.Filtered {
		t.Errorf("want the verdict line and a filtered run:\n%s", out)
	}
	for _, id := range []string{"PERSIST-1", "TOKEN-12"} {
		line := regexp.MustCompile(`(?m)^\[[12]/2\] pass ` + id + ` filesystem/http \d+(\.\d)?s$`)
		if !line.MatchString(out) {
			t.Errorf("want a progress line %q as the spec ends:\n%s", line, out)
		}
	}
	if strings.Contains(out, "--- FAIL") || strings.Contains(out, "Ran 2 of") {
		t.Errorf("Ginkgo's own output leaked into the run's:\n%s", out)
	}
}

func TestQuietPrintsOnlyTheSummary(t *testing.T) {
	code, out, _ := sessionconf(t, "run", "-q", "-target", reference(t, "filesystem"), "-label-filter", "TOKEN-12")
	if code != exitOK || !strings.Contains(out, "1 passed, 0 failed") {
		t.Fatalf("exit %d, want the verdict line:\n%s", code, out)
	}
	for _, noise := range []string{"[1/1]", "REQUIREMENT", "filesystem profile, http suite"} {
		if strings.Contains(out, noise) {
			t.Errorf("-q printed %q:\n%s", noise, out)
		}
	}
}

func TestRerunFailedRunsOnlyWhatFailedWithItsCommand(t *testing.T) {
	// A first run in which TOKEN-12 "failed": an xfail listed for
	// PERSIST-1 that the reference passes is an xpass, a failing status.
	list := writeFile(t, "known", "PERSIST-1  # wrongly listed\n")
	code, out, first := sessionconf(t, "run", "-target", reference(t, "filesystem"), "-label-filter", "PERSIST-1 || TOKEN-12", "-known-failing", list)
	if code != exitFail || first == nil {
		t.Fatalf("first run: exit %d:\n%s", code, out)
	}
	var again string
	for _, r := range first.Results {
		if r.Requirement == "PERSIST-1" {
			again = r.Reproduce
		}
	}
	if !strings.Contains(again, "-profiles filesystem -suites http -label-filter PERSIST-1 -keep") || !strings.Contains(out, "again: "+again) {
		t.Errorf("want the reproduce command in results and console, got %q:\n%s", again, out)
	}
	dir := t.TempDir()
	if _, err := first.WriteJSON(dir); err != nil {
		t.Fatal(err)
	}
	code, out, second := sessionconf(t, "run", "-rerun-failed", filepath.Join(dir, "results.json"))
	if code != exitOK || second == nil {
		t.Fatalf("rerun: exit %d (the manifest's own known-failing list passes PERSIST-1):\n%s", code, out)
	}
	if statusOf(second, "PERSIST-1") != results.Pass || statusOf(second, "TOKEN-12") != results.Skipped {
		t.Errorf("rerun ran PERSIST-1 %s, TOKEN-12 %s; want only PERSIST-1", statusOf(second, "PERSIST-1"), statusOf(second, "TOKEN-12"))
	}
}

func TestRerunOfACleanRunRunsNothing(t *testing.T) {
	dir := t.TempDir()
	clean := &results.Run{Target: results.Target{Manifest: reference(t, "filesystem")}, Results: []results.Result{{Requirement: "PERSIST-1", Profile: "filesystem", Suite: "http", Status: results.Pass}}}
	if _, err := clean.WriteJSON(dir); err != nil {
		t.Fatal(err)
	}
	code, out, _ := sessionconf(t, "run", "-rerun-failed", filepath.Join(dir, "results.json"))
	if code != exitOK || !strings.Contains(out, "nothing to run again") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestAStaleKnownFailingEntryFailsTheRun(t *testing.T) {
	list := writeFile(t, "known", "PERSIST-1  # wrongly listed: the reference keeps it\n")
	code, out, run := sessionconf(t, "run", "-target", reference(t, "filesystem"), "-label-filter", "PERSIST-1", "-known-failing", list)
	if code != exitFail || run == nil || statusOf(run, "PERSIST-1") != results.XPass {
		t.Fatalf("want exit 1 with PERSIST-1 xpass, got exit %d:\n%s", code, out)
	}
}

func TestAnEntryNamingNoRequirementIsRefused(t *testing.T) {
	list := writeFile(t, "known", "PERSIST-99  # renamed long ago\n")
	code, out, _ := sessionconf(t, "run", "-target", reference(t, "filesystem"), "-known-failing", list)
	if code != exitUsage || !strings.Contains(out, `"PERSIST-99" names no requirement`) {
		t.Fatalf("want exit 2 naming the entry, got %d:\n%s", code, out)
	}
}

func TestRunningNothingFails(t *testing.T) {
	code, out, _ := sessionconf(t, "run", "-target", reference(t, "filesystem"), "-label-filter", "NO-SUCH-LABEL")
	if code != exitFail {
		t.Fatalf("a run that executes nothing must fail, got exit %d:\n%s", code, out)
	}
}

func TestABadManifestFailsBeforeAnySpec(t *testing.T) {
	m := writeFile(t, "bad.yaml", "name: x\nprocess:\n  command: [x]\nroutes:\n  login: /l\n  logn: /oops\n")
	code, out, run := sessionconf(t, "run", "-target", m)
	if code != exitUsage || !strings.Contains(out, "bad.yaml:6:3: routes.logn: unknown field") || run != nil {
		t.Fatalf("want exit 2 with file:line:col and the field path, got %d:\n%s", code, out)
	}
}

func TestATargetThatDiesAtStartIsAnErrorWithItsLog(t *testing.T) {
	m := writeFile(t, "dies.yaml", "name: dies\nprocess:\n  command: [/bin/sh, -c, 'echo cannot open the session store >&2; exit 3']\n")
	code, out, run := sessionconf(t, "run", "-target", m, "-label-filter", "PERSIST-1")
	if code != exitFail || run == nil {
		t.Fatalf("want exit 1 and results, got %d:\n%s", code, out)
	}
	for _, r := range run.Results {
		if r.Requirement != "PERSIST-1" {
			continue
		}
		if r.Status != results.Error || !strings.Contains(strings.Join(r.Messages, " "), "cannot open the session store") {
			t.Errorf("PERSIST-1: %s %v; want error with the target's log tail", r.Status, r.Messages)
		}
	}
}

func TestDoctorNeedsATarget(t *testing.T) {
	var out, errb strings.Builder
	if code := Main([]string{"doctor"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "-target is required") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
