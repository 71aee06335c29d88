package conform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sessionconf/sessionconf/harness/evidence"
	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/launch"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/story"
	"github.com/sessionconf/sessionconf/harness/visitor"
)

// Costs are what one start and one login of the target took when the run
// began, before any spec ran: the fastest of a few, so load from other
// work shows as little as it can. Real apps spend 50-400 ms of CPU on a
// login (bcrypt 10-12, PBKDF2 260k+); specs size and pace their samples to
// it, and bound their waits by it.
type Costs struct {
	Start time.Duration `json:"start"`
	Login time.Duration `json:"login"`
	// Measured is false when the run could not measure (the target did
	// not start or log in): the defaults below stand in.
	Measured bool `json:"measured"`
}

// assumedLogin stands in for a login cost the run could not measure.
const assumedLogin = 100 * time.Millisecond

// Costs returns the run's measured costs.
func (t *T) Costs() Costs { return current.data.Costs }

func (t *T) loginCost() time.Duration {
	if c := current.data.Costs; c.Measured && c.Login > 0 {
		return c.Login
	}
	return assumedLogin
}

// LoginTimeout bounds one login when width logins run at once: the
// request timeout, plus the time the logins queued before it take to hash
// their passwords, three times over for a busy machine.
func (t *T) LoginTimeout(width int) time.Duration {
	return t.Timeouts.Request + time.Duration(3*max(width, 1))*t.loginCost()
}

// CostNote says what the target's start and login cost, for messages
// about time.
func (t *T) CostNote() string { return t.costNote() }

func (t *T) costNote() string {
	c := current.data.Costs
	if !c.Measured {
		return "the run could not measure the target's start and login"
	}
	return fmt.Sprintf("a start of this target takes %v and a login %v", c.Start.Round(time.Millisecond), c.Login.Round(time.Millisecond))
}

// pause waits d, or ends the spec if it is interrupted first.
func (t *T) pause(d time.Duration) {
	select {
	case <-time.After(d):
	case <-t.ctx.Done():
		t.Broken(fmt.Errorf("interrupted: %w", t.ctx.Err()))
	}
}

// LoginWidth is how many logins a bulk phase runs at once: many for a
// cheap login, few for one that keeps a core busy (more would only queue
// on the target and stretch every login's latency).
func (t *T) LoginWidth() int {
	return min(16, max(4, int(200*time.Millisecond/t.loginCost())))
}

// LoadDeadline is the latest a load may start a request and still leave
// the spec reserve to finish what is in flight and judge it: the spec's
// timeout less reserve (the zero time when the spec has none). A load
// that stops there can say what it could not finish; one that runs into
// the spec timeout ends with Ginkgo's bare "spec timeout". (Ginkgo
// cancels a spec's context at its timeout but gives it no deadline.)
func (t *T) LoadDeadline(reserve time.Duration) time.Time {
	if t.Timeouts.Spec <= 0 || t.began.IsZero() {
		return time.Time{}
	}
	return t.began.Add(t.Timeouts.Spec - reserve)
}

// LoginBudget is how many logins a spec may make for a sample it would
// like want of: as many as the logins timeout allows at the target's
// measured login cost. Below need the sample says nothing, so the spec
// ends with status error, naming the cost: slowness is no verdict.
func (t *T) LoginBudget(want, need int, what string) int {
	c := t.loginCost()
	allowed := int(t.Timeouts.Logins / c)
	n := min(want, allowed)
	if n < need {
		t.Broken(fmt.Errorf("could not finish: %s needs %d logins, and at %v a login (%s) the logins timeout of %v allows %d; raise it (-timeout logins=%v)", what, need, c.Round(time.Millisecond), t.costNote(), t.Timeouts.Logins, allowed, (time.Duration(need) * c * 11 / 10).Round(time.Second)))
	}
	if n < want {
		t.Journal.Event("%s: %d logins instead of %d (a login costs %v; the logins timeout is %v)", what, n, want, c.Round(time.Millisecond), t.Timeouts.Logins)
	}
	return n
}

// calibrationLogins is how many logins the run times before any spec.
const calibrationLogins = 5

// measureCosts starts the target once, the way specs do, and times the
// start and a few logins made one after another (the fastest counts: it
// is the one least slowed by anything else the machine did). A login that
// fails costs what it costs too: the target still checked the password.
// When the target does not start or answer, the costs stay unmeasured and
// the specs report that failure themselves.
func measureCosts(ctx context.Context, m *manifest.Manifest, d runData, shared sharedHandle) Costs {
	var c Costs
	dir, err := os.MkdirTemp(d.Root, "costs-*")
	if err != nil {
		return c
	}
	defer os.RemoveAll(dir)
	to := timeoutsFor(m)
	cfg := instance.Config{
		Name: "costs", Profile: d.Profile, StateDir: dir, SessionDir: filepath.Join(dir, "flask_session"),
		Secret: "sessionconf-costs-" + filepath.Base(dir), LogDir: dir,
		StartTimeout: to.Start, StopGrace: to.Stop,
	}
	// Database 0 is no process's (redisprov.NewDBAllocator starts at 1);
	// on a cluster, the prefix is no spec's.
	switch {
	case shared.inst != nil:
		cfg.RedisURL = shared.inst.URL(0)
		defer shared.inst.Client(0).FlushDB(context.WithoutCancel(ctx))
	case shared.sentinel != nil:
		if cfg.RedisURL, err = m.SentinelURL(shared.sentinel.Sentinels(), shared.sentinel.MasterName(), 0); err != nil {
			return c
		}
		defer shared.sentinel.Client(0).FlushDB(context.WithoutCancel(ctx))
	case shared.cluster != nil:
		if cfg.RedisURL, err = m.ClusterURL(shared.cluster.Addrs()); err != nil {
			return c
		}
		prefix := m.Store.RedisPrefix
		if *m.Settings.RedisPrefix != "" {
			cfg.RedisPrefix = prefix + "costs:"
			prefix = cfg.RedisPrefix
		}
		defer inspect.Redis{Client: shared.cluster.Client(), Prefix: prefix}.Clear(context.WithoutCancel(ctx))
	}
	began := time.Now()
	in, err := launch.Instance(ctx, m, cfg)
	defer func() {
		if in != nil {
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), to.Stop+5*time.Second)
			defer cancel()
			in.Close(stop)
		}
	}()
	if err != nil {
		return c
	}
	c.Start = time.Since(began)
	s := story.New(m)
	s.LoginTimeout = to.Request * 3
	for i := range calibrationLogins {
		v := visitor.New("costs", in.BaseURL, evidence.NewJournal(), to.Request*3)
		start := time.Now()
		if _, err := s.Login(ctx, v, m.Accounts[i%2]); err != nil {
			return c
		}
		if took := time.Since(start); c.Login == 0 || took < c.Login {
			c.Login = took
		}
	}
	c.Measured = true
	return c
}
