package cli

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/harness/results"
	"github.com/sessionconf/sessionconf/harness/results/schemacheck"
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

// lastReports is the report directory of the latest sessionconf call.
var lastReports string

func sessionconf(t *testing.T, args ...string) (int, string, *results.Run) {
	t.Helper()
	reports := t.TempDir()
	lastReports = reports
	var out bytes.Buffer
	code := Main(append(args, "-reports", reports, "-suites", "http", "-procs", "2"), &out, &out)
	run, _ := results.ReadJSON(filepath.Join(reports, "results.json"))
	validateEveryResultsFile(t, reports)
	return code, out.String(), run
}

// validateEveryResultsFile holds every results.json a run wrote (the
// merged one and each suite run's) to the published schema.
func validateEveryResultsFile(t *testing.T, reports string) {
	t.Helper()
	filepath.WalkDir(reports, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "results.json" {
			if err := schemacheck.Validate(p); err != nil {
				t.Errorf("%s does not match the published schema:\n%v", p, err)
			}
		}
		return nil
	})
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
	if !strings.Contains(again, "-profiles filesystem -suites http -label-filter 'PERSIST-1'") || !strings.HasSuffix(again, " -keep") || !strings.Contains(out, again) {
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
	summary := writeFile(t, "summary.md", "earlier step\n")
	// The manifest as a relative path: the reproduce command repeats it as
	// given, results.json names it relative to itself.
	target := "../../fixtures/targets/reference-filesystem.yaml"
	code, out, run := sessionconf(t, "run", "-target", target, "-label-filter", "PERSIST-1", "-known-failing", list, "-summary-md", summary)
	if code != exitFail || run == nil || statusOf(run, "PERSIST-1") != results.XPass {
		t.Fatalf("want exit 1 with PERSIST-1 xpass, got exit %d:\n%s", code, out)
	}
	// The list and the manifest are named relative to the report
	// directory, not to the suite run's directory below it or to where the
	// command ran.
	if want := "../" + filepath.Base(filepath.Dir(list)) + "/known"; run.KnownFailing != want {
		t.Errorf("known_failing is %q, want %q", run.KnownFailing, want)
	}
	abs, _ := filepath.Abs(target)
	if want, _ := filepath.Rel(lastReports, abs); run.Target.Manifest != want {
		t.Errorf("the manifest is %q, want %q (relative to the report directory)", run.Target.Manifest, want)
	}
	// The failure says how to run it again, with the list that made it fail.
	want := "sessionconf run -target " + target + " -profiles filesystem -suites http -label-filter 'PERSIST-1' -known-failing " + list + " -keep"
	for _, r := range run.Results {
		if r.Requirement == "PERSIST-1" && r.Reproduce != want {
			t.Errorf("reproduce command\n%s\nwant\n%s", r.Reproduce, want)
		}
	}
	if !strings.Contains(out, "Failures (1):\n  xpass PERSIST-1 filesystem/http: ") || !strings.Contains(out, "\n        "+want+"\n") {
		t.Errorf("the console does not list the failure with its reproduce command:\n%s", out)
	}
	md, _ := os.ReadFile(summary)
	if !strings.HasPrefix(string(md), "earlier step\n### ✗ sessionconf reference") || !strings.Contains(string(md), want) {
		t.Errorf("-summary-md did not append the summary with the reproduce command:\n%s", md)
	}
}

// A -known-failing path relative to the working directory is read from
// there, although the suites run in their binaries' directory.
func TestARelativeKnownFailingListIsFound(t *testing.T) {
	// A directory below the working one: a path into /tmp would resolve
	// from anywhere (enough ../ reach the root).
	dir, err := os.MkdirTemp(".", "known-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	rel := filepath.Join(dir, "known")
	if err := os.WriteFile(rel, []byte("PERSIST-1  # wrongly listed: the reference keeps it\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, run := sessionconf(t, "run", "-target", reference(t, "filesystem"), "-label-filter", "PERSIST-1", "-known-failing", rel)
	if run == nil || statusOf(run, "PERSIST-1") != results.XPass {
		t.Fatalf("want PERSIST-1 xpass from the list %s, got exit %d:\n%s", rel, code, out)
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
