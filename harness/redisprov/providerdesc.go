package redisprov

import (
	"fmt"
	"time"
)

// ProviderDescriptor is the part of every descriptor (an Instance's, a
// Sentinel's, a Cluster's) that rebuilds the Provider in another process
// of the run without deciding again, so that process can start its own
// servers of the same kind and image.
type ProviderDescriptor struct {
	Kind         Kind          `json:"kind"`
	RunID        string        `json:"run_id"`
	Image        string        `json:"image,omitempty"`
	Reason       string        `json:"reason"`
	Engine       string        `json:"engine,omitempty"`
	StartTimeout time.Duration `json:"start_timeout_ns"`
	ImageBuild   time.Duration `json:"image_build_ns,omitempty"`
	Databases    int           `json:"databases"`
}

// describe is p as a ProviderDescriptor.
func (p *Provider) describe() ProviderDescriptor {
	d := ProviderDescriptor{
		Kind: p.kind, RunID: p.cfg.RunID, Reason: p.reason, Engine: p.engine,
		StartTimeout: p.cfg.StartTimeout, ImageBuild: p.build, Databases: p.cfg.Databases,
	}
	if p.kind == KindContainer {
		d.Image = p.cfg.Image
	}
	return d
}

// rebuild makes the Provider d describes; externalURL is the server of the
// external kind. The decision line counts as printed: process 1 printed it.
func (d ProviderDescriptor) rebuild(externalURL string) (*Provider, error) {
	switch d.Kind {
	case KindContainer, KindLocal, KindExternal:
	default:
		return nil, fmt.Errorf("unknown kind %q", d.Kind)
	}
	cfg := Config{
		Provider: string(d.Kind), Image: d.Image, Databases: d.Databases,
		StartTimeout: d.StartTimeout, RunID: d.RunID, NoBuild: true,
	}
	if d.Kind == KindExternal {
		cfg.URL = externalURL
	}
	return &Provider{
		cfg: cfg.withDefaults(), kind: d.Kind, reason: d.Reason, engine: d.Engine,
		build: d.ImageBuild, url: cfg.URL, announced: true,
	}, nil
}
