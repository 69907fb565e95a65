package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"
)

// The floor of the Go runtime: the echo workload over a plain TCP connection, no RLPx, so the
// report can set each stack's overhead against its own runtime's (bench/tcp-echo.ts is Node's).
// A request is `size` raw bytes; the echo is the same bytes back.

// tcpListen echoes every byte on 127.0.0.1:0; prints tcp://host:port.
func tcpListen() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	fmt.Printf("tcp://%s\n", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			fail("accept: %v", err)
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}

// tcpDrive sends n requests of `size` bytes per repetition and checks each echo, one
// outstanding or (stream) a sender goroutine beside the reader; prints {"ms":[...],"cpuUs":c,"requests":r}.
func tcpDrive(addr string, n, size int, stream bool, reps, warmup int) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fail("dial: %v", err)
	}
	defer c.Close()
	base := make([]byte, size)
	rand.Read(base)
	in := make([]byte, size)
	out := make([]byte, size)
	copy(out, base)
	check := func(i int) error {
		if _, err := io.ReadFull(c, in); err != nil {
			return err
		}
		if binary.LittleEndian.Uint32(in) != uint32(i) || !bytes.Equal(in[4:], base[4:]) {
			return fmt.Errorf("echo %d differs from its request", i)
		}
		return nil
	}
	run := func(from, count int) error {
		if !stream {
			for i := from; i < from+count; i++ {
				binary.LittleEndian.PutUint32(out, uint32(i))
				if _, err := c.Write(out); err != nil {
					return err
				}
				if err := check(i); err != nil {
					return err
				}
			}
			return nil
		}
		errc := make(chan error, 1)
		go func() {
			msg := make([]byte, size)
			copy(msg, base)
			for i := from; i < from+count; i++ {
				binary.LittleEndian.PutUint32(msg, uint32(i))
				if _, err := c.Write(msg); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		for i := from; i < from+count; i++ {
			if err := check(i); err != nil {
				return err
			}
		}
		return <-errc
	}
	cpu0 := cpuMicros()
	if err := run(0, warmup); err != nil {
		fail("warm-up: %v", err)
	}
	ms := make([]float64, 0, reps)
	next := warmup
	for k := 0; k < reps; k++ {
		t0 := time.Now()
		if err := run(next, n); err != nil {
			fail("run: %v", err)
		}
		ms = append(ms, millis(time.Since(t0)))
		next += n
	}
	emit(map[string]any{"ms": ms, "cpuUs": cpuMicros() - cpu0, "requests": next})
}
