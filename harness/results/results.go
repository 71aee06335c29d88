// Package results is the outcome of a conformance run: a status per
// requirement and profile, written as results.json (a versioned schema
// other tools can read) and junit.xml (for CI pages).
package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sessionconf/sessionconf/harness/version"
)

// Schema names the results.json format (docs/results.schema.json); bump
// the version on incompatible changes. ReadJSON still reads v1.
const Schema = "sessionconf.results/v2"

const schemaV1 = "sessionconf.results/v1"

// Status of one requirement in one profile.
type Status string

const (
	Pass        Status = "pass"        // the target keeps the promise
	Fail        Status = "fail"        // the target breaks it
	Error       Status = "error"       // the harness or its infrastructure broke; nothing is known
	Unsupported Status = "unsupported" // does not apply to this profile, or the feature is not declared
	Skipped     Status = "skipped"     // filtered out of this run
	XFail       Status = "xfail"       // listed as known-failing, and failed
	XPass       Status = "xpass"       // listed as known-failing, but passed: the list is stale
)

// Statuses in report order.
var Statuses = []Status{Pass, Fail, Error, XFail, XPass, Unsupported, Skipped}

// Failing reports whether s makes the run fail.
func (s Status) Failing() bool { return s == Fail || s == Error || s == XPass }

// Result is one requirement in one profile.
type Result struct {
	Requirement string   `json:"requirement"`
	Level       string   `json:"level"`
	Title       string   `json:"title"`
	Profile     string   `json:"profile"`
	Suite       string   `json:"suite"` // "http" or "browser"
	Status      Status   `json:"status"`
	Duration    float64  `json:"duration_seconds"`
	Messages    []string `json:"messages,omitempty"`
	// Reason explains unsupported, skipped and xfail results.
	Reason string `json:"reason,omitempty"`
	// NotChecked marks an unsupported result that the target could have
	// had checked: the requirement applies to the profile, but the manifest
	// does not declare what the spec needs (a feature, a setting, a hook).
	NotChecked bool       `json:"not_checked,omitempty"`
	Evidence   []Evidence `json:"evidence,omitempty"`
	Location   string     `json:"location,omitempty"` // the spec's file:line
	// Reproduce is the command that runs this result's spec again, alone,
	// keeping its state (set for fail, error and xpass).
	Reproduce string `json:"reproduce,omitempty"`
}

// Evidence is a file kept for a result, relative to the report directory.
type Evidence struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

// Target identifies what was tested.
type Target struct {
	Name     string `json:"name"`
	Manifest string `json:"manifest"` // several: comma-separated
	Mode     string `json:"mode"`
}

// SuiteRun is one suite run of one profile within the run: the Ginkgo seed
// that ordered its specs, and what one start and one login of the target
// took (the fastest of a few, before any spec ran; specs size their
// samples and bound their waits by it).
type SuiteRun struct {
	Profile string `json:"profile"`
	Suite   string `json:"suite"`
	Seed    int64  `json:"seed,omitempty"`
	// Started is when the suite run began (the suites of a run go one
	// after another): the JUnit testsuite's timestamp.
	Started  time.Time `json:"started,omitzero"`
	Measured bool      `json:"costs_measured"` // false: the target did not start or log in
	Start    float64   `json:"start_seconds"`
	Login    float64   `json:"login_seconds"`
}

// Run is a whole results.json.
type Run struct {
	Schema       string     `json:"schema"`
	SuiteVersion string     `json:"suite_version"`
	Target       Target     `json:"target"`
	Profiles     []string   `json:"profiles"`
	Redis        string     `json:"redis_provider,omitempty"`
	Browser      string     `json:"browser,omitempty"`
	Started      time.Time  `json:"started"`
	Duration     float64    `json:"duration_seconds"`
	Filtered     bool       `json:"filtered"`                // a label filter or focus left requirements out
	KnownFailing string     `json:"known_failing,omitempty"` // several: comma-separated
	SuiteRuns    []SuiteRun `json:"suite_runs,omitempty"`
	// Verdict is "pass" or "fail": OK(), as the command's exit status says.
	Verdict string         `json:"verdict"`
	Summary map[Status]int `json:"summary"`
	Results []Result       `json:"results"`
}

// Summarize fills Summary and Verdict from Results.
func (r *Run) Summarize() {
	r.Summary = map[Status]int{}
	for _, s := range Statuses {
		r.Summary[s] = 0
	}
	for _, res := range r.Results {
		r.Summary[res.Status]++
	}
	r.Verdict = "fail"
	if r.OK() {
		r.Verdict = "pass"
	}
}

// Executed counts results that actually ran (anything but unsupported and
// skipped).
func (r *Run) Executed() int {
	n := 0
	for _, res := range r.Results {
		if res.Status != Unsupported && res.Status != Skipped {
			n++
		}
	}
	return n
}

