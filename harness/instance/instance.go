// Package instance runs one copy of a target for a spec: it computes the
// environment the manifest asks for (port, state directory, Redis URL,
// lifetime, secret, TLS files), starts the target, and restarts, kills or
// stops it through the mode the manifest chose (a supervised process, or
// hook commands for stacks the harness cannot spawn).
package instance

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/manifest"
)

// Config is what a spec decides about an instance.
type Config struct {
	Name    string // "a", "b": names logs and journal lines
	Profile catalog.Profile
	// StateDir is the spec's private directory; SessionDir is the session
	// directory inside it that the target is told to use.
	StateDir   string
	SessionDir string
	RedisURL   string
	// RedisPrefix is the key prefix the target is told to use
	// (settings.redis_prefix); "" leaves the target's own.
	RedisPrefix string
	// Zero durations leave the target's own default.
	Lifetime        time.Duration
	IdleTimeout     time.Duration
	CleanupInterval time.Duration
	Secret          string
	Production      bool
	TLSCert, TLSKey string
	// Env is set last, overriding everything (a spec's raw setting).
	Env map[string]string

	LogDir       string
	StartTimeout time.Duration
	StopGrace    time.Duration
}

// ErrUnsupported is returned when the manifest cannot do what the spec
// asks (no lifetime setting, no restart hook); such specs are reported
// unsupported, not failed.
type ErrUnsupported struct{ Why string }

func (e *ErrUnsupported) Error() string { return e.Why }

// Instance is a running target.
type Instance struct {
	Name    string
	BaseURL string
	Port    int
	Config  Config
	m       *manifest.Manifest
	run     Runner
}

// Runner is one way of running a target: a supervised process, hook
// commands, a container.
type Runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error // graceful
	Kill(ctx context.Context) error // SIGKILL
	Running() bool
	Logs() []string
	LogTail(n int) string
	Can(op Op) bool
}

// Restarter and Crasher are implemented by runners with a better way to
// restart or crash than Stop/Kill followed by Start.
type (
	Restarter interface {
		Restart(ctx context.Context) error
	}
	Crasher interface {
		Crash(ctx context.Context) error
	}
)

// Op is a lifecycle operation.
type Op string

const (
	OpRestart Op = "restart"
	OpKill    Op = "kill"
	OpStop    Op = "stop"
	OpStart   Op = "start"
	OpClear   Op = "clear" // external targets: delete every session record
)

// New returns an instance of m that is not started yet; Launch starts
// process and external targets, and harness/launch the others.
func New(m *manifest.Manifest, cfg Config) *Instance {
	return &Instance{Name: cfg.Name, Config: cfg, m: m}
}

// Launch starts an instance of a process-mode or external target and waits
// until it is ready. harness/launch chooses the mode; container mode lives
// in harness/containertarget, so process-mode users need no Docker.
func Launch(ctx context.Context, m *manifest.Manifest, cfg Config) (*Instance, error) {
	in := New(m, cfg)
	switch m.Mode() {
	case "external":
		return in, in.launchExternal(ctx)
	case "process":
		return in, in.launchProcess(ctx)
	}
	return nil, &ErrUnsupported{Why: fmt.Sprintf("instance.Launch does not start %s-mode targets (harness/launch does)", m.Mode())}
}

// Use makes r the way in runs (a runner started elsewhere: a container).
func (in *Instance) Use(r Runner) { in.run = r }

// Manifest returns the instance's manifest.
func (in *Instance) Manifest() *manifest.Manifest { return in.m }

// URL returns the absolute URL of path on this instance.
func (in *Instance) URL(path string) string { return in.BaseURL + path }

// Can reports whether the instance supports op.
func (in *Instance) Can(op Op) bool { return in.run.Can(op) }

// Restart is a graceful stop and start with the same state.
func (in *Instance) Restart(ctx context.Context) error {
	if err := in.need(OpRestart); err != nil {
		return err
	}
	if r, ok := in.run.(Restarter); ok {
		return r.Restart(ctx)
	}
	if err := in.run.Stop(ctx); err != nil {
		return err
	}
	return in.run.Start(ctx)
}

