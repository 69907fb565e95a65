/**
 * A hostile initiator at the frame level. It runs the real handshake (HandshakeState) over a
 * plain socket and seals with the real FrameSealer, so whatever it sends is a genuine frame
 * until a test damages it: `tamper` flips a bit inside one part of the frame layout, and
 * `header` sends a verified header without its body. What the server sends back is read with
 * a FrameReader.
 */
import { connect, type Socket } from 'node:net';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { decodeCode, encodeMessage, FrameReader, FrameSealer, handshakePacketSize, HandshakeState } from '../../src/codec.js';
import { HEADER_BLOCK_SIZE, HEADER_SIZE } from '../../src/wire/frame.js';
import { MAC_SIZE } from '../../src/wire/mac.js';
import { encodeHello } from '../../src/peer/hello.js';
import { decodeDisconnect } from '../../src/peer/disconnect.js';
import { snappyDecompress } from '../../src/wire/snappy.js';
import { HOST, type Resources, waitUntil, within } from './loopback.js';

/** The parts of a sealed frame: header-ct(16) ‖ header-mac(16) ‖ body-ct(padded) ‖ frame-mac(16). */
export type FramePart = 'header' | 'headerMac' | 'body' | 'frameMac';

/** Where `part` of a sealed frame starts and how long it is. */
export function framePart(frame: Uint8Array, part: FramePart): { at: number; length: number } {
  switch (part) {
    case 'header':
      return { at: 0, length: HEADER_SIZE };
    case 'headerMac':
      return { at: HEADER_SIZE, length: MAC_SIZE };
    case 'body':
      return { at: HEADER_BLOCK_SIZE, length: frame.length - HEADER_BLOCK_SIZE - MAC_SIZE };
    case 'frameMac':
      return { at: frame.length - MAC_SIZE, length: MAC_SIZE };
  }
}

/**
 * A copy of `frame` with the lowest bit of byte `offset` of `part` flipped; a negative offset
 * counts from the end of the part.
 */
export function tamper(frame: Uint8Array, part: FramePart, offset = 0): Uint8Array {
  const { at, length } = framePart(frame, part);
  const i = offset < 0 ? length + offset : offset;
  if (i < 0 || i >= length) throw new RangeError(`offset ${offset} outside the ${length}-byte ${part}`);
  const out = new Uint8Array(frame);
  out[at + i]! ^= 0x01;
  return out;
}

export class RawClient {
  readonly socket: Socket;
  readonly key: Uint8Array;
  readonly publicKey: Uint8Array;
  /** Messages from the server, code and payload as they came off the wire. */
  readonly received: Array<{ code: number; payload: Uint8Array }> = [];
  readonly closed: Promise<void>;
  readonly #sealer: FrameSealer;

  private constructor(socket: Socket, key: Uint8Array, sealer: FrameSealer) {
    this.socket = socket;
    this.key = key;
    this.publicKey = publicKeyOf(key);
    this.#sealer = sealer;
    this.closed = new Promise((r) => socket.once('close', () => r()));
  }

  /** Connect to `server` (its socket closed by `res`) and run the handshake as initiator. */
  static async open(res: Resources, server: { address: { port: number }; publicKey: Uint8Array }, key = generatePrivateKey()): Promise<RawClient> {
    const socket = res.socket(connect({ host: HOST, port: server.address.port }));
    const state = HandshakeState.initiator(server.publicKey, { privateKey: key });
    return within(
      new Promise<RawClient>((resolve, reject) => {
        let buf = Buffer.alloc(0);
        let client: RawClient | undefined;
        let reader: FrameReader | undefined;
        const drain = (): void => {
          for (let body = reader!.read(); body; body = reader!.read()) {
            const { code, offset } = decodeCode(body);
            client!.received.push({ code, payload: body.subarray(offset) });
          }
        };
        socket.on('data', (chunk: Buffer) => {
          try {
            if (reader) {
              reader.push(chunk);
              return drain();
            }
            buf = Buffer.concat([buf, chunk]);
            if (buf.length < 2) return;
            const total = handshakePacketSize(buf);
            if (buf.length < total) return;
            state.readAck(buf.subarray(0, total));
            const secrets = state.secrets();
            reader = new FrameReader(secrets);
            client = new RawClient(socket, key, new FrameSealer(secrets));
            reader.push(buf.subarray(total));
            drain();
            resolve(client);
          } catch (err) {
            socket.destroy();
            reject(err);
          }
        });
        socket.once('close', () => reject(new Error('closed during the handshake')));
        socket.once('connect', () => socket.write(state.makeAuth()));
        socket.once('error', reject);
      }),
      3_000,
      'raw client handshake',
    );
  }

  /** One whole frame around `body`. */
  seal(body: Uint8Array): Uint8Array {
    return this.#sealer.seal(body);
  }

  /**
   * A verified header block announcing a body of `size` bytes, and no body: the first
   * HEADER_BLOCK_SIZE bytes of a real frame. The sealer's keystream and MAC have moved on past
   * the whole frame, so nothing this client seals afterwards will verify.
   */
  header(size: number): Uint8Array {
    return this.#sealer.seal(new Uint8Array(size)).slice(0, HEADER_BLOCK_SIZE);
  }

  /** A frame carrying message `code` with `payload` as is (compress it first where snappy is on). */
  message(code: number, payload: Uint8Array): Uint8Array {
    return this.seal(encodeMessage(code, payload, false));
  }

  helloFrame(): Uint8Array {
    return this.message(0x00, encodeHello({ version: 5, clientId: 'low/1', capabilities: [], listenPort: 0, nodeId: this.publicKey }));
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The reason of the Disconnect the server sent (plain, or snappy after Hello). */
  async disconnectReason(timeout = 3_000): Promise<number | undefined> {
    await waitUntil(() => this.received.some((m) => m.code === 0x01), timeout, 'Disconnect from the server');
    const wire = this.received.find((m) => m.code === 0x01)!.payload;
    return decodeDisconnect(wire) ?? decodeDisconnect(snappyDecompress(wire));
  }
}
