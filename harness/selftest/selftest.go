package selftest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/knownfail"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/redisprov"
	"github.com/sessionconf/sessionconf/harness/results"
	"github.com/sessionconf/sessionconf/harness/runner"
	"github.com/sessionconf/sessionconf/harness/specdoc"
)

// The self-test proves the suite can fail: it runs the HTTP suite against
// every mutant in fixtures/mutants (the reference with one fault each),
// with the mutant's expected-failure list as the known-failing list, so an
// expected failure is xfail, a fault the suite misses shows as xpass, and
// a requirement the fault should not break fails. Then it scores the suite:
// mutants caught, and per requirement which mutants catch it.

// MutantsDir is where the mutants live, relative to the repository.
const MutantsDir = "fixtures/mutants"

// Options are a self-test's settings (the selftest command's flags).
type Options struct {
	Dir          string   // the mutants' directory (default MutantsDir)
	Only         []string // run only these mutants
	Jobs         int      // suite runs at once
	Procs        int      // Ginkgo processes of an HTTP suite run
	BrowserProcs int      // ... of a browser suite run
	Reports      string
	Repeat       int // run every mutant this many times
	Redis        string
	LabelFilter  string
	TimeoutScale float64
	Full         bool // the load specs against every mutant too
	HTTPOnly     bool // leave out the browser suite's runs
	Keep         bool
	Verbose      bool
}

// UsageError is a self-test that could not start: bad options, or mutants
// that do not load.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ErrInterrupted is a self-test ended by Ctrl-C or SIGTERM.
var ErrInterrupted = errors.New("interrupted")

// mutantBatch is how many mutants one go build links.
const mutantBatch = 8

// LoadSpecs are the requirements whose specs are bulk traffic: hundreds of
// logins (the entropy sample), a thousand requests against eviction, fifty
// in parallel, a logout raced thirty times. They cost most of a suite
// run's CPU, and only a fault in what they measure changes their outcome,
// so by default a mutant runs them only when its list expects one of them
// to fail; Options.Full runs every spec against every mutant.
var LoadSpecs = []string{"PERSIST-6", "TOKEN-1", "TOKEN-2", "ROBUST-7", "CLEAR-7"}

// mutant is one directory of fixtures/mutants.
type mutant struct {
	name      string
	dir       string
	fault     string // the first sentence of main.go's doc comment
	manifests []*manifest.Manifest
	known     string // the expected-failure list's path
	list      *knownfail.List
}

// loadMutants reads every mutant under dir (directories with a main.go;
// internal/ holds their shared helpers).
func loadMutants(root, dir string, only []string) ([]*mutant, error) {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*mutant
	var errs []string
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "internal" {
			continue
		}
		if len(only) > 0 && !slices.Contains(only, e.Name()) {
			continue
		}
		m, err := loadMutant(root, filepath.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		out = append(out, m)
	}
	for _, name := range only {
		if !slices.ContainsFunc(out, func(m *mutant) bool { return m.name == name }) && !strings.Contains(strings.Join(errs, "\n"), name) {
			errs = append(errs, fmt.Sprintf("no mutant %q in %s", name, dir))
		}
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no mutants in %s", dir)
	}
	return out, nil
}

