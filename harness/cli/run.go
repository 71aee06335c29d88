package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sessionconf/sessionconf/harness/knownfail"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/progress"
	"github.com/sessionconf/sessionconf/harness/redisprov"
	"github.com/sessionconf/sessionconf/harness/results"
	"github.com/sessionconf/sessionconf/harness/runner"
)

func init() {
	register("run", "run the suites against a target and write the reports", runCmd)
}

type runOptions struct {
	targets      listFlag
	profiles     listFlag
	suites       listFlag
	procs        int
	browserProcs int
	jobs         int
	reports      string
	labelFilter  string
	knownFailing string
	timeouts     mapFlag
	timeoutScale float64
	redis        string
	keep         bool
	verbose      bool
	quiet        bool
	rerunFailed  string
	summaryMD    string
}

func runCmd(args []string, stdout, stderr io.Writer) int {
	o := runOptions{timeouts: mapFlag{}}
	fs := newFlags("run", stderr)
	fs.Var(&o.targets, "target", "target manifest (required; repeat, or separate with commas, for several manifests of one implementation, e.g. one per profile)")
	fs.Var(&o.profiles, "profiles", "profiles to test, comma-separated (default: all the manifest declares)")
	fs.Var(&o.suites, "suites", "suites to run: http, browser (default: all)")
	fs.IntVar(&o.procs, "procs", 8, "parallel Ginkgo processes per suite run (specs mostly wait, so more than the CPUs is fine)")
	fs.IntVar(&o.browserProcs, "browser-procs", 2, "parallel Ginkgo processes of the browser suite per profile (each runs a Chromium: CPU-bound, unlike the HTTP suite; 2 was fastest on 2 cores)")
	fs.IntVar(&o.jobs, "jobs", 3, "profiles of one suite run at once (the suites run one after another)")
	fs.StringVar(&o.reports, "reports", "reports", "report directory")
	fs.StringVar(&o.labelFilter, "label-filter", "", "run only specs matching this Ginkgo label expression, e.g. 'LIFE-1 || LIFE-2', '/^TOKEN-/' or 'MUST' (the run is then marked filtered)")
	fs.StringVar(&o.knownFailing, "known-failing", "", "known-failing list (default: the manifest's known_failing)")
	fs.Var(o.timeouts, "timeout", "override a named timeout, e.g. -timeout start=30s (repeatable; names: start, stop, request, tolerance, poll, outage, recovery, failover, browser, spec, logins)")
	fs.Float64Var(&o.timeoutScale, "timeout-scale", 1, "multiply every timeout (slow machines)")
	fs.StringVar(&o.redis, "redis-provider", "", "Redis provider: auto (default), container, local or external (with SESSIONCONF_REDIS_URL)")
	fs.BoolVar(&o.keep, "keep", false, "keep the state directories of the run (debugging)")
	fs.BoolVar(&o.verbose, "v", false, "verbose: also print every suite run's full Ginkgo output")
	fs.BoolVar(&o.quiet, "q", false, "quiet: print only the summary (no progress lines, no table)")
	fs.StringVar(&o.rerunFailed, "rerun-failed", "", "run again only what failed, errored or xpassed in this results.json (its targets unless -target is given)")
	fs.StringVar(&o.summaryMD, "summary-md", "", "append a Markdown summary of the run to this file (e.g. \"$GITHUB_STEP_SUMMARY\")")
	if code, ok := noPositional(fs, args); !ok {
		return code
	}
	if o.quiet && o.verbose {
		fmt.Fprintln(stderr, "sessionconf run: -q and -v contradict each other; give one")
		return exitUsage
	}
	var rerun *rerunPlan
	if o.rerunFailed != "" {
		var err error
		if rerun, err = planRerun(o.rerunFailed); err != nil {
			fmt.Fprintln(stderr, "sessionconf run:", err)
			return exitUsage
		}
		if len(rerun.failed) == 0 {
			fmt.Fprintf(stdout, "sessionconf: nothing failed in %s, so there is nothing to run again\n", o.rerunFailed)
			return exitOK
		}
		if len(o.targets) == 0 {
			o.targets = rerun.targets
		}
	}
	if len(o.targets) == 0 {
		fmt.Fprintln(stderr, "sessionconf run: -target is required (see fixtures/targets/ for examples, or 'sessionconf init')")
		return exitUsage
	}
	return run(o, rerun, stdout, stderr)
}