// Crash kills the target (SIGKILL) and starts it again.
func (in *Instance) Crash(ctx context.Context) error {
	if err := in.need(OpKill); err != nil {
		return err
	}
	if r, ok := in.run.(Crasher); ok {
		return r.Crash(ctx)
	}
	if err := in.run.Kill(ctx); err != nil {
		return err
	}
	return in.run.Start(ctx)
}

// Stop stops the target gracefully and leaves it stopped.
func (in *Instance) Stop(ctx context.Context) error {
	if err := in.need(OpStop); err != nil {
		return err
	}
	return in.run.Stop(ctx)
}

// Start starts a stopped target.
func (in *Instance) Start(ctx context.Context) error {
	if err := in.need(OpStart); err != nil {
		return err
	}
	return in.run.Start(ctx)
}

// Close stops the target for good (end of spec); it never fails a spec.
func (in *Instance) Close(ctx context.Context) {
	if in.run == nil {
		return
	}
	if c, ok := in.run.(interface{ Close(context.Context) }); ok {
		c.Close(ctx) // a container is removed, not only stopped
		return
	}
	if in.run.Running() {
		if in.run.Can(OpStop) && in.run.Stop(ctx) == nil {
			return
		}
		in.run.Kill(ctx)
	}
}

// Running reports whether the target process is up.
func (in *Instance) Running() bool { return in.run != nil && in.run.Running() }

// Logs returns the log files of every start.
func (in *Instance) Logs() []string {
	if in.run == nil {
		return nil
	}
	return in.run.Logs()
}

// LogTail returns the end of the latest log.
func (in *Instance) LogTail(n int) string {
	if in.run == nil {
		return ""
	}
	return in.run.LogTail(n)
}

func (in *Instance) need(op Op) error {
	if in.run == nil || !in.run.Can(op) {
		return &ErrUnsupported{Why: fmt.Sprintf("the target cannot %s: its manifest (%s) has no way to do it", op, in.m.Mode())}
	}
	return nil
}

// templateData is what manifest templates can use.
type templateData struct {
	Port        int
	Host        string
	StateDir    string
	SessionDir  string
	RedisURL    string
	RedisPrefix string
	Lifetime    int // seconds
	IdleTimeout int // seconds
	Secret      string
	ManifestDir string
	TLSCert     string
	TLSKey      string
}

func (in *Instance) data() templateData { return in.dataFor(in.Port, "127.0.0.1") }

func (in *Instance) dataFor(port int, host string) templateData {
	c := in.Config
	return templateData{
		Port: port, Host: host, StateDir: c.StateDir, SessionDir: c.SessionDir,
		RedisURL: c.RedisURL, RedisPrefix: c.RedisPrefix, Lifetime: seconds(c.Lifetime), IdleTimeout: seconds(c.IdleTimeout),
		Secret: c.Secret, ManifestDir: in.m.Dir, TLSCert: c.TLSCert, TLSKey: c.TLSKey,
	}
}

// Expand renders a manifest template with the instance's values.
func (in *Instance) Expand(s string) (string, error) {
	return manifest.Expand(s, in.data())
}

// Environ computes a process target's environment: the harness's own minus
// every standard setting (so nothing leaks in from the caller's shell), then
// the standard settings under the manifest's names, the profile's env, the
// manifest's env, and the spec's raw overrides.
func (in *Instance) Environ() ([]string, error) {
	return in.environ(in.dataFor(in.Port, "127.0.0.1"), os.Environ())
}

// ContainerEnviron is a container target's environment: nothing of the
// harness's own, and the app listening on port on every interface of its
// container.
func (in *Instance) ContainerEnviron(port int) ([]string, error) {
	return in.environ(in.dataFor(port, "0.0.0.0"), nil)
}

