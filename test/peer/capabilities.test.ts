/** Capabilities: matchProtocols, and the negotiation over real sockets that uses it. */
import { describe, expect, it } from 'vitest';
import { DisconnectedError, ProtocolError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { matchProtocols, type Capability, type MatchedProtocol, type ProtocolSpec } from '../../src/peer/capabilities.js';
import type { Peer, Protocol } from '../../src/peer/peer.js';
import { settle, within } from '../helpers/loopback.js';
import { peerSuite } from '../helpers/peer-suite.js';

const { server, dialPeer, pair } = peerSuite();

describe('matchProtocols', () => {
  const spec = (name: string, version: number, length: number): ProtocolSpec => ({ name, version, length });
  const cap = (name: string, version: number): Capability => ({ name, version });

  const cases: Array<[string, ProtocolSpec[], Capability[], MatchedProtocol[]]> = [
    ['no overlap', [spec('eth', 68, 17)], [cap('snap', 1), cap('les', 4)], []],
    ['same name, different versions only', [spec('eth', 68, 17)], [cap('eth', 67)], []],
    ['nothing local', [], [cap('eth', 68)], []],
    ['nothing remote', [spec('eth', 68, 17)], [], []],
    [
      'same name, several versions: the highest shared wins',
      [spec('eth', 66, 17), spec('eth', 67, 17), spec('eth', 68, 17)],
      [cap('eth', 66), cap('eth', 67), cap('eth', 69)],
      [{ name: 'eth', version: 67, length: 17, offset: 0x10 }],
    ],
    [
      'offsets are alphabetical from 0x10 with lengths accumulated',
      [spec('snap', 1, 8), spec('eth', 68, 17), spec('bzz', 1, 3)],
      [cap('snap', 1), cap('eth', 68), cap('bzz', 1)],
      [
        { name: 'bzz', version: 1, length: 3, offset: 0x10 },
        { name: 'eth', version: 68, length: 17, offset: 0x13 },
        { name: 'snap', version: 1, length: 8, offset: 0x24 },
      ],
    ],
    [
      'remote has extra capabilities',
      [spec('eth', 68, 17)],
      [cap('les', 4), cap('eth', 68), cap('wit', 0), cap('snap', 1)],
      [{ name: 'eth', version: 68, length: 17, offset: 0x10 }],
    ],
    [
      'local has two versions, remote only the lower',
      [spec('eth', 67, 17), spec('eth', 68, 18)],
      [cap('eth', 67)],
      [{ name: 'eth', version: 67, length: 17, offset: 0x10 }],
    ],
    [
      'the winning version brings its own length',
      [spec('eth', 68, 17), spec('eth', 69, 18), spec('snap', 1, 8)],
      [cap('eth', 68), cap('eth', 69), cap('snap', 1)],
      [
        { name: 'eth', version: 69, length: 18, offset: 0x10 },
        { name: 'snap', version: 1, length: 8, offset: 0x22 },
      ],
    ],
  ];

  it.each(cases)('%s', (_name, local, remote, want) => {
    expect(matchProtocols(local, remote)).toEqual(want);
  });

  it('does not depend on the order either side lists its capabilities', () => {
    const local = [spec('snap', 1, 8), spec('eth', 68, 17)];
    const remote = [cap('eth', 68), cap('snap', 1)];
    expect(matchProtocols(local, remote)).toEqual(matchProtocols([...local].reverse(), [...remote].reverse()));
  });
});

describe('capability negotiation', () => {
  const proto = (name: string, version: number, length: number): Protocol => ({ name, version, length });

  it('runs the shared protocols at offsets from 0x10, the same on both sides', async () => {
    const s = await server({ protocols: [proto('eth', 67, 17), proto('eth', 68, 17), proto('snap', 1, 8)] });
    const { client, remote } = await pair(s, { protocols: [proto('snap', 1, 8), proto('eth', 68, 17), proto('les', 4, 24)] });

    const summary = (p: Peer): unknown => p.protocols.map((c) => [c.name, c.version, c.offset, c.length]);
    expect(summary(client)).toEqual([
      ['eth', 68, 0x10, 17],
      ['snap', 1, 0x21, 8],
    ]);
    expect(summary(remote)).toEqual(summary(client));
    expect(client.remoteHello?.capabilities).toEqual([
      { name: 'eth', version: 67 },
      { name: 'eth', version: 68 },
      { name: 'snap', version: 1 },
    ]);
    expect(client.protocol('les')).toBeUndefined();
  });

  it('closes with 0x03 UselessPeer when nothing is shared: dial rejects, server rejects', async () => {
    const s = await server({ protocols: [proto('eth', 68, 17)] });
    const rejected = within(new Promise<Error>((r) => s.once('rejected', (i) => r(i.error))), 3_000, "'rejected'");
    const r = await settle(dialPeer(s.enode, { protocols: [proto('snap', 1, 8)] }));

    // The dialer checks the server's Hello, which arrives before anything else.
    expect(r.ok).toBe(false);
    const err = (r as { error: unknown }).error;
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).reason).toBe(DisconnectReason.UselessPeer);

    // The server either found no shared protocol itself (local 0x03) or was told so first.
    const serverErr = await rejected;
    const serverReason =
      serverErr instanceof DisconnectedError ? serverErr.remoteReason : (serverErr as ProtocolError).reason;
    expect(serverReason).toBe(DisconnectReason.UselessPeer);
    expect(s.peers.size).toBe(0);
  });

  it('a dialer with no protocols is refused with 0x03 by a server that has some', async () => {
    const s = await server({ protocols: [proto('eth', 68, 17)] });
    // requireSharedProtocol defaults to true only when protocols are given: the dialer
    // requires nothing and accepts the server's Hello; the server finds nothing shared.
    const r = await settle(dialPeer(s.enode, {}));
    if (r.ok) {
      const info = await within(r.value.closed, 2_000, 'closed');
      expect(info).toMatchObject({ reason: DisconnectReason.UselessPeer, initiator: 'remote' });
    } else {
      expect(r.error).toBeInstanceOf(DisconnectedError);
      expect((r.error as DisconnectedError).remoteReason).toBe(DisconnectReason.UselessPeer);
    }
  });
});
