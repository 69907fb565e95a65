/** Every target the issues set for the benchmarks, in one table. */
export const TARGETS = {
  /** Minimum ours/reference ratio of frame seal+open throughput, by body size. */
  frames: { 64: 20, [1024 * 1024]: 10 } as Record<number, number>,
  /** Minimum ours/reference ratio of crypto handshakes per second. */
  handshakes: 30,
  /** Heap per idle Peer, bytes. */
  heapPerPeer: 5 * 1024,
  /** Heap per idle Peer, at most this fraction of the reference's. */
  heapVsReference: 0.5,
  /** 1,000 peers connected within, ms. */
  connect1k: 2_000,
  /** CPU while idle at 10,000 peers, fraction of one core. */
  idleCore: 0.01,
} as const;
