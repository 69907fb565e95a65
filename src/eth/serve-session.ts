/**
 * Serving one peer after the Status exchange: its requests are read in order and answered
 * from a ChainSource by geth's rules (serve.ts), one at a time, as geth's read loop does. The
 * channel's iterator holds the peer's socket while 64 requests wait, so a flood costs us a
 * bounded queue, not memory.
 *
 * A malformed or oversized (> 10 MiB) request closes the peer with 0x10, as geth's handler
 * does. Everything else (responses to our own requests, announcements, a second Status, codes
 * eth does not use) is the responder's (protocol.ts).
 */
import { DisconnectReason } from '../reasons.js';
import type { ProtocolChannel } from '../peer/channel.js';
import type { Peer } from '../peer/peer.js';
import type { ChainSource } from './chain-source.js';
import { MessageError } from './errors.js';
import { emptyAnswer, type EthRequest } from './answer.js';
import { decodeMessage, encodeMessage, type RequestName, encodeBlockAccessLists, encodeBlockBodies, encodeBlockHeaders, encodeCells, encodePooledTransactions, encodeReceipts, EthCode, messageName, RESPONSE_OF, type EthMessage } from './messages.js';
import { serveBlockAccessLists, serveBodies, serveHeaders, serveReceipts69, serveReceipts70 } from './serve.js';

export interface ServeSessionOptions {
  signal?: AbortSignal;
  /** Each request answered: its code and how many items the reply has. */
  onServed?: (code: number, items: number) => void;
  /** Each request refused (the peer is then closed with 0x10). */
  onRefused?: (err: MessageError) => void;
  /** The source failed while answering (the request was answered empty). */
  onSourceError?: (err: Error) => void;
}

interface Reply {
  code: number;
  payload: Uint8Array;
  items: number;
}

/** Answer `peer`'s requests on `channel` until it closes. Never rejects. */
export async function serveSession(channel: ProtocolChannel, peer: Peer, source: ChainSource, options: ServeSessionOptions = {}): Promise<void> {
  try {
    for await (const { code, payload } of channel.messages({ signal: options.signal })) {
      // Only requests: the responder checks and handles everything else.
      const name = messageName(channel.version, code);
      if (!name || !(name in RESPONSE_OF)) continue;
      let m: EthMessage;
      try {
        m = decodeMessage(channel.version, code, payload);
      } catch (err) {
        // The responder refuses a malformed request first; this is the same check, kept here.
        options.onRefused?.(err instanceof MessageError ? err : new MessageError('field', (err as Error).message, { cause: err }));
        void peer.disconnect(DisconnectReason.SubprotocolError).catch(() => {});
        return;
      }
      let reply: Reply;
      try {
        reply = await answer(channel.version, m, source);
      } catch (err) {
        // Our source failed (say its file changed): not the peer's fault; it still gets an answer.
        options.onSourceError?.(err as Error);
        const { code: rc, payload: rp } = encodeMessage(channel.version, RESPONSE_OF[m.name as RequestName], emptyAnswer(m as EthRequest) as never);
        reply = { code: rc, payload: rp, items: 0 };
      }
      if (peer.isClosing) return;
      await channel.send(reply.code, reply.payload);
      options.onServed?.(code, reply.items);
    }
  } catch {
    // The peer closed or the signal aborted while we answered: nothing more to do.
  }
}

async function answer(version: number, m: EthMessage, source: ChainSource): Promise<Reply> {
  switch (m.name) {
    case 'GetBlockHeaders': {
      const headers = await serveHeaders(source, m.message);
      return { code: EthCode.BlockHeaders, payload: encodeBlockHeaders({ requestId: m.message.requestId, headers: headers.map((raw) => ({ raw })) }), items: headers.length };
    }
    case 'GetBlockBodies': {
      const bodies = await serveBodies(source, m.message.hashes);
      return { code: EthCode.BlockBodies, payload: encodeBlockBodies({ requestId: m.message.requestId, bodies }), items: bodies.length };
    }
    case 'GetReceipts': {
      const { requestId, hashes } = m.message;
      if (version < 70) {
        const receipts = await serveReceipts69(source, hashes);
        return { code: EthCode.Receipts, payload: encodeReceipts(version, { requestId, receipts }), items: receipts.length };
      }
      const r = await serveReceipts70(source, hashes, m.message.firstBlockReceiptIndex ?? 0n);
      return { code: EthCode.Receipts, payload: encodeReceipts(version, { requestId, lastBlockIncomplete: r.lastBlockIncomplete, receipts: r.lists }), items: r.lists.length };
    }
    case 'GetBlockAccessLists': {
      const accessLists = await serveBlockAccessLists(source, m.message.hashes);
      return { code: EthCode.BlockAccessLists, payload: encodeBlockAccessLists({ requestId: m.message.requestId, accessLists }), items: accessLists.length };
    }
    case 'GetPooledTransactions':
      // No transaction pool: every transaction is unknown, and unknown ones are left out.
      return { code: EthCode.PooledTransactions, payload: encodePooledTransactions({ requestId: m.message.requestId, transactions: [] }), items: 0 };
    case 'GetCells': {
      // No blobs either: no transaction's cells, in the shape the request came in.
      const { requestId, mask, nested } = m.message;
      return { code: EthCode.Cells, payload: encodeCells({ requestId, hashes: [], cells: [], mask, nested: nested ?? false }), items: 0 };
    }
    default:
      throw new MessageError('code', `${m.name} is not a request`);
  }
}
