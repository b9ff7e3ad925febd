/**
 * Zip bombs made from real weights files and checkpoints, for the tests that check they are
 * refused quickly and in little memory (test/io-zip-bombs.test.ts, the CLI and page rows, the
 * fuzzer): an entry whose deflate stream inflates to a gigabyte, and archives whose central
 * directory points several entries at one such stream. Only the compressed bytes are ever held:
 * the deflate stream of N zeros is written bit by bit (deflatePrefixAndZeros), and the CRC-32 of N
 * zeros is computed, not fed (multiplication by x^8N modulo the CRC polynomial).
 */
import { unzipSync } from 'fflate';
import { crc32 } from '../../src/io/crc32.js';
import { readNpyArrayHeader, writeNpyHeader } from '../../src/io/npy.js';
import { concat } from './bytes.js';

export const MiB = 1024 * 1024;

/** How the central directory describes a bomb entry (see inflatingEntry). */
export type BombKind = 'declared' | 'consistent' | 'overlong';
export const BOMB_KINDS: readonly BombKind[] = ['declared', 'consistent', 'overlong'];

/** One entry's bytes as written once in the archive. */
export interface ZipPart {
  name: string;
  /** 0 stored, 8 deflated. */
  method: 0 | 8;
  data: Uint8Array;
  /** What the central directory declares: the CRC-32 and size of the content. */
  crc: number;
  size: number;
}

/** Bits written least significant first, as deflate packs them; the buffer starts zeroed. */
class BitWriter {
  readonly bytes: Uint8Array;
  private at = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  /** `count` bits of `value`, lowest first (header fields, extra bits). */
  bits(value: number, count: number): void {
    for (let i = 0; i < count; i++, this.at++) if ((value >>> i) & 1) this.bytes[this.at >>> 3] |= 1 << (this.at & 7);
  }

  /** A Huffman code of `length` bits, its highest bit first. */
  code(code: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) this.bits((code >>> i) & 1, 1);
  }

  /** `count` zero bits. */
  zeros(count: number): void {
    this.at += count;
  }

  /** Bytes as they are, from the next byte boundary. */
  raw(data: Uint8Array): void {
    this.at = Math.ceil(this.at / 8) * 8;
    this.bytes.set(data, this.at / 8);
    this.at += data.length * 8;
  }

  done(): Uint8Array {
    return this.bytes.slice(0, Math.ceil(this.at / 8));
  }
}

/**
 * A raw deflate stream of `prefix` then `zeros` zero bytes, at deflate's best ratio (1032:1),
 * without holding the zeros: the prefix in stored blocks, then one dynamic Huffman block whose
 * codes are 1 bit for "copy 258 bytes" and 1 bit for "at distance 1", both 0, so the stream of a
 * gigabyte of zeros is a megabyte of zero bytes between a few bytes of header and trailer. One
 * block and no stored blocks in it, as an attacker would write it.
 */
