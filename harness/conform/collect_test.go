package conform

import (
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/results"
)

// A run whose setup fails has no spec in Ginkgo's report; each spec the
// filter chose must still come out as an error with the cause, or the
// user reads "no requirement was executed, check the filter".
func TestARunThatCannotStartNamesTheCauseForEveryChosenSpec(t *testing.T) {
	saved := registered
	t.Cleanup(func() { registered = saved })
	registered = nil
	for _, id := range []string{"PERSIST-1", "PERSIST-2", "COOKIE-1", "FAILOVER-1"} {
		req := catalog.MustGet(id)
		registered = append(registered, registeredSpec{req, ginkgo.Label(req.ID, string(req.Level), "filesystem", "http")})
	}
	report := ginkgo.Report{
		SuiteConfig: types.SuiteConfig{LabelFilter: "/^PERSIST-/ || FAILOVER-1"},
		// Parallel: the process whose setup failed says why; the others
		// report the same node aborted, without a message, after it.
		SpecReports: types.SpecReports{{
			LeafNodeType: types.NodeTypeSynchronizedBeforeSuite,
			State:        types.SpecStateAborted,
			Failure:      types.Failure{Message: `sessionconf: the run could not start: app.yaml:8: process.command: "gunicorn" is not on PATH`},
		}, {
			LeafNodeType: types.NodeTypeSynchronizedBeforeSuite,
			State:        types.SpecStateAborted,
		}},
	}
	run := collect(report)
	var ids []string
	for _, r := range run.Results {
		if r.Requirement == "FAILOVER-1" {
			if r.Status != results.Unsupported {
				t.Errorf("FAILOVER-1 on filesystem: %s, want unsupported as its spec says first", r.Status)
			}
			continue
		}
		ids = append(ids, r.Requirement)
		if r.Status != results.Error {
			t.Errorf("%s: %s, want error", r.Requirement, r.Status)
		}
		if len(r.Messages) != 1 || r.Messages[0] != `the run could not start: app.yaml:8: process.command: "gunicorn" is not on PATH` {
			t.Errorf("%s: messages %q, want the cause once", r.Requirement, r.Messages)
		}
	}
	if got := strings.Join(ids, ","); got != "PERSIST-1,PERSIST-2" {
		t.Errorf("results for %s, want the filter's PERSIST-1,PERSIST-2", got)
	}
	if run.OK() {
		t.Error("a run that could not start passes")
	}
}
