/**
 * Fixed keys and real packets: the EIP-8 vectors (geth's), so every input is deterministic,
 * and the real session built from them, whose frames the frame and message targets mutate.
 */
import { concatBytes, xorBytes } from '../../src/crypto/bytes.js';
import { createKeccak256 } from '../../src/crypto/keccak.js';
import { publicKeyOf } from '../../src/crypto/secp256k1.js';
import { deriveSecrets, type Secrets } from '../../src/wire/handshake.js';
import { FrameSealer } from '../../src/wire/frame.js';
import { encodeMessage } from '../../src/wire/message.js';
import { encodeHello } from '../../src/peer/hello.js';
import { encodeDisconnect } from '../../src/peer/disconnect.js';
import { EMPTY_LIST, P2PCode } from '../../src/peer/p2p.js';
import { encodeStatus, type EthStatus } from '../../src/eth/status.js';
import { DisconnectReason } from '../../src/reasons.js';
import { seededBytes } from '../helpers/bytes.js';
import { hex, vectors } from '../helpers/vectors.js';

export const K = vectors.keys;
export const keyA = hex(K.keyA);
export const keyB = hex(K.keyB);
export const ephA = hex(K.ephA);
export const ephB = hex(K.ephB);
export const nonceA = hex(K.nonceA);
export const nonceB = hex(K.nonceB);
export const pubA = publicKeyOf(keyA);
export const pubB = publicKeyOf(keyB);
export const auth2 = hex(vectors.auth.Auth2.packet);
export const ack2 = hex(vectors.ack.Ack2.packet);


/**
 * The real session of the EIP-8 vectors (geth's), initiator → recipient. Its aes/mac secrets
 * come from deriveSecrets; fresh MAC states for each input are rebuilt from the same seed
 * (keccak(mac ^ recipientNonce ‖ authPacket)), which costs no ECDH. The seeded test checks
 * that a fresh reader reads what a sealer from deriveSecrets wrote.
 */
export const realInitiator = deriveSecrets({
  initiator: true,
  ephemeralKey: ephA,
  remoteEphemeral: publicKeyOf(ephB),
  nonce: nonceA,
  remoteNonce: nonceB,
  authPacket: auth2,
  ackPacket: ack2,
  remotePublicKey: pubB,
});
const macSeed = xorBytes(realInitiator.mac, nonceB);

/** Fresh secrets for the initiator → recipient direction: seal with them, or read with them. */
export function freshSessionSecrets(): Secrets {
  const state = (): Secrets['egressMac'] => {
    const s = createKeccak256();
    s.update(macSeed);
    s.update(auth2);
    return s;
  };
  return { aes: realInitiator.aes, mac: realInitiator.mac, egressMac: state(), ingressMac: state(), remotePublicKey: pubB };
}

export const helloPayload = encodeHello({
  version: 5,
  clientId: 'Geth/v1.17.0-stable/linux-amd64/go1.24',
  capabilities: [
    { name: 'eth', version: 69 },
    { name: 'snap', version: 1 },
  ],
  listenPort: 30303,
  nodeId: pubA,
});
export const statusValue: EthStatus = {
  version: 69,
  networkId: 1n,
  genesisHash: hex('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3'),
  forkId: { hash: hex('fc64ec04'), next: 1150000n },
  earliestBlock: 0n,
  latestBlock: 22_000_000n,
  latestBlockHash: seededBytes(32, 7),
};
export const statusPayload = encodeStatus(statusValue);

/** Frame bodies of a short real session: Hello, Ping, eth Status, a bulk message, Disconnect. */
export const REAL_BODIES: readonly Uint8Array[] = [
  encodeMessage(P2PCode.Hello, helloPayload, false),
  encodeMessage(P2PCode.Ping, EMPTY_LIST, true),
  encodeMessage(0x10, statusPayload, true),
  new Uint8Array(0),
  encodeMessage(0x15, seededBytes(3000, 3), true),
  encodeMessage(P2PCode.Pong, EMPTY_LIST, true),
  encodeMessage(P2PCode.Disconnect, encodeDisconnect(DisconnectReason.TooManyPeers), true),
];
/** REAL_BODIES sealed by a sealer on deriveSecrets' own output. */
const realSealer = new FrameSealer(realInitiator);
const realFrames = REAL_BODIES.map((b) => realSealer.seal(b));
export const REAL_STREAM = concatBytes(...realFrames);
