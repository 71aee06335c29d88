package conform

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/onsi/ginkgo/v2"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/specdoc"
)

var flagSpecLocations = flag.String("sessionconf.spec-locations", "", "write where each requirement's specs are to this file and run nothing (with -ginkgo.dry-run); `make spec` renders suites/SPEC.md from it")

// writeSpecLocations records, for SPEC.md, the file and line of every spec
// of this suite by requirement ID.
func writeSpecLocations(report ginkgo.Report) {
	root, err := RepoRoot()
	if err != nil {
		ginkgo.Fail(err.Error())
	}
	locs := specdoc.Locations{Suite: suiteName, Specs: map[string][]string{}}
	for _, sr := range report.SpecReports {
		if !sr.LeafNodeType.Is(ginkgoIt) {
			continue
		}
		rel, err := filepath.Rel(root, sr.LeafNodeLocation.FileName)
		if err != nil {
			rel = sr.LeafNodeLocation.FileName
		}
		loc := fmt.Sprintf("%s:%d", filepath.ToSlash(rel), sr.LeafNodeLocation.LineNumber)
		for _, l := range sr.Labels() {
			if _, ok := catalog.Get(l); ok && !slices.Contains(locs.Specs[l], loc) {
				locs.Specs[l] = append(locs.Specs[l], loc)
			}
		}
	}
	if err := locs.Write(*flagSpecLocations); err != nil {
		ginkgo.Fail(err.Error())
	}
}
