/**
 * rlpx/discovery: node discovery v4 and v5 (the nodes, their lookups, the packet codecs), both
 * together on one socket with one table and one record (startDiscovery), the Kademlia table and
 * node type they share, and node records (EIP-778).
 */
export { startDiscovery, Discovery, type DiscoveryOptions } from './discovery.js';
export { LocalRecord, type SelfRecordOptions, type RecordChanges } from './local-record.js';
export { startDiscoveryV4, DiscoveryV4, parseBootnode, type DiscoveryV4Options, type DiscoveryV4Events } from './v4-discovery.js';
export { RESPONSE_TIMEOUT_MS, BOND_GRACE_MS, FINDNODE_RESULTS, type V4Counters, type V4Limits, type DropReason } from './v4-udp.js';
export {
  decodePacket, encodePacket, encodeNeighbors, expirationFromNow, isExpired, MAX_PACKET_SIZE, MAX_NEIGHBORS, PacketCode,
  type V4Packet, type PacketKind, type Endpoint, type NeighborRecord, type DecodedPacket, type EncodedPacket,
} from './v4-packet.js';
export { startDiscoveryV5, DiscoveryV5, lookupDistances, type DiscoveryV5Options, type PongResult, type V5Target } from './v5-node.js';
export { V5Transport, NODES_RESPONSE_LIMIT, MAX_REQUEST_SIZE as V5_MAX_REQUEST_SIZE, type V5Counters, type InboundRequest, type V5Request } from './v5-transport.js';
export { decodeMessage as decodeV5Message, encodeMessage as encodeV5Message, type V5Message } from './v5-message.js';
export { decodePacket as decodeV5Packet, MAX_PACKET_SIZE as V5_MAX_PACKET_SIZE, type DecodedPacket as DecodedV5Packet } from './v5-packet.js';
export { FINDNODE_RESULT_LIMIT, NODES_RECORD_BUDGET } from './v5-server.js';
export { V5PacketError, V5RequestError, type V5DropKind, type V5RequestErrorKind } from './v5-errors.js';
export { lookup, ALPHA, RESULT_SIZE, type LookupOptions } from './lookup.js';
export {
  Table, BUCKET_SIZE, MAX_REPLACEMENTS, N_BUCKETS,
  type TableEntry, type AddResult, type LivenessResult, type TableOptions, type TableEvents, type DiscoveryProtocol, type ProtocolState,
} from './table.js';
export { makeNode, nodeFromEnr, nodeToEnode, logDistance, compareDistance, type DiscoveryNode } from './node.js';
export { relayError, isLan } from './netutil.js';
export { UdpPort, type UdpSource, type DatagramHandler, type UdpPortOptions } from './udp-port.js';
export { Enr, decodeEnr, encodeEnr, type EnrInput, type ForkIdEntry, type RlpItem } from './enr.js';
export { EnrError, V4PacketError, DiscoveryError, type V4PacketErrorKind, type DiscoveryErrorKind } from './errors.js';
