package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sessionconf/sessionconf/harness/selftest"
)

func init() {
	register("selftest", "run the suite against every mutant of the reference and score it (mutation testing)", selftestCmd)
}

func selftestCmd(args []string, stdout, stderr io.Writer) int {
	var o selftest.Options
	var only listFlag
	fs := newFlags("selftest", stderr)
	fs.StringVar(&o.Dir, "mutants", selftest.MutantsDir, "directory of the mutants (one directory each: main.go, a manifest per profile, the expected-failure list)")
	fs.Var(&only, "only", "run only these mutants, comma-separated")
	fs.IntVar(&o.Jobs, "jobs", 6, "suite runs (mutant x profile) at once; specs mostly wait, builds and bcrypt are what costs CPU")
	fs.IntVar(&o.Procs, "procs", 8, "parallel Ginkgo processes per suite run")
	fs.IntVar(&o.BrowserProcs, "browser-procs", 2, "parallel Ginkgo processes of a browser suite run (each runs a Chromium)")
	fs.StringVar(&o.Reports, "reports", "reports/selftest", "report directory (selftest.json, selftest.md, and every mutant's results under mutants/)")
	fs.IntVar(&o.Repeat, "repeat", 1, "run every mutant this many times (a mutant must be caught the same way every time)")
	fs.StringVar(&o.Redis, "redis-provider", "", "Redis provider (default: local when redis-server is installed, else auto)")
	fs.StringVar(&o.LabelFilter, "label-filter", "", "run only the specs matching this Ginkgo label expression (debugging: unrun expectations become vacuous)")
	fs.Float64Var(&o.TimeoutScale, "timeout-scale", 1, "multiply every timeout (slow machines)")
	fs.BoolVar(&o.Full, "full", false, "run every spec against every mutant, the load specs ("+strings.Join(selftest.LoadSpecs, ", ")+") too")
	fs.BoolVar(&o.HTTPOnly, "http-only", false, "leave out the browser suite's runs (it runs the browser specs of the MUST requirements each mutant breaks)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the state directories of the runs (debugging)")
	fs.BoolVar(&o.Verbose, "v", false, "print every suite run's output, not only those of mutants that went wrong")
	if code, ok := noPositional(fs, args); !ok {
		return code
	}
	o.Only = only
	ok, err := selftest.Run(o, stdout, stderr)
	var usage *selftest.UsageError
	switch {
	case errors.Is(err, selftest.ErrInterrupted):
		fmt.Fprintln(stderr, "sessionconf selftest:", err)
		return exitInterrupted
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "sessionconf selftest:", err)
		return exitUsage
	case err != nil:
		fmt.Fprintln(stderr, "sessionconf selftest:", err)
		return exitFail
	case !ok:
		return exitFail
	}
	return exitOK
}
