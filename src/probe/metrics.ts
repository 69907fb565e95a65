/**
 * A probe's result as Prometheus metrics, in a registry of its own (one per probe, as
 * blackbox_exporter answers /probe). Names follow blackbox's and Prometheus's rules: base
 * units, `_seconds`, no `_total` on gauges.
 */
import { Gauge, Registry } from 'prom-client';
import { PHASES, type ProbeResult } from './probe.js';

const gauge = <L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[] = []): Gauge<L> =>
  new Gauge({ name, help, labelNames, registers: [registry] });

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function probeRegistry(r: ProbeResult): Registry {
  const reg = new Registry();
  gauge(reg, 'probe_success', 'Whether the probe succeeded').set(r.success ? 1 : 0);
  gauge(reg, 'probe_duration_seconds', 'How long the probe took').set(r.durationMs / 1000);
  gauge(reg, 'probe_timeout_seconds', 'The deadline the probe ran under').set(r.deadlineMs / 1000);
  const phase = gauge(reg, 'rlpx_probe_phase_duration_seconds', 'Time spent in each phase the probe reached', ['phase']);
  for (const p of PHASES) if (r.phases[p] !== undefined) phase.set({ phase: p }, r.phases[p]! / 1000);
  const rtt = gauge(reg, 'rlpx_probe_rtt_seconds', 'Ping/Pong round-trip time over the probe: median, min and max', ['stat']);
  if (r.rtts.length > 0) {
    const sorted = [...r.rtts].sort((a, b) => a - b);
    rtt.set({ stat: 'median' }, median(sorted) / 1000);
    rtt.set({ stat: 'min' }, sorted[0]! / 1000);
    rtt.set({ stat: 'max' }, sorted[sorted.length - 1]! / 1000);
  }
  gauge(reg, 'rlpx_probe_pings_sent', 'Pings sent by this probe').set(r.sent);
  gauge(reg, 'rlpx_probe_pongs_received', 'Pongs received by this probe').set(r.received);
  gauge(reg, 'rlpx_probe_full', '1 when the node answered "too many peers" (0x04) after the RLPx handshake').set(r.full ? 1 : 0);
  const info = gauge(reg, 'rlpx_probe_info', "The node's Hello", ['client_id', 'p2p_version', 'caps']);
  if (r.remote) info.set({ client_id: r.remote.clientId, p2p_version: String(r.remote.version), caps: r.remote.caps.join(',') }, 1);
  const disc = gauge(reg, 'rlpx_probe_disconnect_reason', 'The devp2p reason the session ended with, and who ended it', ['by']);
  if (r.disconnect) disc.set({ by: r.disconnect.by }, r.disconnect.reason);
  // Unlabelled gauges always print (0 when unset): these exist only when there is a Status.
  if (r.eth) {
    gauge(reg, 'rlpx_probe_eth_latest_block', "The node's latest block, from its eth Status").set(Number(r.eth.latestBlock));
    gauge(reg, 'rlpx_probe_eth_network_id', "The node's network id, from its eth Status").set(Number(r.eth.networkId));
    if (r.eth.serves !== null) gauge(reg, 'rlpx_probe_eth_serves', '1 when the node served the header of the latest block its Status names, 0 when not').set(r.eth.serves ? 1 : 0);
    if (r.eth.fork !== 'unchecked') {
      gauge(reg, 'rlpx_probe_eth_fork_compatible', "1 when the node's fork ID is compatible with the module's chain (EIP-2124), 0 when not").set(r.eth.fork === 'compatible' ? 1 : 0);
    }
  }
  return reg;
}
