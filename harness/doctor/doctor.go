// Package doctor checks, in seconds, that a target can be tested: its
// manifest loads, it starts and is ready, its login form has the fields
// (and the CSRF token) the manifest names, a login sets a cookie, the
// dashboard shows the marker, the store gains a record, the logout works,
// what a login costs; and whether Redis, Docker and Chromium are there.
// Every failed check ends with the likely fix in the manifest: the
// harness adapts to the app, never the app to the harness.
//
// It uses the same story (harness/story) and launcher (harness/launch)
// as the suites, so a target that passes here starts and logs in there.
package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	goredis "github.com/redis/go-redis/v9"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/containertarget"
	"github.com/sessionconf/sessionconf/harness/knownfail"
	"github.com/sessionconf/sessionconf/harness/launch"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/redisprov"
	"github.com/sessionconf/sessionconf/harness/runner"
	"github.com/sessionconf/sessionconf/harness/supervisor"
)

// Timeouts are doctor's default waits; the manifest's timeouts and
// Options.Timeouts override them (the suites' defaults, so a target that
// passes here starts there).
var Timeouts = map[string]time.Duration{"start": 20 * time.Second, "stop": 5 * time.Second, "request": 10 * time.Second}

// Options are a doctor run's settings (the doctor command's flags).
type Options struct {
	Target   string   // the manifest
	Profiles []string // the profiles to check (default: all the manifest declares)
	Suites   []string // the suites the user will run (default: all; browser needs Chromium)
	Redis    string   // the Redis provider
	Timeouts map[string]time.Duration
	Keep     bool // keep the state directory
	// Reports is the report directory (default "reports", as for run): the
	// target's logs are kept in its doctor/<profile>/, so the log a failed
	// check points to is still there after the doctor exits.
	Reports string
}

// LogDir is where a doctor run keeps the target's logs.
func (o Options) LogDir() string {
	reports := o.Reports
	if reports == "" {
		reports = "reports"
	}
	dir, err := filepath.Abs(filepath.Join(reports, "doctor"))
	if err != nil {
		return filepath.Join(reports, "doctor")
	}
	return dir
}

// Outcome is how a doctor run ended.
type Outcome int

const (
	Healthy  Outcome = iota // nothing the target needs fails
	Problems                // a check failed: its ✗ line says what to fix
	Unusable                // the manifest does not load or names no such profile: nothing was checked
)

// checklist prints the doctor's lines as they are decided.
type checklist struct {
	w                   io.Writer
	ok, bad, warn, skip int
}

func (c *checklist) section(title string) { fmt.Fprintf(c.w, "\n%s\n", title) }

func (c *checklist) line(mark, text string, details []string, fix string) {
	fmt.Fprintf(c.w, "  %s %s\n", mark, text)
	for _, d := range details {
		for _, l := range strings.Split(strings.TrimRight(d, "\n"), "\n") {
			fmt.Fprintf(c.w, "      %s\n", l)
		}
	}
	if fix != "" {
		fmt.Fprintf(c.w, "      fix: %s\n", strings.ReplaceAll(fix, "\n", "\n           "))
	}
}

// pass is a check that holds.
func (c *checklist) pass(format string, args ...any) {
	c.ok++
	c.line("✓", fmt.Sprintf(format, args...), nil, "")
}

// fail is a check that fails: the target cannot be tested (well) until it
// is fixed.
func (c *checklist) fail(details []string, fix, format string, args ...any) {
	c.bad++
	c.line("✗", fmt.Sprintf(format, args...), details, fix)
}

// note is a problem that does not stop a run (an optional tool, a
// suspicious detail).
func (c *checklist) note(fix, format string, args ...any) {
	c.warn++
	c.line("!", fmt.Sprintf(format, args...), nil, fix)
}

// skipped is a check that could not be made because an earlier one
// failed, or that the run the user plans does not need.
func (c *checklist) skipped(format string, args ...any) {
	c.skip++
	c.line("–", fmt.Sprintf(format, args...), nil, "")
}

