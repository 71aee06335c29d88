package cli

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
	"github.com/sessionconf/sessionconf/harness/specdoc"
)

// The self-test proves the suite can fail: it runs the HTTP suite against
// every mutant in fixtures/mutants (the reference with one fault each),
// with the mutant's expected-failure list as the known-failing list, so an
// expected failure is xfail, a fault the suite misses shows as xpass, and
// a requirement the fault should not break fails. Then it scores the suite:
// mutants caught, and per requirement which mutants catch it.

func init() {
	register("selftest", "run the suite against every mutant of the reference and score it (mutation testing)", selftestCmd)
}

// mutantsDir is where the mutants live, relative to the repository.
const mutantsDir = "fixtures/mutants"

type selftestOptions struct {
	dir          string
	only         listFlag
	jobs         int
	procs        int
	reports      string
	repeat       int
	redis        string
	labelFilter  string
	timeoutScale float64
	full         bool
	browserProcs int
	httpOnly     bool
	keep         bool
	verbose      bool
}

// mutantBatch is how many mutants one go build links.
const mutantBatch = 8

// loadSpecs are the requirements whose specs are bulk traffic: hundreds of
// logins (the entropy sample), a thousand requests against eviction, fifty
// in parallel, a logout raced thirty times. They cost most of a suite
// run's CPU, and only a fault in what they measure changes their outcome,
// so by default a mutant runs them only when its list expects one of them
// to fail; -full runs every spec against every mutant.
var loadSpecs = []string{"PERSIST-6", "TOKEN-1", "TOKEN-2", "ROBUST-7", "CLEAR-7"}

func selftestCmd(args []string, stdout, stderr io.Writer) int {
	o := selftestOptions{}
	fs := newFlags("selftest", stderr)
	fs.StringVar(&o.dir, "mutants", mutantsDir, "directory of the mutants (one directory each: main.go, a manifest per profile, the expected-failure list)")
	fs.Var(&o.only, "only", "run only these mutants, comma-separated")
	fs.IntVar(&o.jobs, "jobs", 6, "suite runs (mutant x profile) at once; specs mostly wait, builds and bcrypt are what costs CPU")
	fs.IntVar(&o.procs, "procs", 8, "parallel Ginkgo processes per suite run")
	fs.StringVar(&o.reports, "reports", "reports/selftest", "report directory (selftest.json, selftest.md, and every mutant's results under mutants/)")
	fs.IntVar(&o.repeat, "repeat", 1, "run every mutant this many times (a mutant must be caught the same way every time)")
	fs.StringVar(&o.redis, "redis-provider", "", "Redis provider (default: local when redis-server is installed, else auto)")
	fs.StringVar(&o.labelFilter, "label-filter", "", "run only the specs matching this Ginkgo label expression (debugging: unrun expectations become vacuous)")
	fs.Float64Var(&o.timeoutScale, "timeout-scale", 1, "multiply every timeout (slow machines)")
	fs.BoolVar(&o.full, "full", false, "run every spec against every mutant, the load specs ("+strings.Join(loadSpecs, ", ")+") too")
	fs.IntVar(&o.browserProcs, "browser-procs", 2, "parallel Ginkgo processes of a browser suite run (each runs a Chromium)")
	fs.BoolVar(&o.httpOnly, "http-only", false, "leave out the browser suite's runs (it runs the browser specs of the MUST requirements each mutant breaks)")
	fs.BoolVar(&o.keep, "keep", false, "keep the state directories of the runs (debugging)")
	fs.BoolVar(&o.verbose, "v", false, "print every suite run's output, not only those of mutants that went wrong")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if o.repeat < 1 || o.jobs < 1 || o.procs < 1 {
		fmt.Fprintln(stderr, "sessionconf selftest: -repeat, -jobs and -procs must be at least 1")
		return exitUsage
	}
	return selftest(o, stdout, stderr)
}

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
	job
	mutant *mutant
	rep    int
	filter string // the label filter of the suite run
}

