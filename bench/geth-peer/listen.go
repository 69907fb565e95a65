package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
)

// listen serves the echo on 127.0.0.1 until SIGINT or SIGTERM. After a session that carried
// requests ends, it prints {"event":"session","requests":n,"cpuUs":c,"ms":t}: this process's CPU
// and the wall time from the first request to the session's end.
func listen() {
	key, err := crypto.GenerateKey()
	if err != nil {
		fail("key: %v", err)
	}
	var out sync.Mutex
	srv := &p2p.Server{Config: p2p.Config{
		PrivateKey:  key,
		Name:        "geth-peer",
		MaxPeers:    100_000,
		NoDiscovery: true,
		ListenAddr:  "127.0.0.1:0",
		Protocols: []p2p.Protocol{benchProtocol(func(_ *p2p.Peer, rw p2p.MsgReadWriter) error {
			requests, cpu0, t0 := 0, int64(0), time.Time{}
			defer func() {
				if requests > 0 {
					out.Lock()
					defer out.Unlock()
					emit(map[string]any{"event": "session", "requests": requests, "cpuUs": cpuMicros() - cpu0, "ms": millis(time.Since(t0))})
				}
			}()
			for {
				msg, err := rw.ReadMsg()
				if err != nil {
					return err
				}
				if msg.Code != codeRequest {
					msg.Discard()
					return fmt.Errorf("unexpected code %d", msg.Code)
				}
				if requests == 0 {
					cpu0, t0 = cpuMicros(), time.Now()
				}
				requests++
				payload := make([]byte, msg.Size)
				if _, err := io.ReadFull(msg.Payload, payload); err != nil {
					return err
				}
				if err := rw.WriteMsg(rawMsg(codeEcho, payload)); err != nil {
					return err
				}
			}
		})},
	}}
	if err := srv.Start(); err != nil {
		fail("start: %v", err)
	}
	addr, err := net.ResolveTCPAddr("tcp", srv.ListenAddr)
	if err != nil {
		fail("listen address %q: %v", srv.ListenAddr, err)
	}
	out.Lock()
	fmt.Printf("enode://%x@127.0.0.1:%d\n", crypto.FromECDSAPub(&key.PublicKey)[1:], addr.Port)
	out.Unlock()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	srv.Stop()
}
