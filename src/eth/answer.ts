/**
 * Answering a peer's requests. A node of ours answers every request it gets, with the same
 * request id, and never sends a response nobody asked for. Without data the answer is an
 * empty list: geth takes an empty answer as "does not have it", and takes silence as a
 * timeout against us.
 */
import type { Peer } from '../peer/peer.js';
import type { EthMessageMap, RequestName, ResponseName } from './messages.js';

export type EthRequest = { [K in RequestName]: { name: K; message: EthMessageMap[K] } }[RequestName];

/** A response body; its requestId is replaced by the request's. */
export type EthAnswer = EthMessageMap[ResponseName];

/**
 * Answers a request (EthResponderOptions.answer). Return undefined for the empty answer.
 * A throw or rejection is answered empty too: the peer still gets its answer.
 */
export type RequestHandler = (peer: Peer, request: EthRequest, version: number) => EthAnswer | undefined | Promise<EthAnswer | undefined>;

/** The answer of a node that holds no chain: the right message, the same id, no items. */
export function emptyAnswer(request: EthRequest): EthAnswer {
  const requestId = request.message.requestId;
  switch (request.name) {
    case 'GetBlockHeaders': return { requestId, headers: [] };
    case 'GetBlockBodies': return { requestId, bodies: [] };
    case 'GetPooledTransactions': return { requestId, transactions: [] };
    case 'GetReceipts': return { requestId, receipts: [], lastBlockIncomplete: false };
    case 'GetBlockAccessLists': return { requestId, accessLists: [] };
    case 'GetCells': return { requestId, hashes: [], cells: [], mask: request.message.mask, nested: request.message.nested ?? false };
  }
}
