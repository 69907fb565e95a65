/**
 * The JSON mapping of a Hello, a CloseInfo and an eth Status: what a library user prints with
 * helloJson/closeJson/ethStatusJson is exactly what `rlpx ping --json` prints for the same node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { CHAINS } from '../../src/eth/chain.js';
import { ethStatusJson } from '../../src/eth/json.js';
import { ethStatusResponder } from '../../src/eth/protocol.js';
import { DEFAULTS } from '../../src/options.js';
import { dial } from '../../src/peer/dial.js';
import { closeJson, helloJson } from '../../src/peer/json.js';
import { listen, type Server } from '../../src/peer/server.js';
import { CliProcess, lastJson } from '../helpers/cli.js';

const serverKey = generatePrivateKey();
let server: Server;

beforeAll(async () => {
  const eth = ethStatusResponder({ chain: CHAINS.mainnet });
  server = await listen({ privateKey: serverKey, port: 0, protocols: eth.protocols });
});
afterAll(async () => {
  await server?.close();
});

describe('JSON of a Hello, a close and a Status', () => {
  it('bytesToHex is bare by default and 0x-prefixed on request; hexToBytes reads both', () => {
    const b = Uint8Array.of(0x00, 0xab, 0xff);
    expect(bytesToHex(b)).toBe('00abff');
    expect(bytesToHex(b, { prefixed: true })).toBe('0x00abff');
    expect(hexToBytes('0x00abff')).toEqual(b);
    expect(hexToBytes('00abff')).toEqual(b);
  });

  it('maps a real session exactly, and JSON.stringify takes the result', async () => {
    const eth = ethStatusResponder();
    const peer = await dial(server.enode, { privateKey: generatePrivateKey(), protocols: eth.protocols });
    const handshake = await eth.status(peer);
    expect(() => JSON.stringify(handshake.status)).toThrow(/BigInt/); // why the mapping exists
    const mainnet = CHAINS.mainnet;
    const status = JSON.parse(JSON.stringify(ethStatusJson(handshake)));
    expect(status).toEqual({
      version: handshake.status.version,
      networkId: 1,
      genesis: `0x${bytesToHex(mainnet.genesisHash)}`,
      forkId: { hash: `0x${bytesToHex(handshake.status.forkId.hash)}`, next: Number(handshake.status.forkId.next) },
      earliestBlock: 0,
      latestBlock: 0,
      latestBlockHash: `0x${bytesToHex(mainnet.genesisHash)}`,
      fork: 'unchecked',
    });
    expect(Object.keys(status)).toEqual(['version', 'networkId', 'genesis', 'forkId', 'earliestBlock', 'latestBlock', 'latestBlockHash', 'fork']);
    expect(helloJson(peer.remoteHello)).toEqual({
      id: bytesToHex(publicKeyOf(serverKey)),
      clientId: DEFAULTS.peer.clientId,
      version: 5,
      caps: ['eth/69', 'eth/70', 'eth/71', 'eth/72'],
    });
    await peer.disconnect(0x08);
    expect(closeJson(await peer.closed)).toEqual({ reason: 8, name: 'client quitting', by: 'local' });
    expect(closeJson({ reason: 0x04, initiator: 'remote' })).toEqual({ reason: 4, name: 'too many peers', by: 'remote' });
  });

  it('prints what rlpx ping --json prints for the same node', async () => {
    const eth = ethStatusResponder();
    const peer = await dial(server.enode, { privateKey: generatePrivateKey(), protocols: eth.protocols });
    const ours = { remote: helloJson(peer.remoteHello), eth: ethStatusJson(await eth.status(peer)) };
    await peer.disconnect(0x08);
    const cli = await new CliProcess(['ping', server.enode, '--json', '--eth', '--count', '1'], 30_000).exited;
    // The server announces mainnet's genesis as its head but holds no blocks: the probe's serves
    // check fails (exit 1), and ping's eth section is the Status mapping plus that verdict.
    expect(cli.code, cli.stderr).toBe(1);
    const printed = lastJson<{ remote: unknown; eth: Record<string, unknown>; disconnect: unknown }>(cli.stdout);
    expect(printed.remote).toEqual(ours.remote);
    const { serves, servesReason, ...status } = printed.eth;
    expect(status).toEqual(ours.eth);
    expect(serves).toBe(false);
    expect(servesReason).toEqual(expect.any(String));
    expect(printed.disconnect).toEqual(closeJson(await peer.closed));
  }, 40_000);
});