func loadMutant(root, dir string) (*mutant, error) {
	m := &mutant{name: filepath.Base(dir), dir: dir}
	fault, err := mutantFault(filepath.Join(dir, "main.go"), m.name)
	if err != nil {
		return nil, err
	}
	m.fault = fault
	paths, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no manifest (*.yaml, one per profile)", dir)
	}
	wantBin := filepath.Join(root, "bin", "mutants", m.name)
	for _, p := range paths {
		man, err := manifest.Load(p)
		if err != nil {
			return nil, err
		}
		if man.Process == nil || len(man.Process.Command) == 0 {
			return nil, fmt.Errorf("%s: a mutant runs as a process", p)
		}
		bin := man.Process.Command[0]
		if !filepath.IsAbs(bin) {
			bin = filepath.Join(man.Process.Workdir, bin)
		}
		if filepath.Clean(bin) != wantBin {
			return nil, fmt.Errorf("%s: process.command must run bin/mutants/%s (the self-test builds it there once), not %s", man.Position("process.command"), m.name, man.Process.Command[0])
		}
		known := man.KnownFailingPath()
		if known == "" {
			return nil, fmt.Errorf("%s: known_failing must name the mutant's expected-failure list", p)
		}
		if m.known != "" && m.known != known {
			return nil, fmt.Errorf("%s: every manifest of a mutant names the same expected-failure list (%s, not %s)", p, m.known, known)
		}
		m.known = known
		for _, other := range m.manifests {
			for _, prof := range man.Profiles {
				if other.Declares(prof) {
					return nil, fmt.Errorf("%s: the %s profile is declared by two manifests", p, prof)
				}
			}
		}
		m.manifests = append(m.manifests, man)
	}
	if m.list, err = knownfail.Load(m.known); err != nil {
		return nil, err
	}
	if len(m.list.Entries) == 0 {
		return nil, fmt.Errorf("%s: the expected-failure list is empty: a mutant must break something", m.known)
	}
	for _, e := range m.list.Entries {
		if e.Profile != "" && !slices.ContainsFunc(m.manifests, func(man *manifest.Manifest) bool { return man.Declares(e.Profile) }) {
			return nil, fmt.Errorf("%s:%d: %s@%s, but the mutant has no manifest for the %s profile", m.known, e.Line, e.Pattern, e.Profile, e.Profile)
		}
	}
	return m, nil
}

// mutantFault reads the fault from main.go's doc comment ("Mutant name:
// what is wrong.").
func mutantFault(path, name string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		return "", err
	}
	if f.Name.Name != "main" || f.Doc == nil {
		return "", fmt.Errorf("%s: a mutant is a main package whose doc comment starts \"Mutant %s: <the fault>.\"", path, name)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(f.Doc.Text()), "\n\n")
	first = strings.Join(strings.Fields(first), " ")
	fault, ok := strings.CutPrefix(first, "Mutant "+name+": ")
	if !ok {
		return "", fmt.Errorf("%s: the doc comment must start \"Mutant %s: <the fault>.\"", path, name)
	}
	return strings.TrimSuffix(fault, "."), nil
}

// mutantJob is one suite run of a mutant in one profile.
type mutantJob struct {
	*runner.Job
	mutant *mutant
	rep    int
}

