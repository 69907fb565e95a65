/**
 * The first frame of a tick is written at once; the frames that follow it in the same tick
 * share one socket write (frame-writer.ts). Real loopback sockets:
 * the batch must reach the remote as the same bytes as frame-by-frame writes would, readable
 * whatever way TCP splits it; a close before the batch is written must settle everything; an
 * aborted send that waits beside others in a batch must never be sealed.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError } from '../../src/errors.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { FrameReader, FrameSealer, frameWireSize } from '../../src/wire/frame.js';
import { FrameWriter } from '../../src/wire/frame-writer.js';
import { HandshakeState } from '../../src/wire/handshake.js';
import { RlpxConnection } from '../../src/wire/connection.js';
import { connectionConfig } from '../../src/options.js';
import type { Message } from '../../src/wire/message.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { HOST, listenNet, sleep, waitUntil, within } from '../helpers/loopback.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

/**
 * One initiator → recipient direction whose reader can be made again from scratch: the
 * recipient's ingress state depends only on the auth packet, both nonces and both ephemeral
 * keys, so replaying the same auth with the same recipient key, ephemeral key and nonce gives
 * the same keystream and MAC state every time.
 */
function replayableDirection(): { sealer: FrameSealer; freshReader: () => FrameReader } {
  const a = generatePrivateKey();
  const b = { privateKey: generatePrivateKey(), ephemeralKey: generatePrivateKey(), nonce: new Uint8Array(32).fill(9) };
  const initiator = HandshakeState.initiator(publicKeyOf(b.privateKey), { privateKey: a });
  const auth = initiator.makeAuth();
  const recipientSecrets = () => {
    const r = HandshakeState.recipient(b);
    r.readAuth(auth);
    return { r, ack: r.makeAck() };
  };
  const first = recipientSecrets();
  initiator.readAck(first.ack);
  const sealer = new FrameSealer(initiator.secrets());
  let used = false;
  const freshReader = (): FrameReader => {
    const s = used ? recipientSecrets().r.secrets() : first.r.secrets();
    used = true;
    return new FrameReader(s);
  };
  return { sealer, freshReader };
}

/** A connected loopback pair: our socket, and everything the remote end receives. */
async function socketPair(): Promise<{ local: Socket; remote: Socket; received: Buffer[]; writes: () => number }> {
  let remote: Socket | undefined;
  const received: Buffer[] = [];
  const server = createServer((s) => {
    remote = s;
    s.on('data', (d: Buffer) => received.push(d));
    s.on('error', () => {});
  });
  const port = await listenNet(server);
  const local = createConnection({ host: HOST, port });
  local.on('error', () => {});
  await new Promise<void>((r) => local.once('connect', () => r()));
  await waitUntil(() => remote !== undefined, 2_000, 'accepted socket');
  cleanups.push(() => {
    local.destroy();
    remote?.destroy();
    server.close();
  });
  return { local, remote: remote!, received, writes: countWrites(local) };
}

/** Count what reaches libuv from `socket`: one call per write or writev, whatever Node's stream does above. */
function countWrites(socket: Socket): () => number {
  let writes = 0;
  const handle = (socket as unknown as { _handle: Record<string, (...a: unknown[]) => unknown> })._handle;
  for (const m of ['writeBuffer', 'writev', 'writeUtf8String', 'writeLatin1String']) {
    const orig = handle[m]!;
    handle[m] = function (this: unknown, ...a: unknown[]) {
      writes++;
      return orig.apply(this, a);
    };
  }
  return () => writes;
}

const config = { maxWriteBuffer: 1 << 20, writeTimeout: 5_000 };
const bodyOf = (size: number, tag: number): Uint8Array => new Uint8Array(size).map((_, i) => (i * 31 + tag) & 0xff);

function readAll(reader: FrameReader, chunks: Iterable<Uint8Array>): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    reader.push(c);
    for (let b = reader.read(); b !== undefined; b = reader.read()) out.push(b);
  }
  return out;
}

describe('a frame sent when nothing else is queued', () => {
  it('is handed to the socket before send() returns, and the next one in the same tick is not', async () => {
    const { sealer, freshReader } = replayableDirection();
    const { local, received, writes } = await socketPair();
    const writer = new FrameWriter(local, sealer, config, () => {});
    void writer.write(bodyOf(40, 1));
    expect(writes()).toBe(1); // a request or a reply does not wait for the end of the tick
    expect(local.bytesWritten).toBe(frameWireSize(40));
    void writer.write(bodyOf(41, 2));
    expect(writes()).toBe(1); // the second of the tick joins the batch
    await new Promise((r) => setImmediate(r));
    expect(writes()).toBe(2);
    // A later tick: at once again.
    void writer.write(bodyOf(42, 3));
    expect(writes()).toBe(3);
    const total = frameWireSize(40) + frameWireSize(41) + frameWireSize(42);
    await waitUntil(() => received.reduce((n, c) => n + c.length, 0) === total, 2_000, 'three frames at the remote');
    expect(readAll(freshReader(), received).map((b) => b.length)).toEqual([40, 41, 42]);
  });

  it('a reply sent from a handler\'s microtask is handed to the socket in send() itself, not at the end of the tick', async () => {
    const { sealer } = replayableDirection();
    const { local, remote, writes } = await socketPair();
    const writer = new FrameWriter(local, sealer, config, () => {});
    const seen: number[] = [];
    local.on('data', () => {
      void (async () => {
        await null; // as a protocol handler runs: in a microtask after the read
        void writer.write(bodyOf(64, 7));
        seen.push(writes());
        setImmediate(() => seen.push(writes()));
      })();
    });
    remote.write(Uint8Array.of(1));
    await waitUntil(() => seen.length === 2, 2_000, 'the reply');
    expect(seen).toEqual([1, 1]);
  });
});

