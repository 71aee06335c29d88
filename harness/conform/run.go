package conform

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/containertarget"
	"github.com/sessionconf/sessionconf/harness/knownfail"
	"github.com/sessionconf/sessionconf/harness/launch"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/supervisor"
	"github.com/sessionconf/sessionconf/harness/tlscert"
)

// Flags of a suite run. go test parses them; `sessionconf run` sets them.
var (
	flagTarget       = flag.String("sessionconf.target", os.Getenv("SESSIONCONF_TARGET"), "target manifest (default: the reference's filesystem manifest)")
	flagProfile      = flag.String("sessionconf.profile", os.Getenv("SESSIONCONF_PROFILE"), "profile to test (default: the manifest's first)")
	flagReports      = flag.String("sessionconf.reports", os.Getenv("SESSIONCONF_REPORTS"), "report directory of this suite run (default: reports/<target>/<profile>/<suite>)")
	flagKnownFailing = flag.String("sessionconf.known-failing", os.Getenv("SESSIONCONF_KNOWN_FAILING"), "known-failing list (default: the manifest's known_failing)")
	flagKeep         = flag.Bool("sessionconf.keep", os.Getenv("SESSIONCONF_KEEP") != "", "keep the run's state directories (debugging)")
	flagSkipBuild    = flag.Bool("sessionconf.skip-build", os.Getenv("SESSIONCONF_SKIP_BUILD") != "", "do not run the manifest's build command (it was built already)")
)

// suiteName names the suite in results ("http", "browser").
var suiteName = "http"

// runData is decided once by Ginkgo process 1 and shared with the others.
type runData struct {
	Manifest string          `json:"manifest"`
	Profile  catalog.Profile `json:"profile"`
	Root     string          `json:"root"`
	Reports  string          `json:"reports"`
	TLSCert  string          `json:"tls_cert,omitempty"`
	TLSKey   string          `json:"tls_key,omitempty"`
	Redis    json.RawMessage `json:"redis,omitempty"`
	// RedisTopology is the shape of Redis: "" (one server), "sentinel" or
	// "cluster".
	RedisTopology string    `json:"redis_topology,omitempty"`
	Costs         Costs     `json:"costs"`
	Started       time.Time `json:"started"`
}

// current is this process's view of the run.
var current struct {
	data     runData
	manifest *manifest.Manifest
	known    *knownfail.List
	timeouts Timeouts
	redis    *sharedRedis
	setupErr error
}

// startRun runs on Ginkgo process 1 before any spec: it loads the
// manifest, builds the target, makes the run's directory and TLS files and
// starts the shared Redis (the SynchronizedBeforeSuite of RunSuite).
func startRun(ctx context.Context) []byte {
	d, err := setupRun(ctx)
	if err != nil {
		supervisor.KillAll()
		abortRun("the run could not start: %v", err)
	}
	data, _ := json.Marshal(d)
	return data
}

func setupRun(ctx context.Context) (runData, error) {
	var d runData
	d.Started = time.Now()
	path, err := manifestPath()
	if err != nil {
		return d, err
	}
	m, err := manifest.Load(path)
	if err != nil {
		return d, err
	}
	d.Manifest = path
	if d.Profile, err = chooseProfile(m); err != nil {
		return d, err
	}
	if _, err := loadKnownFailing(m); err != nil {
		return d, err
	}
	if err := prepare(ctx, m); err != nil {
		return d, err
	}
	if d.Root, err = os.MkdirTemp("", "sessionconf-run-*"); err != nil {
		return d, err
	}
	if d.Reports, err = reportDir(m, d.Profile); err != nil {
		return d, err
	}
	if m.Has(catalog.Production) {
		d.TLSCert, d.TLSKey, err = tlscert.Write(d.Root)
		if err != nil {
			return d, err
		}
	}
	var shared sharedHandle
	if needsRedis(m, d.Profile) {
		d.RedisTopology = topologyOf(d.Profile)
		if shared, d.Redis, err = startSharedRedis(ctx, d.RedisTopology); err != nil {
			return d, err
		}
	}
	d.Costs = measureCosts(ctx, m, d, shared)
	return d, nil
}

// needsRedis reports whether a run of m in profile p starts a Redis: the
// Redis profiles, and the cookie profile switching from Redis. A topology
// needs a target the harness runs as a process on this host (see
// topologyUnsupported).
func needsRedis(m *manifest.Manifest, p catalog.Profile) bool {
	switch {
	case p.IsTopology():
		return topologyUnsupported(m, p) == ""
	case p == catalog.Redis:
		return true
	}
	return p == catalog.Cookie && m.SwitchSource() == catalog.Redis
}

// topologyUnsupported says why m cannot be tested in topology profile p
// ("" when it can).
func topologyUnsupported(m *manifest.Manifest, p catalog.Profile) string {
	return launch.TopologyUnsupported(m, p)
}

