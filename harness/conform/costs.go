package conform

import (
	"fmt"
	"time"
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

// costNote says what the target's costs are, for messages about time.
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

// LoginBudget is how many logins a spec may make for a sample it would
// like want of: as many as the logins timeout allows at the target's
// measured login cost. Below need the sample says nothing, so the spec
// ends with status error, naming the cost: slowness is no verdict.
func (t *T) LoginBudget(want, need int, what string) int {
	c := t.loginCost()
	allowed := int(t.Timeouts.Logins / c)
	n := min(want, allowed)
	if n < need {
		t.Broken(fmt.Errorf("could not finish: %s needs %d logins, and at %v a login (%s) the logins timeout of %v allows %d; raise it (-timeout logins=%v)", what, need, c.Round(time.Millisecond), t.costNote(), t.Timeouts.Logins, allowed, (time.Duration(need)*c*11/10).Round(time.Second)))
	}
	if n < want {
		t.Journal.Event("%s: %d logins instead of %d (a login costs %v; the logins timeout is %v)", what, n, want, c.Round(time.Millisecond), t.Timeouts.Logins)
	}
	return n
}
