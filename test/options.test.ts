import { describe, expect, expectTypeOf, it } from 'vitest';
import { VERSION } from '../src/version.js';
import { KeyError } from '../src/errors.js';
import { generatePrivateKey, publicKeyOf } from '../src/crypto/secp256k1.js';
import { bytesToHex } from '../src/crypto/bytes.js';
import { connectionConfig, DEFAULTS, dialConfig, ethConfig, listenConfig, type ConnectionOptions, type DialOptions, type ListenOptions } from '../src/options.js';
import { dial } from '../src/peer/dial.js';
import { listen } from '../src/peer/server.js';

const privateKey = generatePrivateKey();

describe('options', () => {
  it('undefined always means the default, also when given explicitly', () => {
    const c = dialConfig({ privateKey, readTimeout: undefined, pingInterval: undefined, clientId: undefined, connectTimeout: undefined });
    expect(c.connection.readTimeout).toBe(DEFAULTS.connection.readTimeout);
    expect(c.peer.pingInterval).toBe(DEFAULTS.peer.pingInterval);
    expect(c.hello.clientId).toBe(DEFAULTS.peer.clientId);
    expect(c.connectTimeout).toBe(DEFAULTS.dial.connectTimeout);
    expect(connectionConfig()).toEqual(DEFAULTS.connection);
    expect(ethConfig({ timeout: undefined }).timeout).toBe(DEFAULTS.eth.statusTimeout);
  });

  it('a wrong type is a TypeError, a wrong value a RangeError', () => {
    expect(() => dialConfig({ privateKey, readTimeout: '5' as unknown as number })).toThrow(TypeError);
    expect(() => dialConfig({ privateKey, readTimeout: -1 })).toThrow(RangeError);
    expect(() => dialConfig({ privateKey, readTimeout: 1.5 })).toThrow(RangeError);
    expect(() => dialConfig({ privateKey, pongTimeout: 2 ** 31 })).toThrow(RangeError);
    expect(() => dialConfig({ privateKey, answerPings: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => dialConfig({ privateKey, healthMode: 'l4' as 'l7' })).toThrow(RangeError);
    expect(() => dialConfig({ privateKey, clientId: 7 as unknown as string })).toThrow(TypeError);
    expect(() => dialConfig({ privateKey, connectTimeout: 0 })).toThrow(RangeError);
    // maxMessageSize leaves room for the base protocol's Ping, Pong and Disconnect.
    expect(() => dialConfig({ privateKey, maxMessageSize: 0 })).toThrow(RangeError);
    expect(() => dialConfig({ privateKey, maxMessageSize: 63 })).toThrow(RangeError);
    expect(dialConfig({ privateKey, maxMessageSize: 64 }).peer.maxMessageSize).toBe(64);
    expect(() => listenConfig({ privateKey, port: 70000 })).toThrow(RangeError);
    expect(() => listenConfig({ privateKey, host: 1 as unknown as string })).toThrow(TypeError);
    expect(() => ethConfig({ timeout: -5 })).toThrow(RangeError);
    expect(() => ethConfig({ disconnectOnTimeout: 'yes' as unknown as boolean })).toThrow(TypeError);
    expect(() => dialConfig({ privateKey, protocols: [{ name: 'x', version: 1, length: 1, run: 5 as never }] })).toThrow(TypeError);
  });

  it('an unknown option is a TypeError that names it; every documented option is known', async () => {
    expect(() => dialConfig({ privateKey, pingIntervall: 5 } as DialOptions)).toThrow(new TypeError('dial: unknown option "pingIntervall"'));
    expect(() => dialConfig({ privateKey, port: 30303 } as DialOptions)).toThrow(new TypeError('dial: unknown option "port"'));
    expect(() => listenConfig({ privateKey, connectTimeout: 5 } as ListenOptions)).toThrow(new TypeError('listen: unknown option "connectTimeout"'));
    expect(() => connectionConfig({ pingInterval: 5 } as ConnectionOptions)).toThrow(new TypeError('connectionConfig: unknown option "pingInterval"'));
    expect(() => dialConfig({ privateKey, signal: 'soon' as unknown as AbortSignal })).toThrow(new TypeError('signal must be an AbortSignal, got string'));
    expect(() => listenConfig({ privateKey, signal: {} as AbortSignal })).toThrow(new TypeError('signal must be an AbortSignal, got Object'));
    // The public entry points check before any socket exists.
    await expect(dial(`enode://${bytesToHex(publicKeyOf(generatePrivateKey()))}@127.0.0.1:1`, { privateKey, pingIntervall: 5 } as DialOptions)).rejects.toThrow(/unknown option "pingIntervall"/);
    await expect(listen({ privateKey, port: 0, maxpeers: 5 } as ListenOptions)).rejects.toThrow(new TypeError('listen: unknown option "maxpeers"'));
    // Every default's key is accepted where it belongs, with every other documented option.
    const all = { privateKey, protocols: [], requireSharedProtocol: false, ...DEFAULTS.peer, ...DEFAULTS.connection, signal: new AbortController().signal };
    expect(() => dialConfig({ ...all, ...DEFAULTS.dial, localAddress: '127.0.0.1' })).not.toThrow();
    const { inboundThrottle, ...server } = DEFAULTS.server;
    expect(() => listenConfig({ ...all, ...server, inboundThrottle, netRestrict: ['127.0.0.0/8'] })).not.toThrow();
    expect(() => connectionConfig({ ...DEFAULTS.connection })).not.toThrow();
  });

  it('the default clientId has its documented shape and is declared a plain string', () => {
    expect(DEFAULTS.peer.clientId).toMatch(/^rlpx\/v\d+\.\d+\.\d+[^/]*\/[a-z0-9]+-[a-z0-9]+\/node\d+\.\d+\.\d+$/);
    expect(DEFAULTS.peer.clientId).toBe(`rlpx/v${VERSION}/${process.platform}-${process.arch}/node${process.versions.node}`);
    // A string, not a union of every platform and architecture (which floods editor hovers).
    expectTypeOf(DEFAULTS.peer.clientId).toEqualTypeOf<string>();
  });

  it('a bad key is a KeyError and a Hello no peer would accept is refused up front', () => {
    expect(() => dialConfig({ privateKey: new Uint8Array(32) })).toThrow(KeyError);
    expect(() => dialConfig({ privateKey, clientId: 'x'.repeat(2100) })).toThrow(RangeError);
  });

  it('resolved configs are frozen: changing them, or the options after the check, changes nothing', () => {
    const options = { privateKey, readTimeout: 1_000 };
    const c = dialConfig(options);
    options.readTimeout = 2_000;
    expect(c.connection.readTimeout).toBe(1_000);
    expect(Object.isFrozen(c.connection)).toBe(true);
    expect(dialConfig(options).connection.readTimeout).toBe(2_000);
  });
});
