package redisprov

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// connectSentinels makes the clients the checks ask the Sentinels with;
// terminate closes them.
func (s *Sentinel) connectSentinels() {
	s.sentinelClients = map[string]*redis.SentinelClient{}
	for _, sn := range s.sentinels {
		c := redis.NewSentinelClient(nodeClientOptions(sn.addr))
		s.sentinelClients[sn.addr] = c
		s.t.track(c)
	}
}

func (s *Sentinel) sentinelClient(addr string) *redis.SentinelClient { return s.sentinelClients[addr] }

// CurrentMaster asks every Sentinel for the master's address and returns
// it when they all give the same one.
func (s *Sentinel) CurrentMaster(ctx context.Context) (string, error) {
	answers := map[string][]string{}
	var errs []error
	for _, sn := range s.sentinels {
		addr, err := s.masterAddrSeenBy(ctx, sn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		answers[addr] = append(answers[addr], sn.addr)
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	if len(answers) != 1 {
		return "", fmt.Errorf("the Sentinels disagree on the master: %v (master address: Sentinels naming it)", answers)
	}
	var master string
	for addr := range answers {
		master = addr
	}
	return master, nil
}

func (s *Sentinel) masterAddrSeenBy(ctx context.Context, sn *node) (string, error) {
	hp, err := s.sentinelClient(sn.addr).GetMasterAddrByName(ctx, SentinelMasterName).Result()
	if err != nil {
		return "", fmt.Errorf("sentinel %s: get-master-addr-by-name: %w", sn.addr, err)
	}
	if len(hp) != 2 {
		return "", fmt.Errorf("sentinel %s: get-master-addr-by-name answered %q", sn.addr, hp)
	}
	return net.JoinHostPort(hp[0], hp[1]), nil
}

// replicationUp checks, on both servers, that replica is a replica of
// master with its link up (the initial sync done).
func (s *Sentinel) replicationUp(ctx context.Context, master, replica *node) error {
	mi, err := s.t.probe(master.addr).Info(ctx, "replication").Result()
	if err != nil {
		return fmt.Errorf("master %s: INFO replication: %w", master.addr, err)
	}
	m := infoFields(mi)
	_, replicaPort, _ := net.SplitHostPort(replica.addr)
	if m["role"] != "master" || m["connected_slaves"] != "1" || !strings.Contains(m["slave0"], "port="+replicaPort+",state=online") {
		return fmt.Errorf("master %s: role:%s connected_slaves:%s slave0:%s, want role:master connected_slaves:1 and %s online",
			master.addr, m["role"], m["connected_slaves"], m["slave0"], replica.addr)
	}
	ri, err := s.t.probe(replica.addr).Info(ctx, "replication").Result()
	if err != nil {
		return fmt.Errorf("replica %s: INFO replication: %w", replica.addr, err)
	}
	r := infoFields(ri)
	_, masterPort, _ := net.SplitHostPort(master.addr)
	if r["role"] != "slave" || r["master_port"] != masterPort || r["master_link_status"] != "up" {
		return fmt.Errorf("replica %s: role:%s master_port:%s master_link_status:%s, want slave of %s with the link up",
			replica.addr, r["role"], r["master_port"], r["master_link_status"], master.addr)
	}
	return nil
}

// sentinelsAgree checks what every Sentinel says: master is the master
// and is up, replica is its replica with a working link, every other
// Sentinel is known and connected, and quorum and failover authorisation
// can be reached (SENTINEL CKQUORUM).
func (s *Sentinel) sentinelsAgree(ctx context.Context, master, replica *node) error {
	for _, sn := range s.sentinels {
		c := s.sentinelClient(sn.addr)
		addr, err := s.masterAddrSeenBy(ctx, sn)
		if err != nil {
			return err
		}
		if addr != master.addr {
			return fmt.Errorf("sentinel %s names master %s, want %s", sn.addr, addr, master.addr)
		}
		m, err := c.Master(ctx, SentinelMasterName).Result()
		if err != nil {
			return fmt.Errorf("sentinel %s: SENTINEL MASTER: %w", sn.addr, err)
		}
		if m["flags"] != "master" || m["num-other-sentinels"] != strconv.Itoa(len(s.sentinels)-1) {
			return fmt.Errorf("sentinel %s: master flags %q, num-other-sentinels %s; want master and %d",
				sn.addr, m["flags"], m["num-other-sentinels"], len(s.sentinels)-1)
		}
		if err := s.sentinelKnowsReplica(ctx, sn, master, replica, true); err != nil {
			return err
		}
		peers, err := c.Sentinels(ctx, SentinelMasterName).Result()
		if err != nil {
			return fmt.Errorf("sentinel %s: SENTINEL SENTINELS: %w", sn.addr, err)
		}
		for _, peer := range peers {
			if peer["flags"] != "sentinel" {
				return fmt.Errorf("sentinel %s sees sentinel %s:%s with flags %q", sn.addr, peer["ip"], peer["port"], peer["flags"])
			}
		}
		if ck, err := c.CkQuorum(ctx, SentinelMasterName).Result(); err != nil {
			return fmt.Errorf("sentinel %s: SENTINEL CKQUORUM: %v (%s)", sn.addr, err, ck)
		}
	}
	return nil
}

// sentinelKnowsReplica checks Sentinel sn lists replica as a connected,
// reachable replica of master. linkOK also wants the replica's link to the
// master reported up: true at set-up, where the Sentinels first ask the
// replica after its sync; not on a rejoin, where a Sentinel may have asked
// the restarted node before its sync and asks again only 10 s later.
func (s *Sentinel) sentinelKnowsReplica(ctx context.Context, sn, master, replica *node, linkOK bool) error {
	reps, err := s.sentinelClient(sn.addr).Replicas(ctx, SentinelMasterName).Result()
	if err != nil {
		return fmt.Errorf("sentinel %s: SENTINEL REPLICAS: %w", sn.addr, err)
	}
	var seen []string
	for _, r := range reps {
		addr := net.JoinHostPort(r["ip"], r["port"])
		seen = append(seen, addr+" flags "+r["flags"]+" link "+r["master-link-status"])
		if addr != replica.addr {
			continue
		}
		if r["flags"] != "slave" {
			return fmt.Errorf("sentinel %s lists replica %s with flags %q, want slave", sn.addr, addr, r["flags"])
		}
		if itsMaster := net.JoinHostPort(r["master-host"], r["master-port"]); linkOK && (r["master-link-status"] != "ok" || itsMaster != master.addr) {
			return fmt.Errorf("sentinel %s: replica %s has master %s, link %s; want %s, ok", sn.addr, addr, itsMaster, r["master-link-status"], master.addr)
		}
		return nil
	}
	return fmt.Errorf("sentinel %s does not list %s among the replicas of %s (it lists %v)", sn.addr, replica.addr, master.addr, seen)
}

// infoFields parses an INFO answer into its name:value lines.
func infoFields(info string) map[string]string {
	f := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && !strings.HasPrefix(k, "#") {
			f[k] = v
		}
	}
	return f
}
