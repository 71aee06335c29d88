package conform

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	"github.com/redis/go-redis/v9"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/evidence"
	"github.com/sessionconf/sessionconf/harness/inspect"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/story"
	"github.com/sessionconf/sessionconf/harness/supervisor"
)

// T is one spec's view of the world: the requirement, the target, the
// spec's private state (directory, Redis database, secret), its instances
// and visitors, and the failures recorded so far. Specs talk to T only.
type T struct {
	Req      catalog.Requirement
	Profile  catalog.Profile
	Target   *manifest.Manifest
	Timeouts Timeouts
	Journal  *evidence.Journal

	ctx      context.Context
	began    time.Time // when the spec began: its timeout counts from here
	stateDir string
	logDir   string
	secret   string
	redis    *specRedis
	tag      string // names the spec in the keys it owns on a shared cluster
	soft     gomega.Gomega
	hard     gomega.Gomega

	mu        sync.Mutex
	failures  []string
	instances []*instance.Instance
	closed    bool
	cookie    map[bool]string // session cookie name, by production mode

	externalRedis *redis.Client

	deferred []func()
	stopped  *outcome // how the body ended, once it has
}

// outcome is how a spec body ended.
type outcome struct {
	unsupported string // the spec found it cannot test this target
	infra       error  // the harness or the target's start broke
}

// abort stops a spec body; runBody recovers it.
type abort struct{ o outcome }

func newT(ctx context.Context, req catalog.Requirement, p catalog.Profile) *T {
	t := &T{
		Req: req, Profile: p, Target: current.manifest, Timeouts: current.timeouts,
		Journal: evidence.NewJournal(), ctx: ctx, began: time.Now(), cookie: map[bool]string{},
	}
	t.soft = gomega.NewGomega(func(msg string, _ ...int) { t.recordFailure(msg) })
	t.hard = gomega.NewGomega(func(msg string, _ ...int) {
		t.recordFailure(msg)
		panic(abort{})
	})
	t.soft.SetDefaultEventuallyPollingInterval(t.Timeouts.Poll)
	t.soft.SetDefaultConsistentlyPollingInterval(t.Timeouts.Poll)
	return t
}

// Context is the spec's context: cancelled when the spec times out or the
// run is interrupted.
func (t *T) Context() context.Context { return t.ctx }

// Expect is a soft assertion: a failure is recorded and the spec goes on,
// so one run reports every broken expectation.
func (t *T) Expect(actual any, extra ...any) gomega.Assertion {
	return t.soft.ExpectWithOffset(1, actual, extra...)
}

// Require is a hard assertion: a failure is recorded and the spec stops
// (the rest would only repeat it).
func (t *T) Require(actual any, extra ...any) gomega.Assertion {
	return t.hard.ExpectWithOffset(1, actual, extra...)
}

// Eventually is Gomega's, with failures recorded softly.
func (t *T) Eventually(actual any, args ...any) gomega.AsyncAssertion {
	return t.soft.EventuallyWithOffset(1, actual, args...)
}

// Consistently is Gomega's, with failures recorded softly.
func (t *T) Consistently(actual any, args ...any) gomega.AsyncAssertion {
	return t.soft.ConsistentlyWithOffset(1, actual, args...)
}

// Errorf records a failed expectation and goes on.
func (t *T) Errorf(format string, args ...any) {
	t.recordFailure(fmt.Sprintf(format, args...))
}

// Fatalf records a failed expectation and stops the spec.
func (t *T) Fatalf(format string, args ...any) {
	t.recordFailure(fmt.Sprintf(format, args...))
	panic(abort{})
}

// Check records a failure unless ok.
func (t *T) Check(ok bool, format string, args ...any) bool {
	if !ok {
		t.Errorf(format, args...)
	}
	return ok
}

// Unsupported stops the spec and reports the requirement unsupported for
// this target, with the reason.
func (t *T) Unsupported(format string, args ...any) {
	panic(abort{outcome{unsupported: fmt.Sprintf(format, args...)}})
}

// Broken stops the spec with status error: the harness or the target's
// infrastructure failed, so nothing is known about the requirement.
func (t *T) Broken(err error) {
	panic(abort{outcome{infra: err}})
}

// Must turns an error of the harness's own machinery into the right stop:
// unsupported for a manifest that cannot do something, error otherwise.
func (t *T) Must(err error, doing string) {
	if err == nil {
		return
	}
	var unsup *instance.ErrUnsupported
	if errors.As(err, &unsup) {
		t.Unsupported("%s", unsup.Why)
	}
	t.Broken(fmt.Errorf("%s: %w", doing, err))
}

func (t *T) recordFailure(msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx != nil && t.ctx.Err() != nil {
		// The spec's own deadline or an interrupt cut the request short:
		// that is no evidence against the target.
		t.Journal.Event("after the interrupt (not a failure): %s", firstLine(msg))
		return
	}
	t.failures = append(t.failures, strings.TrimSpace(msg))
	t.Journal.Event("FAILED: %s", firstLine(msg))
}

