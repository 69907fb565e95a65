import { describe, expect, it } from 'vitest';
import { KeyError } from '../src/errors.js';
import { generatePrivateKey } from '../src/crypto/secp256k1.js';
import { connectionConfig, DEFAULTS, dialConfig, ethConfig, listenConfig } from '../src/options.js';

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
