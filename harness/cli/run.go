package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/containertarget"
	"github.com/sessionconf/sessionconf/harness/knownfail"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/redisprov"
	"github.com/sessionconf/sessionconf/harness/results"
)

// suite is a Ginkgo suite the run command knows.
type suite struct {
	name string // as in results ("http", "browser")
	pkg  string // package directory, relative to the repository
}

var suites = []suite{
	{"http", "suites/conformance"},
	{"browser", "suites/browser"},
}

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
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if len(o.targets) == 0 {
		fmt.Fprintln(stderr, "sessionconf run: -target is required (see fixtures/targets/ for examples, or 'sessionconf init')")
		return exitUsage
	}
	return run(o, stdout, stderr)
}

// job is one suite run: a suite in a profile of a manifest.
type job struct {
	m       *manifest.Manifest
	path    string // the manifest's absolute path
	known   string
	suite   suite
	profile catalog.Profile
	dir     string // its report directory
	log     string
	err     error
	elapsed time.Duration
}

func run(o runOptions, stdout, stderr io.Writer) int {
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
		return exitUsage
	}
	var jobs []*job
	reports, _ := filepath.Abs(o.reports)
	var manifests []*manifest.Manifest
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
		profiles, err := chooseProfiles(m, o.profiles)
		if err != nil {
			fmt.Fprintln(stderr, "sessionconf run:", err)
			return exitUsage
		}
		chosen, err := chooseSuites(root, o.suites)
		if err != nil {
			fmt.Fprintln(stderr, "sessionconf run:", err)
			return exitUsage
		}
		for _, p := range profiles {
			for _, s := range chosen {
				if slices.ContainsFunc(jobs, func(j *job) bool { return j.profile == p && j.suite == s }) {
					fmt.Fprintf(stderr, "sessionconf run: the %s profile is given by two manifests\n", p)
					return exitUsage
				}
				abs, _ := filepath.Abs(path)
				jobs = append(jobs, &job{m: m, path: abs, known: known, suite: s, profile: p, dir: filepath.Join(reports, string(p), s.name)})
			}
		}
		manifests = append(manifests, m)
	}
	m := manifests[0]

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runID := redisprov.NewRunID()
	defer reap(runID)

	start := time.Now()
	var chosen []suite
	for _, j := range jobs {
		if !slices.Contains(chosen, j.suite) {
			chosen = append(chosen, j.suite)
		}
		fmt.Fprintf(stdout, "sessionconf: %s, %s profile, %s suite (%s)\n", j.m.Name, j.profile, j.suite.name, j.m.Path)
	}
	binDir, binaries, err := buildSuites(ctx, root, chosen, stderr)
	defer os.RemoveAll(binDir)
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
		return exitFail
	}
	for _, m := range manifests {
		if err := buildTarget(ctx, m, stderr); err != nil {
			fmt.Fprintln(stderr, "sessionconf:", err)
			return exitFail
		}
	}

	for _, j := range jobs {
		os.RemoveAll(j.dir)
		os.MkdirAll(j.dir, 0o755)
	}
	parallel := max(1, o.jobs)
	for _, j := range jobs {
		if j.m.External != nil {
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
	sem := make(chan struct{}, parallel)
	for _, s := range chosen {
		var wg sync.WaitGroup
		for _, j := range jobs {
			if j.suite != s {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				runJob(ctx, root, binaries[j.suite.name], runID, o, j)
			}()
		}
		wg.Wait()
	}

	var runs []*results.Run
	for _, j := range jobs {
		r, rerr := results.ReadJSON(filepath.Join(j.dir, "results.json"))
		failed := j.err != nil && (rerr != nil || r.OK())
		if rerr != nil || failed || o.verbose || (r != nil && !r.OK()) {
			printLog(stdout, j)
		}
		if rerr != nil {
			fmt.Fprintf(stderr, "sessionconf: %s/%s wrote no results (%v); its output is above and in %s\n", j.profile, j.suite.name, rerr, j.log)
			runs = append(runs, errorRun(j.m, j, rerr))
			continue
		}
		rebaseEvidence(r, reports, j.dir)
		runs = append(runs, r)
	}
	merged := results.Merge(runs...)
	// One implementation, possibly a manifest per profile: name them all.
	var paths []string
	for _, mm := range manifests {
		paths = append(paths, mm.Path)
	}
	merged.Target = results.Target{Name: m.Name, Manifest: strings.Join(paths, ", "), Mode: m.Mode()}
	merged.Duration = time.Since(start).Seconds()
	merged.Started = start
	if _, err := merged.WriteJSON(reports); err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
	}
	if _, err := merged.WriteJUnit(reports); err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
	}
	for _, hook := range afterRunHooks {
		hook(reports, merged, stdout, stderr)
	}
	printSummary(stdout, merged, jobs, reports)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "sessionconf: interrupted")
		return exitFail
	}
	if !merged.OK() {
		return exitFail
	}
	return exitOK
}

