package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/results"
)

// rerunPlan is what -rerun-failed runs again: the requirements that
// failed, errored or xpassed, by profile and suite, and the targets of
// that run.
type rerunPlan struct {
	failed  map[string][]string // "profile/suite" -> requirement IDs
	targets []string
}

func planRerun(path string) (*rerunPlan, error) {
	run, err := results.ReadJSON(path)
	if err != nil {
		return nil, fmt.Errorf("-rerun-failed: %w", err)
	}
	p := &rerunPlan{failed: map[string][]string{}}
	for _, r := range run.Results {
		if !r.Status.Failing() {
			continue
		}
		key := r.Profile + "/" + suiteOf(r)
		if !slices.Contains(p.failed[key], r.Requirement) {
			p.failed[key] = append(p.failed[key], r.Requirement)
		}
	}
	// The manifests, as results.json names them: relative to its directory.
	for m := range strings.SplitSeq(run.Target.Manifest, ",") {
		if m = strings.TrimSpace(m); m == "" {
			continue
		}
		if !filepath.IsAbs(m) {
			m = filepath.Join(filepath.Dir(path), m)
		}
		p.targets = append(p.targets, m)
	}
	return p, nil
}

func suiteOf(r results.Result) string {
	if r.Suite == "" {
		return "http"
	}
	return r.Suite
}

// filter is the label filter of the rerun of a profile's suite (and
// whether it has anything to run again), within the run's own filter.
func (p *rerunPlan) filter(profile catalog.Profile, suite, within string) (string, bool) {
	ids := p.failed[string(profile)+"/"+suite]
	if len(ids) == 0 {
		return "", false
	}
	f := strings.Join(ids, " || ")
	if within != "" {
		f = "(" + within + ") && (" + f + ")"
	}
	return f, true
}
