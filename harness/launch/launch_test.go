package launch

import (
	"strings"
	"testing"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/manifest"
)

// The topologies' servers live in the host's network: only a target the
// harness runs as a process on this host can reach them.
func TestTopologyUnsupported(t *testing.T) {
	load := func(yaml string) *manifest.Manifest {
		t.Helper()
		m, err := manifest.Parse([]byte("name: x\nprofiles: [redis, redis-sentinel, redis-cluster]\n"+yaml), "/tmp/x.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	process := load("process:\n  command: [app]\n")
	container := load("container:\n  image: app:dev\n")
	external := load("external:\n  url: http://127.0.0.1:8080\n")
	for _, p := range catalog.Topologies {
		if why := TopologyUnsupported(process, p); why != "" {
			t.Errorf("process mode, %s: %q", p, why)
		}
		if why := TopologyUnsupported(container, p); !strings.Contains(why, "cannot reach") {
			t.Errorf("container mode, %s: %q", p, why)
		}
		if why := TopologyUnsupported(external, p); !strings.Contains(why, "its own Redis") {
			t.Errorf("external mode, %s: %q", p, why)
		}
	}
	if why := TopologyUnsupported(container, catalog.Redis); why != "" {
		t.Errorf("container mode, redis: %q", why)
	}
}
