package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The repository's GitHub Action (action.yml) runs this command: these
// tests keep the two in step.

// action is action.yml's schema for a composite action (docs.github.com,
// "Metadata syntax for GitHub Actions"): a misspelt key fails the parse.
type action struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Author      string            `yaml:"author"`
	Branding    map[string]string `yaml:"branding"`
	Inputs      map[string]struct {
		Description        string `yaml:"description"`
		Required           bool   `yaml:"required"`
		Default            string `yaml:"default"`
		DeprecationMessage string `yaml:"deprecationMessage"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	Shell            string            `yaml:"shell"`
	Run              string            `yaml:"run"`
	Env              map[string]string `yaml:"env"`
	With             map[string]string `yaml:"with"`
	WorkingDirectory string            `yaml:"working-directory"`
	ContinueOnError  bool              `yaml:"continue-on-error"`
}

func readAction(t *testing.T) action {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a action
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

func (a action) step(id string) actionStep {
	for _, s := range a.Runs.Steps {
		if s.ID == id {
			return s
		}
	}
	return actionStep{}
}

func TestActionShape(t *testing.T) {
	a := readAction(t)
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using is %q, want composite", a.Runs.Using)
	}
	for _, in := range []string{"target", "profiles", "label-filter", "reports", "version"} {
		if _, ok := a.Inputs[in]; !ok {
			t.Errorf("no input %q", in)
		}
	}
	if !a.Inputs["target"].Required || a.Inputs["reports"].Default != "reports" {
		t.Errorf("target must be required and reports default to reports: %+v", a.Inputs)
	}
	for _, s := range a.Runs.Steps {
		if s.Run == "" {
			continue
		}
		if s.Shell != "bash" {
			t.Errorf("step %q: a composite action's run step needs shell: bash", s.Name)
		}
		// Inputs reach scripts through env: an expression inside a script
		// is pasted into it, and a label filter with a quote would run as
		// shell (script injection).
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q: ${{ }} inside run:, pass it through env", s.Name)
		}
	}
	up := a.step("")
	for _, s := range a.Runs.Steps {
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			up = s
		}
	}
	if up.If != "always()" || up.With["path"] != "${{ inputs.reports }}" {
		t.Errorf("the reports must be uploaded whatever the verdict, from inputs.reports: %+v", up)
	}
}

// The run step, executed by bash with a stand-in for sessionconf: empty
// inputs give no flag, a label filter with spaces stays one argument, and
// every flag it passes is one `sessionconf run` has.
func TestActionRunStepPassesTheInputs(t *testing.T) {
	a := readAction(t)
	step := a.step("run")
	if step.Run == "" {
		t.Fatal("no step with id run")
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "sessionconf")
	os.WriteFile(fake, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >\""+dir+"/argv\"\n"), 0o755)
	cmd := exec.Command("bash", "-c", step.Run)
	cmd.Env = append(os.Environ(),
		"SESSIONCONF="+fake, "TARGET=ci/app.yaml", "PROFILES=", "SUITES=http",
		"LABEL_FILTER=PERSIST-1 || LIFE-1", "REPORTS=out", "REDIS_PROVIDER=local", "ARGS=-procs 4",
		"GITHUB_OUTPUT="+filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY="+filepath.Join(dir, "summary.md"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the run step failed: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "argv"))
	got := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	want := []string{"run", "-target", "ci/app.yaml", "-suites", "http", "-label-filter", "PERSIST-1 || LIFE-1",
		"-reports", "out", "-redis-provider", "local", "-summary-md", filepath.Join(dir, "summary.md"), "-procs", "4"}
	if !slices.Equal(got, want) {
		t.Errorf("sessionconf was run with\n  %q\nwant\n  %q", got, want)
	}
	if out, _ := os.ReadFile(filepath.Join(dir, "output")); string(out) != "report=out/report.html\n" {
		t.Errorf("step outputs: %q", out)
	}

	have := commandFlags()["run"]
	for _, arg := range got[1:] {
		if strings.HasPrefix(arg, "-") && !strings.Contains(arg, " ") && !slices.Contains(have, arg) {
			t.Errorf("the action passes %s, which sessionconf run does not have", arg)
		}
	}
}
