package conform

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/manifest"
	"github.com/sessionconf/sessionconf/harness/redisprov"
	"github.com/sessionconf/sessionconf/harness/results"
)

// resultEntry names the report entry each spec leaves with its result.
const resultEntry = "sessionconf.result"

// WaitsLong marks a spec that spends seconds waiting out a lifetime, an
// idle timeout or a janitor. Ginkgo hands higher-priority specs to the
// parallel processes first: a long wait that starts last would otherwise
// form the run's tail while every other process sits idle.
var WaitsLong = ginkgo.SpecPriority(1)

// Requirement registers the spec of one requirement for the run's profile:
// a Ginkgo It labelled with the requirement's ID, level and the profile,
// so --label-filter='LIFE-1' or 'MUST && redis' select specs. The body
// gets a T; every failed expectation is collected and reported together.
func Requirement(id string, body func(t *T), decorators ...any) {
	req := catalog.MustGet(id)
	p := labelProfile()
	labels := ginkgo.Label(req.ID, string(req.Level), string(p), suiteName)
	registered = append(registered, registeredSpec{req, labels})
	args := append([]any{
		labels,
		func(ctx ginkgo.SpecContext) { runRequirement(ctx, req, p, body) },
		ginkgo.SpecTimeout(resolveTimeouts(nil).Spec),
		ginkgo.Offset(1), // the spec's location is the spec file, not this wrapper
	}, decorators...)
	ginkgo.It(fmt.Sprintf("%s %s [%s %s]", req.ID, req.Title, req.Level, p), args...)
}

// registered lists the requirements of this process's spec tree. A run
// that cannot start (a manifest error, a command not on PATH) leaves no
// spec in Ginkgo's report, yet each one the filter chose must say why it
// was not checked.
var registered []registeredSpec

type registeredSpec struct {
	req    catalog.Requirement
	labels ginkgo.Labels
}

// labelProfile is the profile the tree is built for. It is known before
// startRun (labels are fixed when the tree is built), so it is read from
// the flags and the manifest directly.
var labelProfile = sync.OnceValue(func() catalog.Profile {
	if *flagProfile != "" {
		if p, err := catalog.ParseProfile(*flagProfile); err == nil {
			return p
		}
	}
	if path, err := manifestPath(); err == nil {
		if m, err := manifest.Load(path); err == nil {
			return m.Profiles[0]
		}
	}
	return catalog.Filesystem // startRun reports the real problem
})

func runRequirement(ctx ginkgo.SpecContext, req catalog.Requirement, p catalog.Profile, body func(*T)) {
	start := time.Now()
	reportBegan(req.ID)
	res := results.Result{
		Requirement: req.ID, Level: string(req.Level), Title: req.Title,
		Profile: string(p), Suite: suiteName,
		Location: ginkgo.CurrentSpecReport().LeafNodeLocation.String(),
	}
	if why := req.Unsupported(p); why != "" {
		finish(res, results.Unsupported, why, nil) // by design: the requirement does not apply
	}
	res.NotChecked = true // an unsupported from here on is the manifest's to change
	if req.Needs != "" && !current.manifest.Has(req.Needs) {
		finish(res, results.Unsupported, fmt.Sprintf("the target does not declare features.%s", req.Needs), nil)
	}
	if why := topologyUnsupported(current.manifest, p); why != "" {
		finish(res, results.Unsupported, why, nil)
	}
	t := newT(ctx, req, p)
	ginkgo.DeferCleanup(t.cleanup)
	o := t.runBody(body)
	o = t.runDeferred(o)
	t.closeInstances()
	t.attachLogs()
	res.Evidence = t.saveEvidence()
	res.Duration = time.Since(start).Seconds()
	failures := t.Failures()

	if o.infra == nil && o.unsupported == "" && ctx.Err() != nil {
		// Interrupted or timed out: nothing after that point says
		// anything about the target (recordFailure drops what came later).
		o.infra = fmt.Errorf("the spec was interrupted (%v) before it finished; %s (a timeout is slowness, not a verdict: -timeout spec=... gives it longer)", context.Cause(ctx), t.costNote())
	}
	_, listed := current.known.Lookup(req.ID, p, suiteName)
	status, msgs := verdict(ending{failures: failures, outcome: o, listed: listed})
	res.Messages = msgs
	switch status {
	case results.Error:
		finish(res, status, "", t.failureMessage([]string{"the harness could not complete the spec (status error, not a verdict on the target): " + o.infra.Error()}, res))
	case results.Unsupported:
		finish(res, status, o.unsupported, nil)
	case results.XFail:
		e, _ := current.known.Lookup(req.ID, p, suiteName)
		finish(res, status, fmt.Sprintf("%s:%d: %s", current.known.Path, e.Line, e.Reason), nil)
	case results.Fail:
		finish(res, status, "", t.failureMessage(msgs, res))
	case results.XPass:
		e, _ := current.known.Lookup(req.ID, p, suiteName)
		msg := fmt.Sprintf("%s passed, but %s:%d lists it as known-failing (%s): remove the entry", req.ID, current.known.Path, e.Line, e.Reason)
		res.Messages = []string{msg}
		finish(res, status, "", &msg)
	default:
		finish(res, status, "", nil)
	}
}

