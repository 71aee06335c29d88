// Package redisprov provides the Redis servers of a conformance run: a
// container through testcontainers-go (the default), a local redis-server
// process (package redisserver), or an external server given by a URL.
//
// The provider is decided once per run (Select), printed in one line and
// recorded (Provider.Info). Every server is an Instance: an address on
// 127.0.0.1 (or the external host), URLs and go-redis clients per logical
// database, and outage controls (Stop/Start/Pause/Unpause) for specs that
// break Redis on purpose.
//
// With Ginkgo's parallel processes, process 1 starts one shared instance and
// hands Instance.Marshal's bytes to the others, which Attach to it; each
// process carves its own range of logical databases (DBAllocator), so a
// FLUSHDB in one spec never touches another. Outage specs start their own
// instance (Instance.Provider().NewInstance), which is cheap (a container in
// well under a second, a process in ~15 ms).
//
// Typical suite wiring (Ginkgo lives in the suite, not here):
//
//	var redisCfg = redisprov.ConfigFromEnv()
//	func init() { redisCfg.RegisterFlags(flag.CommandLine) }
//
//	var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
//		p, err := redisprov.Select(ctx, redisCfg) // decides, builds the image if missing
//		Expect(err).NotTo(HaveOccurred())
//		shared, err := p.NewInstance(ctx)         // prints the one decision line
//		Expect(err).NotTo(HaveOccurred())
//		DeferCleanup(func(ctx SpecContext) { p.Close(ctx); redisprov.Reap(ctx, p.RunID()) })
//		return shared.MustMarshal()
//	}, func(ctx SpecContext, data []byte) {
//		var err error
//		sharedRedis, err = redisprov.Attach(ctx, data) // every process, 1 included
//		Expect(err).NotTo(HaveOccurred())
//		redisDBs, err = sharedRedis.DBs(GinkgoParallelProcess(), GinkgoConfiguration().ParallelTotal)
//		Expect(err).NotTo(HaveOccurred())
//	})
//
//	// a spec:   db, err := sharedRedis.FreshDB(ctx, redisDBs); target env REDIS_URL = sharedRedis.URL(db)
//	// an outage spec:
//	//   own, err := sharedRedis.Provider().NewInstance(ctx); DeferCleanup(own.Terminate)
//	//   own.Stop(ctx) / own.Start(ctx) / own.Pause(ctx) / own.Unpause(ctx)
//	//   errors.Is(err, redisprov.ErrUnsupported) → the external provider: report unsupported
//
// Process 1's DeferCleanup runs after every process has finished (Ginkgo
// waits for them), also on interrupt; a harness killed outright leaves its
// containers to the next Select, which removes those of dead processes.
//
// Two more topologies, for targets that outgrow one Redis, come from the
// same container and local providers (the external one cannot start them:
// ErrUnsupported):
//
//	s, err := p.NewSentinel(ctx) // master, replica, 3 Sentinels (quorum 2), agreed
//	// target: REDIS_URL = s.URL(db) = redis://127.0.0.1:S1/db?master_name=mymaster&addr=127.0.0.1:S2&addr=127.0.0.1:S3
//	// harness: s.Client(db) follows the master; s.KillMaster(ctx),
//	// s.WaitFailover(ctx, timeout) → new master and how long it took, s.Rejoin(ctx)
//
//	c, err := p.NewCluster(ctx) // 3 masters, every node cluster_state:ok
//	// target: REDIS_URL = c.URL() = redis://127.0.0.1:N1?cluster=true&addr=127.0.0.1:N2&addr=127.0.0.1:N3
//	// harness: c.Client() (a ClusterClient), c.StopNode(ctx, addr) / c.StartNode(ctx, addr)
//
// Their nodes run on the host's network (containers) or as local
// processes, bound to 127.0.0.1 on ports chosen before they start, so the
// addresses Sentinels and cluster nodes hand out are ones the target can
// dial (see hostNetwork). Both have Descriptor and AttachSentinel/AttachCluster
// like an Instance, and Terminate.
package redisprov

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/sessionconf/sessionconf/reference/redisserver"
)

// Kind names a provider in output and reports.
type Kind string

const (
	KindContainer Kind = "container"
	KindLocal     Kind = "local"
	KindExternal  Kind = "external"
)

