// Package runner runs the Ginkgo suites for the sessionconf command: it
// decides where the suites come from (Layout: a release's compiled suites,
// or a checkout's or the module cache's source, built for the run), runs
// one suite in one profile of a manifest as a Job with Ginkgo's parallel
// processes, runs many jobs at a bounded width, and removes what a run's containers left behind. Both
// `sessionconf run` and `sessionconf selftest` run their jobs through it.
package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/containertarget"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/redisprov"
	"github.com/sessionconf/sessionconf/harness/results"
	"github.com/sessionconf/sessionconf/harness/version"
)

// Suite is a Ginkgo suite of the repository.
type Suite struct {
	Name string // as in results ("http", "browser")
	Pkg  string // package directory, relative to the repository
}

// Suites are the suites sessionconf knows, in the order runs go through
// them.
var Suites = []Suite{
	{"http", "suites/conformance"},
	{"browser", "suites/browser"},
}

// Names lists the suites' names.
func Names(ss []Suite) []string {
	var n []string
	for _, s := range ss {
		n = append(n, s.Name)
	}
	return n
}

// BuildTarget runs the manifest's build once for the whole run.
func BuildTarget(ctx context.Context, m *manifest.Manifest, stderr io.Writer) error {
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

// Job is one suite run: a suite in a profile of a manifest.
type Job struct {
	Manifest *manifest.Manifest
	Path     string // the manifest's absolute path
	Known    string // the known-failing list
	Suite    Suite
	Profile  catalog.Profile
	Dir      string // its report directory
	Filter   string // its Ginkgo label filter ("" for none)
	// Progress, when set, is the file its specs append progress events to
	// (harness/progress).
	Progress string
	// Ready, when not nil, is closed once the job may start (what it runs
	// has been built).
	Ready <-chan struct{}

	Log     string
	Err     error
	Elapsed time.Duration
}

// Options are how jobs run.
type Options struct {
	Procs        int // Ginkgo processes of an HTTP suite run
	BrowserProcs int // ... of a browser suite run (each runs a Chromium)
	Timeouts     map[string]string
	TimeoutScale float64
	Redis        string // the Redis provider
	Keep         bool
}

// Run runs one job under the Ginkgo CLI (parallel processes), its output
// going to the job's log.
func (b *Binaries) Run(ctx context.Context, runID string, o Options, j *Job) {
	start := time.Now()
	defer func() { j.Elapsed = time.Since(start) }()
	j.Log = filepath.Join(j.Dir, "ginkgo.log")
	log, err := os.Create(j.Log)
	if err != nil {
		j.Err = err
		return
	}
	defer log.Close()
	procs := o.Procs
	if j.Suite.Name == "browser" {
		procs = o.BrowserProcs
	}
	if j.Manifest.External != nil {
		procs = 1
	}
	args := []string{"-p", "--procs=" + strconv.Itoa(max(procs, 1)), "--randomize-all", "--no-color", "--poll-progress-after=60s"}
	if j.Filter != "" {
		// A filter may select no spec of this suite (a requirement only the
		// HTTP suite checks): that suite run is empty, not failed; the
		// caller fails a run in which no suite executed anything.
		args = append(args, "--label-filter="+j.Filter)
	}
	args = append(args, b.Of(j.Suite), "--",
		"-sessionconf.target="+j.Path,
		"-sessionconf.profile="+string(j.Profile),
		"-sessionconf.reports="+j.Dir,
		"-sessionconf.known-failing="+j.Known,
		"-sessionconf.skip-build",
		fmt.Sprintf("-sessionconf.timeout-scale=%g", max(o.TimeoutScale, 0.01)),
	)
	for name, v := range o.Timeouts {
		args = append(args, "-sessionconf.timeout."+name+"="+v)
	}
	if o.Keep {
		args = append(args, "-sessionconf.keep")
	}
	if j.Progress != "" {
		args = append(args, "-sessionconf.progress="+j.Progress)
	}
	args = append(slices.Clone(b.ginkgo[1:]), args...)
	cmd := exec.CommandContext(ctx, b.ginkgo[0], args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = b.wd, log, log
	cmd.Env = append(os.Environ(), redisprov.EnvRunID+"="+runID)
	if o.Redis != "" {
		cmd.Env = append(cmd.Env, "SESSIONCONF_REDIS_PROVIDER="+o.Redis)
	}
	// Ctrl-C reaches the whole process group anyway; on SIGTERM, pass an
	// interrupt on so Ginkgo runs its cleanup (stops targets, Redis).
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	j.Err = cmd.Run()
}

// RunAll runs jobs with the binaries, at most width at once, each once it
// is Ready, in the order given; done is called after each (one at a
// time). It starts no more jobs once ctx ends or stop closes.
func (b *Binaries) RunAll(ctx context.Context, runID string, o Options, jobs []*Job, width int, stop <-chan struct{}, done func(*Job)) {
	Pool(ctx, jobs, width, stop, func(j *Job) { b.Run(ctx, runID, o, j) }, done)
}

// Pool runs run(j) for each job, at most width at once, each once it is
// Ready, in the order given, and calls done after each, one at a time. It
// starts no more jobs once ctx ends or stop closes, and returns when every
// started job is done.
func Pool(ctx context.Context, jobs []*Job, width int, stop <-chan struct{}, run, done func(*Job)) {
	sem := make(chan struct{}, max(width, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
dispatch:
	for _, j := range jobs {
		if j.Ready != nil {
			select {
			case <-j.Ready:
			case <-stop:
				break dispatch
			case <-ctx.Done():
				break dispatch
			}
		}
		select {
		case sem <- struct{}{}: // in order: the first jobs start first
		case <-ctx.Done():
			break dispatch
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			run(j)
			if done != nil {
				mu.Lock()
				done(j)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// Count is how many specs the job will run: a dry run of its suite with
// its filter (nothing starts), for "[n/N]" progress lines.
func (b *Binaries) Count(ctx context.Context, j *Job) (int, error) {
	tmp, err := os.MkdirTemp("", "sessionconf-count-*")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	report := filepath.Join(tmp, "report.json")
	args := []string{"-ginkgo.dry-run", "-ginkgo.json-report=" + report, "-sessionconf.target=" + j.Path, "-sessionconf.profile=" + string(j.Profile)}
	if j.Filter != "" {
		args = append(args, "-ginkgo.label-filter="+j.Filter)
	}
	cmd := exec.CommandContext(ctx, b.Of(j.Suite), args...)
	cmd.Dir = b.wd
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("counting the specs of the %s suite: %v\n%s", j.Suite.Name, err, out)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return 0, err
	}
	// Ginkgo's JSON report, only the field needed (the runner does not
	// import Ginkgo).
	var suites []struct {
		PreRunStats struct{ SpecsThatWillRun int }
	}
	if err := json.Unmarshal(data, &suites); err != nil || len(suites) == 0 {
		return 0, fmt.Errorf("counting the specs of the %s suite: unreadable report: %v", j.Suite.Name, err)
	}
	return suites[0].PreRunStats.SpecsThatWillRun, nil
}

// Results reads the job's results.json.
func (j *Job) Results() (*results.Run, error) {
	return results.ReadJSON(filepath.Join(j.Dir, "results.json"))
}

// PrintLog copies the job's output to w.
func PrintLog(w io.Writer, j *Job) {
	data, err := os.ReadFile(j.Log)
	if err != nil {
		return
	}
	fmt.Fprintf(w, "\n===== %s profile, %s suite: %s =====\n%s\n", j.Profile, j.Suite.Name, j.Log, strings.TrimRight(string(data), "\n"))
}

// PrintLogTail copies the last n lines of the job's output to w: enough
// to see why a suite run wrote no results, without Ginkgo's whole log.
func PrintLogTail(w io.Writer, j *Job, n int) {
	data, err := os.ReadFile(j.Log)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	fmt.Fprintf(w, "\n===== %s profile, %s suite, the last %d lines of %s =====\n%s\n", j.Profile, j.Suite.Name, len(lines), j.Log, strings.Join(lines, "\n"))
}

// ErrorRun stands for a suite run that produced no results: every
// requirement it would have checked is an error.
func ErrorRun(j *Job, cause error) *results.Run {
	m := j.Manifest
	r := &results.Run{Schema: results.Schema, SuiteVersion: version.Version, Target: results.Target{Name: m.Name, Manifest: m.Path, Mode: m.Mode()}, Profiles: []string{string(j.Profile)}, Started: time.Now()}
	msg := fmt.Sprintf("the %s suite did not finish (%v; %v); see %s", j.Suite.Name, j.Err, cause, j.Log)
	for _, req := range catalog.All() {
		r.Results = append(r.Results, results.Result{Requirement: req.ID, Level: string(req.Level), Title: req.Title, Profile: string(j.Profile), Suite: j.Suite.Name, Status: results.Error, Messages: []string{msg}})
	}
	return r
}

// Reap removes whatever a run's containers left behind (an interrupted
// suite run may not have stopped its Redis).
func Reap(runID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	redisprov.Reap(ctx, runID)
	containertarget.ReapNetworks(ctx, runID)
}
