/**
 * Records and trees against geth and its devp2p tool (built by scripts/build-geth.sh): records
 * they make we decode (byte for byte, eth entry included), records we make devp2p reads back,
 * and a tree it signs we walk over a real DNS server on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { RLP } from '@ethereumjs/rlp';
import { base64urlnopad } from '@scure/base';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { buildDnsTree } from '../../src/discovery/dns-build.js';
import { walkDnsTrees, type TreeNode } from '../../src/discovery/dns-tree.js';
import { decodeEnr, encodeEnr } from '../../src/discovery/enr.js';
import { gethBinaries, startGeth } from '../helpers/geth.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';

const bin = gethBinaries();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rlpx-devp2p-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function devp2p(...args: string[]): string {
  return execFileSync(bin!.devp2p, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
}

/** A Web3 v3 keystore (scrypt, aes-128-ctr, keccak MAC), the only key form `devp2p dns sign` reads. */
function keystore(privateKey: Uint8Array, password: string): string {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const n = 4096; // low cost: a test key
  const derived = scryptSync(password, salt, 32, { N: n, r: 8, p: 1 });
  const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(privateKey), cipher.final()]);
  const mac = keccak256(derived.subarray(16, 32), ciphertext);
  return JSON.stringify({
    address: bytesToHex(keccak256(publicKeyOf(privateKey)).subarray(12)),
    crypto: {
      cipher: 'aes-128-ctr',
      ciphertext: ciphertext.toString('hex'),
      cipherparams: { iv: iv.toString('hex') },
      kdf: 'scrypt',
      kdfparams: { dklen: 32, n, r: 8, p: 1, salt: salt.toString('hex') },
      mac: bytesToHex(mac),
    },
    id: randomUUID(),
    version: 3,
  });
}

