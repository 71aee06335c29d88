package conform

import (
	"fmt"
	"regexp"

	"github.com/sessionconf/sessionconf/harness/results"
)

// ending is everything a spec's result is decided from.
type ending struct {
	// failures are the expectations the target broke while the spec was
	// live (failures recorded after an interrupt are not kept: a request
	// cut off by the spec's own deadline says nothing of the target).
	failures []string
	// outcome is how the body stopped: normally, unsupported, or with an
	// error of the harness.
	outcome outcome
	// listed reports whether the target's known-failing list names the
	// requirement for this profile.
	listed bool
}

// verdict decides a spec's status. A failure, once recorded, is the
// verdict: a later discovery that the rest of the spec cannot run (an
// unsupported setting, a harness error, a timeout) stops the spec but
// erases nothing the target was already seen to break. The later stop is
// kept as a note in the messages.
func verdict(e ending) (results.Status, []string) {
	o := e.outcome
	if len(e.failures) > 0 {
		msgs := groupAlike(e.failures)
		switch {
		case o.infra != nil:
			msgs = append(msgs, fmt.Sprintf("(after these failures the spec could not go on: %v)", o.infra))
		case o.unsupported != "":
			msgs = append(msgs, fmt.Sprintf("(after these failures the spec could not go on: %s)", o.unsupported))
		}
		if e.listed {
			return results.XFail, msgs
		}
		return results.Fail, msgs
	}
	switch {
	case o.infra != nil:
		return results.Error, []string{o.infra.Error()}
	case o.unsupported != "":
		return results.Unsupported, nil
	case e.listed:
		return results.XPass, nil
	}
	return results.Pass, nil
}

// groupAlike keeps the first of each group of failures that differ only
// in numbers and token values (the same check failing for every cookie of
// a flow), and says how many more there were: twenty near-identical lines
// hide the one that differs. The journal keeps every failure.
func groupAlike(failures []string) []string {
	var out []string
	index := map[string]int{} // shape -> position in out
	count := map[string]int{}
	var shapes []string
	for _, f := range failures {
		sh := shape(f)
		if _, seen := index[sh]; !seen {
			index[sh] = len(out)
			out = append(out, f)
			shapes = append(shapes, sh)
		}
		count[sh]++
	}
	for i, sh := range shapes {
		if n := count[sh] - 1; n > 0 {
			out[i] += fmt.Sprintf(" (and %d more like it; every one is in journal.txt)", n)
		}
	}
	return out
}

// tokenish matches what varies between near-identical failures: numbers,
// durations, and runs of ID-like characters that hold a digit.
var tokenish = regexp.MustCompile(`[A-Za-z0-9_+/=%.:-]*[0-9][A-Za-z0-9_+/=%.:-]*`)

func shape(msg string) string { return tokenish.ReplaceAllString(msg, "#") }
