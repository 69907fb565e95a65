package main

import (
	"crypto/ecdsa"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/p2p/rlpx"
	"github.com/ethereum/go-ethereum/rlp"
)

// hello is the base protocol's Hello, as geth's p2p package encodes it.
type hello struct {
	Version    uint64
	Name       string
	Caps       []p2p.Cap
	ListenPort uint64
	ID         []byte
	Rest       []rlp.RawValue `rlp:"tail"`
}

// handshake does what a dialer does before the session starts: TCP, the RLPx handshake, our
// Hello out and the first frame in, which must be the node's Hello.
func handshake(addr string, remote *ecdsa.PublicKey, key *ecdsa.PrivateKey) error {
	tcp, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	conn := rlpx.NewConn(tcp, remote)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Handshake(key); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	ours, err := rlp.EncodeToBytes(&hello{Version: 5, Name: "geth-peer hsload", Caps: []p2p.Cap{{Name: protoName, Version: protoVersion}}, ID: crypto.FromECDSAPub(&key.PublicKey)[1:]})
	if err != nil {
		return err
	}
	if _, err := conn.Write(0x00, ours); err != nil {
		return fmt.Errorf("write Hello: %w", err)
	}
	code, data, _, err := conn.Read()
	if err != nil {
		return fmt.Errorf("read Hello: %w", err)
	}
	if code != 0x00 {
		return fmt.Errorf("first frame has code %#x (%x), not Hello", code, data)
	}
	var theirs hello
	if err := rlp.DecodeBytes(data, &theirs); err != nil {
		return fmt.Errorf("their Hello: %w", err)
	}
	return nil
}

// hsload runs n handshakes (each with a fresh key, so the node never sees a duplicate) with c
// in flight, per repetition, after `warmup` untimed ones; prints {"perSec":[...],"cpuUs":c,"handshakes":h}:
// this process's CPU over all h handshakes (warm-up included, key generation left out).
func hsload(url string, n, c, reps, warmup int) {
	node, err := enode.ParseV4(url)
	if err != nil {
		fail("enode: %v", err)
	}
	addr := fmt.Sprintf("%v:%d", node.IP(), node.TCP())
	keys := make([]*ecdsa.PrivateKey, warmup+reps*n)
	for i := range keys {
		if keys[i], err = crypto.GenerateKey(); err != nil {
			fail("key: %v", err)
		}
	}
	cpu0 := cpuMicros()
	var failures failureCount
	batch := func(from, count int) time.Duration {
		return inFlight(c, count, &failures, func(i int) error { return handshake(addr, node.Pubkey(), keys[from+i]) })
	}
	batch(0, warmup)
	perSec := make([]float64, 0, reps)
	for k := 0; k < reps; k++ {
		d := batch(warmup+k*n, n)
		perSec = append(perSec, float64(n)/d.Seconds())
	}
	if failures.n.Load() > 0 {
		fail("%d of %d handshakes failed, first: %v", failures.n.Load(), len(keys), failures.first.Load())
	}
	emit(map[string]any{"perSec": perSec, "cpuUs": cpuMicros() - cpu0, "handshakes": len(keys)})
}

// failureCount counts the failed jobs of inFlight and keeps the first error's text.
type failureCount struct {
	n     atomic.Int64
	first atomic.Value
}

// inFlight runs job(0) .. job(count-1) with c of them at a time and returns how long they took.
func inFlight(c, count int, failures *failureCount, job func(i int) error) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for g := 0; g < c; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < count; i = int(next.Add(1)) - 1 {
				if err := job(i); err != nil {
					failures.n.Add(1)
					failures.first.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(t0)
}
