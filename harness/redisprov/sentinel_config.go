package redisprov

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SentinelMasterName is the name the Sentinels know the master by (the
// URL's master_name).
const SentinelMasterName = "mymaster"

// The Sentinel topology's settings. Redis's defaults (a master is down
// after 30 s without an answer, a failover attempt may take 3 minutes) are
// made for networks that lose packets. Here masters, replicas and
// Sentinels share one loopback: a master that does not answer for a second
// has crashed, and a failover takes seconds instead of a minute.
const (
	// SentinelCount Sentinels watch the master; SentinelQuorum of them must
	// agree it is down. 2 of 3: one Sentinel alone cannot fail over, and
	// one Sentinel lost does not prevent a failover.
	SentinelCount  = 3
	SentinelQuorum = 2
	// SentinelDownAfter is how long the master may leave PING unanswered
	// before a Sentinel calls it down (down-after-milliseconds). It must
	// exceed a Sentinel's ping and reconnect period (1 s) with room to
	// spare: a Sentinel starts that clock when it makes a link (at start,
	// and for the new master at every switch), and a link whose first
	// connect failed is retried only a second later. At 1 s, a Sentinel
	// that had just switched to the promoted replica was seen to call it
	// down at once; the stale "master down" votes of the failover just
	// made (kept 5 s) turned that into a second failover, which promoted
	// the old master as it rejoined.
	SentinelDownAfter = 2 * time.Second
	// SentinelFailoverTimeout bounds a failover attempt, and twice it spaces
	// two attempts on the same master (failover-timeout): an attempt that
	// failed (two Sentinels asking for votes at once) is retried after 10 s,
	// not 6 minutes.
	SentinelFailoverTimeout = 5 * time.Second
)

// replicationArgs are the data nodes' (master and replica) settings: a
// full sync starts at once instead of waiting 5 s for more replicas
// (repl-diskless-sync-delay), at set-up and when an old master rejoins.
var replicationArgs = []string{"--repl-diskless-sync-delay", "0"}

// sentinelPeer is one Sentinel as the others are told about it.
type sentinelPeer struct {
	port int
	id   string // its run ID (sentinel myid), 40 hex digits
}

func newSentinelID() string {
	b := make([]byte, 20)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sentinelConfig is the config file of Sentinel self. It names the other
// Sentinels and the replica up front (the lines a Sentinel writes itself
// once it has discovered them): otherwise they are discovered through
// hello messages every 2 s and the master's INFO every 10 s, and a
// Sentinel that knows no peer cannot gather a quorum.
func sentinelConfig(self sentinelPeer, peers []sentinelPeer, masterPort, replicaPort int) string {
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	lines := []string{
		"sentinel myid " + self.id,
		fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d %d", SentinelMasterName, masterPort, SentinelQuorum),
		"sentinel down-after-milliseconds " + SentinelMasterName + " " + ms(SentinelDownAfter),
		"sentinel failover-timeout " + SentinelMasterName + " " + ms(SentinelFailoverTimeout),
		"sentinel parallel-syncs " + SentinelMasterName + " 1",
		fmt.Sprintf("sentinel known-replica %s 127.0.0.1 %d", SentinelMasterName, replicaPort),
	}
	for _, p := range peers {
		if p.id != self.id {
			lines = append(lines, fmt.Sprintf("sentinel known-sentinel %s 127.0.0.1 %d %s", SentinelMasterName, p.port, p.id))
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
