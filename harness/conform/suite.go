package conform

import (
	"context"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
)

// SuiteOption changes how RunSuite runs a suite.
type SuiteOption func(*suiteHooks)

type suiteHooks struct {
	beforeTeardown []func()
}

// BeforeTeardown runs fn on every Ginkgo process after its last spec and
// before its targets stop: the browser suite closes its browsers there.
func BeforeTeardown(fn func()) SuiteOption {
	return func(h *suiteHooks) { h.beforeTeardown = append(h.beforeTeardown, fn) }
}

// RunSuite runs the specs registered with Requirement as the suite named
// name ("http", "browser"), from a suite's Test function. Process 1
// loads the manifest, builds the target, starts the run's Redis and
// measures what a start and a login cost; every process attaches to that
// run; after the last spec every process stops what it started and
// process 1 the rest; the reports (results.json, junit.xml) are written
// at the end.
func RunSuite(t *testing.T, name string, opts ...SuiteOption) {
	var h suiteHooks
	for _, o := range opts {
		o(&h)
	}
	suiteName = name
	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.SynchronizedBeforeSuite(startRun, attachRun)
	ginkgo.SynchronizedAfterSuite(func(ctx context.Context) {
		for _, fn := range h.beforeTeardown {
			fn()
		}
		teardownProcess(ctx)
	}, teardownRun)
	ginkgo.ReportAfterEach(reportEnded)
	ginkgo.ReportAfterSuite("sessionconf results", writeReports)
	ginkgo.RunSpecs(t, "sessionconf "+name)
}
