/**
 * Raw eth requests for serving tests: send a request payload on a peer's eth channel and take
 * the reply with the same request id, bytes as received (after snappy). No client logic, so a
 * test sees exactly what a server wrote.
 */
import type { Chain } from '../../src/eth/chain.js';
import { forkId } from '../../src/eth/forkid.js';
import { ETH_VERSIONS, type LocalHead } from '../../src/eth/protocol.js';
import { encodeStatus } from '../../src/eth/status.js';
import type { ProtocolChannel } from '../../src/peer/channel.js';
import type { Peer, Protocol } from '../../src/peer/peer.js';
import { readOne, iterate } from '../../src/eth/rlp-view.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { within } from './loopback.js';

/** The request id item of a request or reply, as hex of its raw bytes. */
export function ridOf(payload: Uint8Array): string {
  const first = iterate(readOne(payload)).next().value;
  return first ? bytesToHex(first.raw) : '';
}

/** Send `payload` with `code`; resolve with the next `replyCode` message carrying the same id. */
export function ask(channel: ProtocolChannel, code: number, payload: Uint8Array, replyCode: number, timeout = 10_000): Promise<Uint8Array> {
  const rid = ridOf(payload);
  const got = new Promise<Uint8Array>((resolve) => {
    const on = (c: number, p: Uint8Array): void => {
      if (c !== replyCode || ridOf(p) !== rid) return;
      channel.off('message', on);
      resolve(p);
    };
    channel.on('message', on);
  });
  void channel.send(code, payload).catch(() => {});
  return within(got, timeout, `reply 0x${replyCode.toString(16)} to request ${rid}`);
}

/**
 * A bare eth protocol for a test client: it sends our Status at once and then only listens,
 * so that replies reach the test as bytes (EthResponder would check them against its own
 * request tracker and close on replies it did not ask for).
 */
export function rawEth(chain: Chain, head: LocalHead): { protocols: Protocol[]; channel(peer: Peer): Promise<ProtocolChannel> } {
  const ready = new WeakMap<Peer, Promise<ProtocolChannel>>();
  const protocols = ETH_VERSIONS.map(({ version, length }) => ({
    name: 'eth',
    version,
    length,
    run(channel: ProtocolChannel, peer: Peer): void {
      const status = encodeStatus({
        version,
        networkId: chain.networkId,
        genesisHash: chain.genesisHash,
        forkId: forkId(chain, { number: head.latestBlock, time: head.time }),
        earliestBlock: head.earliestBlock,
        latestBlock: head.latestBlock,
        latestBlockHash: head.latestBlockHash,
      });
      ready.set(
        peer,
        new Promise((resolve) => {
          const on = (code: number): void => {
            if (code !== 0) return;
            channel.off('message', on);
            resolve(channel);
          };
          channel.on('message', on);
        }),
      );
      void channel.send(0, status).catch(() => {});
    },
  }));
  return { protocols, channel: (peer) => within(ready.get(peer) ?? Promise.reject(new Error('no eth channel')), 5_000, 'eth Status') };
}