// finish records the result and ends the spec the way Ginkgo needs to see
// it: failing statuses fail, xfail and unsupported skip, pass passes.
func finish(res results.Result, s results.Status, reason string, failMsg *string) {
	res.Status, res.Reason = s, reason
	res.NotChecked = res.NotChecked && s == results.Unsupported
	ginkgo.AddReportEntry(resultEntry, res, ginkgo.ReportEntryVisibilityNever)
	switch s {
	case results.Fail, results.Error, results.XPass:
		ginkgo.Fail(*failMsg, 2)
	case results.Unsupported, results.XFail:
		ginkgo.Skip(fmt.Sprintf("%s: %s", s, reason), 2)
	}
}

// failureMessage is what a failed spec prints: the requirement, every
// failed expectation, the journal, the target's log and where the
// evidence is.
func (t *T) failureMessage(failures []string, res results.Result) *string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s, %s profile): %s\n%s\n\n", t.Req.ID, t.Req.Level, t.Profile, t.Req.Title, t.Req.Text)
	fmt.Fprintf(&b, "%d failed expectation(s):\n", len(failures))
	for i, f := range failures {
		fmt.Fprintf(&b, "%2d. %s\n", i+1, indent(f, "    ")[4:])
	}
	fmt.Fprintf(&b, "\nJournal:\n%s\n\n", indent(t.Journal.Tail(40), "  "))
	b.WriteString(t.logTails(15))
	if len(res.Evidence) > 0 {
		fmt.Fprintf(&b, "Evidence: %s\n", filepath.Dir(filepath.Join(current.data.Reports, res.Evidence[0].Path)))
	}
	s := b.String()
	return &s
}

// saveEvidence writes the journal and the target logs into the report
// directory and returns their paths relative to it.
func (t *T) saveEvidence() []results.Evidence {
	if current.data.Reports == "" {
		return nil
	}
	dir := filepath.Join(current.data.Reports, "evidence", t.Req.ID)
	files, err := t.Journal.Save(dir)
	if err != nil {
		fmt.Fprintf(ginkgo.GinkgoWriter, "sessionconf: could not save evidence: %v\n", err)
	}
	var out []results.Evidence
	for _, f := range files {
		rel, err := filepath.Rel(current.data.Reports, f.Path)
		if err != nil {
			rel = f.Path
		}
		out = append(out, results.Evidence{Name: f.Name, Path: rel})
	}
	return out
}