// Run checks the target o names and prints a checklist to w, each line
// as it is decided.
func Run(ctx context.Context, o Options, w io.Writer) Outcome {
	c := &checklist{w: w}
	fmt.Fprintf(w, "sessionconf doctor: %s\n", o.Target)
	c.section("Manifest and tools")
	m, err := manifest.Load(o.Target)
	if err != nil {
		c.fail(strings.Split(err.Error(), "\n"), "correct the lines named above ('sessionconf init' prints a manifest with every field)", "the manifest does not load")
		return Unusable
	}
	profiles, err := m.SelectProfiles(o.Profiles)
	if err != nil {
		c.fail(nil, "give -profile one of the manifest's profiles", "%v", err)
		return Unusable
	}
	c.pass("manifest: %s, %s mode, profiles %s", m.Name, m.Mode(), joinProfiles(m.Profiles))
	if known := m.KnownFailingPath(); known != "" {
		if list, err := knownfail.Load(known); err != nil {
			c.fail(strings.Split(err.Error(), "\n"), "one entry per line, each with '# reason' (see README, Known-failing lists)", "the known-failing list does not load")
		} else {
			c.pass("known-failing list: %s (%d entries)", known, len(list.Entries))
		}
	}
	timeouts := map[string]time.Duration{}
	for k, v := range Timeouts {
		timeouts[k] = v
	}
	for k, d := range map[string]time.Duration{"start": m.Timeouts.Start.Std(), "stop": m.Timeouts.Stop.Std(), "request": m.Timeouts.Request.Std()} {
		if d > 0 {
			timeouts[k] = d
		}
	}
	for k, v := range o.Timeouts {
		timeouts[k] = v
	}

	suites := checkSuites(c, o.Suites)

	// Containers the doctor starts (Redis, a container target) carry this
	// run ID, so they are removed at the end whatever happens.
	runID := redisprov.NewRunID()
	old, had := os.LookupEnv(redisprov.EnvRunID)
	os.Setenv(redisprov.EnvRunID, runID)
	defer func() {
		if had {
			os.Setenv(redisprov.EnvRunID, old)
		} else {
			os.Unsetenv(redisprov.EnvRunID)
		}
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		containertarget.Close(cctx)
		redisprov.Reap(cctx, runID)
		containertarget.ReapNetworks(cctx, runID)
	}()

	runnable := checkRunnable(ctx, c, m)
	needRedis := m.Mode() != "external" && contains(profiles, catalog.Redis)
	for _, p := range profiles {
		if p.IsTopology() && launch.TopologyUnsupported(m, p) == "" {
			needRedis = true
		}
	}
	checkDocker(ctx, c, m, needRedis)
	if contains(suites, "browser") {
		checkChromium(ctx, c)
	} else {
		c.skipped("Chromium: not checked (-suites %s: only the browser suite needs it)", strings.Join(suites, ","))
	}

	var redis *doctorRedis
	if needRedis {
		redis = startRedis(ctx, c, o.Redis, runID)
		if redis != nil {
			defer redis.close()
		}
	}

	state, err := os.MkdirTemp("", "sessionconf-doctor-*")
	if err != nil {
		c.fail(nil, "", "create a state directory: %v", err)
		return Problems
	}
	// The logs live outside the state directory, which goes at the end:
	// a failed check names its log, and the user reads it afterwards. Only
	// the doctor's own directory of the reports is replaced.
	logs := o.LogDir()
	os.RemoveAll(logs)
	defer func() {
		supervisor.KillAll()
		if o.Keep {
			fmt.Fprintf(w, "\nState kept in %s\n", state)
		} else {
			os.RemoveAll(state)
		}
	}()

	for _, p := range profiles {
		c.section(fmt.Sprintf("%s profile", p))
		if !runnable {
			c.skipped("not started: the target cannot run (see above)")
			continue
		}
		if why := launch.TopologyUnsupported(m, p); why != "" {
			c.skipped("not started: %s", why)
			continue
		}
		if (p == catalog.Redis || p.IsTopology()) && needRedis && redis == nil {
			c.skipped("not started: no Redis to give it (see above)")
			continue
		}
		dir, logDir := filepath.Join(state, string(p)), filepath.Join(logs, string(p))
		if err := errors.Join(os.MkdirAll(dir, 0o755), os.MkdirAll(logDir, 0o755)); err != nil {
			c.fail(nil, "", "create the profile's directories: %v", err)
			continue
		}
		checkProfile(ctx, c, profileCheck{m: m, profile: p, stateDir: dir, logDir: logDir, redis: redis, timeouts: timeouts, suites: suites, secret: randomSecret()})
		if ctx.Err() != nil {
			break
		}
	}

	if logged(logs) {
		fmt.Fprintf(w, "\nThe target's logs: %s\n", logs)
	}
	fmt.Fprintln(w)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(w, "sessionconf doctor: interrupted")
		return Problems
	case c.bad > 0:
		fmt.Fprintf(w, "sessionconf doctor: %d problem(s) (✗) to fix, %d check(s) passed", c.bad, c.ok)
		if c.warn > 0 {
			fmt.Fprintf(w, ", %d note(s) (!)", c.warn)
		}
		fmt.Fprintln(w, ". Fix the ✗ lines, then run doctor again.")
		return Problems
	}
	fmt.Fprintf(w, "sessionconf doctor: all %d checks passed", c.ok)
	if c.warn > 0 {
		fmt.Fprintf(w, " (%d note(s) marked !)", c.warn)
	}
	next := "sessionconf run -target " + o.Target
	if len(o.Suites) > 0 {
		next += " -suites " + strings.Join(o.Suites, ",")
	}
	fmt.Fprintf(w, ". Next: %s\n", next)
	return Healthy
}

