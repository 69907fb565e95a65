package main

import (
	"fmt"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/protocols/eth"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/trie"
)

// The eth codes this mode uses (go-ethereum's eth package keeps its own unexported).
const (
	ethStatus          = 0x00
	ethGetBlockHeaders = 0x03
	ethBlockHeaders    = 0x04
	ethGetBlockBodies  = 0x05
	ethBlockBodies     = 0x06
	ethGetReceipts     = 0x0f
	ethReceipts        = 0x10
)

type fetchResult struct {
	Ms       []float64 `json:"ms"`
	CPUUs    int64     `json:"cpuUs"`
	Blocks   int       `json:"blocks"`
	Receipts int       `json:"receipts"`
	MaxRSSKb int64     `json:"maxRssKb"`
	err      error
}

// readCode reads until a message of code `want`, dropping announcements (transactions,
// pooled-transaction hashes, block ranges) geth may send in between, and decodes it into v.
func readCode(rw p2p.MsgReader, want uint64, v any) error {
	for {
		msg, err := rw.ReadMsg()
		if err != nil {
			return err
		}
		if msg.Code != want {
			msg.Discard()
			continue
		}
		err = msg.Decode(v)
		msg.Discard()
		return err
	}
}

// fetchRange asks for blocks 1..to in batches: headers (chain-checked), bodies (transactions
// root, uncle hash, withdrawals root checked) and receipts (receipts root checked), as our
// client does.
func fetchRange(rw p2p.MsgReadWriter, to, batch uint64, r *fetchResult) error {
	var parent common.Hash
	rid := uint64(1)
	for n := uint64(1); n <= to; {
		amount := min(batch, to-n+1)
		rid++
		if err := p2p.Send(rw, ethGetBlockHeaders, &eth.GetBlockHeadersPacket{RequestId: rid, GetBlockHeadersRequest: &eth.GetBlockHeadersRequest{Origin: eth.HashOrNumber{Number: n}, Amount: amount}}); err != nil {
			return err
		}
		var hp eth.BlockHeadersPacket
		if err := readCode(rw, ethBlockHeaders, &hp); err != nil {
			return err
		}
		headers, err := hp.List.Items()
		if err != nil || hp.RequestId != rid || uint64(len(headers)) != amount {
			return fmt.Errorf("headers from %d: %d items, id %d, %v", n, len(headers), hp.RequestId, err)
		}
		hashes := make([]common.Hash, len(headers))
		for i, h := range headers {
			if n > 1 || i > 0 {
				if h.ParentHash != parent {
					return fmt.Errorf("block %d does not link", h.Number)
				}
			}
			parent = h.Hash()
			hashes[i] = parent
		}
		rid++
		if err := p2p.Send(rw, ethGetBlockBodies, &eth.GetBlockBodiesPacket{RequestId: rid, GetBlockBodiesRequest: hashes}); err != nil {
			return err
		}
		var bp eth.BlockBodiesPacket
		if err := readCode(rw, ethBlockBodies, &bp); err != nil {
			return err
		}
		bodies, err := bp.List.Items()
		if err != nil || len(bodies) != len(headers) {
			return fmt.Errorf("bodies from %d: %d items, %v", n, len(bodies), err)
		}
		for i, b := range bodies {
			txs, err := b.Transactions.Items()
			if err != nil {
				return err
			}
			uncles, err := b.Uncles.Items()
			if err != nil {
				return err
			}
			h := headers[i]
			if types.DeriveSha(types.Transactions(txs), trie.NewStackTrie(nil)) != h.TxHash || types.CalcUncleHash(uncles) != h.UncleHash {
				return fmt.Errorf("body of block %d does not match its header", h.Number)
			}
			if b.Withdrawals != nil {
				ws, err := b.Withdrawals.Items()
				if err != nil || h.WithdrawalsHash == nil || types.DeriveSha(types.Withdrawals(ws), trie.NewStackTrie(nil)) != *h.WithdrawalsHash {
					return fmt.Errorf("withdrawals of block %d do not match its header", h.Number)
				}
			}
		}
		// Receipts, paged as eth/70 allows: a list cut short is asked for again from where it stops.
		var lists []*eth.ReceiptList
		var partial *eth.ReceiptList
		for len(lists) < len(hashes) {
			first := uint64(0)
			if partial != nil {
				first = uint64(partial.Derivable().Len())
			}
			rid++
			if err := p2p.Send(rw, ethGetReceipts, &eth.GetReceiptsPacket70{RequestId: rid, FirstBlockReceiptIndex: first, GetReceiptsRequest: hashes[len(lists):]}); err != nil {
				return err
			}
			var rp eth.ReceiptsPacket70
			if err := readCode(rw, ethReceipts, &rp); err != nil {
				return err
			}
			page, err := rp.List.Items()
			if err != nil || len(page) == 0 {
				return fmt.Errorf("receipts from %d: an empty page, %v", n, err)
			}
			if partial != nil {
				partial.Append(page[0])
				page[0] = partial
				partial = nil
			}
			if rp.LastBlockIncomplete {
				partial = page[len(page)-1]
				page = page[:len(page)-1]
			}
			lists = append(lists, page...)
		}
		for i, l := range lists {
			d := l.Derivable()
			if types.DeriveSha(d, trie.NewStackTrie(nil)) != headers[i].ReceiptHash {
				return fmt.Errorf("receipts of block %d do not match its header", headers[i].Number)
			}
			r.Receipts += d.Len()
		}
		r.Blocks += len(headers)
		n += amount
	}
	return nil
}

// fetch connects to a geth that has a chain, mirrors its Status (eth/72), then fetches and
// checks blocks 1..to `reps` times, and prints {"ms":[...],"cpuUs":c,"blocks":b,...}.
func fetch(url string, to, batch uint64, reps int) {
	node, err := enode.ParseV4(url)
	if err != nil {
		fail("enode: %v", err)
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		fail("key: %v", err)
	}
	done := make(chan fetchResult, 1)
	run := func(_ *p2p.Peer, rw p2p.MsgReadWriter) error {
		r := fetchResult{}
		var st eth.StatusPacket
		if r.err = readCode(rw, ethStatus, &st); r.err == nil {
			st.ProtocolVersion = 72
			r.err = p2p.Send(rw, ethStatus, &st)
		}
		cpu0 := cpuMicros()
		for k := 0; k < reps && r.err == nil; k++ {
			t0 := time.Now()
			r.err = fetchRange(rw, to, batch, &r)
			r.Ms = append(r.Ms, millis(time.Since(t0)))
		}
		r.CPUUs = cpuMicros() - cpu0
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		r.MaxRSSKb = ru.Maxrss
		done <- r
		return nil
	}
	srv := &p2p.Server{Config: p2p.Config{
		PrivateKey: key, Name: "geth-peer", MaxPeers: 1, NoDiscovery: true,
		Protocols: []p2p.Protocol{{Name: "eth", Version: 72, Length: 22, Run: run}},
	}}
	if err := srv.Start(); err != nil {
		fail("start: %v", err)
	}
	srv.AddPeer(node)
	select {
	case r := <-done:
		srv.Stop()
		if r.err != nil {
			fail("fetch: %v", r.err)
		}
		emit(r)
	case <-time.After(10 * time.Minute):
		fail("fetch: no result within 10 minutes")
	}
}
