// Package conformance_test is the HTTP conformance suite: one spec per
// requirement of the catalog, run against the target and profile given by
// -sessionconf.target and -sessionconf.profile. See suites/SPEC.md.
package conformance_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/sessionconf/sessionconf/harness/conform"
)

func TestConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "sessionconf conformance")
}

var _ = SynchronizedBeforeSuite(conform.SetupRun, conform.AttachRun)

var _ = SynchronizedAfterSuite(conform.TeardownProcess, conform.TeardownRun)

var _ = ReportAfterSuite("sessionconf results", conform.WriteReports)