// Defaults.
const (
	// DefaultImage is built offline by fixtures/redis-image/build.sh.
	DefaultImage = "sessionconf-redis:7.0.15-deb12"
	// OwnImagePrefix: images with this name are built (not pulled) when missing.
	OwnImagePrefix = "sessionconf-redis:"
	// DefaultDatabases is enough for every spec of a run to own one.
	DefaultDatabases    = 4096
	DefaultStartTimeout = 60 * time.Second
)

// Labels put on every container, so Reap finds exactly ours.
const (
	LabelRun       = "org.sessionconf.run"
	LabelComponent = "org.sessionconf.component"
	LabelPID       = "org.sessionconf.pid"
	LabelHost      = "org.sessionconf.host"
	componentRedis = "redis"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvProvider     = "SESSIONCONF_REDIS_PROVIDER" // auto|container|local|external
	EnvImage        = "SESSIONCONF_REDIS_IMAGE"
	EnvURL          = "SESSIONCONF_REDIS_URL" // else REDIS_URL; for the external provider
	EnvDatabases    = "SESSIONCONF_REDIS_DATABASES"
	EnvStartTimeout = "SESSIONCONF_REDIS_START_TIMEOUT" // Go duration
	EnvBuild        = "SESSIONCONF_REDIS_BUILD"         // 0/false: never build the image
	EnvRunID        = "SESSIONCONF_RUN_ID"
	envRyuk         = "TESTCONTAINERS_RYUK_DISABLED"
)

var (
	// ErrUnsupported: the operation needs control over the server, which the
	// external provider does not have. Suites report such specs unsupported.
	ErrUnsupported = errors.New("unsupported by the external provider")
	// ErrNotOwner: outage controls on an instance this process attached to
	// (the shared one). Outage specs start their own instance.
	ErrNotOwner = errors.New("outage controls need an instance this process started (Provider.NewInstance), not an attached one")
)

func init() {
	disableRyuk()
	quietTestcontainers()
	quietGoRedis()
}

// quietTestcontainers silences testcontainers' global logger (its
// "Connected to docker" banner lands in every run's output otherwise);
// SESSIONCONF_REDIS_DEBUG=1 keeps it.
func quietTestcontainers() {
	if os.Getenv("SESSIONCONF_REDIS_DEBUG") == "" {
		tclog.SetDefault(tclog.NewNoopLogger())
	}
}

// quietGoRedis silences go-redis's process-wide logger: a Sentinel
// client logs every master the Sentinels name ("sentinel: new master=...")
// into the run's output. Failures still reach callers as errors;
// SESSIONCONF_REDIS_DEBUG=1 keeps the log.
func quietGoRedis() {
	if os.Getenv("SESSIONCONF_REDIS_DEBUG") == "" {
		redis.SetLogger(discardRedisLog{})
	}
}

type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}

// disableRyuk makes sure testcontainers never starts its reaper: its image
// cannot be pulled without a registry. Only the exact string "true" counts,
// so truthy spellings are normalised; an explicit false is respected.
func disableRyuk() {
	v, ok := os.LookupEnv(envRyuk)
	if b, err := strconv.ParseBool(v); !ok || v == "" || (err == nil && b && v != "true") {
		os.Setenv(envRyuk, "true")
	}
}

// Config chooses and configures the provider. The zero value means: auto,
// DefaultImage, DefaultDatabases, a fresh run ID.
type Config struct {
	Provider     string        // "" or "auto", "container", "local", "external"
	Image        string        // container image
	URL          string        // external server, redis:// or rediss://
	Databases    int           // logical databases of started servers
	StartTimeout time.Duration // per instance start (a pull included)
	NoBuild      bool          // never build a missing own image
	RunID        string        // labels containers; shared by all processes of a run
	Out          io.Writer     // the decision line and build output; default os.Stderr
	Log          io.Writer     // redis-server and testcontainers output; default discarded
}

// ConfigFromEnv reads the SESSIONCONF_REDIS_* variables (and REDIS_URL).
func ConfigFromEnv() Config {
	c := Config{
		Provider: os.Getenv(EnvProvider),
		Image:    os.Getenv(EnvImage),
		URL:      os.Getenv(EnvURL),
		RunID:    os.Getenv(EnvRunID),
	}
	if c.URL == "" {
		c.URL = os.Getenv("REDIS_URL")
	}
	if n, err := strconv.Atoi(os.Getenv(EnvDatabases)); err == nil {
		c.Databases = n
	}
	if d, err := time.ParseDuration(os.Getenv(EnvStartTimeout)); err == nil {
		c.StartTimeout = d
	}
	if b, err := strconv.ParseBool(os.Getenv(EnvBuild)); err == nil && !b {
		c.NoBuild = true
	}
	return c
}

