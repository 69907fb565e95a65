/**
 * Our side of the geth comparison (bench/geth.ts): the echo protocol of bench/geth-peer through
 * this project's public API, written as a user would write it.
 *
 *   node echo-peer.js listen      serve the echo; prints its enode, then one JSON line per session
 *   node echo-peer.js drive --enode E --n N --size S --mode pingpong|stream [--reps 3] [--warmup W]
 *
 * The protocol ("bench", version 1, two codes): code 0 is a request, code 1 echoes its payload.
 * The JSON lines are the same as geth-peer's, so the parent reads both alike.
 */
import { randomBytes } from 'node:crypto';
import { echoArgs } from './echo-args.js';
import { dial, generatePrivateKey, listen, type ProtocolChannel } from '../src/index.js';

const PROTOCOL = { name: 'bench', version: 1, length: 2 } as const;
const REQUEST = 0;
const ECHO = 1;

const cpuMicros = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
const emit = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v)}\n`);

/**
 * Serve the echo on 127.0.0.1 until SIGINT or SIGTERM. After a session that carried requests
 * ends, print {"event":"session","requests":n,"cpuUs":c,"ms":t}: this process's CPU and the wall
 * time from the first request to the session's end.
 */
async function serve(): Promise<void> {
  const server = await listen({
    privateKey: generatePrivateKey(),
    host: '127.0.0.1',
    port: 0,
    clientId: 'rlpx echo-peer',
    maxPeers: 100_000,
    protocols: [
      {
        ...PROTOCOL,
        async run(channel) {
          let requests = 0;
          let cpu0 = 0;
          let t0 = 0;
          for await (const { code, payload } of channel.messages()) {
            if (code !== REQUEST) throw new Error(`unexpected code ${code}`);
            if (requests++ === 0) {
              cpu0 = cpuMicros();
              t0 = performance.now();
            }
            await channel.send(ECHO, payload);
          }
          if (requests > 0) emit({ event: 'session', requests, cpuUs: cpuMicros() - cpu0, ms: performance.now() - t0 });
        },
      },
    ],
  });
  console.log(server.enode);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** N requests of one size; request i is `base` with i in its first four bytes, each echo checked byte for byte. */
class Workload {
  readonly #base: Uint8Array;
  readonly #out: Uint8Array;
  readonly #view: DataView;

  constructor(size: number) {
    this.#base = new Uint8Array(randomBytes(size)); // incompressible, so snappy does its real work
    this.#out = this.#base.slice();
    this.#view = new DataView(this.#out.buffer);
  }

  send(channel: ProtocolChannel, i: number): Promise<void> {
    this.#view.setUint32(0, i, true);
    return channel.send(REQUEST, this.#out);
  }

  check(m: IteratorResult<{ code: number; payload: Uint8Array }>, i: number): void {
    if (m.done) throw new Error(`session ended before echo ${i}`);
    const { code, payload } = m.value;
    if (code !== ECHO || payload.length !== this.#base.length) {
      throw new Error(`echo ${i}: code ${code}, ${payload.length} bytes; want code ${ECHO}, ${this.#base.length} bytes`);
    }
    const stamp = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true);
    if (stamp !== i || Buffer.compare(payload.subarray(4), this.#base.subarray(4)) !== 0) throw new Error(`echo ${i} differs from its request`);
  }

  /** Requests from..from+n-1: one outstanding, or (stream) a sender and a receiver concurrently. */
  async run(channel: ProtocolChannel, echoes: AsyncIterator<{ code: number; payload: Uint8Array }>, from: number, n: number, stream: boolean): Promise<void> {
    if (!stream) {
      for (let i = from; i < from + n; i++) {
        await this.send(channel, i);
        this.check(await echoes.next(), i);
      }
      return;
    }
    const sender = (async () => {
      for (let i = from; i < from + n; i++) await this.send(channel, i);
    })();
    try {
      for (let i = from; i < from + n; i++) this.check(await echoes.next(), i);
    } finally {
      await sender;
    }
  }
}

/** Dial the node, run the warm-up and the timed repetitions; print {"ms":[...],"cpuUs":c,"requests":r}. */
async function drive(o: { enode: string; n: number; size: number; stream: boolean; reps: number; warmup: number }): Promise<void> {
  let channel: ProtocolChannel | undefined;
  const peer = await dial(o.enode, {
    privateKey: generatePrivateKey(),
    clientId: 'rlpx echo-peer',
    protocols: [{ ...PROTOCOL, run: (c) => void (channel = c) }],
    signal: AbortSignal.timeout(10_000),
  });
  if (!channel) throw new Error(`${o.enode} does not run ${PROTOCOL.name}/${PROTOCOL.version}`);
  const echoes = channel.messages()[Symbol.asyncIterator]();
  const w = new Workload(o.size);
  const cpu0 = cpuMicros();
  await w.run(channel, echoes, 0, o.warmup, o.stream);
  const ms: number[] = [];
  let next = o.warmup;
  for (let k = 0; k < o.reps; k++, next += o.n) {
    const t0 = performance.now();
    await w.run(channel, echoes, next, o.n, o.stream);
    ms.push(performance.now() - t0);
  }
  const cpuUs = cpuMicros() - cpu0;
  await peer.disconnect();
  emit({ ms, cpuUs, requests: next });
}

function main(argv: string[]): Promise<void> {
  const args = echoArgs(argv, 'enode', 'usage: echo-peer listen | drive --enode E --n N>=1 --size S>=4 --mode pingpong|stream [--reps R] [--warmup W]');
  if (args === 'listen') return serve();
  const { target, ...rest } = args;
  return drive({ enode: target, ...rest });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`echo-peer: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