describe('frames sealed in one tick', () => {
  it('after the first, go out in one write and read back at every split point and one byte at a time', async () => {
    const { sealer, freshReader } = replayableDirection();
    const { local, received, writes } = await socketPair();
    const writer = new FrameWriter(local, sealer, config, () => {});
    // Sizes at the 16-byte padding edges, an empty body, and one above a socket chunk.
    const bodies = [0, 1, 15, 16, 17, 33, 64].map((n, i) => bodyOf(n, i));
    const sends = bodies.map((b) => writer.write(b));
    expect(writes()).toBe(1); // the first at once, the rest at the end of the tick
    await within(Promise.all(sends), 2_000, 'sends');
    const total = bodies.reduce((n, b) => n + frameWireSize(b.length), 0);
    await waitUntil(() => received.reduce((n, c) => n + c.length, 0) === total, 2_000, 'the batch at the remote');
    expect(writes()).toBe(2);
    const wire = concatBytes(...received);
    const want = bodies.map((b) => [...b]);

    expect(readAll(freshReader(), [wire]).map((b) => [...b])).toEqual(want);
    expect(readAll(freshReader(), Array.from(wire, (x) => Uint8Array.of(x))).map((b) => [...b])).toEqual(want);
    for (let k = 1; k < wire.length; k++) {
      const got = readAll(freshReader(), [wire.subarray(0, k), wire.subarray(k)]);
      if (got.length !== bodies.length) throw new Error(`split at ${k}: ${got.length} bodies`);
      got.forEach((b, i) => {
        if (Buffer.compare(b, bodies[i]!) !== 0) throw new Error(`split at ${k}: body ${i} differs`);
      });
    }
  });

  it('a batch that reaches 64 KiB goes out before the tick ends, in order with the rest', async () => {
    const { sealer, freshReader } = replayableDirection();
    const { local, received, writes } = await socketPair();
    const writer = new FrameWriter(local, sealer, config, () => {});
    const bodies = Array.from({ length: 12 }, (_, i) => bodyOf(8 * 1024 - i, i));
    const sends = bodies.map((b) => writer.write(b));
    expect(writes()).toBe(2); // the first at once; the next 8 frames pass 64 KiB
    await within(Promise.all(sends), 2_000, 'sends');
    const total = bodies.reduce((n, b) => n + frameWireSize(b.length), 0);
    await waitUntil(() => received.reduce((n, c) => n + c.length, 0) === total, 2_000, 'every frame at the remote');
    expect(writes()).toBe(3);
    expect(readAll(freshReader(), received).map((b) => b.length)).toEqual(bodies.map((b) => b.length));
  });

  it('past 64 KiB unwritten a send resolves after its write and a turn of the loop; one that waits for its write resolves when its frame triggered the batch', async () => {
    const { sealer, freshReader } = replayableDirection();
    const { local, received } = await socketPair();
    const writer = new FrameWriter(local, sealer, config, () => {});
    let immediate = false;
    setImmediate(() => (immediate = true));
    const lead = writer.write(bodyOf(1, 99)); // written at once: the batch starts after it
    // 7 x 9 KiB stay under 64 KiB: queued at once. The 8th passes it and writes the batch itself.
    const early = [lead, ...Array.from({ length: 7 }, (_, i) => writer.write(bodyOf(9 * 1024, i)))];
    let order: string[] = [];
    void Promise.all(early).then(() => order.push('early'));
    const paced = writer.write(bodyOf(9 * 1024, 7)).then(() => order.push(`paced after immediate: ${immediate}`));
    const written = writer.write(bodyOf(10, 8), undefined, true).then(() => order.push('written'));
    await within(Promise.all([paced, written]), 2_000, 'the paced and the written send');
    expect(order[0]).toBe('early');
    expect(order).toContain('paced after immediate: true');
    const total = frameWireSize(1) + 8 * frameWireSize(9 * 1024) + frameWireSize(10);
    await waitUntil(() => received.reduce((n, c) => n + c.length, 0) === total, 2_000, 'every frame');
    expect(readAll(freshReader(), received).map((b) => b.length)).toEqual([1, ...Array(8).fill(9 * 1024), 10]);
    // Again, with the crossing send waiting for its write: its waiter belongs to the batch its frame wrote.
    const again = [writer.write(bodyOf(1, 19)), ...Array.from({ length: 7 }, (_, i) => writer.write(bodyOf(9 * 1024, 20 + i)))];
    await within(Promise.all([...again, writer.write(bodyOf(9 * 1024, 27), undefined, true)]), 2_000, 'a crossing written send');
  });

  it('a close before the batch is written: queued sends stay settled, a send that waits for its write rejects, nothing throws', async () => {
    const { sealer } = replayableDirection();
    const { local, received, writes } = await socketPair();
    const writer = new FrameWriter(local, sealer, config, () => {});
    void writer.write(bodyOf(5, 0)); // at once: the batch starts after it
    const queued = [writer.write(bodyOf(10, 1)), writer.write(bodyOf(20, 2))];
    const written = writer.write(bodyOf(30, 3), undefined, true);
    written.catch(() => {});
    writer.close();
    local.destroy();
    await Promise.all(queued);
    await expect(written).rejects.toBeInstanceOf(ClosedError);
    await expect(writer.write(bodyOf(1, 4))).rejects.toBeInstanceOf(ClosedError);
    await sleep(50);
    expect(writes()).toBe(1);
    expect(received.reduce((n, c) => n + c.length, 0)).toBeLessThanOrEqual(frameWireSize(5));
  });

  it('abandon() keeps the batch: a failed session may still say Disconnect', async () => {
    const { sealer, freshReader } = replayableDirection();
    const { local, received } = await socketPair();
    const writer = new FrameWriter(local, sealer, config, () => {});
    void writer.write(bodyOf(10, 1));
    writer.abandon(new ClosedError('failed'));
    await within(writer.write(bodyOf(5, 2), undefined, true), 2_000, 'the Disconnect-like write');
    await waitUntil(() => received.length > 0 && readAll(freshReader(), received).length === 2, 2_000, 'both frames');
  });

  it('an aborted send waiting beside others is never sealed; the batch written on drain reads back intact', async () => {
    const { sealer, freshReader } = replayableDirection();
    const { local, remote, received } = await socketPair();
    remote.pause();
    const writer = new FrameWriter(local, sealer, { maxWriteBuffer: 64 * 1024, writeTimeout: 10_000 }, () => {});
    local.on('drain', () => writer.drained());
    const sent: Uint8Array[] = [];
    // Fill until a send waits (the kernel's buffers first, then ours).
    for (let i = 0; i < 10_000 && writer.queued === 0; i++) {
      const b = bodyOf(16 * 1024, i);
      sent.push(b);
      void writer.write(b);
      if (i % 8 === 7) await new Promise((r) => setImmediate(r));
    }
    expect(writer.queued).toBeGreaterThan(0);
    const ac = new AbortController();
    const tail = [bodyOf(100, 0xa1), bodyOf(200, 0xa2), bodyOf(300, 0xa3)];
    const a = writer.write(tail[0]!);
    const aborted = writer.write(bodyOf(400, 0xee), ac.signal);
    const b = writer.write(tail[1]!);
    const c = writer.write(tail[2]!, undefined, true);
    ac.abort(new Error('not this one'));
    await expect(aborted).rejects.toThrow('not this one');
    remote.resume();
    await within(Promise.all([a, b, c]), 10_000, 'the rest');
    const expected = [...sent, ...tail];
    const total = expected.reduce((n, x) => n + frameWireSize(x.length), 0);
    await waitUntil(() => received.reduce((n, x) => n + x.length, 0) === total, 10_000, 'every frame at the remote');
    const got = readAll(freshReader(), received);
    expect(got.length).toBe(expected.length);
    got.forEach((x, i) => expect(Buffer.compare(x, expected[i]!)).toBe(0));
  });
});