describe.skipIf(!bin)(`ENR and DNS trees against devp2p ${bin?.version ?? ''}`, () => {
  it("decodes geth's records and re-creates them byte for byte", () => {
    for (let i = 0; i < 3; i++) {
      const key = generatePrivateKey();
      const keyFile = join(dir, `node${i}.key`);
      writeFileSync(keyFile, bytesToHex(key));
      const text = devp2p('key', 'to-enr', '--ip', `127.0.0.${i + 2}`, '--tcp', String(30311 + i), '--udp', String(30411 + i), keyFile).trim();
      const enr = decodeEnr(text);
      expect(enr).toMatchObject({ ip: `127.0.0.${i + 2}`, tcp: 30311 + i, udp: 30411 + i });
      expect(enr.publicKey).toEqual(publicKeyOf(key));
      expect(bytesToHex(enr.nodeId)).toBe(devp2p('key', 'to-id', keyFile).trim());
      expect(enr.toEnode()).toBe(`enode://${bytesToHex(publicKeyOf(key))}@127.0.0.${i + 2}:${30311 + i}?discport=${30411 + i}`);
      expect(encodeEnr({ seq: enr.seq, ip: enr.ip!, tcp: enr.tcp!, udp: enr.udp! }, key).toText()).toBe(text);
    }
  });

  it('geth reads back the records we sign, every predefined key included', () => {
    const key = generatePrivateKey();
    const enr = encodeEnr({ seq: 77, ip: '127.0.0.9', tcp: 30303, udp: 30304, ip6: '::1', tcp6: 30305, udp6: 30306, eth: { forkHash: hexToBytes('c3ef9cd2'), forkNext: 0n } }, key);
    const dump = devp2p('enrdump', enr.toText());
    expect(dump).not.toContain('INVALID');
    expect(dump).toContain(`Node ID: ${bytesToHex(enr.nodeId)}`);
    expect(dump).toContain('Record has sequence number 77 and 9 key/value pairs.');
    for (const [k, v] of [['ip', '127.0.0.9'], ['ip6', '::1'], ['tcp', '30303'], ['udp', '30304'], ['tcp6', '30305'], ['udp6', '30306']]) {
      expect(dump).toMatch(new RegExp(`"${k}"\\s+${v.replace(/\./g, '\\.')}\\n`));
    }
    expect(dump).toMatch(/"eth"\s+/);
    // A record changed after signing is refused by geth as by us.
    const items = RLP.decode(enr.raw) as Uint8Array[];
    items[1] = Uint8Array.of(78);
    const forged = 'enr:' + base64urlnopad.encode(RLP.encode(items));
    expect(() => decodeEnr(forged)).toThrow(/signature/);
    // enrdump still prints the pairs of a record it refuses, under an INVALID line.
    const refused = devp2p('enrdump', forged);
    expect(refused).toMatch(/^INVALID: invalid signature on node record$/m);
    expect(refused).not.toContain('Node ID');
  });

  it("decodes a running geth's own record, its eth entry the fork id of its genesis", async () => {
    const geth = await startGeth(bin!);
    try {
      const info = await geth.rpc<{ enr: string; enode: string; protocols: { eth: { genesis: string } } }>('admin_nodeInfo');
      const enr = decodeEnr(info.enr);
      expect(bytesToHex(enr.publicKey)).toBe(geth.id);
      expect(enr).toMatchObject({ ip: '127.0.0.1', tcp: geth.port });
      expect([...enr.pairs.keys()]).toEqual(['eth', 'id', 'ip', 'secp256k1', 'snap', 'tcp']);
      // EIP-2124: with every fork at genesis, the fork hash is CRC32 of the genesis hash, next 0.
      const crc = crc32(hexToBytes(info.protocols.eth.genesis));
      expect(enr.eth).toEqual({ forkHash: hexToBytes(crc.toString(16).padStart(8, '0')), forkNext: 0n });
      expect(enr.toEnode()).toBe(info.enode.replace(/\?discport=0$/, '')); // geth prints an absent UDP port as 0
    } finally {
      await geth.stop();
    }
  });

  it('our tree builder makes the tree devp2p dns sign makes from the same 200 records (chunks of 13, sorted by id)', () => {
    const treeDir = join(dir, 'same-tree');
    rmSync(treeDir, { recursive: true, force: true });
    mkdirSync(treeDir, { recursive: true });
    const enrs = Array.from({ length: 200 }, (_, i) => encodeEnr({ ip: '127.0.0.1', tcp: 32000 + i, udp: 32000 + i }, generatePrivateKey()));
    writeFileSync(join(treeDir, 'nodes.json'), JSON.stringify(Object.fromEntries(enrs.map((e) => [bytesToHex(e.nodeId), { seq: Number(e.seq), record: e.toText() }]))));
    const key = generatePrivateKey();
    writeFileSync(join(dir, 'same.key'), keystore(key, 'test'));
    execFileSync(bin!.devp2p, ['dns', 'sign', '--domain', 'same.test', '--seq', '3', treeDir, join(dir, 'same.key')], { input: 'test\n', stdio: ['pipe', 'pipe', 'pipe'] });
    devp2p('dns', 'to-txt', treeDir, join(treeDir, 'txt.json'));
    const theirs = JSON.parse(readFileSync(join(treeDir, 'txt.json'), 'utf8')) as Record<string, string>;
    const ours = buildDnsTree({ domain: 'same.test', privateKey: key, seq: 3, enrs: [...enrs].reverse() });
    // Every entry but the root (whose signature differs) is the same, under the same name.
    const strip = (m: Iterable<[string, string]>): [string, string][] => [...m].filter(([n]) => n.toLowerCase() !== 'same.test').map(([n, t]) => [n.toLowerCase(), t] as [string, string]).sort();
    expect(strip(ours.records)).toEqual(strip(Object.entries(theirs)));
    // So the roots name the same subtrees.
    const rootOf = (t: string): string => t.replace(/ sig=.*$/, '');
    expect(rootOf(ours.root)).toBe(rootOf(theirs['same.test']!));
  });

  describe('a tree signed by devp2p dns sign, served on 127.0.0.1', () => {
    let server: DnsServer;
    afterAll(async () => {
      await server?.close();
    });

    it('walks to every record, through a link to a tree of ours, with no error', async () => {
      const treeKey = generatePrivateKey();
      const enrs = Array.from({ length: 40 }, (_, i) => encodeEnr({ ip: '127.0.0.1', tcp: 31000 + i, udp: 31000 + i }, generatePrivateKey()));
      const ours = buildDnsTree({ domain: 'ours.test', privateKey: generatePrivateKey(), enrs: enrs.slice(30) });
      const treeDir = join(dir, 'tree');
      rmSync(treeDir, { recursive: true, force: true });
      mkdirSync(treeDir, { recursive: true });
      const nodes = Object.fromEntries(enrs.slice(0, 30).map((e) => [bytesToHex(e.nodeId), { seq: Number(e.seq), record: e.toText() }]));
      writeFileSync(join(treeDir, 'nodes.json'), JSON.stringify(nodes));
      writeFileSync(join(treeDir, 'enrtree-info.json'), JSON.stringify({ links: [ours.url] }));
      writeFileSync(join(dir, 'tree.key'), keystore(treeKey, 'test'));
      execFileSync(bin!.devp2p, ['dns', 'sign', '--domain', 'geth.test', '--seq', '5', treeDir, join(dir, 'tree.key')], { input: 'test\n', stdio: ['pipe', 'pipe', 'pipe'] });
      const info = JSON.parse(readFileSync(join(treeDir, 'enrtree-info.json'), 'utf8')) as { url: string; seq: number };
      devp2p('dns', 'to-txt', treeDir, join(treeDir, 'txt.json'));
      const txt = JSON.parse(readFileSync(join(treeDir, 'txt.json'), 'utf8')) as Record<string, string>;

      const zone = new Map<string, string[]>(Object.entries(txt).map(([name, text]) => [name.toLowerCase(), [text]]));
      for (const [name, text] of ours.records) zone.set(name, [text]);
      server = await startDnsServer(zone);
      const walk = walkDnsTrees([info.url], { servers: [server.address], timeout: 1000, tries: 1 });
      const found: TreeNode[] = [];
      for await (const n of walk) found.push(n);

      expect(walk.errors).toEqual([]);
      expect(info.seq).toBe(5);
      expect(found.map((n) => n.enr.toText()).sort()).toEqual(enrs.map((e) => e.toText()).sort());
      const fromGeth = found.filter((n) => n.tree.domain === 'geth.test');
      expect(fromGeth.length).toBe(30);
      expect(fromGeth[0]!.tree).toMatchObject({ url: info.url, seq: 5, depth: 0 });
      expect(found.filter((n) => n.tree.domain === 'ours.test').every((n) => n.tree.depth === 1)).toBe(true);
      expect(Object.keys(txt).length).toBeGreaterThan(31); // 30 leaves, branches, link and root
    });
  });
});
