// Package version says which sessionconf this is: the suite's version,
// and the commit and date it was built from (stamped by `make build` and
// `make dist` with -ldflags -X; a plain go build falls back to what the Go
// toolchain recorded).
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the suite's version (semver), recorded in every results.json:
// the requirement catalog and the verdicts of one version are comparable.
const Version = "0.2.0"

// Set at build time: -ldflags "-X github.com/sessionconf/sessionconf/harness/version.Commit=..."
var (
	Commit = ""
	Date   = ""
)

// String is the one line `sessionconf version` prints.
func String() string {
	commit, date := Commit, Date
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && commit == "":
				commit = s.Value
			case s.Key == "vcs.time" && date == "":
				date = s.Value
			}
		}
		if commit == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			commit = info.Main.Version // go install module@version
		}
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if commit == "" {
		commit = "unknown commit"
	}
	s := fmt.Sprintf("sessionconf %s (%s", Version, commit)
	if date != "" {
		s += ", " + date
	}
	return s + fmt.Sprintf("; %s %s/%s)", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