export function deflatePrefixAndZeros(prefix: Uint8Array, zeros: number): Uint8Array {
  const copies = zeros > 0 ? Math.floor((zeros - 1) / 258) : 0;
  const literals = zeros > 0 ? zeros - copies * 258 : 0;
  const out = new BitWriter(prefix.length + 5 * Math.ceil(prefix.length / 0xffff) + Math.ceil((2 * copies + 2 * literals) / 8) + 64);
  for (let at = 0; at < prefix.length; at += 0xffff) {
    const piece = prefix.subarray(at, at + 0xffff);
    out.bits(0, 3); // not final, stored
    out.raw(new Uint8Array([piece.length & 0xff, piece.length >>> 8, ~piece.length & 0xff, (~piece.length >>> 8) & 0xff]));
    out.raw(piece);
  }
  out.bits(1, 1); // final
  out.bits(2, 2); // dynamic Huffman codes
  out.bits(286 - 257, 5); // literal/length codes 0..285
  out.bits(1 - 1, 4 + 1); // one distance code
  out.bits(18 - 4, 4); // code length code lengths, in the format's order, up to that of length 1
  // The code length code: 18 (a run of zeros) 1 bit "0"; lengths 1 and 2 two bits, "10" and "11".
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1];
  for (const symbol of order) out.bits(symbol === 18 ? 1 : symbol === 1 || symbol === 2 ? 2 : 0, 3);
  const length = (value: 1 | 2) => out.code(value === 1 ? 0b10 : 0b11, 2);
  const zeroRun = (run: number) => (out.code(0, 1), out.bits(run - 11, 7));
  // Literal 0: 2 bits; literals 1..255: none; end of block (256): 2 bits; lengths 257..284: none;
  // length 258 (285): 1 bit; distance code 0 (distance 1): 1 bit.
  length(2);
  zeroRun(138);
  zeroRun(117);
  length(2);
  zeroRun(28);
  length(1);
  length(1);
  // Canonical codes: 285 is "0", literal 0 is "10", end of block "11"; distance 1 is "0".
  for (let i = 0; i < literals; i++) out.code(0b10, 2);
  out.zeros(2 * copies);
  out.code(0b11, 2);
  return out.done();
}

const POLY = 0xedb88320;

/** a(x) b(x) modulo the CRC-32 polynomial, both in zlib's reflected form (zlib's multmodp). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..31. */
const X_2K = ((): number[] => {
  const table = [0x40000000];
  for (let k = 1; k < 32; k++) table.push(multModP(table[k - 1], table[k - 1]));
  return table;
})();

/** CRC-32 of what `crc` covers followed by `n` zero bytes: the register times x^(8n). */
export function crc32WithZeros(crc: number, n: number): number {
  let power = 0x80000000;
  for (let k = 3, rest = n; rest > 0; k++, rest = Math.floor(rest / 2)) if (rest % 2 === 1) power = multModP(X_2K[k & 31], power);
  return ~multModP(power, ~crc >>> 0) >>> 0;
}

/**
 * An archive of `parts`, each written once, stored or deflated as given; `central` lists the
 * central directory's entries, each pointing at a part (several may point at the same one) under
 * its own name (by default, one entry per part, as it is).
 */
export function buildZip(parts: readonly ZipPart[], central: readonly { part: number; name?: string }[] = parts.map((_, part) => ({ part }))): Uint8Array {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const offsets: number[] = [];
  let at = 0;
  const header = (size: number, fill: (view: DataView) => void) => {
    const bytes = new Uint8Array(size);
    fill(new DataView(bytes.buffer));
    return bytes;
  };
  // The fields local and central headers share, from the compression method on (at 8 and 10).
  const shared = (v: DataView, at: number, part: ZipPart, nameLength: number) => {
    v.setUint16(at, part.method, true);
    v.setUint32(at + 6, part.crc, true);
    v.setUint32(at + 10, part.data.length, true);
    v.setUint32(at + 14, part.size, true);
    v.setUint16(at + 18, nameLength, true);
  };
  for (const part of parts) {
    const name = encoder.encode(part.name);
    offsets.push(at);
    const local = header(30, (v) => {
      v.setUint32(0, 0x04034b50, true);
      v.setUint16(4, 20, true);
      shared(v, 8, part, name.length);
    });
    chunks.push(local, name, part.data);
    at += local.length + name.length + part.data.length;
  }
  const cdOffset = at;
  for (const { part: index, name: given } of central) {
    const part = parts[index];
    const name = encoder.encode(given ?? part.name);
    const entry = header(46, (v) => {
      v.setUint32(0, 0x02014b50, true);
      v.setUint16(4, 20, true);
      v.setUint16(6, 20, true);
      shared(v, 10, part, name.length);
      v.setUint32(42, offsets[index], true);
    });
    chunks.push(entry, name);
    at += entry.length + name.length;
  }
  chunks.push(
    header(22, (v) => {
      v.setUint32(0, 0x06054b50, true);
      v.setUint16(8, central.length, true);
      v.setUint16(10, central.length, true);
      v.setUint32(12, at - cdOffset, true);
      v.setUint32(16, cdOffset, true);
    }),
  );
  return concat(chunks);
}