// afterRunHooks run once the merged results are written (the HTML report
// plugs in here).
var afterRunHooks []func(reports string, run *results.Run, stdout, stderr io.Writer)

func chooseProfiles(m *manifest.Manifest, want []string) ([]catalog.Profile, error) {
	if len(want) == 0 {
		return m.Profiles, nil
	}
	var out []catalog.Profile
	for _, w := range want {
		p, err := catalog.ParseProfile(w)
		if err != nil {
			return nil, err
		}
		if !m.Declares(p) {
			return nil, fmt.Errorf("%s declares the profiles %v, not %s", m.Path, m.Profiles, p)
		}
		out = append(out, p)
	}
	return out, nil
}

func chooseSuites(root string, want []string) ([]suite, error) {
	var out []suite
	for _, s := range suites {
		if _, err := os.Stat(filepath.Join(root, s.pkg)); err != nil {
			continue // not in this checkout
		}
		if len(want) == 0 || slices.Contains(want, s.name) {
			out = append(out, s)
		}
	}
	for _, w := range want {
		if !slices.ContainsFunc(out, func(s suite) bool { return s.name == w }) {
			return nil, fmt.Errorf("unknown suite %q (have %v)", w, names(out))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no suite to run")
	}
	return out, nil
}

func names(ss []suite) []string {
	var n []string
	for _, s := range ss {
		n = append(n, s.name)
	}
	return n
}

// buildSuites compiles each suite once for this run (go test -c uses the
// build cache, so a warm build costs a second or two) into a directory of
// its own under bin/, so that concurrent runs never overwrite each other's
// binaries; the caller removes it.
func buildSuites(ctx context.Context, root string, ss []suite, stderr io.Writer) (string, map[string]string, error) {
	out := map[string]string{}
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		return "", nil, err
	}
	removeStaleSuiteDirs(filepath.Join(root, "bin"))
	dir, err := os.MkdirTemp(filepath.Join(root, "bin"), fmt.Sprintf("suites-%d-", os.Getpid()))
	if err != nil {
		return "", nil, err
	}
	// One go command for every suite: it builds them in parallel and
	// writes <package>.test into dir.
	args := []string{"test", "-c", "-o", dir + string(filepath.Separator)}
	for _, s := range ss {
		args = append(args, "./"+s.pkg)
		out[s.name] = filepath.Join(dir, filepath.Base(s.pkg)+".test")
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, stderr, stderr
	if err := cmd.Run(); err != nil {
		return dir, nil, fmt.Errorf("building the suites (%s): %v", strings.Join(names(ss), ", "), err)
	}
	return dir, out, nil
}

// removeStaleSuiteDirs removes the suite directories of runs whose process
// is gone (killed before it could clean up).
func removeStaleSuiteDirs(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(bin, "suites-*"))
	for _, d := range dirs {
		pid, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(filepath.Base(d), "suites-"), "-", 2)[0])
		if pid <= 0 || syscall.Kill(pid, 0) == nil {
			continue
		}
		os.RemoveAll(d)
	}
}

