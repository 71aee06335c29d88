// Package conformance_test is the HTTP conformance suite: one spec per
// requirement of the catalog, run against the target and profile given by
// -sessionconf.target and -sessionconf.profile. See suites/SPEC.md.
package conformance_test

import (
	"testing"

	"github.com/sessionconf/sessionconf/harness/conform"
)

func TestConformance(t *testing.T) { conform.RunSuite(t, "http") }
