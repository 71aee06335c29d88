package instance

import (
	"slices"
	"testing"

	"github.com/sessionconf/sessionconf/harness/catalog"
	"github.com/sessionconf/sessionconf/harness/manifest"
)

// The key prefix is set only when a spec gives one (the redis-cluster
// profile), and the caller's own never leaks in.
func TestRedisPrefixSetting(t *testing.T) {
	t.Setenv("SESSION_KEY_PREFIX", "from-my-shell:")
	m, err := manifest.Parse([]byte("name: app\nprofiles: [redis-cluster]\nprocess:\n  command: [./app]\n"), "/x/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := func(prefix string) []string {
		in := New(m, Config{Name: "a", Profile: catalog.RedisCluster, RedisURL: "redis://127.0.0.1:1?cluster=true", RedisPrefix: prefix})
		e, err := in.Environ()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	if e := env("session:life-1-abc123:"); !slices.Contains(e, "SESSION_KEY_PREFIX=session:life-1-abc123:") || !slices.Contains(e, "SESSION_TYPE=redis") {
		t.Errorf("with a prefix: %v", e)
	}
	if e := env(""); slices.ContainsFunc(e, func(kv string) bool { return len(kv) > 19 && kv[:19] == "SESSION_KEY_PREFIX=" }) {
		t.Errorf("without a prefix the target keeps its own, but got %v", e)
	}
	m.Settings.RedisPrefix = new(string)
	in := New(m, Config{Name: "a", Profile: catalog.RedisCluster, RedisPrefix: "p:"})
	if _, err := in.Environ(); err == nil {
		t.Error("a prefix for a manifest that maps settings.redis_prefix to nothing was set anyway")
	}
}