func run(o runOptions, rerun *rerunPlan, stdout, stderr io.Writer) int {
	layout, err := runner.FindLayout()
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
		return exitUsage
	}
	layout.ExportEnv()
	var jobs []*runner.Job
	reports, _ := filepath.Abs(o.reports)
	var manifests []*manifest.Manifest
	targetOf := map[string]string{} // profile -> its manifest, as given
	for _, path := range o.targets {
		m, err := manifest.Load(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		known := o.knownFailing
		if known == "" {
			known = m.KnownFailingPath()
		} else if abs, err := filepath.Abs(known); err == nil {
			known = abs // the suites run in their binaries' directory
		}
		if _, err := knownfail.Load(known); err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		profiles, err := m.SelectProfiles(o.profiles)
		if err != nil {
			fmt.Fprintln(stderr, "sessionconf run:", err)
			return exitUsage
		}
		chosen, err := layout.ChooseSuites(o.suites)
		if err != nil {
			fmt.Fprintln(stderr, "sessionconf run:", err)
			return exitUsage
		}
		for _, p := range profiles {
			targetOf[string(p)] = path
			for _, s := range chosen {
				if slices.ContainsFunc(jobs, func(j *runner.Job) bool { return j.Profile == p && j.Suite == s }) {
					fmt.Fprintf(stderr, "sessionconf run: the %s profile is given by two manifests\n", p)
					return exitUsage
				}
				filter := o.labelFilter
				if rerun != nil {
					var again bool
					if filter, again = rerun.filter(p, s.Name, filter); !again {
						continue
					}
				}
				abs, _ := filepath.Abs(path)
				jobs = append(jobs, &runner.Job{Manifest: m, Path: abs, Known: known, Suite: s, Profile: p, Dir: filepath.Join(reports, string(p), s.Name), Filter: filter})
			}
		}
		manifests = append(manifests, m)
	}
	if len(jobs) == 0 {
		fmt.Fprintf(stderr, "sessionconf run: what failed in %s is in no profile and suite of these targets\n", o.rerunFailed)
		return exitUsage
	}
	m := manifests[0]

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runID := redisprov.NewRunID()
	defer runner.Reap(runID)

	start := time.Now()
	var chosen []runner.Suite
	for _, j := range jobs {
		if !slices.Contains(chosen, j.Suite) {
			chosen = append(chosen, j.Suite)
		}
		if !o.quiet {
			fmt.Fprintf(stdout, "sessionconf: %s, %s profile, %s suite (%s)\n", j.Manifest.Name, j.Profile, j.Suite.Name, j.Manifest.Path)
		}
	}
	bins, err := layout.Binaries(ctx, chosen, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
		return exitFail
	}
	defer bins.Close()
	for _, m := range manifests {
		if err := runner.BuildTarget(ctx, m, stderr); err != nil {
			fmt.Fprintln(stderr, "sessionconf:", err)
			return exitFail
		}
	}

	for _, j := range jobs {
		os.RemoveAll(j.Dir)
		os.MkdirAll(j.Dir, 0o755)
	}
	parallel := max(1, o.jobs)
	for _, j := range jobs {
		if j.Manifest.External != nil {
			// One stack the harness cannot multiply: its specs share it, so
			// they run one at a time.
			parallel = 1
		}
	}
	// One suite after another, its profiles at once: the browser suite
	// keeps every core busy, and load specs of the HTTP suite running
	// beside it (TOKEN-1, ROBUST-7, CLEAR-7) would measure the starved
	// machine rather than the target: their targets' Redis calls time out
	// and answer 503.
	ro := runner.Options{Procs: o.procs, BrowserProcs: o.browserProcs, Timeouts: o.timeouts, TimeoutScale: o.timeoutScale, Redis: o.redis, Keep: o.keep}
	stopBoard := func() {}
	if !o.quiet {
		var err error
		if stopBoard, err = followProgress(ctx, bins, jobs, stdout); err != nil {
			fmt.Fprintln(stderr, "sessionconf: no progress lines:", err)
		}
	}
	for _, s := range chosen {
		var these []*runner.Job
		for _, j := range jobs {
			if j.Suite == s {
				these = append(these, j)
			}
		}
		bins.RunAll(ctx, runID, ro, these, parallel, nil, nil)
	}
	stopBoard()

	var runs []*results.Run
	for _, j := range jobs {
		r, rerr := j.Results()
		if o.verbose {
			runner.PrintLog(stdout, j)
		}
		if rerr != nil {
			if !o.verbose {
				runner.PrintLogTail(stdout, j, 40)
			}
			fmt.Fprintf(stderr, "sessionconf: %s/%s wrote no results (%v); its output is in %s\n", j.Profile, j.Suite.Name, rerr, j.Log)
			runs = append(runs, runner.ErrorRun(j, rerr))
			continue
		}
		if j.Err != nil && r.OK() {
			fmt.Fprintf(stderr, "sessionconf: %s/%s ended with %v although its results hold no failure; its output is in %s\n", j.Profile, j.Suite.Name, j.Err, j.Log)
		}
		rebaseEvidence(r, reports, j.Dir)
		runs = append(runs, r)
	}
	merged := results.Merge(runs...)
	// One implementation, possibly a manifest per profile: name them all.
	var paths []string
	for _, mm := range manifests {
		// Absolute, so results.json can name it relative to itself.
		abs, err := filepath.Abs(mm.Path)
		if err != nil {
			abs = mm.Path
		}
		paths = append(paths, abs)
	}
	merged.Target = results.Target{Name: m.Name, Manifest: strings.Join(paths, ", "), Mode: m.Mode()}
	merged.KnownFailing = knownFailingOf(jobs)
	merged.Duration = time.Since(start).Seconds()
	merged.Started = start
	merged.FillReproduce(o.rerun(targetOf))
	if _, err := merged.WriteJSON(reports); err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
	}
	if _, err := merged.WriteJUnit(reports); err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
	}
	writeHTMLReport(reports, merged, stderr)
	if o.summaryMD != "" {
		writeSummaryMarkdown(o.summaryMD, merged, stderr)
	}
	printSummary(stdout, merged, jobs, reports, o.quiet)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "sessionconf: interrupted")
		return exitInterrupted
	}
	if !merged.OK() {
		return exitFail
	}
	return exitOK
}

