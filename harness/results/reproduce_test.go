package results

import (
	"os/exec"
	"strings"
	"testing"
)

func TestReproduceCommand(t *testing.T) {
	rr := Rerun{
		Targets: map[string]string{"": "ci/app.yaml", "redis": "ci/app redis.yaml"},
		Flags:   []string{"-known-failing", "ci/it's known.txt", "-timeout-scale", "2"},
	}
	got := rr.ReproduceCommand(Result{Requirement: "COOKIE-1", Profile: "filesystem", Suite: "http"})
	want := `sessionconf run -target ci/app.yaml -profiles filesystem -suites http -label-filter 'COOKIE-1' -known-failing 'ci/it'\''s known.txt' -timeout-scale 2 -keep`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// The profile's own manifest, quoted; a shell reads back the words.
	got = rr.ReproduceCommand(Result{Requirement: "LIFE-4", Profile: "redis", Suite: "browser"})
	words := shellWords(t, got)
	wantWords := []string{"sessionconf", "run", "-target", "ci/app redis.yaml", "-profiles", "redis", "-suites", "browser", "-label-filter", "LIFE-4",
		"-known-failing", "ci/it's known.txt", "-timeout-scale", "2", "-keep"}
	if strings.Join(words, "|") != strings.Join(wantWords, "|") {
		t.Errorf("a shell reads %q as\n%q, want\n%q", got, words, wantWords)
	}
}

func TestReproduceCommandNamesTheProgramAsTyped(t *testing.T) {
	rr := Rerun{Program: "./release dir/sessionconf", Targets: map[string]string{"": "app.yaml"}}
	words := shellWords(t, rr.ReproduceCommand(Result{Requirement: "PERSIST-1", Profile: "redis"}))
	if words[0] != "./release dir/sessionconf" {
		t.Errorf("the command starts with %q, want the program as the user ran it", words[0])
	}
}

func TestShellQuoteSurvivesAShell(t *testing.T) {
	for _, s := range []string{"plain", "", "with space", "it's", `$HOME`, "`id`", `a\b`, "new\nline", "'", "*", "a;b", "~user", "-x"} {
		q := ShellQuote(s)
		if words := shellWords(t, "x "+q); len(words) != 2 || words[1] != s {
			t.Errorf("ShellQuote(%q) = %s, which a shell reads as %q", s, q, words)
		}
	}
	if ShellQuote("ci/app.yaml") != "ci/app.yaml" {
		t.Error("a safe word is quoted")
	}
}

// shellWords asks /bin/sh how it splits a command line.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	out, err := exec.Command("/bin/sh", "-c", `set -f; f() { for w in "$@"; do printf '%s\0' "$w"; done; }; f `+line).Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

func TestFillReproduceOnlyForFailures(t *testing.T) {
	r := run(Pass, Fail, Error, XPass, XFail, Unsupported, Skipped)
	r.Results[0].Reproduce = "stale"
	r.FillReproduce(Rerun{Targets: map[string]string{"": "t.yaml"}})
	for _, res := range r.Results {
		if has := res.Reproduce != ""; has != res.Status.Failing() {
			t.Errorf("%s: reproduce %q", res.Status, res.Reproduce)
		}
	}
}