// Failures returns the failures recorded so far.
func (t *T) Failures() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.failures...)
}

// SleepUntil waits until when, for a requirement whose timing needs it
// (the lifetime must pass with no request in between). It is the only
// fixed wait specs may use, and it says why in the journal.
func (t *T) SleepUntil(when time.Time, why string) {
	t.Journal.Event("wait %v: %s", time.Until(when).Round(10*time.Millisecond), why)
	reportWaits(t.Req.ID, why, when)
	select {
	case <-time.After(time.Until(when)):
	case <-t.ctx.Done():
		t.Broken(fmt.Errorf("interrupted while waiting (%s): %w", why, t.ctx.Err()))
	}
}

// OnTime ends the spec as an error when the moment a timed check is about
// (the last instant it still observes what the requirement says) has
// passed: a harness that comes late on a busy machine observes another
// moment, and the target's verdict must not depend on the suite's load.
func (t *T) OnTime(deadline time.Time, moment string) {
	if late := time.Since(deadline); late > 0 {
		t.Journal.Event("%v late for %s", late.Round(time.Millisecond), moment)
		t.Broken(fmt.Errorf("the harness reached %q %v after it had passed, so the spec could not observe it; the machine is too slow or loaded (raise -timeout-scale, or run with fewer -procs)", moment, late.Round(time.Millisecond)))
	}
}

// StateDir is the spec's private directory.
func (t *T) StateDir() string { return t.stateDir }

// Secret is the spec's SECRET_KEY: the same for every instance and start of
// the spec, different for every spec.
func (t *T) Secret() string { return t.secret }

// setup creates the spec's state.
func (t *T) setup() {
	dir, err := os.MkdirTemp(current.data.Root, t.Req.ID+"-*")
	t.Must(err, "create the state directory")
	t.stateDir = dir
	t.logDir = filepath.Join(dir, "logs")
	t.Must(os.MkdirAll(t.logDir, 0o755), "create the log directory")
	b := make([]byte, 24)
	rand.Read(b)
	t.secret = hex.EncodeToString(b)
}

// runBody runs a spec body and turns how it ended into an outcome.
func (t *T) runBody(body func(*T)) (o outcome) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if a, ok := r.(abort); ok {
			o = a.o
			return
		}
		o = outcome{infra: fmt.Errorf("the spec panicked: %v\n%s", r, debug.Stack())}
	}()
	t.setup()
	body(t)
	return outcome{}
}

// Defer registers fn to run when the spec body has ended, however it
// ended (also after Fatalf, Broken or a timeout), while the spec's
// instances still run and before its evidence is saved: helpers that hold
// state outside the target (a browser page) take their screenshots and
// attach them there. Functions run last-registered first; failures they
// record count, and a Broken inside one makes the spec an error if the
// body did not already stop.
func (t *T) Defer(fn func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.deferred = append(t.deferred, fn)
}

// Failed reports whether the spec has failed so far: a failed expectation,
// or (in a Defer function) a body that stopped with status error.
func (t *T) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.failures) > 0 || (t.stopped != nil && t.stopped.infra != nil)
}

// runDeferred runs the Defer functions after the body ended with o.
func (t *T) runDeferred(o outcome) outcome {
	t.mu.Lock()
	t.stopped = &o
	fns := t.deferred
	t.deferred = nil
	t.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		var d outcome
		func() {
			defer func() {
				if r := recover(); r != nil {
					if a, ok := r.(abort); ok {
						d = a.o
						return
					}
					d = outcome{infra: fmt.Errorf("a deferred step panicked: %v\n%s", r, debug.Stack())}
				}
			}()
			fns[i]()
		}()
		if o.infra == nil && o.unsupported == "" && d.infra != nil {
			o.infra = d.infra
		}
	}
	return o
}

// closeInstances stops every instance the spec started; idempotent.
func (t *T) closeInstances() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	ins := t.instances
	t.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), t.Timeouts.Stop+5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Add(1)
		go func() { defer wg.Done(); in.Close(ctx) }()
	}
	wg.Wait()
}

// cleanup removes the state directory (unless -sessionconf.keep).
func (t *T) cleanup() {
	t.closeInstances()
	if t.stateDir != "" && !*flagKeep {
		os.RemoveAll(t.stateDir)
	}
	if r := t.redis; r != nil {
		r.release(t.unrelatedKey())
	}
}

// attachLogs registers every target log as evidence.
func (t *T) attachLogs() {
	t.mu.Lock()
	ins := t.instances
	t.mu.Unlock()
	for _, in := range ins {
		for _, l := range in.Logs() {
			t.Journal.Attach("target-"+filepath.Base(l), l)
		}
	}
}