// followProgress prints a line as each spec of the jobs ends and a
// heartbeat while they wait, until the returned stop is called.
func followProgress(ctx context.Context, bins *runner.Binaries, jobs []*runner.Job, stdout io.Writer) (stop func(), err error) {
	dir, err := os.MkdirTemp("", "sessionconf-progress-*")
	if err != nil {
		return func() {}, err
	}
	board := &progress.Board{Out: stdout, Heartbeat: heartbeat}
	for _, j := range jobs {
		j.Progress = filepath.Join(dir, fmt.Sprintf("%s-%s.jsonl", j.Profile, j.Suite.Name))
		board.Follow(fmt.Sprintf("%s/%s", j.Profile, j.Suite.Name), j.Progress)
		n, err := bins.Count(ctx, j)
		if err != nil {
			fmt.Fprintln(stdout, "sessionconf:", firstLine(err.Error()))
			board.Total = -1
		}
		if board.Total >= 0 {
			board.Total += n
		}
	}
	board.Total = max(board.Total, 0)
	bctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		board.Run(bctx)
	}()
	return func() {
		cancel()
		<-finished
		os.RemoveAll(dir)
	}, nil
}

// heartbeat is how long progress may be silent while specs run.
const heartbeat = 30 * time.Second

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// rerun is what a failure's reproduce command repeats of this run: each
// profile's manifest as given, and the flags that can change a verdict.
// Not -reports: the command is for a person at a terminal, and the
// default directory is the one they read.
func (o runOptions) rerun(targetOf map[string]string) results.Rerun {
	rr := results.Rerun{Program: programAsTyped(), Targets: targetOf}
	if o.knownFailing != "" {
		rr.Flags = append(rr.Flags, "-known-failing", o.knownFailing)
	}
	if o.redis != "" {
		rr.Flags = append(rr.Flags, "-redis-provider", o.redis)
	}
	if o.timeoutScale != 1 {
		rr.Flags = append(rr.Flags, "-timeout-scale", strconv.FormatFloat(o.timeoutScale, 'g', -1, 64))
	}
	for _, name := range slices.Sorted(maps.Keys(o.timeouts)) {
		rr.Flags = append(rr.Flags, "-timeout", name+"="+o.timeouts[name])
	}
	return rr
}

// programAsTyped is how this shell reaches sessionconf again: the path the
// user typed (bin/sessionconf, ./sessionconf), or "" when it came from PATH
// or an absolute path (go run's is a build directory gone after the run).
func programAsTyped() string {
	if strings.ContainsRune(os.Args[0], '/') && !filepath.IsAbs(os.Args[0]) {
		return os.Args[0]
	}
	return ""
}

// knownFailingOf names the known-failing lists of the run's jobs. The
// suite runs' results name theirs relative to their own directories,
// which the merged results.json is not in.
func knownFailingOf(jobs []*runner.Job) string {
	var lists []string
	for _, j := range jobs {
		if j.Known == "" {
			continue
		}
		abs, err := filepath.Abs(j.Known)
		if err != nil {
			abs = j.Known
		}
		if !slices.Contains(lists, abs) {
			lists = append(lists, abs)
		}
	}
	return strings.Join(lists, ", ")
}
