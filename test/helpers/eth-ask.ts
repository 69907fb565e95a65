/**
 * Raw eth requests for serving tests: send a request payload on a peer's eth channel and take
 * the reply with the same request id, bytes as received (after snappy). No client logic, so a
 * test sees exactly what a server wrote.
 */
import type { ProtocolChannel } from '../../src/peer/channel.js';
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
