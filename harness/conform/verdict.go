package conform

import (
	"fmt"

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
		msgs := append([]string(nil), e.failures...)
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
