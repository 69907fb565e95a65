package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
)

// workload is N requests of one size; request i is `base` with i in its first four bytes, so
// each echo is checked byte for byte without keeping N copies.
type workload struct {
	base []byte
	out  []byte
	in   []byte
}

func newWorkload(size int) *workload {
	w := &workload{base: make([]byte, size), out: make([]byte, size), in: make([]byte, size)}
	rand.Read(w.base) // incompressible, so snappy does its real work
	copy(w.out, w.base)
	return w
}

func (w *workload) send(rw p2p.MsgWriter, i int) error {
	binary.LittleEndian.PutUint32(w.out, uint32(i))
	return rw.WriteMsg(rawMsg(codeRequest, w.out))
}

func (w *workload) receive(rw p2p.MsgReader, i int) error {
	msg, err := rw.ReadMsg()
	if err != nil {
		return err
	}
	defer msg.Discard()
	if msg.Code != codeEcho || int(msg.Size) != len(w.base) {
		return fmt.Errorf("echo %d: code %d, %d bytes; want code %d, %d bytes", i, msg.Code, msg.Size, codeEcho, len(w.base))
	}
	if _, err := io.ReadFull(msg.Payload, w.in); err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(w.in) != uint32(i) || !bytes.Equal(w.in[4:], w.base[4:]) {
		return fmt.Errorf("echo %d differs from its request", i)
	}
	return nil
}

// run sends n requests, numbered from `from`, and checks their echoes: one outstanding, or
// (stream) a sender goroutine and this one receiving, concurrently.
func (w *workload) run(rw p2p.MsgReadWriter, from, n int, stream bool) error {
	if !stream {
		for i := from; i < from+n; i++ {
			if err := w.send(rw, i); err != nil {
				return err
			}
			if err := w.receive(rw, i); err != nil {
				return err
			}
		}
		return nil
	}
	sent := make(chan error, 1)
	go func() {
		for i := from; i < from+n; i++ {
			if err := w.send(rw, i); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	for i := from; i < from+n; i++ {
		if err := w.receive(rw, i); err != nil {
			return err
		}
	}
	return <-sent
}

type driveResult struct {
	Ms       []float64 `json:"ms"`
	CPUUs    int64     `json:"cpuUs"`
	Requests int       `json:"requests"`
	err      error
}

// drive connects to the node with a p2p.Server, runs the warm-up and the timed repetitions in
// the protocol's Run and prints {"ms":[per repetition],"cpuUs":c,"requests":r}, CPU and
// requests counted from the first request to the last echo.
func drive(url string, n, size int, stream bool, reps, warmup int) {
	node, err := enode.ParseV4(url)
	if err != nil {
		fail("enode: %v", err)
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		fail("key: %v", err)
	}
	done := make(chan driveResult, 1)
	srv := &p2p.Server{Config: p2p.Config{
		PrivateKey:  key,
		Name:        "geth-peer",
		MaxPeers:    1,
		NoDiscovery: true,
		Protocols: []p2p.Protocol{benchProtocol(func(_ *p2p.Peer, rw p2p.MsgReadWriter) error {
			w := newWorkload(size)
			r := driveResult{}
			cpu0 := cpuMicros()
			r.err = w.run(rw, 0, warmup, stream)
			next := warmup
			for k := 0; k < reps && r.err == nil; k++ {
				t0 := time.Now()
				r.err = w.run(rw, next, n, stream)
				r.Ms = append(r.Ms, millis(time.Since(t0)))
				next += n
			}
			r.CPUUs, r.Requests = cpuMicros()-cpu0, next
			done <- r
			return nil // ends the session: geth disconnects with 0x08 (client quitting)
		})},
	}}
	if err := srv.Start(); err != nil {
		fail("start: %v", err)
	}
	srv.AddPeer(node)
	select {
	case r := <-done:
		srv.Stop()
		if r.err != nil {
			fail("drive: %v", r.err)
		}
		emit(r)
	case <-time.After(10 * time.Minute):
		fail("drive: no result within 10 minutes")
	}
}
