package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/containertarget"
	"github.com/sessionconf/sessionconf/harness/knownfail"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/redisprov"
	"github.com/sessionconf/sessionconf/harness/supervisor"
)

func init() {
	register("doctor", "check that a target can be tested: starts, logs in, stores sessions; Redis, Docker, Chromium", doctorCmd)
}

// Doctor's default waits; the manifest's timeouts and -timeout override
// them (the suites' defaults, so a target that passes here starts there).
var doctorTimeouts = map[string]time.Duration{"start": 20 * time.Second, "stop": 5 * time.Second, "request": 10 * time.Second}

type doctorOptions struct {
	target   string
	profiles listFlag
	suites   listFlag
	redis    string
	timeouts mapFlag
	keep     bool
}

func doctorCmd(args []string, stdout, stderr io.Writer) int {
	o := doctorOptions{timeouts: mapFlag{}}
	fs := newFlags("doctor", stderr)
	fs.StringVar(&o.target, "target", "", "target manifest (required)")
	fs.Var(&o.profiles, "profile", "profile(s) to check, comma-separated (default: all the manifest declares)")
	fs.Var(&o.suites, "suites", "suites you will run: http, browser (default: all in this checkout; browser needs Chromium)")
	fs.StringVar(&o.redis, "redis-provider", "", "Redis provider: auto (default), container, local or external (with SESSIONCONF_REDIS_URL)")
	fs.Var(o.timeouts, "timeout", "override a wait, e.g. -timeout start=60s (names: start, stop, request)")
	fs.BoolVar(&o.keep, "keep", false, "keep the state directory (logs, session files) for a look")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if o.target == "" {
		fmt.Fprintln(stderr, "sessionconf doctor: -target is required (write one with 'sessionconf init')")
		return exitUsage
	}
	for k, v := range o.timeouts {
		d, err := time.ParseDuration(v)
		if _, known := doctorTimeouts[k]; !known || err != nil || d <= 0 {
			fmt.Fprintf(stderr, "sessionconf doctor: -timeout %s=%s: want start, stop or request and a duration like 30s\n", k, v)
			return exitUsage
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return doctor(ctx, o, stdout)
}

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

// skipped is a check that could not be made because an earlier one failed.
func (c *checklist) skipped(format string, args ...any) {
	c.skip++
	c.line("–", fmt.Sprintf(format, args...), nil, "")
}

func doctor(ctx context.Context, o doctorOptions, w io.Writer) int {
	c := &checklist{w: w}
	fmt.Fprintf(w, "sessionconf doctor: %s\n", o.target)
	c.section("Manifest and tools")
	m, err := manifest.Load(o.target)
	if err != nil {
		c.fail(strings.Split(err.Error(), "\n"), "correct the lines named above ('sessionconf init' prints a manifest with every field)", "the manifest does not load")
		return exitUsage
	}
	profiles, err := chooseProfiles(m, o.profiles)
	if err != nil {
		c.fail(nil, "give -profile one of the manifest's profiles", "%v", err)
		return exitUsage
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
	for k, v := range doctorTimeouts {
		timeouts[k] = v
	}
	for k, d := range map[string]time.Duration{"start": m.Timeouts.Start.Std(), "stop": m.Timeouts.Stop.Std(), "request": m.Timeouts.Request.Std()} {
		if d > 0 {
			timeouts[k] = d
		}
	}
	for k, v := range o.timeouts {
		timeouts[k], _ = time.ParseDuration(v)
	}

	suites := []string{"http"}
	if root, err := repoRoot(); err == nil {
		if ss, err := chooseSuites(root, o.suites); err == nil {
			suites = names(ss)
		} else {
			c.fail(nil, "give -suites http and/or browser", "%v", err)
		}
	}

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
	checkDocker(ctx, c, m, needRedis)
	if contains(suites, "browser") {
		checkChromium(ctx, c, true)
	} else {
		checkChromium(ctx, c, false)
	}

	var redis *doctorRedis
	if needRedis {
		redis = startRedis(ctx, c, o.redis, runID)
		if redis != nil {
			defer redis.close()
		}
	}

	state, err := os.MkdirTemp("", "sessionconf-doctor-*")
	if err != nil {
		c.fail(nil, "", "create a state directory: %v", err)
		return exitFail
	}
	defer func() {
		supervisor.KillAll()
		if o.keep {
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
		if p == catalog.Redis && needRedis && redis == nil {
			c.skipped("not started: no Redis to give it (see above)")
			continue
		}
		dir := filepath.Join(state, string(p))
		if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
			c.fail(nil, "", "create %s: %v", dir, err)
			continue
		}
		checkProfile(ctx, c, profileCheck{m: m, profile: p, stateDir: dir, redis: redis, timeouts: timeouts, suites: suites, secret: randomSecret()})
		if ctx.Err() != nil {
			break
		}
	}

	fmt.Fprintln(w)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(w, "sessionconf doctor: interrupted")
		return exitFail
	case c.bad > 0:
		fmt.Fprintf(w, "sessionconf doctor: %d problem(s) (✗) to fix, %d check(s) passed", c.bad, c.ok)
		if c.warn > 0 {
			fmt.Fprintf(w, ", %d note(s) (!)", c.warn)
		}
		fmt.Fprintln(w, ". Fix the ✗ lines, then run doctor again.")
		return exitFail
	}
	fmt.Fprintf(w, "sessionconf doctor: all %d checks passed", c.ok)
	if c.warn > 0 {
		fmt.Fprintf(w, " (%d note(s) marked !)", c.warn)
	}
	fmt.Fprintf(w, ". Next: sessionconf run -target %s\n", o.target)
	return exitOK
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
	prov *redisprov.Provider
	inst *redisprov.Instance
}

func (r *doctorRedis) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.prov.Close(ctx)
	redisprov.Reap(ctx, r.prov.RunID())
}
