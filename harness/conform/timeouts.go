package conform

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// Timeouts are the harness's named waits. Every one can be overridden by a
// flag (-sessionconf.timeout.start=20s), an environment variable
// (SESSIONCONF_TIMEOUT_START=20s) or, for start/stop/request, the
// manifest; -sessionconf.timeout-scale multiplies them all on slow machines.
type Timeouts struct {
	Start     time.Duration // a start until the target is ready
	Stop      time.Duration // SIGTERM until SIGKILL
	Request   time.Duration // one HTTP exchange
	Tolerance time.Duration // clock tolerance of expiry checks (the catalog's "tol")
	Poll      time.Duration // polling interval of Eventually
	Outage    time.Duration // the bound on answers during a Redis outage (ROBUST-2)
	Recovery  time.Duration // Redis back until logins work again (ROBUST-3, FAILOVER-1, FAILOVER-3)
	// Failover bounds how long the harness waits for a Redis topology to
	// react: the Sentinels promoting a replica, a cluster reporting a
	// stopped master failed. Past it the spec is an error (the topology,
	// not the target, did not do its part).
	Failover time.Duration
	Browser  time.Duration // one browser operation: a launch, a navigation, an element wait
	Spec     time.Duration // a whole spec
	// Logins is how long one spec may spend logging in for a sample (ID
	// entropy, eviction, concurrency), counted as the target's measured
	// login cost times the number of logins: a target that hashes
	// passwords with bcrypt 12 gets fewer logins, not a timeout.
	Logins time.Duration
}

// DefaultTimeouts are tuned for a loaded 2-core machine.
var DefaultTimeouts = Timeouts{
	Start:     20 * time.Second,
	Stop:      5 * time.Second,
	Request:   10 * time.Second,
	Tolerance: time.Second,
	Poll:      100 * time.Millisecond,
	Outage:    5 * time.Second,
	Recovery:  10 * time.Second,
	Failover:  20 * time.Second,
	Browser:   30 * time.Second,
	Spec:      3 * time.Minute,
	Logins:    40 * time.Second,
}

type timeoutFlag struct {
	name string
	p    func(*Timeouts) *time.Duration
	set  *time.Duration
}

var (
	timeoutFlags = []*timeoutFlag{
		{name: "start", p: func(t *Timeouts) *time.Duration { return &t.Start }},
		{name: "stop", p: func(t *Timeouts) *time.Duration { return &t.Stop }},
		{name: "request", p: func(t *Timeouts) *time.Duration { return &t.Request }},
		{name: "tolerance", p: func(t *Timeouts) *time.Duration { return &t.Tolerance }},
		{name: "poll", p: func(t *Timeouts) *time.Duration { return &t.Poll }},
		{name: "outage", p: func(t *Timeouts) *time.Duration { return &t.Outage }},
		{name: "recovery", p: func(t *Timeouts) *time.Duration { return &t.Recovery }},
		{name: "failover", p: func(t *Timeouts) *time.Duration { return &t.Failover }},
		{name: "browser", p: func(t *Timeouts) *time.Duration { return &t.Browser }},
		{name: "spec", p: func(t *Timeouts) *time.Duration { return &t.Spec }},
		{name: "logins", p: func(t *Timeouts) *time.Duration { return &t.Logins }},
	}
	timeoutScale = flag.Float64("sessionconf.timeout-scale", envFloat("SESSIONCONF_TIMEOUT_SCALE", 1), "multiply every timeout (slow machines)")
)

func init() {
	for _, f := range timeoutFlags {
		f.set = new(time.Duration)
		def := *f.p(&DefaultTimeouts)
		if v := os.Getenv("SESSIONCONF_TIMEOUT_" + strings.ToUpper(f.name)); v != "" {
			if d, err := time.ParseDuration(v); err == nil {
				def = d
			}
		}
		flag.DurationVar(f.set, "sessionconf.timeout."+f.name, def, fmt.Sprintf("timeout %q (env SESSIONCONF_TIMEOUT_%s)", f.name, strings.ToUpper(f.name)))
	}
}

// resolveTimeouts applies flags, the manifest's values and the scale.
func resolveTimeouts(manifest map[string]time.Duration) Timeouts {
	t := DefaultTimeouts
	explicit := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	for _, f := range timeoutFlags {
		v := *f.set
		if d, ok := manifest[f.name]; ok && d > 0 && !explicit["sessionconf.timeout."+f.name] {
			v = d
		}
		if f.name != "tolerance" && f.name != "poll" {
			v = time.Duration(float64(v) * *timeoutScale)
		}
		*f.p(&t) = v
	}
	return t
}

func envFloat(name string, def float64) float64 {
	var f float64
	if _, err := fmt.Sscan(os.Getenv(name), &f); err == nil && f > 0 {
		return f
	}
	return def
}