// writeReports turns the suite's report into results.json and junit.xml
// and prints a one-line summary (the ReportAfterSuite of RunSuite).
func writeReports(report ginkgo.Report) {
	if *flagSpecLocations != "" {
		writeSpecLocations(report)
		return
	}
	if report.SuiteConfig.DryRun {
		return // counting specs (`sessionconf run` sizes its progress lines)
	}
	run := collect(report)
	dir := current.data.Reports
	if dir == "" && *flagReports != "" {
		// The run was never set up (the filter chose no spec, or the setup
		// failed): its results still belong where the command looks.
		dir = *flagReports
		if path, err := manifestPath(); err == nil {
			if m, err := manifest.Load(path); err == nil {
				run.Target = results.Target{Name: m.Name, Manifest: m.Path, Mode: m.Mode()}
			}
		}
		os.MkdirAll(dir, 0o755)
	}
	if dir == "" {
		fmt.Fprintln(os.Stderr, "sessionconf: no report directory (the run did not start)")
		return
	}
	jsonPath, err := run.WriteJSON(dir)
	if err == nil {
		_, err = run.WriteJUnit(dir)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sessionconf: writing reports: %v\n", err)
	}
	run.Summarize()
	var parts []string
	for _, s := range results.Statuses {
		parts = append(parts, fmt.Sprintf("%d %s", run.Summary[s], s))
	}
	fmt.Printf("sessionconf: %s, %s profile, %s suite: %s (%s)\n", run.Target.Name, strings.Join(run.Profiles, ","), suiteName, strings.Join(parts, ", "), jsonPath)
	failed := map[string]string{}
	for _, r := range run.Results {
		if r.Status == results.Fail {
			failed[r.Requirement] = strings.Join(r.Messages, " ")
		}
	}
	if len(failed) > 0 && len(run.Profiles) == 1 {
		fmt.Printf("sessionconf: if these failures are known and accepted, list them with a reason in the target's known-failing file:\n%s", suggest(failed, run.Profiles[0]))
	}
	// Within `sessionconf run` (which sets the run ID) one suite may be
	// empty under a label filter; the command fails the whole run when no
	// suite executed anything. Run on its own, an empty suite fails.
	if run.Executed() == 0 && os.Getenv(redisprov.EnvRunID) == "" {
		ginkgo.Fail("sessionconf: no requirement was executed, so the run fails (check the label filter and the manifest's profiles)")
	}
}

// collect builds the run's results from Ginkgo's report.
func collect(report ginkgo.Report) *results.Run {
	run := &results.Run{
		SuiteVersion: Version, Started: report.StartTime,
		Duration: report.RunTime.Seconds(),
		Profiles: []string{string(labelProfile())},
		Filtered: report.SuiteConfig.LabelFilter != "" || len(report.SuiteConfig.FocusStrings) > 0 || len(report.SuiteConfig.FocusFiles) > 0,
	}
	if m := current.manifest; m != nil {
		run.Target = results.Target{Name: m.Name, Manifest: m.Path, Mode: m.Mode()}
		run.KnownFailing = current.known.Path
	}
	if current.redis != nil {
		run.Redis = current.redis.kind()
	}
	if c := current.data.Costs; current.manifest != nil {
		run.SuiteRuns = []results.SuiteRun{{Profile: string(labelProfile()), Suite: suiteName, Seed: report.SuiteConfig.RandomSeed,
			Started: report.StartTime, Measured: c.Measured, Start: c.Start.Seconds(), Login: c.Login.Seconds()}}
	}
	setupFailure := ""
	for _, sr := range report.SpecReports {
		// In a parallel run every process reports the setup as aborted;
		// only the one whose setup failed says why.
		if sr.LeafNodeType.Is(suiteLevelNodes) && sr.State.Is(failureStates) && setupFailure == "" {
			setupFailure = sr.Failure.Message
		}
	}
	order := []string{}
	for _, r := range catalog.All() {
		order = append(order, r.ID)
	}
	selected := selectedBy(report.SuiteConfig.LabelFilter)
	for _, sr := range report.SpecReports {
		if !sr.LeafNodeType.Is(ginkgoIt) {
			continue
		}
		res := specResult(sr, setupFailure)
		if res.Status == results.Skipped && selected(sr.Labels()) {
			// The filter chose it, yet it never ran: the run was cut short.
			res.Reason = "not run: the run ended before this spec (interrupted, or the suite's timeout)"
		}
		run.Results = append(run.Results, res)
	}
	if setupFailure != "" && len(run.Results) == 0 {
		run.Results = notStarted(registered, selected, setupFailure)
	}
	run.Sort(order)
	run.FillReproduce(suiteRerun())
	return run
}