// Run builds every mutant, runs the suites against each in each of its
// profiles, judges every mutant against its expected-failure list, prints
// the score and writes reports/selftest. It reports whether every mutant
// was killed exactly as expected and every MUST requirement has a mutant
// that catches it; a *UsageError means nothing ran.
func Run(o Options, stdout, stderr io.Writer) (bool, error) {
	start := time.Now()
	if o.Dir == "" {
		o.Dir = MutantsDir
	}
	if o.Repeat < 1 || o.Jobs < 1 || o.Procs < 1 {
		return false, &UsageError{errors.New("-repeat, -jobs and -procs must be at least 1")}
	}
	root, err := runner.RepoRoot()
	if err != nil {
		return false, &UsageError{fmt.Errorf("%v (the self-test builds the mutants from source; a release ships none)", err)}
	}
	mutants, err := loadMutants(root, o.Dir, o.Only)
	if err != nil {
		return false, &UsageError{err}
	}
	reports, _ := filepath.Abs(o.Reports)
	if o.Redis == "" {
		if _, err := exec.LookPath("redis-server"); err == nil {
			o.Redis = "local" // a process per Redis: far cheaper than a container, and the suites behave the same
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runID := redisprov.NewRunID()
	defer runner.Reap(runID)

	// The mutants are built from source, so the suites are too: a release
	// ships neither.
	layout := runner.CheckoutLayout(root)
	ss, err := layout.ChooseSuites([]string{"http", "browser"})
	if err != nil {
		return false, &UsageError{err}
	}
	buildStart := time.Now()
	bins, err := layout.Binaries(ctx, ss, stderr)
	if err != nil {
		return false, err
	}
	defer bins.Close()
	fmt.Fprintf(stdout, "sessionconf selftest: built the suites in %.1fs\n", time.Since(buildStart).Seconds())
	httpSuite, browserSuite := ss[0], ss[1]
	inBrowser, err := suiteRequirements(ctx, root, bins.Of(browserSuite))
	if err != nil {
		return false, err
	}

	var jobs []*mutantJob
	for rep := 1; rep <= o.Repeat; rep++ {
		for _, m := range mutants {
			for _, man := range m.manifests {
				for _, p := range man.Profiles {
					dir := filepath.Join(reports, "mutants", m.name)
					if o.Repeat > 1 {
						dir = filepath.Join(dir, fmt.Sprintf("run%d", rep))
					}
					job := func(s runner.Suite, filter string) *mutantJob {
						return &mutantJob{Job: &runner.Job{Manifest: man, Path: man.Path, Known: m.known, Suite: s, Profile: p, Dir: filepath.Join(dir, string(p), s.Name), Filter: filter}, mutant: m, rep: rep}
					}
					jobs = append(jobs, job(httpSuite, mutantFilter(o, m, p)))
					// The browser suite runs its specs of the MUST
					// requirements the mutant breaks, so its specs are
					// mutation-tested too.
					if ids := m.browserExpectations(p, inBrowser); len(ids) > 0 && !o.HTTPOnly {
						jobs = append(jobs, job(browserSuite, joinFilters(strings.Join(ids, " || "), o.LabelFilter)))
					}
				}
			}
		}
	}
	// Longest first: Redis runs start servers and break them; cookie runs
	// have the fewest specs.
	slices.SortStableFunc(jobs, func(a, b *mutantJob) int { return profileCost(b.Profile) - profileCost(a.Profile) })
	os.RemoveAll(filepath.Join(reports, "mutants"))
	for _, j := range jobs {
		os.MkdirAll(j.Dir, 0o755)
	}
	fmt.Fprintf(stdout, "sessionconf selftest: %d mutants, %d suite runs, %d at a time, %d Ginkgo processes each, Redis provider %s\n",
		len(mutants), len(jobs), o.Jobs, o.Procs, orDefault(o.Redis, "auto"))

	// The mutants are built in batches, in the order their runs start, and
	// a batch's runs start as soon as it is linked while the next batch
	// links: on a cold build (after any change to the reference) the links,
	// which are CPU, overlap with runs, which mostly wait.
	var order []*mutant
	built := map[*mutant]chan struct{}{}
	for _, j := range jobs {
		if _, ok := built[j.mutant]; !ok {
			order = append(order, j.mutant)
			built[j.mutant] = make(chan struct{})
		}
		j.Ready = built[j.mutant]
	}
	var mu sync.Mutex // stdout
	var buildErr error
	buildFailed := make(chan struct{})
	go func() {
		start := time.Now()
		for batch := range slices.Chunk(order, mutantBatch) {
			if err := buildMutants(ctx, root, batch, stderr); err != nil {
				buildErr = err
				close(buildFailed)
				return
			}
			for _, m := range batch {
				close(built[m])
			}
		}
		mu.Lock()
		fmt.Fprintf(stdout, "sessionconf selftest: built %d mutants in %.1fs\n", len(order), time.Since(start).Seconds())
		mu.Unlock()
	}()

	ro := runner.Options{Procs: o.Procs, BrowserProcs: o.BrowserProcs, TimeoutScale: o.TimeoutScale, Redis: o.Redis, Keep: o.Keep}
	plain := make([]*runner.Job, len(jobs))
	of := map[*runner.Job]*mutantJob{}
	for i, j := range jobs {
		plain[i], of[j.Job] = j.Job, j
	}
	done := 0
	bins.RunAll(ctx, runID, ro, plain, o.Jobs, buildFailed, func(rj *runner.Job) {
		j := of[rj]
		mu.Lock()
		defer mu.Unlock()
		done++
		suite := ""
		if j.Suite.Name != "http" {
			suite = "/" + j.Suite.Name
		}
		fmt.Fprintf(stdout, "[%2d/%d] %s@%s%s%s: %s (%.1fs)\n", done, len(jobs), j.mutant.name, j.Profile, suite, repSuffix(o.Repeat, j.rep), jobSummary(j.Job), j.Elapsed.Seconds())
	})
	select {
	case <-buildFailed:
		return false, buildErr
	default:
	}
	if ctx.Err() != nil {
		return false, ErrInterrupted
	}

	// Judge every mutant run, then merge repeats.
	byMutant := map[string][]Verdict{}
	for rep := 1; rep <= o.Repeat; rep++ {
		for _, m := range mutants {
			var runs []*results.Run
			var mjobs []*mutantJob
			for _, j := range jobs {
				if j.mutant == m && j.rep == rep {
					runs = append(runs, readJobResults(j.Job))
					mjobs = append(mjobs, j)
				}
			}
			merged := results.Merge(runs...)
			merged.Target = results.Target{Name: "mutant " + m.name, Manifest: m.manifests[0].Path, Mode: "process"}
			if len(mjobs) > 0 {
				merged.WriteJSON(filepath.Dir(filepath.Dir(mjobs[0].Dir)))
			}
			v := judgeMutant(m.name, m.fault, m.list, merged)
			if !v.OK() || o.Verbose {
				for _, j := range mjobs {
					runner.PrintLog(stdout, j.Job)
				}
			}
			byMutant[m.name] = append(byMutant[m.name], v)
		}
	}
	var verdicts []Verdict
	unstable := map[string][]string{}
	for _, m := range mutants {
		v, u := mergeRepeats(byMutant[m.name])
		verdicts = append(verdicts, v)
		if len(u) > 0 {
			unstable[m.name] = u
		}
	}
	s := scoreAll(verdicts, catalog.All())
	s.Repeat = o.Repeat
	if len(unstable) > 0 {
		s.Unstable = unstable
	}
	s.Seconds = time.Since(start).Seconds()
	if err := writeReports(reports, s); err != nil {
		fmt.Fprintln(stderr, "sessionconf selftest:", err)
	}
	printScore(stdout, s)
	fmt.Fprintf(stdout, "Reports: %s, %s\n", filepath.Join(reports, "selftest.json"), filepath.Join(reports, "selftest.md"))
	if !s.OK() {
		return false, nil
	}
	// Every MUST requirement has a mutant (DESIGN.md): a complete run that
	// leaves one uncovered fails, so a new requirement comes with its mutant.
	if len(o.Only) == 0 && o.LabelFilter == "" && len(s.UncoveredMust) > 0 {
		fmt.Fprintf(stdout, "sessionconf selftest: no mutant catches the MUST requirement(s) %s: add one to %s\n", strings.Join(s.UncoveredMust, ", "), MutantsDir)
		return false, nil
	}
	return true, nil
}

// mutantFilter is the label filter of a mutant's suite runs in profile p:
// the load specs it does not expect to fail are left out unless -full.
//
// In the Redis topology profiles (Sentinel, Cluster) a mutant runs only
// the requirements its list names there, and, when all its manifests are
// topology profiles (its fault is in how it talks to the topology), the
// topology's own requirements too. Everything else those profiles check
// runs the same code as the redis profile, where every mutant runs in
// full; what the topologies add (failovers, outages of several servers)
// costs seconds a spec, and a mutant that breaks some keys but not others
// (a plain client of one cluster node) breaks the rest of the catalog by
// chance, login by login. -full runs everything there too.
func mutantFilter(o Options, m *mutant, p catalog.Profile) string {
	if p.IsTopology() && !o.Full {
		var ids []string
		for _, r := range catalog.All() {
			_, listed := m.list.Lookup(r.ID, p, "http")
			own := m.topologyOnly() && len(r.Profiles) == 1 && r.Profiles[0] == p
			if listed || own {
				ids = append(ids, r.ID)
			}
		}
		return joinFilters(strings.Join(ids, " || "), o.LabelFilter)
	}
	var skip []string
	if !o.Full {
		for _, id := range LoadSpecs {
			if !m.expects(id) {
				skip = append(skip, id)
			}
		}
	}
	if len(skip) == 0 {
		return joinFilters("", o.LabelFilter)
	}
	return joinFilters("!("+strings.Join(skip, " || ")+")", o.LabelFilter)
}

// topologyOnly reports whether every profile the mutant runs in is a Redis
// topology.
func (m *mutant) topologyOnly() bool {
	for _, man := range m.manifests {
		for _, p := range man.Profiles {
			if !p.IsTopology() {
				return false
			}
		}
	}
	return true
}

// joinFilters is the conjunction of Ginkgo label filters ("" is none).
func joinFilters(filters ...string) string {
	var parts []string
	for _, f := range filters {
		if f != "" {
			parts = append(parts, f)
		}
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return "(" + strings.Join(parts, ") && (") + ")"
}

// browserExpectations are the MUST requirements the mutant's list expects
// to fail in profile p that the browser suite has specs of (inBrowser), and
// whose entries hold for the browser suite.
func (m *mutant) browserExpectations(p catalog.Profile, inBrowser []string) []string {
	var ids []string
	for _, id := range inBrowser {
		req, ok := catalog.Get(id)
		if !ok || req.Level != catalog.Must {
			continue
		}
		if _, listed := m.list.Lookup(id, p, "browser"); listed {
			ids = append(ids, id)
		}
	}
	return ids
}

// suiteRequirements are the requirement IDs a suite binary has specs of,
// from a dry run (nothing is started).
func suiteRequirements(ctx context.Context, root, bin string) ([]string, error) {
	tmp, err := os.MkdirTemp("", "sessionconf-specs-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "locations.json")
	cmd := exec.CommandContext(ctx, bin, "-ginkgo.dry-run", "-sessionconf.spec-locations="+out)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("listing the specs of %s: %v\n%s", bin, err, msg)
	}
	l, err := specdoc.ReadLocations(out)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id := range l.Specs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// expects reports whether the mutant's list names requirement id.
func (m *mutant) expects(id string) bool {
	for _, e := range m.list.Entries {
		if ok, _ := path.Match(e.Pattern, id); ok {
			return true
		}
	}
	return false
}

// buildMutants compiles every mutant once, in one go build, into
// bin/mutants (an up-to-date binary is not relinked). The flags are those
// of the manifests' process.build, so either build is up to date for the
// other.
func buildMutants(ctx context.Context, root string, ms []*mutant, stderr io.Writer) error {
	out := filepath.Join(root, "bin", "mutants") + string(filepath.Separator)
	// No symbol table or DWARF: the link, which is most of a cold build's
	// cost, takes ~40% less, and a mutant needs neither.
	args := []string{"build", "-ldflags=-s -w", "-o", out}
	for _, m := range ms {
		rel, err := filepath.Rel(root, m.dir)
		if err != nil {
			return err
		}
		args = append(args, "./"+filepath.ToSlash(rel))
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the mutants: %v", err)
	}
	return nil
}

func readJobResults(j *runner.Job) *results.Run {
	r, err := j.Results()
	if err != nil {
		return runner.ErrorRun(j, err)
	}
	return r
}

// jobSummary counts a finished job's statuses.
func jobSummary(j *runner.Job) string {
	r, err := j.Results()
	if err != nil {
		return fmt.Sprintf("no results (%v)", j.Err)
	}
	counts := map[results.Status]int{}
	for _, res := range r.Results {
		counts[res.Status]++
	}
	var parts []string
	for _, s := range []results.Status{results.XFail, results.Pass, results.Fail, results.XPass, results.Error} {
		if counts[s] > 0 || s == results.XFail {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

func writeReports(dir string, s Score) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "selftest.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "selftest.md"), []byte(s.markdown()), 0o644)
}

func profileCost(p catalog.Profile) int {
	switch p {
	case catalog.RedisSentinel, catalog.RedisCluster:
		return 4 // failovers and outages of several servers take seconds a spec
	case catalog.Redis:
		return 3
	case catalog.Filesystem:
		return 2
	}
	return 1
}

func repSuffix(repeat, rep int) string {
	if repeat == 1 {
		return ""
	}
	return fmt.Sprintf(" (run %d)", rep)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
