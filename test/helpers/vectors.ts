import { readFileSync } from 'node:fs';
import { hexToBytes } from '../../src/crypto/bytes.js';

interface PacketVector {
  packet: string;
  version: number;
  rest: string[];
}

interface VectorFile {
  keys: Record<'keyA' | 'keyB' | 'ephA' | 'ephB' | 'nonceA' | 'nonceB' | 'authSignature', string>;
  auth: Record<'Auth2' | 'Auth3', PacketVector>;
  ack: Record<'Ack2' | 'Ack3', PacketVector>;
  secrets: { wantAES: string; wantMAC: string; wantFooIngressHash: string };
}

export const vectors: VectorFile = JSON.parse(
  readFileSync(new URL('../../fixtures/eip8-vectors.json', import.meta.url), 'utf8'),
) as VectorFile;

export const hex = hexToBytes;
