package conform

import (
	"github.com/onsi/ginkgo/v2/types"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/knownfail"
	"github.com/sessionconf/sessionconf/harness/version"
)

// Version is the suite's version, recorded in every results.json.
const Version = version.Version

var (
	ginkgoIt        = types.NodeTypeIt
	failureStates   = types.SpecStateFailureStates
	suiteLevelNodes = types.NodeTypesForSuiteLevelNodes
	notRun          = types.SpecStateSkipped | types.SpecStatePending
)

func suggest(failed map[string]string, p string) string {
	return knownfail.Suggest(failed, catalog.Profile(p))
}