// RegisterFlags adds -redis.provider, -redis.image, -redis.url and
// -redis.databases (defaults: the current values, e.g. from the env).
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Provider, "redis.provider", c.Provider, "Redis provider: auto, container, local or external (env "+EnvProvider+")")
	fs.StringVar(&c.Image, "redis.image", c.Image, "Redis container image (env "+EnvImage+"; default "+DefaultImage+")")
	fs.StringVar(&c.URL, "redis.url", c.URL, "Redis URL for the external provider (env "+EnvURL+" or REDIS_URL)")
	fs.IntVar(&c.Databases, "redis.databases", c.Databases, "logical databases of started Redis servers (env "+EnvDatabases+")")
}

func (c Config) withDefaults() Config {
	c.Provider = strings.ToLower(strings.TrimSpace(c.Provider))
	if c.Provider == "" {
		c.Provider = "auto"
	}
	if c.Image == "" {
		c.Image = DefaultImage
	}
	if c.Databases <= 0 {
		c.Databases = DefaultDatabases
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.RunID == "" {
		c.RunID = NewRunID()
	}
	c.RunID = sanitizeRunID(c.RunID)
	if c.Out == nil {
		c.Out = os.Stderr
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// NewRunID returns a fresh, label- and name-safe run identifier.
func NewRunID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}

var unsafeRunID = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

func sanitizeRunID(s string) string {
	s = unsafeRunID.ReplaceAllString(s, "-")
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// Info is what a report records about the Redis of a run.
type Info struct {
	Kind        Kind          `json:"kind"`
	Reason      string        `json:"reason"` // why this provider
	RunID       string        `json:"run_id"`
	Image       string        `json:"image,omitempty"`
	Engine      string        `json:"engine,omitempty"` // docker server version
	Addr        string        `json:"addr,omitempty"`   // of the first instance
	ContainerID string        `json:"container_id,omitempty"`
	StartupTime time.Duration `json:"startup_ns,omitempty"`
	ImageBuild  time.Duration `json:"image_build_ns,omitempty"` // when Select built it
}

// Provider starts instances of one kind. Select makes it; Attach rebuilds
// it in the other processes of a run from the shared descriptor.
type Provider struct {
	cfg    Config
	kind   Kind
	reason string
	engine string
	build  time.Duration
	url    string // external

	dockerOnce sync.Once
	docker     *dockerAPI
	dockerErr  error

	mu         sync.Mutex
	instances  []*Instance
	topologies []*topology
	first      *Instance
	announced  bool // the decision line was printed (or, attached, by process 1)
}

// Kind is the provider's name for reports.
func (p *Provider) Kind() Kind { return p.kind }

// RunID labels this run's containers.
func (p *Provider) RunID() string { return p.cfg.RunID }

// Reason says why this provider serves the run.
func (p *Provider) Reason() string { return p.reason }

// Config is the effective configuration.
func (p *Provider) Config() Config { return p.cfg }

// Info describes the provider and its first instance, for reports.
func (p *Provider) Info() Info {
	p.mu.Lock()
	defer p.mu.Unlock()
	in := Info{Kind: p.kind, Reason: p.reason, RunID: p.cfg.RunID, Engine: p.engine, ImageBuild: p.build}
	if p.kind == KindContainer {
		in.Image = p.cfg.Image
	}
	if p.first != nil {
		in.Addr, in.ContainerID, in.StartupTime = p.first.addr, p.first.containerID, p.first.startup
	}
	return in
}

// Select decides the provider of the run: explicitly by Config.Provider,
// or automatically: a container when a Docker engine answers (and the image
// is there or can be built), else a local redis-server, else an external
// URL when one is configured. It prints nothing; the first NewInstance
// prints the decision with the address.
func Select(ctx context.Context, cfg Config) (*Provider, error) {
	disableRyuk()
	cfg = cfg.withDefaults()
	p := &Provider{cfg: cfg}
	switch cfg.Provider {
	case string(KindContainer):
		if err := p.useContainer(ctx); err != nil {
			return nil, fmt.Errorf("redisprov: container provider (%s=container): %w", EnvProvider, err)
		}
		p.reason = "chosen explicitly; " + p.reason
	case string(KindLocal):
		if err := p.useLocal(); err != nil {
			return nil, fmt.Errorf("redisprov: local provider: %w", err)
		}
		p.reason = "chosen explicitly"
	case string(KindExternal):
		if err := p.useExternal(ctx); err != nil {
			return nil, fmt.Errorf("redisprov: external provider: %w", err)
		}
		p.reason = "chosen explicitly"
	case "auto":
		var why []string
		err := p.useContainer(ctx)
		if err == nil {
			return p, nil
		}
		why = append(why, err.Error())
		if err := p.useLocal(); err == nil {
			p.reason = strings.Join(why, "; ")
			return p, nil
		} else {
			why = append(why, err.Error())
		}
		if cfg.URL != "" {
			if err := p.useExternal(ctx); err == nil {
				p.reason = strings.Join(why, "; ")
				return p, nil
			} else {
				why = append(why, err.Error())
			}
		} else {
			why = append(why, "no external URL ("+EnvURL+"/REDIS_URL)")
		}
		return nil, fmt.Errorf("redisprov: no Redis provider available: %s", strings.Join(why, "; "))
	default:
		return nil, fmt.Errorf("redisprov: unknown provider %q (want auto, container, local or external)", cfg.Provider)
	}
	return p, nil
}

func (p *Provider) useLocal() error {
	if _, err := exec.LookPath(redisserver.Binary); err != nil {
		return redisserver.ErrNotInstalled
	}
	p.kind = KindLocal
	return nil
}

func (p *Provider) useExternal(ctx context.Context) error {
	if p.cfg.URL == "" {
		return fmt.Errorf("no URL: set %s or REDIS_URL (or -redis.url)", EnvURL)
	}
	if _, err := parseURL(p.cfg.URL); err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pingURL(pctx, p.cfg.URL); err != nil {
		return fmt.Errorf("%s does not answer: %w", redactURL(p.cfg.URL), err)
	}
	p.kind, p.url = KindExternal, p.cfg.URL
	return nil
}

// NewInstance starts a fresh server (for the external provider: a handle on
// the same server). The first one of a Provider prints the decision line.
func (p *Provider) NewInstance(ctx context.Context) (*Instance, error) {
	var (
		inst *Instance
		err  error
	)
	switch p.kind {
	case KindContainer:
		inst, err = p.startContainer(ctx)
	case KindLocal:
		inst, err = p.startLocal(ctx)
	case KindExternal:
		inst, err = p.startExternal(ctx)
	default:
		return nil, fmt.Errorf("redisprov: provider of kind %q cannot start instances", p.kind)
	}
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.instances = append(p.instances, inst)
	if p.first == nil {
		p.first = inst
	}
	announce := !p.announced
	p.announced = true
	p.mu.Unlock()
	if announce {
		fmt.Fprintln(p.cfg.Out, p.decisionLine(inst))
	}
	return inst, nil
}

func (p *Provider) decisionLine(inst *Instance) string {
	var what string
	switch p.kind {
	case KindContainer:
		what = fmt.Sprintf("using a %s container (%s) on %s", p.cfg.Image, shortID(inst.containerID), inst.addr)
	case KindLocal:
		what = "using local redis-server on " + inst.addr
	case KindExternal:
		what = "using external Redis " + redactURL(p.url) + " (no outage control)"
	}
	return fmt.Sprintf("redis: %s; %s, ready in %v (run %s)", p.reason, what, inst.startup.Round(time.Millisecond), p.cfg.RunID)
}

// Close terminates every instance, Sentinel and Cluster this Provider
// started in this process. Those started by other processes of the run are
// left alone (Reap removes the run's containers once every process is done).
func (p *Provider) Close(ctx context.Context) error {
	p.mu.Lock()
	insts, topos := p.instances, p.topologies
	p.instances, p.topologies = nil, nil
	p.mu.Unlock()
	var errs []error
	for _, in := range insts {
		errs = append(errs, in.Terminate(ctx))
	}
	for _, t := range topos {
		errs = append(errs, t.terminate(ctx))
	}
	if p.docker != nil {
		errs = append(errs, p.docker.close())
	}
	return errors.Join(errs...)
}

func (p *Provider) forget(inst *Instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, in := range p.instances {
		if in == inst {
			p.instances = append(p.instances[:i], p.instances[i+1:]...)
			return
		}
	}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
