/**
 * The floor of the Node runtime: the geth section's echo workload over a plain node:net
 * connection, no RLPx (bench/geth-peer's tcplisten / tcpdrive are Go's). Each stack's overhead
 * is its time over its own runtime's floor on the same work.
 *
 *   node tcp-echo.js listen      echo every byte on 127.0.0.1:0; prints tcp://host:port
 *   node tcp-echo.js drive --addr HOST:PORT --n N --size S --mode pingpong|stream [--reps 3] [--warmup W]
 *
 * A request is S raw bytes (its number in the first four); the echo is the same bytes back.
 * The JSON line is the same as echo-peer's drive: {"ms":[...],"cpuUs":c,"requests":r}.
 */
import { randomBytes } from 'node:crypto';
import { echoArgs } from './echo-args.js';
import { connect, createServer, type Socket } from 'node:net';

const cpuMicros = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

function serve(): void {
  const server = createServer({ noDelay: true }, (s) => {
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    if (a && typeof a === 'object') console.log(`tcp://${a.address}:${a.port}`);
  });
  const stop = (): void => void server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** The echoes as they arrive: whole requests handed to `onEcho` in order, however TCP splits them. */
class Echoes {
  readonly #size: number;
  readonly #base: Buffer;
  readonly #buf: Buffer;
  #have = 0;
  #next = 0;
  #waiter: { until: number; resolve: () => void; reject: (e: Error) => void } | undefined;
  #failed: Error | undefined;

  constructor(socket: Socket, size: number, base: Buffer) {
    this.#size = size;
    this.#base = base;
    this.#buf = Buffer.alloc(size);
    socket.on('data', (d: Buffer) => this.#take(d));
  }

  #take(d: Buffer): void {
    for (let at = 0; at < d.length; ) {
      const m = Math.min(this.#size - this.#have, d.length - at);
      d.copy(this.#buf, this.#have, at, at + m);
      this.#have += m;
      at += m;
      if (this.#have < this.#size) break;
      this.#have = 0;
      if (this.#buf.readUInt32LE(0) !== this.#next || this.#buf.compare(this.#base, 4, this.#size, 4, this.#size) !== 0) {
        this.#failed ??= new Error(`echo ${this.#next} differs from its request`);
      }
      this.#next++;
    }
    const w = this.#waiter;
    if (w && (this.#failed || this.#next >= w.until)) {
      this.#waiter = undefined;
      if (this.#failed) w.reject(this.#failed);
      else w.resolve();
    }
  }

  /** Resolves once echoes up to (not including) `until` have arrived and matched. */
  upTo(until: number): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#next >= until) return Promise.resolve();
    return new Promise((resolve, reject) => (this.#waiter = { until, resolve, reject }));
  }
}

async function drive(o: { addr: string; n: number; size: number; stream: boolean; reps: number; warmup: number }): Promise<void> {
  const hostPort = o.addr.replace(/^tcp:\/\//, '');
  const colon = hostPort.lastIndexOf(':');
  const socket = connect({ host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)), noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const base = randomBytes(o.size);
  const echoes = new Echoes(socket, o.size, base);
  const request = (i: number): Buffer => {
    const b = Buffer.from(base);
    b.writeUInt32LE(i >>> 0, 0);
    return b;
  };
  const run = async (from: number, n: number): Promise<void> => {
    if (!o.stream) {
      for (let i = from; i < from + n; i++) {
        socket.write(request(i));
        await echoes.upTo(i + 1);
      }
      return;
    }
    for (let i = from; i < from + n; i++) {
      if (!socket.write(request(i))) await new Promise((r) => socket.once('drain', r));
    }
    await echoes.upTo(from + n);
  };
  const cpu0 = cpuMicros();
  await run(0, o.warmup);
  const ms: number[] = [];
  let next = o.warmup;
  for (let k = 0; k < o.reps; k++, next += o.n) {
    const t0 = performance.now();
    await run(next, o.n);
    ms.push(performance.now() - t0);
  }
  const cpuUs = cpuMicros() - cpu0;
  socket.destroy();
  process.stdout.write(`${JSON.stringify({ ms, cpuUs, requests: next })}\n`);
}

function main(argv: string[]): Promise<void> | void {
  const args = echoArgs(argv, 'addr', 'usage: tcp-echo listen | drive --addr HOST:PORT --n N>=1 --size S>=4 --mode pingpong|stream [--reps R] [--warmup W]');
  if (args === 'listen') return serve();
  const { target, ...rest } = args;
  return drive({ addr: target, ...rest });
}

Promise.resolve()
  .then(() => main(process.argv.slice(2)))
  .catch((err: unknown) => {
    process.stderr.write(`tcp-echo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
