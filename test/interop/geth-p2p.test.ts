/**
 * Against go-ethereum v1.17.5's own p2p stack (bench/geth-peer: p2p.Server with an echo
 * protocol, code 0 a request, code 1 its echo): the largest legal messages go out, are read by
 * geth's rlpx, and come back byte for byte.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import type { ProtocolChannel } from '../../src/peer/channel.js';
import { dial } from '../../src/peer/dial.js';
import type { Peer } from '../../src/peer/peer.js';
import { MAX_FRAME_SIZE } from '../../src/wire/frame.js';
import { MAX_MESSAGE_SIZE } from '../../src/wire/message.js';
import { snappyCompress } from '../../src/wire/snappy.js';
import { gethPeerBinary } from '../helpers/geth.js';
import { within } from '../helpers/loopback.js';

const bin = gethPeerBinary();
const BENCH = { name: 'bench', version: 1, length: 2 };

describe.skipIf(!bin)('go-ethereum p2p.Server (bench/geth-peer)', () => {
  let child: ChildProcess;
  let enode: string;
  let peer: Peer;
  let channel: ProtocolChannel;

  beforeAll(async () => {
    child = spawn(bin!, ['listen'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    enode = await within(new Promise<string>((resolve) => lines.once('line', resolve)), 10_000, 'geth-peer enode');
    peer = await dial(enode, { privateKey: generatePrivateKey(), protocols: [BENCH], pingInterval: 0 });
    channel = peer.protocol('bench')!;
  }, 30_000);

  afterAll(async () => {
    await peer?.disconnect().catch(() => {});
    child?.kill('SIGTERM');
  });

  async function echo(payload: Uint8Array): Promise<Uint8Array> {
    const it = channel.messages();
    await channel.send(0, payload);
    const reply = await within(it.next(), 20_000, 'echo');
    await it.return(undefined);
    expect(reply.value?.code).toBe(1);
    return reply.value!.payload;
  }

  it('the largest plain message (2^24 - 1 bytes, compressible) is echoed intact', async () => {
    const payload = new Uint8Array(MAX_MESSAGE_SIZE);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const back = await echo(payload);
    expect(back.length).toBe(MAX_MESSAGE_SIZE);
    expect(Buffer.compare(back, payload)).toBe(0);
  }, 60_000);

  it('the largest frame of incompressible data is echoed intact, and the default maxWriteBuffer takes it', async () => {
    // Random bytes: snappy adds a little; the frame body (code + compressed payload) is within
    // a few KiB of the 2^24 - 1 frame limit.
    const payload = randomBytes(MAX_FRAME_SIZE - 4096);
    expect(snappyCompress(payload).length + 1).toBeLessThanOrEqual(MAX_FRAME_SIZE);
    const back = await echo(payload);
    expect(Buffer.compare(back, payload)).toBe(0);
    expect(peer.isClosing).toBe(false);
  }, 60_000);
});
