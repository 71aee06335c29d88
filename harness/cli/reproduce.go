package cli

import (
	"strings"

	"github.com/sessionconf/sessionconf/harness/results"
)

// addReproduceCommands gives every failing result the command that runs
// its spec again, alone, keeping its state: the first thing a person does
// with a failure. The manifests are named as they were given.
func addReproduceCommands(run *results.Run, o runOptions) {
	for i, r := range run.Results {
		if !r.Status.Failing() {
			continue
		}
		args := []string{"sessionconf", "run", "-target", strings.Join(o.targets, ","), "-profiles", r.Profile, "-suites", suiteOf(r), "-label-filter", r.Requirement, "-keep"}
		if o.knownFailing != "" {
			args = append(args, "-known-failing", o.knownFailing)
		}
		quoted := make([]string, len(args))
		for k, a := range args {
			quoted[k] = shellQuote(a)
		}
		run.Results[i].Reproduce = strings.Join(quoted, " ")
	}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./,:=@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