// OK reports whether the run passes: no fail, error or xpass, and at least
// one requirement executed.
func (r *Run) OK() bool {
	if r.Executed() == 0 {
		return false
	}
	for _, res := range r.Results {
		if res.Status.Failing() {
			return false
		}
	}
	return true
}

// Sort orders results by profile, then catalog order of the given IDs.
func (r *Run) Sort(order []string) {
	pos := map[string]int{}
	for i, id := range order {
		pos[id] = i
	}
	slices.SortStableFunc(r.Results, func(a, b Result) int {
		if a.Profile != b.Profile {
			return profileRank(a.Profile) - profileRank(b.Profile)
		}
		if a.Suite != b.Suite {
			if a.Suite < b.Suite {
				return 1 // http before browser
			}
			return -1
		}
		return pos[a.Requirement] - pos[b.Requirement]
	})
}

func profileRank(p string) int {
	switch p {
	case "filesystem":
		return 0
	case "redis":
		return 1
	case "cookie":
		return 2
	}
	return 3
}

// WriteJSON writes results.json into dir. Paths in it are relative to
// dir (the manifests, the known-failing list, the evidence), so a report
// directory can be moved or uploaded whole; spec locations are relative
// to the repository.
func (r *Run) WriteJSON(dir string) (string, error) {
	r.Schema = Schema
	if r.SuiteVersion == "" {
		r.SuiteVersion = version.Version // results made by this sessionconf
	}
	r.Summarize()
	out := r.relativeTo(dir)
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "results.json")
	return p, writeFile(p, append(data, '\n'))
}

// ReadJSON reads a results.json, checking its schema.
func ReadJSON(path string) (*Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Run
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if r.Schema != Schema && r.Schema != schemaV1 {
		return nil, fmt.Errorf("%s: schema %q, this sessionconf reads %q", path, r.Schema, Schema)
	}
	return &r, nil
}

// relativeTo returns a copy of r whose paths are relative to dir.
func (r *Run) relativeTo(dir string) *Run {
	out := *r
	// Lists are lists, if empty: readers (and the schema) need no null case.
	out.Profiles = nonNil(r.Profiles)
	out.Results = nonNil(slices.Clone(r.Results))
	out.Target.Manifest = relList(dir, r.Target.Manifest)
	out.KnownFailing = relList(dir, r.KnownFailing)
	for i, res := range out.Results {
		out.Results[i].Location = sourceLocation(res.Location)
		if len(res.Evidence) > 0 {
			ev := slices.Clone(res.Evidence)
			for k := range ev {
				ev[k].Path = rel(dir, ev[k].Path)
			}
			out.Results[i].Evidence = ev
		}
	}
	return &out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// rel makes an absolute path relative to dir ("" stays "").
func rel(dir, p string) string {
	if p == "" || !filepath.IsAbs(p) {
		return filepath.ToSlash(p)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return filepath.ToSlash(p)
	}
	if r, err := filepath.Rel(absDir, p); err == nil {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(p)
}

// relList is rel for a comma-separated list.
func relList(dir, list string) string {
	if list == "" {
		return ""
	}
	parts := strings.Split(list, ",")
	for i, p := range parts {
		parts[i] = rel(dir, strings.TrimSpace(p))
	}
	return strings.Join(parts, ", ")
}

// sourceLocation is a spec's file:line from the repository's root (the
// suites live under suites/), whatever machine built them.
func sourceLocation(loc string) string {
	if i := strings.Index(loc, "suites/"); i > 0 && filepath.IsAbs(loc) {
		return loc[i:]
	}
	return loc
}

// Merge combines runs of the same target (one per profile or suite) into one.
func Merge(runs ...*Run) *Run {
	if len(runs) == 0 {
		return &Run{Schema: Schema}
	}
	out := *runs[0]
	out.Results = nil
	out.Profiles = nil
	var end time.Time
	out.SuiteRuns = nil
	for _, r := range runs {
		out.Results = append(out.Results, r.Results...)
		out.SuiteRuns = append(out.SuiteRuns, r.SuiteRuns...)
		for _, p := range r.Profiles {
			if !slices.Contains(out.Profiles, p) {
				out.Profiles = append(out.Profiles, p)
			}
		}
		out.Filtered = out.Filtered || r.Filtered
		if r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		if e := r.Started.Add(time.Duration(r.Duration * float64(time.Second))); e.After(end) {
			end = e
		}
		if out.Redis == "" {
			out.Redis = r.Redis
		}
		if out.Browser == "" {
			out.Browser = r.Browser
		}
		if out.SuiteVersion == "" {
			out.SuiteVersion = r.SuiteVersion
		}
	}
	out.Duration = end.Sub(out.Started).Seconds()
	out.Summarize()
	return &out
}

func writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}
