// Package launch starts an instance of a target in the mode its manifest
// names: a supervised process, an external stack driven by hook commands,
// or an image testcontainers runs. It is the one place that choice is
// made; the suites, doctor and the run's cost measurement all start
// targets through it.
package launch

import (
	"context"

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