// buildTarget runs the manifest's build once for the whole run.
func buildTarget(ctx context.Context, m *manifest.Manifest, stderr io.Writer) error {
	var build manifest.Command
	var dir, field string
	switch {
	case m.Process != nil:
		build, dir, field = m.Process.Build, m.Process.Workdir, "process.build"
	case m.Container != nil:
		build, dir, field = m.Container.Build, m.Dir, "container.build"
	}
	if len(build) == 0 {
		return nil
	}
	cmd := exec.CommandContext(ctx, build[0], build[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %s failed: %v", m.Position(field), field, err)
	}
	return nil
}

// runJob runs one suite binary under the Ginkgo CLI (parallel processes),
// its output going to the job's log.
func runJob(ctx context.Context, root, bin, runID string, o runOptions, j *job) {
	start := time.Now()
	defer func() { j.elapsed = time.Since(start) }()
	j.log = filepath.Join(j.dir, "ginkgo.log")
	log, err := os.Create(j.log)
	if err != nil {
		j.err = err
		return
	}
	defer log.Close()
	procs := o.procs
	if j.suite.name == "browser" {
		procs = o.browserProcs
	}
	if j.m.External != nil {
		procs = 1
	}
	args := []string{"tool", "ginkgo", "-p", "--procs=" + strconv.Itoa(procs), "--randomize-all", "--no-color", "--fail-on-empty", "--poll-progress-after=60s"}
	if o.labelFilter != "" {
		args = append(args, "--label-filter="+o.labelFilter)
	}
	args = append(args, bin, "--",
		"-sessionconf.target="+j.path,
		"-sessionconf.profile="+string(j.profile),
		"-sessionconf.reports="+j.dir,
		"-sessionconf.known-failing="+j.known,
		"-sessionconf.skip-build",
		fmt.Sprintf("-sessionconf.timeout-scale=%g", o.timeoutScale),
	)
	for name, v := range o.timeouts {
		args = append(args, "-sessionconf.timeout."+name+"="+v)
	}
	if o.keep {
		args = append(args, "-sessionconf.keep")
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, log, log
	cmd.Env = append(os.Environ(), "SESSIONCONF_RUN_ID="+runID)
	if o.redis != "" {
		cmd.Env = append(cmd.Env, "SESSIONCONF_REDIS_PROVIDER="+o.redis)
	}
	// Ctrl-C reaches the whole process group anyway; on SIGTERM, pass an
	// interrupt on so Ginkgo runs its cleanup (stops targets, Redis).
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	j.err = cmd.Run()
}

func printLog(w io.Writer, j *job) {
	data, err := os.ReadFile(j.log)
	if err != nil {
		return
	}
	fmt.Fprintf(w, "\n===== %s profile, %s suite: %s =====\n%s\n", j.profile, j.suite.name, j.log, strings.TrimRight(string(data), "\n"))
}

// errorRun stands for a suite run that produced no results: every
// requirement it would have checked is an error.
func errorRun(m *manifest.Manifest, j *job, cause error) *results.Run {
	r := &results.Run{Schema: results.Schema, Target: results.Target{Name: m.Name, Manifest: m.Path, Mode: m.Mode()}, Profiles: []string{string(j.profile)}, Started: time.Now()}
	msg := fmt.Sprintf("the %s suite did not finish (%v; %v); see %s", j.suite.name, j.err, cause, j.log)
	for _, req := range catalog.All() {
		r.Results = append(r.Results, results.Result{Requirement: req.ID, Level: string(req.Level), Title: req.Title, Profile: string(j.profile), Suite: j.suite.name, Status: results.Error, Messages: []string{msg}})
	}
	return r
}

// reap removes whatever the run's containers left behind (an interrupted
// suite run may not have stopped its Redis).
func reap(runID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	redisprov.Reap(ctx, runID)
	containertarget.ReapNetworks(ctx, runID)
}
