/**
 * Per-file setup of the loopback Peer tests: resources closed after each test under the
 * process guard, and shorthands for a listener, a dialer and an admitted pair.
 */
import type { DialOptions } from '../../src/peer/dial.js';
import type { Peer } from '../../src/peer/peer.js';
import type { ListenOptions, Server } from '../../src/peer/server.js';
import { Resources, testDial, testPair, testServer } from './loopback.js';
import { guardEachTest } from './process-guard.js';

export interface PeerSuite {
  res: Resources;
  server(opts?: Partial<ListenOptions>): Promise<Server>;
  dialPeer(enode: string, opts?: Partial<DialOptions>): Promise<Peer>;
  /** Dial `s` and return both ends once the server has admitted the peer. */
  pair(s: Server, opts?: Partial<DialOptions>): Promise<{ client: Peer; remote: Peer }>;
}

/** Call once at the top of a test file: it installs the afterEach teardown. */
export function peerSuite(): PeerSuite {
  const res = new Resources();
  guardEachTest(() => res.closeAll());
  return {
    res,
    server: (opts = {}) => testServer(res, opts),
    dialPeer: (enode, opts = {}) => testDial(res, enode, opts),
    pair: (s, opts = {}) => testPair(res, s, opts),
  };
}