describe('the handshake\'s last packet', () => {
  it('the ack and the frame the recipient sends at once (its Hello) share one write, and both arrive', async () => {
    const key = generatePrivateKey();
    const config = connectionConfig({ readTimeout: 0, handshakeTimeout: 3_000 });
    let serverWrites: (() => number) | undefined;
    const accepted: RlpxConnection[] = [];
    const server = createServer((s) => {
      s.on('error', () => {});
      serverWrites = countWrites(s);
      void RlpxConnection.accept(s, key, config).then((conn) => {
        accepted.push(conn);
        void conn.send(0x10, Uint8Array.of(1, 2, 3), { compress: false });
      });
    });
    const port = await listenNet(server);
    const socket = createConnection({ host: HOST, port });
    socket.on('error', () => {});
    cleanups.push(() => {
      socket.destroy();
      accepted.forEach((c) => c.destroy());
      server.close();
    });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const conn = await within(RlpxConnection.initiate(socket, generatePrivateKey(), publicKeyOf(key), config), 3_000, 'handshake');
    const got: Message[] = [];
    conn.start({ message: (m) => got.push(m), error: () => {}, end: () => {} });
    await waitUntil(() => got.length === 1, 2_000, 'the first frame');
    expect([...got[0]!.payload]).toEqual([1, 2, 3]);
    expect(serverWrites!()).toBe(1);
    conn.destroy();
  });
});
