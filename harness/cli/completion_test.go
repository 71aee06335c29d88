package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The bash script completes commands, each command's own flags, and the
// values of -profiles; bash sources it without a syntax error.
func TestBashCompletion(t *testing.T) {
	var out, errb strings.Builder
	if code := Main([]string{"completion", "bash"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	script := filepath.Join(t.TempDir(), "c.bash")
	os.WriteFile(script, []byte(out.String()), 0o644)
	complete := func(words ...string) string {
		t.Helper()
		prog := `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _sessionconf; echo "${COMPREPLY[*]}"`
		got, err := exec.Command("bash", append([]string{"-c", prog, "x", script}, words...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v: %s", err, got)
		}
		return strings.TrimSpace(string(got))
	}
	if got := complete("sessionconf", "do"); got != "doctor" {
		t.Errorf("command: %q", got)
	}
	if got := complete("sessionconf", "run", "-label"); got != "-label-filter" {
		t.Errorf("run's flag: %q", got)
	}
	if got := complete("sessionconf", "doctor", "-profiles", "re"); got != "redis" {
		t.Errorf("a profile: %q", got)
	}
	if got := complete("sessionconf", "selftest", "-ful"); got != "-full" {
		t.Errorf("selftest's flag: %q", got)
	}
	var z strings.Builder
	if Main([]string{"completion", "zsh"}, &z, &errb) != exitOK || !strings.HasPrefix(z.String(), "#compdef sessionconf") {
		t.Errorf("zsh: %q", z.String()[:40])
	}
	if Main([]string{"completion", "fish"}, &z, &errb) != exitUsage {
		t.Error("an unknown shell must be a usage error")
	}
}

func TestConventions(t *testing.T) {
	var out, errb strings.Builder
	if code := Main(nil, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "Usage: sessionconf <command>") {
		t.Errorf("bare sessionconf: exit %d, stderr %q", code, errb.String())
	}
	for _, v := range []string{"version", "-version", "--version"} {
		out.Reset()
		if code := Main([]string{v}, &out, &errb); code != exitOK || !strings.HasPrefix(out.String(), "sessionconf 0.") {
			t.Errorf("%s: exit %d, %q", v, code, out.String())
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "x.yaml")
	os.WriteFile(p, []byte("old"), 0o644)
	out.Reset()
	errb.Reset()
	// A flag after the file: init x.yaml -force.
	if code := Main([]string{"init", p, "-force"}, &out, &errb); code != exitOK {
		t.Errorf("init FILE -force: exit %d: %s", code, errb.String())
	}
	if data, _ := os.ReadFile(p); string(data) == "old" {
		t.Error("-force after the file was not taken")
	}
}
