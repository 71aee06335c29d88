package conform

import (
	"errors"
	"fmt"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/evidence"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/launch"
	"github.com/sessionconf/sessionconf/harness/proxy"
	"github.com/sessionconf/sessionconf/harness/supervisor"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// LaunchOption configures an instance a spec starts.
type LaunchOption func(*instance.Config)

// Lifetime sets the session lifetime (PERMANENT_SESSION_LIFETIME).
func Lifetime(d time.Duration) LaunchOption { return func(c *instance.Config) { c.Lifetime = d } }

// IdleTimeout sets the idle timeout.
func IdleTimeout(d time.Duration) LaunchOption { return func(c *instance.Config) { c.IdleTimeout = d } }

// CleanupInterval sets how often the target removes expired records.
func CleanupInterval(d time.Duration) LaunchOption {
	return func(c *instance.Config) { c.CleanupInterval = d }
}

// Production starts the target in production mode, over HTTPS with the
// run's certificate.
func Production() LaunchOption {
	return func(c *instance.Config) {
		c.Production = true
		c.TLSCert, c.TLSKey = current.data.TLSCert, current.data.TLSKey
	}
}

// TLSCert is the path of the run's self-signed certificate that
// production-mode targets serve ("" when the target declares no
// production mode); clients such as the browser are told to trust it.
func (t *T) TLSCert() string { return current.data.TLSCert }

// AsProfile starts the target in another profile than the run's, on the
// same state (PROFILE-1 switches a server from files to cookies).
func AsProfile(p catalog.Profile) LaunchOption { return func(c *instance.Config) { c.Profile = p } }

// Env sets a raw environment variable, after everything else.
func Env(k, v string) LaunchOption {
	return func(c *instance.Config) {
		if c.Env == nil {
			c.Env = map[string]string{}
		}
		c.Env[k] = v
	}
}

// Launch starts an instance of the target for this spec and waits until it
// is ready. Instances of one spec share its store (directory, Redis
// database) and secret, so a second Launch is a second server of the same
// deployment. A start that fails ends the spec with status error and the
// target's log.
func (t *T) Launch(opts ...LaunchOption) *instance.Instance {
	t.mu.Lock()
	name := string(rune('a' + len(t.instances)))
	t.mu.Unlock()
	cfg := instance.Config{
		Name: name, Profile: t.Profile, StateDir: t.stateDir, SessionDir: t.sessionDir(),
		Secret: t.secret, LogDir: t.logDir,
		StartTimeout: t.Timeouts.Start, StopGrace: t.Timeouts.Stop,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.Profile.UsesRedis() || t.Profile.UsesRedis() {
		r := t.redisOf()
		url, err := r.url(t.Target)
		t.Must(err, "the target's Redis URL")
		cfg.RedisURL, cfg.RedisPrefix = url, r.prefix
	}
	if cfg.Production && !t.Target.Has(catalog.Production) {
		t.Unsupported("the target does not declare features.production")
	}
	t.Journal.Event("start %s (%s profile%s)", name, cfg.Profile, describeConfig(cfg))
	in, err := launch.Instance(t.ctx, t.Target, cfg)
	if in != nil {
		t.mu.Lock()
		t.instances = append(t.instances, in)
		t.mu.Unlock()
	}
	if err != nil {
		t.startFailed(name, err)
	}
	t.Journal.Event("%s ready at %s", name, in.BaseURL)
	return in
}

func describeConfig(c instance.Config) string {
	s := ""
	if c.Lifetime > 0 {
		s += fmt.Sprintf(", lifetime %v", c.Lifetime)
	}
	if c.IdleTimeout > 0 {
		s += fmt.Sprintf(", idle timeout %v", c.IdleTimeout)
	}
	if c.CleanupInterval > 0 {
		s += fmt.Sprintf(", cleanup every %v", c.CleanupInterval)
	}
	if c.Production {
		s += ", production (HTTPS)"
	}
	if c.RedisPrefix != "" {
		s += fmt.Sprintf(", Redis key prefix %s", c.RedisPrefix)
	}
	for k, v := range c.Env {
		s += fmt.Sprintf(", %s=%s", k, v)
	}
	return s
}

// startFailed ends the spec: a start that fails is an error of the run
// (status error), with the target's log tail; a manifest that cannot do
// what the spec needs makes it unsupported.
func (t *T) startFailed(name string, err error) {
	var se *supervisor.StartError
	if errors.As(err, &se) {
		t.Journal.Event("%s failed to start: %s", name, se.Reason)
	}
	t.Must(err, "start "+name)
}

// Restart restarts in gracefully (SIGTERM, wait, start with the same
// state) and waits until it is ready.
func (t *T) Restart(in *instance.Instance) {
	t.Journal.Event("restart %s (graceful)", in.Name)
	if err := in.Restart(t.ctx); err != nil {
		t.startFailed(in.Name, err)
	}
	t.Journal.Event("%s ready again", in.Name)
}

// Crash kills in with SIGKILL and starts it again.
func (t *T) Crash(in *instance.Instance) {
	t.Journal.Event("kill %s (SIGKILL) and start again", in.Name)
	if err := in.Crash(t.ctx); err != nil {
		t.startFailed(in.Name, err)
	}
	t.Journal.Event("%s ready again", in.Name)
}

// Stop stops in gracefully and leaves it down.
func (t *T) Stop(in *instance.Instance) {
	t.Journal.Event("stop %s", in.Name)
	t.Must(in.Stop(t.ctx), "stop "+in.Name)
}

// Visitor returns a new user agent talking to in.
func (t *T) Visitor(in *instance.Instance, name string) *visitor.Visitor {
	return visitor.New(name, in.BaseURL, t.Journal, t.Timeouts.Request)
}

// ImpatientVisitor is a visitor that waits at most limit for any answer:
// for specs where no answer in time is itself the failure (a server that
// hangs while Redis is away).
func (t *T) ImpatientVisitor(in *instance.Instance, name string, limit time.Duration) *visitor.Visitor {
	return visitor.New(name, in.BaseURL, t.Journal, limit)
}

// Switch returns a visitor with v's cookies talking to another instance:
// the same browser, a request routed to another server.
func (t *T) Switch(v *visitor.Visitor, in *instance.Instance) *visitor.Visitor {
	return v.Rebase(v.Name+"@"+in.Name, in.BaseURL)
}

// BulkVisitor is a visitor for load (hundreds of requests): its exchanges
// stay out of the journal, which records only that the load happened.
func (t *T) BulkVisitor(in *instance.Instance, name string) *visitor.Visitor {
	return visitor.New(name, in.BaseURL, evidence.NewJournal(), t.Timeouts.Request)
}

// TryLaunch is Launch for specs that offer a setting the target may refuse
// (a lifetime out of range). It returns the instance, or the refusal: the
// target exited by itself with an error status before it was ready. Any
// other way of not starting (not ready in time, killed by a signal, its
// port taken) says nothing about the setting and ends the spec with status
// error, as Launch does.
func (t *T) TryLaunch(opts ...LaunchOption) (*instance.Instance, *supervisor.StartError) {
	var in *instance.Instance
	var refused *supervisor.StartError
	func() {
		defer func() {
			if r := recover(); r != nil {
				a, ok := r.(abort)
				var se *supervisor.StartError
				if !ok || a.o.infra == nil || !errors.As(a.o.infra, &se) || !se.Refused() {
					panic(r)
				}
				refused = se
			}
		}()
		in = t.Launch(opts...)
	}()
	return in, refused
}

// LoadBalancer starts a round-robin proxy in front of instances (every
// request goes to the next one; a restarting instance is skipped) and
// stops it at the end of the spec.
func (t *T) LoadBalancer(ins ...*instance.Instance) *proxy.RoundRobin {
	var urls []string
	for _, in := range ins {
		urls = append(urls, in.BaseURL)
	}
	// A login through the proxy may queue behind others' password hashes:
	// the proxy waits for it as long as a client of four logins would.
	lb, err := proxy.New(t.LoginTimeout(4), urls...)
	t.Must(err, "start the load balancer")
	ginkgo.DeferCleanup(lb.Close)
	t.Journal.Event("round-robin load balancer at %s in front of %v", lb.URL, urls)
	return lb
}

// VisitorAt returns a new user agent talking to base (a load balancer):
// it waits longer than the load balancer does, so the proxy's own answer
// (a 502 after its timeout) is what it sees.
func (t *T) VisitorAt(base, name string) *visitor.Visitor {
	return visitor.New(name, base, t.Journal, t.LoginTimeout(4)+t.Timeouts.Request)
}
