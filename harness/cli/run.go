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
	fs.Var(o.timeouts, "timeout", "override a named timeout, e.g. -timeout start=30s (repeatable; names: start, stop, request, tolerance, poll, outage, recovery, browser, spec, logins)")
	fs.Float64Var(&o.timeoutScale, "timeout-scale", 1, "multiply every timeout (slow machines)")
	fs.StringVar(&o.redis, "redis-provider", "", "Redis provider: auto (default), container, local or external (with SESSIONCONF_REDIS_URL)")
	fs.BoolVar(&o.keep, "keep", false, "keep the state directories of the run (debugging)")
	fs.BoolVar(&o.verbose, "v", false, "print every suite run's full output, not only failed ones")
	fs.StringVar(&o.summaryMD, "summary-md", "", "append a Markdown summary of the run to this file (e.g. \"$GITHUB_STEP_SUMMARY\")")
	if code, ok := noPositional(fs, args); !ok {
		return code
	}
	if len(o.targets) == 0 {
		fmt.Fprintln(stderr, "sessionconf run: -target is required (see fixtures/targets/ for examples, or 'sessionconf init')")
		return exitUsage
	}
	return run(o, stdout, stderr)
}

func run(o runOptions, stdout, stderr io.Writer) int {
	root, err := runner.RepoRoot()
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
		return exitUsage
	}
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
		chosen, err := runner.ChooseSuites(root, o.suites)
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
				abs, _ := filepath.Abs(path)
				jobs = append(jobs, &runner.Job{Manifest: m, Path: abs, Known: known, Suite: s, Profile: p, Dir: filepath.Join(reports, string(p), s.Name), Filter: o.labelFilter})
			}
		}
		manifests = append(manifests, m)
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
		fmt.Fprintf(stdout, "sessionconf: %s, %s profile, %s suite (%s)\n", j.Manifest.Name, j.Profile, j.Suite.Name, j.Manifest.Path)
	}
	bins, err := runner.Build(ctx, root, chosen, stderr)
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
	for _, s := range chosen {
		var these []*runner.Job
		for _, j := range jobs {
			if j.Suite == s {
				these = append(these, j)
			}
		}
		bins.RunAll(ctx, root, runID, ro, these, parallel, nil, nil)
	}

	var runs []*results.Run
	for _, j := range jobs {
		r, rerr := j.Results()
		failed := j.Err != nil && (rerr != nil || r.OK())
		if rerr != nil || failed || o.verbose || (r != nil && !r.OK()) {
			runner.PrintLog(stdout, j)
		}
		if rerr != nil {
			fmt.Fprintf(stderr, "sessionconf: %s/%s wrote no results (%v); its output is above and in %s\n", j.Profile, j.Suite.Name, rerr, j.Log)
			runs = append(runs, runner.ErrorRun(j, rerr))
			continue
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
	printSummary(stdout, merged, jobs, reports)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "sessionconf: interrupted")
		return exitInterrupted
	}
	if !merged.OK() {
		return exitFail
	}
	return exitOK
}

// rerun is what a failure's reproduce command repeats of this run: each
// profile's manifest as given, and the flags that can change a verdict.
// Not -reports: the command is for a person at a terminal, and the
// default directory is the one they read.
func (o runOptions) rerun(targetOf map[string]string) results.Rerun {
	rr := results.Rerun{Targets: targetOf}
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