// checkSuites returns the suites the user will run (want, or every suite
// this sessionconf has) and fails when they cannot run: no checkout or
// release to take them from, or a name that is no suite.
func checkSuites(c *checklist, want []string) []string {
	layout, err := runner.FindLayout()
	if err != nil {
		c.fail(nil, "use a release directory (bin/sessionconf with its libexec/) or run inside the checkout", "%v", err)
		if len(want) > 0 {
			return want
		}
		return runner.Names(runner.Suites)
	}
	// The doctor starts Redis the way a run does: with the release's
	// image recipe.
	layout.ExportEnv()
	ss, err := layout.ChooseSuites(want)
	if err != nil {
		c.fail(nil, "give -suites http and/or browser", "%v", err)
		return want
	}
	c.pass("suites %s from the %s", strings.Join(runner.Names(ss), ", "), layout)
	return runner.Names(ss)
}

// logged reports whether dir holds a file.
func logged(dir string) bool {
	found := false
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

func joinProfiles(ps []catalog.Profile) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func randomSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// doctorRedis is the Redis the doctor gives redis-profile targets, started
// the way a run starts it.
type doctorRedis struct {
	prov     *redisprov.Provider
	inst     *redisprov.Instance
	sentinel *redisprov.Sentinel // started for the redis-sentinel profile
	cluster  *redisprov.Cluster  // started for the redis-cluster profile
}

// topology starts the Redis of topology profile p (once) and returns the
// URL the target gets, in the manifest's form, and the harness's client of
// where its sessions go.
func (r *doctorRedis) topology(ctx context.Context, m *manifest.Manifest, p catalog.Profile) (string, goredis.UniversalClient, error) {
	var err error
	switch p {
	case catalog.RedisSentinel:
		if r.sentinel == nil {
			if r.sentinel, err = r.prov.NewSentinel(ctx); err != nil {
				return "", nil, err
			}
		}
		u, err := m.SentinelURL(r.sentinel.Sentinels(), r.sentinel.MasterName(), redisDB)
		return u, r.sentinel.Client(redisDB), err
	case catalog.RedisCluster:
		if r.cluster == nil {
			if r.cluster, err = r.prov.NewCluster(ctx); err != nil {
				return "", nil, err
			}
		}
		u, err := m.ClusterURL(r.cluster.Addrs())
		return u, r.cluster.Client(), err
	}
	return "", nil, fmt.Errorf("%s is not a Redis topology", p)
}

func (r *doctorRedis) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.prov.Close(ctx)
	redisprov.Reap(ctx, r.prov.RunID())
}