// attachRun runs on every Ginkgo process with process 1's data.
func attachRun(ctx context.Context, data []byte) {
	var d runData
	if err := json.Unmarshal(data, &d); err != nil {
		abortRun("run data: %v", err)
	}
	m, err := manifest.Load(d.Manifest)
	if err != nil {
		abortRun("%v", err)
	}
	known, err := loadKnownFailing(m)
	if err != nil {
		abortRun("%v", err)
	}
	current.data, current.manifest, current.known = d, m, known
	current.timeouts = timeoutsFor(m)
	if len(d.Redis) > 0 {
		if current.redis, err = attachSharedRedis(ctx, d.RedisTopology, d.Redis); err != nil {
			abortRun("redis: %v", err)
		}
	}
}

// teardownProcess runs on every process after its last spec.
func teardownProcess(ctx context.Context) {
	supervisor.KillAll()
	containertarget.Close(ctx)
	if current.redis != nil {
		current.redis.detach()
	}
}

// teardownRun runs on process 1 after every process is done.
func teardownRun(ctx context.Context) {
	if len(current.data.Redis) > 0 {
		stopSharedRedis(ctx, current.data.Redis)
	}
	if current.data.Root != "" && !*flagKeep {
		os.RemoveAll(current.data.Root)
	}
}

// timeoutsFor resolves the named timeouts for m: flags, then the
// manifest, then the defaults.
func timeoutsFor(m *manifest.Manifest) Timeouts {
	return resolveTimeouts(map[string]time.Duration{
		"start": m.Timeouts.Start.Std(), "stop": m.Timeouts.Stop.Std(), "request": m.Timeouts.Request.Std(),
		"tolerance": m.Timeouts.Tolerance.Std(),
	})
}

func manifestPath() (string, error) {
	p := *flagTarget
	if p == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", errors.New("no -sessionconf.target given and no repository to find the reference manifest in")
		}
		p = filepath.Join(root, "fixtures", "targets", "reference-filesystem.yaml")
	}
	return filepath.Abs(p)
}

func chooseProfile(m *manifest.Manifest) (catalog.Profile, error) {
	if *flagProfile == "" {
		return m.Profiles[0], nil
	}
	p, err := catalog.ParseProfile(*flagProfile)
	if err != nil {
		return "", err
	}
	if !m.Declares(p) {
		return "", fmt.Errorf("%s declares the profiles %v, not %s", m.Path, m.Profiles, p)
	}
	return p, nil
}

func loadKnownFailing(m *manifest.Manifest) (*knownfail.List, error) {
	p := *flagKnownFailing
	if p == "" {
		p = m.KnownFailingPath()
	}
	return knownfail.Load(p)
}

// prepare runs the manifest's build once and checks that the command and
// its working directory exist, so a broken manifest fails before any spec.
func prepare(ctx context.Context, m *manifest.Manifest) error {
	if m.Container != nil && len(m.Container.Build) > 0 && !*flagSkipBuild {
		cmd := exec.CommandContext(ctx, m.Container.Build[0], m.Container.Build[1:]...)
		cmd.Dir = m.Dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: container.build failed: %v\n%s", m.Position("container.build"), err, out)
		}
	}
	if m.Process == nil {
		return nil
	}
	wd := m.Process.Workdir
	if info, err := os.Stat(wd); err != nil || !info.IsDir() {
		return fmt.Errorf("%s: process.workdir: %s is not a directory", m.Position("process.workdir"), wd)
	}
	if len(m.Process.Build) > 0 && !*flagSkipBuild {
		cmd := exec.CommandContext(ctx, m.Process.Build[0], m.Process.Build[1:]...)
		cmd.Dir = wd
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: process.build failed: %v\n%s", m.Position("process.build"), err, out)
		}
	}
	prog := m.Process.Command[0]
	if strings.Contains(prog, "{{") {
		return nil // known only per spec
	}
	if strings.Contains(prog, "/") {
		if !filepath.IsAbs(prog) {
			prog = filepath.Join(wd, prog)
		}
		if info, err := os.Stat(prog); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return fmt.Errorf("%s: process.command: %s is not an executable file", m.Position("process.command"), prog)
		}
		return nil
	}
	if _, err := exec.LookPath(prog); err != nil {
		return fmt.Errorf("%s: process.command: %q is not on PATH", m.Position("process.command"), prog)
	}
	return nil
}

func reportDir(m *manifest.Manifest, p catalog.Profile) (string, error) {
	dir := *flagReports
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			root, _ = os.Getwd()
		}
		dir = filepath.Join(root, "reports", m.Name, string(p), suiteName)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	// Only our own output is removed: the directory may hold other files.
	for _, old := range []string{"results.json", "junit.xml", "evidence"} {
		os.RemoveAll(filepath.Join(dir, old))
	}
	return dir, os.MkdirAll(dir, 0o755)
}

// RepoRoot finds the sessionconf checkout above the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(data), "module github.com/sessionconf/sessionconf") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the sessionconf repository")
		}
		dir = parent
	}
}
