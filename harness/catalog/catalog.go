// Package catalog is the requirement catalog of sessionconf: every promise a
// persistent-login implementation makes, with a stable ID, a level and the
// profiles it applies to. The suites register one spec per requirement and
// profile from it, and suites/SPEC.md is generated from it.
package catalog

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Level is how binding a requirement is.
type Level string

const (
	Must   Level = "MUST"   // a failure is non-conformance
	Should Level = "SHOULD" // a failure fails the run unless waived in a known-failing list with a reason
	May    Level = "MAY"    // optional; tested only when the target declares the feature
)

// Profile is a storage mode of a target.
type Profile string

const (
	Filesystem Profile = "filesystem"
	Redis      Profile = "redis"
	Cookie     Profile = "cookie"
	// RedisSentinel keeps sessions in Redis behind Sentinels: a master, a
	// replica and three Sentinels that promote the replica when the master
	// fails. The app asks the Sentinels where the master is.
	RedisSentinel Profile = "redis-sentinel"
	// RedisCluster keeps sessions in a Redis Cluster: three masters, each
	// with a third of the hash slots; a key lives on the master of its slot.
	RedisCluster Profile = "redis-cluster"
)

// Profiles lists every profile in report order.
var Profiles = []Profile{Filesystem, Redis, Cookie, RedisSentinel, RedisCluster}

// Topologies are the profiles of Redis beyond one server: the harness
// starts them, and their own requirements (failover, slots) apply there only.
var Topologies = []Profile{RedisSentinel, RedisCluster}

// ParseProfile checks a profile name.
func ParseProfile(s string) (Profile, error) {
	for _, p := range Profiles {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown profile %q (want filesystem, redis, cookie, redis-sentinel or redis-cluster)", s)
}

// UsesRedis reports whether the profile keeps sessions in Redis: one
// server, Sentinel or Cluster.
func (p Profile) UsesRedis() bool { return p == Redis || p.IsTopology() }

// IsTopology reports whether the profile is a Redis topology of several
// servers (Sentinel or Cluster).
func (p Profile) IsTopology() bool { return p == RedisSentinel || p == RedisCluster }

// Feature is an optional capability a target declares in its manifest.
type Feature string

const (
	IdleTimeout   Feature = "idle_timeout"         // LIFE-6
	Production    Feature = "production"           // HTTPS with a Secure cookie: COOKIE-2, COOKIE-4
	MultiInstance Feature = "multi_instance"       // two instances on one store: PERSIST-4, PERSIST-5
	Independent   Feature = "independent_sessions" // CLEAR-8
	HashedKeys    Feature = "hashed_keys"          // TOKEN-11
)

// Requirement is one promise.
type Requirement struct {
	ID       string
	Level    Level
	Title    string
	Text     string    // the normative sentence
	Profiles []Profile // where it applies
	// NotApplicable says why the requirement cannot apply to a profile it
	// does not list; those specs report "unsupported" with this reason.
	NotApplicable map[Profile]string
	// Needs is the feature a target must declare for the requirement to be
	// tested (empty: always tested where it applies).
	Needs Feature
	// Source names where the requirement comes from (see the research notes).
	Source string
	// Revisions say what changed in the requirement or its spec, when, and
	// on what evidence: a verdict that changes is explained in SPEC.md.
	Revisions []Revision
}

// Revision is one change to a requirement's text or spec.
type Revision struct {
	Date   string // YYYY-MM-DD
	What   string // "text", "spec" or "text and spec"
	Change string
	Why    string
}

// AppliesTo reports whether r is tested for profile p.
func (r Requirement) AppliesTo(p Profile) bool { return slices.Contains(r.Profiles, p) }

// Unsupported returns why r is not tested for profile p ("" if it is).
func (r Requirement) Unsupported(p Profile) string {
	if r.AppliesTo(p) {
		return ""
	}
	if why := r.NotApplicable[p]; why != "" {
		return why
	}
	return fmt.Sprintf("%s applies to the %s profiles only", r.ID, joinProfiles(r.Profiles))
}

func joinProfiles(ps []Profile) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// All returns the catalog in ID order.
func All() []Requirement { return slices.Clone(requirements) }

// Get returns the requirement with id.
func Get(id string) (Requirement, bool) {
	for _, r := range requirements {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}

// MustGet is Get for IDs written in code; an unknown ID is a programming
// error caught when the suite tree is built.
func MustGet(id string) Requirement {
	r, ok := Get(id)
	if !ok {
		panic("catalog: unknown requirement " + id)
	}
	return r
}

// Match returns the IDs matching a pattern: an exact ID, or a glob such as
// "TOKEN-*" (path.Match syntax).
func Match(pattern string) []string {
	var ids []string
	for _, r := range requirements {
		if ok, _ := path.Match(pattern, r.ID); ok {
			ids = append(ids, r.ID)
		}
	}
	return ids
}
