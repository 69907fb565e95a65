/** The eth status call takes { signal }: an abort stops the wait and leaves the peer as it is. */
import { afterEach, describe, expect, it } from 'vitest';
import { EthResponder } from '../../src/eth/protocol.js';
import { Resources, testDial, testServer, within } from '../helpers/loopback.js';

const res = new Resources();
afterEach(() => res.closeAll());

describe('EthResponder.status({ signal })', () => {
  it('rejects with the signal reason while no Status has come, and the peer stays up', async () => {
    // Two mirroring responders: neither speaks first, so no Status ever comes.
    const server = new EthResponder({ disconnectOnTimeout: false, timeout: 10_000 });
    const s = await testServer(res, { protocols: server.protocols });
    const client = new EthResponder({ disconnectOnTimeout: false, timeout: 10_000 });
    const peer = await testDial(res, s.enode, { protocols: client.protocols });
    const ac = new AbortController();
    const pending = client.status(peer, { signal: ac.signal });
    ac.abort(new Error('probe deadline'));
    await expect(within(pending, 1_000, 'aborted status')).rejects.toThrow('probe deadline');
    expect(peer.isClosing).toBe(false);
  });

  it('an already-aborted signal rejects at once', async () => {
    const eth = new EthResponder({ disconnectOnTimeout: false });
    const s = await testServer(res, { protocols: eth.protocols });
    const peer = await testDial(res, s.enode, { protocols: new EthResponder({ disconnectOnTimeout: false }).protocols });
    await expect(eth.status(peer, { signal: AbortSignal.abort('gone') })).rejects.toBe('gone');
  });
});
