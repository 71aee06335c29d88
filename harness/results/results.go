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
	"time"
)

// Schema names the results.json format; bump the version on incompatible
// changes.
const Schema = "sessionconf.results/v1"

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

// Cost is what one start and one login of the target took in one
// profile's suite run: the fastest of a few, before any spec ran. Specs
// size their samples and bound their waits by it.
type Cost struct {
	Profile  string  `json:"profile"`
	Suite    string  `json:"suite"`
	Measured bool    `json:"measured"` // false: the target did not start or log in
	Start    float64 `json:"start_seconds"`
	Login    float64 `json:"login_seconds"`
}

// Run is a whole results.json.
type Run struct {
	Schema       string    `json:"schema"`
	SuiteVersion string    `json:"suite_version"`
	Target       Target    `json:"target"`
	Profiles     []string  `json:"profiles"`
	Redis        string    `json:"redis_provider,omitempty"`
	Browser      string    `json:"browser,omitempty"`
	Started      time.Time `json:"started"`
	Duration     float64   `json:"duration_seconds"`
	Filtered     bool      `json:"filtered"` // a label filter or focus left requirements out
	KnownFailing string    `json:"known_failing,omitempty"`
	// Costs are what a start and a login of the target took, measured per
	// profile and suite before the specs ran.
	Costs   []Cost         `json:"costs,omitempty"`
	Summary map[Status]int `json:"summary"`
	Results []Result       `json:"results"`
}

// Summarize fills Summary from Results.
func (r *Run) Summarize() {
	r.Summary = map[Status]int{}
	for _, s := range Statuses {
		r.Summary[s] = 0
	}
	for _, res := range r.Results {
		r.Summary[res.Status]++
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

// WriteJSON writes results.json into dir.
func (r *Run) WriteJSON(dir string) (string, error) {
	r.Schema = Schema
	r.Summarize()
	data, err := json.MarshalIndent(r, "", "  ")
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
	if r.Schema != Schema {
		return nil, fmt.Errorf("%s: schema %q, this sessionconf reads %q", path, r.Schema, Schema)
	}
	return &r, nil
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
	out.Costs = nil
	for _, r := range runs {
		out.Results = append(out.Results, r.Results...)
		out.Costs = append(out.Costs, r.Costs...)
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