func selftest(o selftestOptions, stdout, stderr io.Writer) int {
	start := time.Now()
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf:", err)
		return exitUsage
	}
	mutants, err := loadMutants(root, o.dir, o.only)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	reports, _ := filepath.Abs(o.reports)
	if o.redis == "" {
		if _, err := exec.LookPath("redis-server"); err == nil {
			o.redis = "local" // a process per Redis: far cheaper than a container, and the suites behave the same
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runID := redisprov.NewRunID()
	defer reap(runID)

	ss, err := chooseSuites(root, []string{"http", "browser"})
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf selftest:", err)
		return exitUsage
	}
	buildStart := time.Now()
	suiteDir, binaries, err := buildSuites(ctx, root, ss, stderr)
	if suiteDir != "" {
		defer os.RemoveAll(suiteDir)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf selftest:", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "sessionconf selftest: built the suites in %.1fs\n", time.Since(buildStart).Seconds())
	httpSuite, browserSuite := ss[0], ss[1]
	inBrowser, err := suiteRequirements(ctx, root, binaries[browserSuite.name])
	if err != nil {
		fmt.Fprintln(stderr, "sessionconf selftest:", err)
		return exitFail
	}

	var jobs []*mutantJob
	for rep := 1; rep <= o.repeat; rep++ {
		for _, m := range mutants {
			for _, man := range m.manifests {
				for _, p := range man.Profiles {
					dir := filepath.Join(reports, "mutants", m.name)
					if o.repeat > 1 {
						dir = filepath.Join(dir, fmt.Sprintf("run%d", rep))
					}
					jobs = append(jobs, &mutantJob{
						job:    job{m: man, path: man.Path, known: m.known, suite: httpSuite, profile: p, dir: filepath.Join(dir, string(p), httpSuite.name)},
						mutant: m, rep: rep, filter: mutantFilter(o, m),
					})
					// The browser suite runs its specs of the MUST
					// requirements the mutant breaks, so its specs are
					// mutation-tested too.
					if ids := m.browserExpectations(p, inBrowser); len(ids) > 0 && !o.httpOnly {
						jobs = append(jobs, &mutantJob{
							job:    job{m: man, path: man.Path, known: m.known, suite: browserSuite, profile: p, dir: filepath.Join(dir, string(p), browserSuite.name)},
							mutant: m, rep: rep, filter: joinFilters(strings.Join(ids, " || "), o.labelFilter),
						})
					}
				}
			}
		}
	}
	// Longest first: Redis runs start servers and break them; cookie runs
	// have the fewest specs.
	slices.SortStableFunc(jobs, func(a, b *mutantJob) int { return profileCost(b.profile) - profileCost(a.profile) })
	os.RemoveAll(filepath.Join(reports, "mutants"))
	for _, j := range jobs {
		os.MkdirAll(j.dir, 0o755)
	}
	fmt.Fprintf(stdout, "sessionconf selftest: %d mutants, %d suite runs, %d at a time, %d Ginkgo processes each, Redis provider %s\n",
		len(mutants), len(jobs), o.jobs, o.procs, orDefault(o.redis, "auto"))

	// The mutants are built in batches, in the order their runs start, and
	// a batch's runs start as soon as it is linked while the next batch
	// links: on a cold build (after any change to the reference) the links,
	// which are CPU, overlap with runs, which mostly wait.
	var order []*mutant
	for _, j := range jobs {
		if !slices.Contains(order, j.mutant) {
			order = append(order, j.mutant)
		}
	}
	built := map[*mutant]chan struct{}{}
	for _, m := range order {
		built[m] = make(chan struct{})
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

	ro := runOptions{procs: o.procs, browserProcs: o.browserProcs, timeouts: mapFlag{}, timeoutScale: o.timeoutScale, redis: o.redis, keep: o.keep}
	sem := make(chan struct{}, o.jobs)
	var wg sync.WaitGroup
	done := 0
dispatch:
	for _, j := range jobs {
		select {
		case <-built[j.mutant]:
		case <-buildFailed:
			break dispatch
		case <-ctx.Done():
			break dispatch
		}
		sem <- struct{}{} // in order: the longest runs start first
		if ctx.Err() != nil {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			jo := ro
			jo.labelFilter = j.filter
			runJob(ctx, root, binaries[j.suite.name], runID, jo, &j.job)
			mu.Lock()
			defer mu.Unlock()
			done++
			suite := ""
			if j.suite.name != "http" {
				suite = "/" + j.suite.name
			}
			fmt.Fprintf(stdout, "[%2d/%d] %s@%s%s%s: %s (%.1fs)\n", done, len(jobs), j.mutant.name, j.profile, suite, repSuffix(o.repeat, j.rep), jobSummary(&j.job), j.elapsed.Seconds())
		}()
	}
	wg.Wait()
	select {
	case <-buildFailed:
		fmt.Fprintln(stderr, "sessionconf selftest:", buildErr)
		return exitFail
	default:
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "sessionconf selftest: interrupted")
		return exitFail
	}

	// Judge every mutant run, then merge repeats.
	byMutant := map[string][]mutantVerdict{}
	for rep := 1; rep <= o.repeat; rep++ {
		for _, m := range mutants {
			var runs []*results.Run
			var mjobs []*mutantJob
			for _, j := range jobs {
				if j.mutant == m && j.rep == rep {
					runs = append(runs, readJobResults(&j.job))
					mjobs = append(mjobs, j)
				}
			}
			merged := results.Merge(runs...)
			merged.Target = results.Target{Name: "mutant " + m.name, Manifest: m.manifests[0].Path, Mode: "process"}
			if len(mjobs) > 0 {
				merged.WriteJSON(filepath.Dir(filepath.Dir(mjobs[0].dir)))
			}
			v := judgeMutant(m.name, m.fault, m.list, merged)
			if !v.OK() || o.verbose {
				for _, j := range mjobs {
					printLog(stdout, &j.job)
				}
			}
			byMutant[m.name] = append(byMutant[m.name], v)
		}
	}
	var verdicts []mutantVerdict
	unstable := map[string][]string{}
	for _, m := range mutants {
		v, u := mergeRepeats(byMutant[m.name])
		verdicts = append(verdicts, v)
		if len(u) > 0 {
			unstable[m.name] = u
		}
	}
	s := scoreSelftest(verdicts, catalog.All())
	s.Repeat = o.repeat
	if len(unstable) > 0 {
		s.Unstable = unstable
	}
	s.Seconds = time.Since(start).Seconds()
	if err := writeSelftestReports(reports, s); err != nil {
		fmt.Fprintln(stderr, "sessionconf selftest:", err)
	}
	printScore(stdout, s)
	fmt.Fprintf(stdout, "Reports: %s, %s\n", filepath.Join(reports, "selftest.json"), filepath.Join(reports, "selftest.md"))
	if !s.OK() {
		return exitFail
	}
	// Every MUST requirement has a mutant (DESIGN.md): a complete run that
	// leaves one uncovered fails, so a new requirement comes with its mutant.
	if len(o.only) == 0 && o.labelFilter == "" && len(s.UncoveredMust) > 0 {
		fmt.Fprintf(stdout, "sessionconf selftest: no mutant catches the MUST requirement(s) %s: add one to %s\n", strings.Join(s.UncoveredMust, ", "), mutantsDir)
		return exitFail
	}
	return exitOK
}

// mutantFilter is the label filter of a mutant's suite runs: the load
// specs it does not expect to fail are left out unless -full.
func mutantFilter(o selftestOptions, m *mutant) string {
	var skip []string
	if !o.full {
		for _, id := range loadSpecs {
			if !m.expects(id) {
				skip = append(skip, id)
			}
		}
	}
	if len(skip) == 0 {
		return joinFilters("", o.labelFilter)
	}
	return joinFilters("!("+strings.Join(skip, " || ")+")", o.labelFilter)
}

// joinFilters is the conjunction of Ginkgo label filters ("" is none).
func joinFilters(filters ...string) string {
	var parts []string
	for _, f := range filters {
		if f != "" {
			parts = append(parts, "("+f+")")
		}
	}
	return strings.Join(parts, " && ")
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

func readJobResults(j *job) *results.Run {
	r, err := results.ReadJSON(filepath.Join(j.dir, "results.json"))
	if err != nil {
		return errorRun(j.m, j, err)
	}
	return r
}

// jobSummary counts a finished job's statuses.
func jobSummary(j *job) string {
	r, err := results.ReadJSON(filepath.Join(j.dir, "results.json"))
	if err != nil {
		return fmt.Sprintf("no results (%v)", j.err)
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

func writeSelftestReports(dir string, s selftestScore) error {
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