/** The entries of `zip` as stored parts, in order. */
export function partsOf(zip: Uint8Array): ZipPart[] {
  return Object.entries(unzipSync(zip)).map(([name, content]) => ({ name, method: 0, data: content, crc: crc32(content), size: content.length }));
}

/**
 * A part named `name` whose stream inflates to `content` and then `mib` MiB of zeros, declared
 * (kind 'declared') as all of that, or ('overlong') as `content` alone, its CRC-32 too: the stream
 * runs on past what the directory declares. For 'consistent', pass a .npy header as `content`
 * whose shape holds exactly the zeros.
 */
function bombPart(name: string, content: Uint8Array, mib: number, declare: 'all' | 'content'): ZipPart {
  const data = deflatePrefixAndZeros(content, mib * MiB);
  const contentCrc = crc32(content);
  return declare === 'all'
    ? { name, method: 8, data, crc: crc32WithZeros(contentCrc, mib * MiB), size: content.length + mib * MiB }
    : { name, method: 8, data, crc: contentCrc, size: content.length };
}

/** A .npy header of `like`'s dtype (a .npy file's bytes) for a 1-D array of exactly `bytes` bytes. */
function headerHolding(like: Uint8Array, bytes: number): Uint8Array {
  const { dtype } = readNpyArrayHeader(like);
  const itemSize = Number(/\d+$/.exec(dtype)?.[0] ?? 1);
  return writeNpyHeader(dtype, [bytes / itemSize]);
}

/**
 * `zip` with its entry `name` replaced by one whose stream inflates to about `mib` MiB:
 * - 'declared': the directory declares all of it; the .npy header is the entry's own (the shape
 *   the file should hold), so the header implies far fewer bytes than the entry declares;
 * - 'consistent': the directory declares all of it and the header is rewritten to a 1-D array of
 *   it (of the entry's dtype): every size agrees, and only what the reader expects can refuse it;
 * - 'overlong': the directory declares the entry's own size and CRC, which its first bytes match;
 *   the stream runs on for `mib` MiB more (a reader that trusts its output buffer to stop it
 *   grinds through the whole stream).
 * A non-.npy entry (checkpoint.json) takes 'consistent' as 'declared'.
 */
export function inflatingEntry(zip: Uint8Array, name: string, kind: BombKind, mib = 1024): Uint8Array {
  const parts = partsOf(zip);
  const index = parts.findIndex((part) => part.name === name);
  if (index < 0) throw new Error(`no entry ${name}`);
  const own = parts[index].data;
  const consistent = kind === 'consistent' && name.endsWith('.npy');
  parts[index] = bombPart(name, consistent ? headerHolding(own, mib * MiB) : own, mib, kind === 'overlong' ? 'content' : 'all');
  return buildZip(parts);
}

/**
 * `zip` with the entries `names` all pointing at one stream, which inflates to a 1-D array (of
 * the first one's dtype) of `mib` MiB, each declaring all of it: a file of about `mib` KB that a
 * reader which inflates every entry expands to `names.length * mib` MiB.
 */
export function overlappingEntries(zip: Uint8Array, names: readonly string[], mib = 1024): Uint8Array {
  const all = partsOf(zip);
  const first = all.find((part) => part.name === names[0]);
  if (first === undefined) throw new Error(`no entry ${names[0]}`);
  const parts = all.filter((part) => !names.includes(part.name));
  parts.push(bombPart(names[0], headerHolding(first.data, mib * MiB), mib, 'all'));
  const shared = parts.length - 1;
  return buildZip(parts, [...parts.slice(0, -1).map((_, part) => ({ part })), ...names.map((name) => ({ part: shared, name }))]);
}