// notStarted is the result of every chosen spec of a run whose setup
// failed before any spec ran: an error naming the cause, never a silent
// empty run ("no requirement was executed, check the filter").
func notStarted(specs []registeredSpec, selected func([]string) bool, setupFailure string) []results.Result {
	var out []results.Result
	for _, s := range specs {
		if !selected(s.labels) {
			continue
		}
		p := labelProfile()
		res := results.Result{
			Requirement: s.req.ID, Level: string(s.req.Level), Title: s.req.Title,
			Profile: string(p), Suite: suiteName,
			Status: results.Error, Messages: []string{couldNotStart(setupFailure)},
		}
		if why := s.req.Unsupported(p); why != "" {
			// As its spec would have said first: not this profile's business.
			res.Status, res.Reason, res.Messages = results.Unsupported, why, nil
		}
		out = append(out, res)
	}
	return out
}

// couldNotStart words a setup failure for a result: the suite's abort
// messages already begin "sessionconf: the run could not start: ".
func couldNotStart(msg string) string {
	msg = strings.TrimPrefix(strings.TrimSpace(msg), "sessionconf: ")
	if strings.HasPrefix(msg, "the run could not start") {
		return msg
	}
	return "the run could not start: " + msg
}

// selectedBy reports whether a spec's labels match the run's label filter
// (everything matches none).
func selectedBy(filter string) func([]string) bool {
	if filter == "" {
		return func([]string) bool { return true }
	}
	match, err := types.ParseLabelFilter(filter)
	if err != nil {
		return func([]string) bool { return false } // Ginkgo refused it before any spec
	}
	return match
}

// specResult is a spec's final result: the one it recorded, unless the
// spec then failed in a way only Ginkgo saw (a timeout, an interrupt, a
// failure in cleanup), or it left none (the run could not start, the spec
// was filtered out).
func specResult(sr ginkgo.SpecReport, setupFailure string) results.Result {
	res, ok := entryOf(sr)
	switch {
	case !ok && setupFailure != "":
		res = blankResult(sr)
		res.Status, res.Messages = results.Error, []string{couldNotStart(setupFailure)}
	case !ok && sr.State.Is(failureStates):
		res = blankResult(sr)
		res.Status, res.Messages = results.Error, []string{fmt.Sprintf("%s: %s", sr.State, sr.Failure.Message)}
	case !ok:
		res = blankResult(sr)
		res.Status, res.Reason = results.Skipped, "not selected by this run's filters"
	case sr.State.Is(failureStates) && res.Status == results.XFail:
		// A known failure was recorded before the spec timed out or
		// failed in cleanup: the failure stands.
		res.Messages = append(res.Messages, fmt.Sprintf("(then %s: %s)", sr.State, firstLine(sr.Failure.Message)))
	case sr.State.Is(failureStates) && !res.Status.Failing():
		res.Status, res.Messages = results.Error, append(res.Messages, fmt.Sprintf("%s: %s", sr.State, sr.Failure.Message))
	}
	return res
}

// suiteRerun is how a failure of this suite run is run again: with its
// manifest and known-failing list. `sessionconf run` writes its own, with
// the paths its user typed, into the run's merged results.json.
func suiteRerun() results.Rerun {
	target := ""
	if current.manifest != nil {
		target = current.manifest.Path
	} else if p, err := manifestPath(); err == nil {
		target = p
	}
	rr := results.Rerun{Targets: map[string]string{"": target}}
	if *flagKnownFailing != "" {
		rr.Flags = []string{"-known-failing", *flagKnownFailing}
	}
	return rr
}

func entryOf(sr ginkgo.SpecReport) (results.Result, bool) {
	for _, e := range sr.ReportEntries {
		if e.Name != resultEntry {
			continue
		}
		if r, ok := e.Value.GetRawValue().(results.Result); ok {
			return r, true // this process ran the spec
		}
		var r results.Result // another parallel process did: only the JSON travelled
		if err := json.Unmarshal([]byte(e.Value.AsJSON), &r); err == nil {
			return r, true
		}
	}
	return results.Result{}, false
}

// blankResult names a spec that left no result, from its labels.
func blankResult(sr ginkgo.SpecReport) results.Result {
	r := results.Result{Suite: suiteName, Profile: string(labelProfile()), Location: sr.LeafNodeLocation.String(), Duration: sr.RunTime.Seconds()}
	for _, l := range sr.Labels() {
		if req, ok := catalog.Get(l); ok {
			r.Requirement, r.Level, r.Title = req.ID, string(req.Level), req.Title
		}
	}
	if r.Requirement == "" {
		r.Requirement = sr.LeafNodeText
	}
	return r
}