// logTails renders the end of every instance's latest log.
func (t *T) logTails(n int) string {
	t.mu.Lock()
	ins := t.instances
	t.mu.Unlock()
	var b strings.Builder
	for _, in := range ins {
		logs := in.Logs()
		if len(logs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "Target log %s (last %d lines):\n%s\n", filepath.Base(logs[len(logs)-1]), n, indent(supervisor.Tail(logs[len(logs)-1], n), "  "))
	}
	return b.String()
}

// Store returns the spec's session store seen from outside, or nil in the
// cookie profile.
func (t *T) Store() inspect.Store {
	w := story.Where{SessionDir: t.sessionDir(), StateDir: t.stateDir}
	switch {
	case !t.Profile.UsesRedis():
	case t.Target.External != nil:
		w.Redis, w.RedisDB = t.externalRedisClient()
	default:
		r := t.redisOf()
		w.Redis, w.RedisDB, w.RedisPrefix = r.redisClient(), r.db, r.prefix
	}
	s, err := t.Story().Store(t.Profile, w)
	if errors.Is(err, story.ErrStoreUnknown) {
		t.Unsupported("%v", err)
	}
	t.Must(err, "locate the store")
	return s
}

// Records lists the store and notes the listing in the journal under label.
//
// The listing is taken once the store is quiet: a server may write a
// session after it has answered (PHP writes at the end of the request,
// after the response went out), so a record of the previous request can
// land a moment later and be taken for one of the next. The store is
// listed until two listings storeSettleStep apart agree, for at most
// storeSettle.
func (t *T) Records(label string) []inspect.Record {
	s := t.Store()
	if s == nil {
		t.Broken(errors.New("the spec listed a store in the cookie profile"))
	}
	recs, err := s.List(t.ctx)
	t.Must(err, "list the store")
	for deadline := time.Now().Add(storeSettle); time.Now().Before(deadline); {
		t.pause(storeSettleStep)
		again, err := s.List(t.ctx)
		t.Must(err, "list the store")
		if inspect.Same(recs, again) {
			break
		}
		recs = again
	}
	t.Journal.Note("store "+label, inspect.Describe(s, recs))
	return recs
}

// A store listing is settled when it stays the same for storeSettleStep;
// storeSettle bounds the wait for a store that keeps changing.
const (
	storeSettleStep = 50 * time.Millisecond
	storeSettle     = time.Second
)

// ClearStore deletes every session record, like the story's
// `rm -rf flask_session/*` (or delete-by-prefix in Redis), or runs the
// manifest's clear hook for targets the harness cannot reach.
func (t *T) ClearStore() {
	if t.Target.External != nil {
		t.mu.Lock()
		ins := t.instances
		t.mu.Unlock()
		if len(ins) == 0 {
			t.Broken(errors.New("ClearStore before Launch"))
		}
		t.Journal.Event("clear the store (hooks.clear)")
		t.Must(ins[0].RunHook(t.ctx, instance.OpClear), "run hooks.clear")
		return
	}
	s := t.Store()
	before, err := s.List(t.ctx)
	t.Must(err, "list the store")
	t.Journal.Event("clear the store (%s %s, %d records)", s.Kind(), s.Location(), len(before))
	t.Must(s.Clear(t.ctx), "clear the store")
	// The harness checks its own action before it judges the target: a
	// record written since is the target's business, one left over ours.
	after, err := s.List(t.ctx)
	t.Must(err, "list the store after clearing it")
	if left := inspect.Keys(inspect.Remaining(before, after)); len(left) > 0 {
		t.Broken(fmt.Errorf("clearing the store left %d of its records (%v): the harness could not clear it", len(left), left))
	}
}

func (t *T) sessionDir() string { return filepath.Join(t.stateDir, "flask_session") }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}

// abortRun fails the whole suite setup with a clear message.
func abortRun(format string, args ...any) {
	ginkgo.AbortSuite(fmt.Sprintf("sessionconf: "+format, args...))
}

// HoldsBy polls cond every interval and once more at deadline, and reports
// whether it held at some poll. Unlike Gomega's Eventually it always
// samples at the deadline itself, which is when expiry requirements say
// the condition must hold at the latest.
func (t *T) HoldsBy(deadline time.Time, every time.Duration, cond func() bool) bool {
	for {
		if cond() {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		next := time.Now().Add(every)
		if next.After(deadline) {
			next = deadline
		}
		select {
		case <-time.After(time.Until(next)):
		case <-t.ctx.Done():
			t.Broken(fmt.Errorf("interrupted while polling: %w", t.ctx.Err()))
		}
	}
}

// externalRedisClient is a client of the Redis an external target keeps
// its sessions in (store.redis_url), or nil when the manifest does not say.
func (t *T) externalRedisClient() (redis.UniversalClient, int) {
	opts, ok, err := t.Story().ExternalRedis()
	t.Must(err, "connect to the external target's Redis")
	if !ok {
		return nil, 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.externalRedis == nil {
		t.externalRedis = redis.NewClient(opts)
		ginkgo.DeferCleanup(t.externalRedis.Close)
	}
	return t.externalRedis, opts.DB
}