func (in *Instance) environ(data templateData, inherit []string) ([]string, error) {
	m, c := in.m, in.Config
	s := m.Settings
	env := map[string]string{}
	standard := []*string{s.Port, s.Host, s.SessionType, s.SessionDir, s.RedisURL, s.RedisPrefix, s.Lifetime,
		s.IdleTimeout, s.CleanupInterval, s.SecretKey, s.Production, s.TLSCert, s.TLSKey}
	var order []string
	for _, kv := range inherit {
		k, v, _ := strings.Cut(kv, "=")
		if slices.ContainsFunc(standard, func(p *string) bool { return *p == k }) {
			continue
		}
		env[k] = v
		order = append(order, k)
	}
	set := func(name *string, value, what string) error {
		if *name == "" {
			return &ErrUnsupported{Why: fmt.Sprintf("the spec needs to set the %s, but the manifest maps settings.%s to no env var", what, what)}
		}
		if _, ok := env[*name]; !ok {
			order = append(order, *name)
		}
		env[*name] = value
		return nil
	}
	opt := func(name *string, value string) {
		if *name != "" {
			set(name, value, "")
		}
	}
	opt(s.Port, strconv.Itoa(data.Port))
	opt(s.Host, data.Host)
	for k, v := range m.ProfileEnv[c.Profile] {
		kk := k
		set(&kk, v, "profile")
	}
	if c.Profile == catalog.Filesystem {
		opt(s.SessionDir, c.SessionDir)
	}
	if c.RedisURL != "" {
		opt(s.RedisURL, c.RedisURL)
	}
	if c.RedisPrefix != "" {
		if err := set(s.RedisPrefix, c.RedisPrefix, "redis_prefix"); err != nil {
			return nil, err
		}
	}
	opt(s.SecretKey, c.Secret)
	for _, d := range []struct {
		name *string
		v    time.Duration
		what string
	}{{s.Lifetime, c.Lifetime, "lifetime"}, {s.IdleTimeout, c.IdleTimeout, "idle_timeout"}, {s.CleanupInterval, c.CleanupInterval, "cleanup_interval"}} {
		if d.v > 0 {
			if err := set(d.name, strconv.Itoa(seconds(d.v)), d.what); err != nil {
				return nil, err
			}
		}
	}
	if c.Production {
		for _, p := range []struct {
			name  *string
			v, wh string
		}{{s.Production, "true", "production"}, {s.TLSCert, c.TLSCert, "tls_cert"}, {s.TLSKey, c.TLSKey, "tls_key"}} {
			if err := set(p.name, p.v, p.wh); err != nil {
				return nil, err
			}
		}
	}
	for k, v := range m.Env {
		val, err := manifest.Expand(v, data)
		if err != nil {
			return nil, fmt.Errorf("%s: env.%s: %v", m.Position("env."+k), k, err)
		}
		kk := k
		set(&kk, val, "env")
	}
	for k, v := range c.Env {
		kk := k
		set(&kk, v, "env")
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+env[k])
	}
	return out, nil
}

func seconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }

// Ports are taken from a range below Linux's ephemeral range (32768+), so
// the kernel does not hand the same port to an outgoing connection between
// our probe and the target's bind.
const (
	portLow  = 20000
	portHigh = 32000
)

var (
	portMu    sync.Mutex
	portsUsed = map[int]bool{}
	// portHolds keeps the reservation of every port handed out for the
	// life of the process.
	portHolds []net.Listener
)

// FreePort returns a port on 127.0.0.1 that was free a moment ago and that
// neither this process nor another harness process on the machine (the
// other Ginkgo processes of a run, other runs) has handed out: a target
// that is slow to bind (an interpreter) must not find its port taken by
// another spec's target, whose server would then answer its readiness
// check and its requests.
func FreePort() (int, error) {
	portMu.Lock()
	defer portMu.Unlock()
	for range 200 {
		p := portLow + rand.IntN(portHigh-portLow)
		if portsUsed[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		if !reservePort(p) {
			continue
		}
		portsUsed[p] = true
		return p, nil
	}
	return 0, errors.New("instance: no free port found")
}

// reservePort reserves port p for this process until it exits: it binds
// the abstract Unix socket "@sessionconf/port/<p>", which only one process
// on the machine can hold and which the kernel releases when the process
// ends, also on a crash, leaving no file behind. It reports false when
// another process holds the port.
func reservePort(p int) bool {
	l, err := net.Listen("unix", "@sessionconf/port/"+strconv.Itoa(p))
	if err != nil {
		return false
	}
	portHolds = append(portHolds, l)
	return true
}
