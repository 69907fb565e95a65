package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common/mclock"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/discover/v5wire"
	"github.com/ethereum/go-ethereum/p2p/enode"
)

// v5Client is one fresh discv5 identity: its key, its signed record and a codec with no sessions.
type v5Client struct {
	key   *ecdsa.PrivateKey
	codec *v5wire.Codec
}

// sourceIP spreads the handshakes over 127.64.0.1 and up, one address each: as handshakes from
// many nodes arrive, and so a per-source limit (ours allows 100 challenges/s per IP) does not
// stand in for the endpoint's speed.
func sourceIP(i int) net.IP {
	return net.IPv4(127, byte(64+(i/(256*250))%64), byte(i/250%256), byte(i%250+1))
}

// v5handshake is one fresh session against the node: a PING that the node cannot open, its
// WHOAREYOU, the handshake message carrying the PING, then the PONG under the new keys.
func v5handshake(dest *enode.Node, addr *net.UDPAddr, cl *v5Client, src net.IP) error {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: src})
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	id, dst := dest.ID(), addr.String()
	reqID := make([]byte, 8)
	rand.Read(reqID)
	ping := &v5wire.Ping{ReqID: reqID, ENRSeq: 1}
	buf := make([]byte, 1280)
	roundTrip := func(challenge *v5wire.Whoareyou) (v5wire.Packet, error) {
		pkt, _, err := cl.codec.Encode(id, dst, ping, challenge)
		if err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		if _, err := conn.WriteToUDP(pkt, addr); err != nil {
			return nil, err
		}
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			return nil, err
		}
		_, _, p, err := cl.codec.Decode(buf[:n], dst)
		if err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
		return p, nil
	}
	p, err := roundTrip(nil)
	if err != nil {
		return fmt.Errorf("PING: %w", err)
	}
	w, ok := p.(*v5wire.Whoareyou)
	if !ok {
		return fmt.Errorf("got %s, not WHOAREYOU", p.Name())
	}
	w.Node = dest
	if p, err = roundTrip(w); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	pong, ok := p.(*v5wire.Pong)
	if !ok || !bytes.Equal(pong.ReqID, reqID) {
		return fmt.Errorf("got %s, not our PONG", p.Name())
	}
	return nil
}

// procCPUMicros is the user + system CPU time of process pid (USER_HZ = 100), from /proc.
func procCPUMicros(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		fail("server cpu: %v", err)
	}
	// Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return (ut + st) * 10_000
}

// v5hsload runs n fresh discv5 handshakes with c in flight per repetition, after `warmup`
// untimed ones, each from a new identity and a new source address; it prints
// {"perSec":[...],"serverCpuUs":[...],"handshakes":h,"failed":f}: completed handshakes per second and
// the server's CPU (process pid) per repetition.
func v5hsload(url string, n, c, reps, warmup, pid int) {
	dest, err := enode.Parse(enode.ValidSchemes, url)
	if err != nil {
		fail("enr: %v", err)
	}
	addr := &net.UDPAddr{IP: dest.IP(), Port: dest.UDP()}
	db, err := enode.OpenDB("")
	if err != nil {
		fail("db: %v", err)
	}
	// Identities and their signed records are made first: key generation is the driver's cost.
	clients := make([]*v5Client, warmup+reps*n)
	for i := range clients {
		key, err := crypto.GenerateKey()
		if err != nil {
			fail("key: %v", err)
		}
		ln := enode.NewLocalNode(db, key)
		ln.SetStaticIP(sourceIP(i))
		ln.Node()
		clients[i] = &v5Client{key: key, codec: v5wire.NewCodec(ln, key, mclock.System{}, nil)}
	}
	var failures failureCount
	batch := func(from, count int) time.Duration {
		return inFlight(c, count, &failures, func(i int) error { return v5handshake(dest, addr, clients[from+i], sourceIP(from+i)) })
	}
	batch(0, warmup)
	perSec := make([]float64, 0, reps)
	serverCPU := make([]int64, 0, reps)
	for k := 0; k < reps; k++ {
		cpu0, failed0 := procCPUMicros(pid), failures.n.Load()
		d := batch(warmup+k*n, n)
		serverCPU = append(serverCPU, procCPUMicros(pid)-cpu0)
		perSec = append(perSec, float64(int64(n)-(failures.n.Load()-failed0))/d.Seconds())
	}
	// UDP may lose a datagram under load; more than 1 % lost is a broken endpoint, not noise.
	if f := failures.n.Load(); f*100 > int64(len(clients)) {
		fail("%d of %d handshakes failed, first: %v", f, len(clients), failures.first.Load())
	}
	emit(map[string]any{"perSec": perSec, "serverCpuUs": serverCPU, "handshakes": len(clients), "failed": failures.n.Load()})
}
