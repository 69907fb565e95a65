// Command geth-peer runs the benchmark's echo protocol on go-ethereum's own p2p stack, so that
// `npm run bench -- --only geth` can time geth and this project on the same work in one run.
//
//	geth-peer listen                 serve the echo; prints its enode, then one JSON line per session
//	geth-peer drive  -enode E -n N -size S -mode pingpong|stream [-reps 3] [-warmup W]
//	geth-peer hsload -enode E -n N -c C [-reps 3] [-warmup W]
//	geth-peer v5hsload -enode ENR -n N -c C [-reps 3] [-warmup W] [-pid P]   fresh discv5 sessions (PING, WHOAREYOU, handshake, PONG)
//	geth-peer fetch  -enode E -to M [-batch 128] [-reps 3]   blocks 1..M with bodies and receipts, verified
//	geth-peer tcplisten              plain TCP echo, no RLPx (the runtime's floor); prints tcp://host:port
//	geth-peer tcpdrive -addr A -n N -size S -mode pingpong|stream [-reps 3] [-warmup W]
//
// The protocol ("bench", version 1, two codes): code 0 is a request, code 1 echoes its payload.
// Every mode writes JSON on stdout and exits non-zero, with the reason on stderr, on any failure.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/p2p"
)

const (
	protoName    = "bench"
	protoVersion = 1
	codeRequest  = 0
	codeEcho     = 1
)

// rawMsg is a message whose payload is `payload` as it is (the p2p layer does not look inside).
func rawMsg(code uint64, payload []byte) p2p.Msg {
	return p2p.Msg{Code: code, Size: uint32(len(payload)), Payload: bytes.NewReader(payload)}
}

func benchProtocol(run func(*p2p.Peer, p2p.MsgReadWriter) error) p2p.Protocol {
	return p2p.Protocol{Name: protoName, Version: protoVersion, Length: 2, Run: run}
}

// cpuMicros is the CPU time (user + system) this process has used, in microseconds.
func cpuMicros() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fail("getrusage: %v", err)
	}
	return ru.Utime.Nano()/1000 + ru.Stime.Nano()/1000
}

func emit(v any) {
	line, err := json.Marshal(v)
	if err != nil {
		fail("json: %v", err)
	}
	os.Stdout.Write(append(line, '\n'))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "geth-peer: "+format+"\n", args...)
	os.Exit(1)
}

func millis(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func main() {
	if len(os.Args) < 2 {
		fail("usage: geth-peer listen | drive -enode E -n N -size S -mode pingpong|stream | hsload -enode E -n N -c C")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	enodeURL := fs.String("enode", "", "node to drive")
	addr := fs.String("addr", "", "host:port of a plain TCP echo (tcpdrive)")
	n := fs.Int("n", 0, "messages (drive) or handshakes (hsload) per repetition")
	size := fs.Int("size", 64, "payload bytes (drive)")
	mode := fs.String("mode", "pingpong", "pingpong: one request outstanding; stream: sender and receiver concurrent")
	conc := fs.Int("c", 1, "handshakes in flight (hsload)")
	reps := fs.Int("reps", 3, "timed repetitions")
	warmup := fs.Int("warmup", -1, "untimed messages or handshakes first (default n/10)")
	pid := fs.Int("pid", 0, "server process whose CPU to report per repetition (v5hsload)")
	to := fs.Uint64("to", 0, "last block (fetch)")
	batch := fs.Uint64("batch", 128, "headers per request (fetch)")
	fs.Parse(os.Args[2:])
	if *warmup < 0 {
		*warmup = *n / 10
	}
	switch os.Args[1] {
	case "listen":
		listen()
	case "drive":
		if *enodeURL == "" || *n < 1 || *size < 4 || (*mode != "pingpong" && *mode != "stream") || *reps < 1 {
			fail("drive needs -enode, -n >= 1, -size >= 4, -mode pingpong|stream, -reps >= 1")
		}
		drive(*enodeURL, *n, *size, *mode == "stream", *reps, *warmup)
	case "tcplisten":
		tcpListen()
	case "tcpdrive":
		if *addr == "" || *n < 1 || *size < 4 || (*mode != "pingpong" && *mode != "stream") || *reps < 1 {
			fail("tcpdrive needs -addr, -n >= 1, -size >= 4, -mode pingpong|stream, -reps >= 1")
		}
		tcpDrive(*addr, *n, *size, *mode == "stream", *reps, *warmup)
	case "hsload":
		if *enodeURL == "" || *n < 1 || *conc < 1 || *reps < 1 {
			fail("hsload needs -enode, -n >= 1, -c >= 1, -reps >= 1")
		}
		hsload(*enodeURL, *n, *conc, *reps, *warmup)
	case "v5hsload":
		if *enodeURL == "" || *n < 1 || *conc < 1 || *reps < 1 {
			fail("v5hsload needs -enode (an enr:), -n >= 1, -c >= 1, -reps >= 1")
		}
		v5hsload(*enodeURL, *n, *conc, *reps, *warmup, *pid)
	case "fetch":
		if *enodeURL == "" || *to < 1 || *batch < 1 || *reps < 1 {
			fail("fetch needs -enode, -to >= 1, -batch >= 1, -reps >= 1")
		}
		fetch(*enodeURL, *to, *batch, *reps)
	default:
		fail("unknown mode %q", os.Args[1])
	}
}
