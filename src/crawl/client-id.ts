/**
 * The client id of a Hello, read where it follows the usual shape
 *   Name[/identity]/vX.Y.Z[-suffix|+build][/os-arch[/lang]]
 * e.g. "Geth/v1.17.5-stable/linux-amd64/go1.26.8", "Nethermind/v1.25.4+20b10b35/linux-x64/dotnet8.0.2",
 * "reth/v1.1.0-1a5a3a2/x86_64-unknown-linux-gnu" (a Rust target triple in place of os-arch).
 */

export interface ClientId {
  /** As sent, for anything the fields below do not capture. */
  raw: string;
  name: string;
  /** geth's --identity, between name and version ("Geth/my-node/v1…"). */
  identity?: string;
  /** Major.minor.patch (or however many numeric parts it has), without the "v". */
  version: string;
  /** What follows the numbers: "-stable-c5ba367e", "+20b10b35", "-1a5a3a2". */
  versionSuffix?: string;
  os?: string;
  arch?: string;
  /** Language and its version as sent: "go1.26.8", "dotnet8.0.2", "openjdk-java-21". */
  lang?: string;
}

const VERSION = /^v?(\d+(?:\.\d+)*)([-+.~][\x21-\x7e]*)?$/;
/** Leading parts of a target triple (arch-vendor-os[-env]). */
const TRIPLE_ARCH = /^(x86_64|i[3-6]86|aarch64|arm\w*|riscv\d+\w*|powerpc\w*|ppc\w*|s390x|mips\w*|loongarch64|wasm32)$/;

/** Architecture names that some clients (old Nethermind: "X64-Microsoft Windows …") put first. */
const ARCH_FIRST = /^(x64|x86|arm64|arm)$/i;

function platform(part: string): { os: string; arch: string } | undefined {
  const pieces = part.split('-');
  if (pieces.length >= 3 && TRIPLE_ARCH.test(pieces[0]!)) {
    return { arch: pieces[0]!, os: pieces[2]! };
  }
  const dash = part.indexOf('-');
  if (dash <= 0 || dash === part.length - 1) return undefined;
  const first = part.slice(0, dash);
  const rest = part.slice(dash + 1).trim();
  return ARCH_FIRST.test(first) ? { os: rest, arch: first } : { os: first, arch: rest };
}

/** The parts of a client id, or undefined when it has no "Name/vX.Y…" at its start. */
export function parseClientId(clientId: string): ClientId | undefined {
  if (typeof clientId !== 'string') return undefined;
  const parts = clientId.trim().split('/');
  const name = parts[0]!;
  if (name === '' || parts.length < 2) return undefined;
  // The version is the second part, or the third when an identity sits between.
  let at = 1;
  if (!VERSION.test(parts[1]!) && parts.length >= 3 && VERSION.test(parts[2]!)) at = 2;
  const m = VERSION.exec(parts[at]!);
  if (!m) return undefined;
  const out: ClientId = { raw: clientId, name, version: m[1]! };
  if (at === 2) out.identity = parts[1]!;
  if (m[2]) out.versionSuffix = m[2];
  const plat = parts[at + 1] !== undefined ? platform(parts[at + 1]!) : undefined;
  if (plat) {
    out.os = plat.os;
    out.arch = plat.arch;
    const lang = parts.slice(at + 2).join('/');
    if (lang) out.lang = lang;
  }
  return out;
}
