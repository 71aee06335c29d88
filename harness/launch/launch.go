// Package launch starts an instance of a target in the mode its manifest
// names: a supervised process, an external stack driven by hook commands,
// or an image testcontainers runs. It is the one place that choice is
// made; the suites, doctor and the run's cost measurement all start
// targets through it.
package launch

import (
	"context"
	"fmt"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/containertarget"
	"github.com/sessionconf/sessionconf/harness/instance"
	"github.com/sessionconf/sessionconf/harness/manifest"
)

// Instance starts an instance of m with cfg and waits until it is ready.
// On a failed start it still returns the instance (with its logs) when one
// was made.
func Instance(ctx context.Context, m *manifest.Manifest, cfg instance.Config) (*instance.Instance, error) {
	if m.Mode() != "container" {
		return instance.Launch(ctx, m, cfg)
	}
	in := instance.New(m, cfg)
	r, err := containertarget.Launch(ctx, in)
	in.Use(r)
	return in, err
}

// TopologyUnsupported says why m cannot be tested in profile p ("" when it
// can). The Redis topologies' servers live in the host's network: their
// Sentinels and cluster nodes hand out 127.0.0.1 addresses, which a target
// in a container cannot reach; an external stack brings its own Redis,
// which the harness can neither fail over nor split.
func TopologyUnsupported(m *manifest.Manifest, p catalog.Profile) string {
	if !p.IsTopology() {
		return ""
	}
	switch m.Mode() {
	case "container":
		return fmt.Sprintf("the %s profile's servers run in the host's network and hand out 127.0.0.1 addresses, which a target in a container cannot reach: run the target as a process (process:) to test it", p)
	case "external":
		return fmt.Sprintf("the harness starts the %s profile's servers itself; an external stack brings its own Redis, which the harness can neither fail over nor split", p)
	}
	return ""
}
