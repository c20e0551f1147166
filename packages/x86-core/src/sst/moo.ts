/**
 * Parser for the SingleStepTests "MOO" format (../shared/testdata/sst-80286/README.md): a header,
 * then chunks `tag[4] u32 length body`; a TEST chunk holds NAME, BYTS, INIT, FINA, EXCP, HASH.
 * Input is the decompressed file.
 */
import { X86Error } from '../errors.js';

/** Register names in REGS bitmask order. */
export const MOO_REGS = [
  'ax',
  'bx',
  'cx',
  'dx',
  'cs',
  'ss',
  'ds',
  'es',
  'sp',
  'bp',
  'si',
  'di',
  'ip',
  'flags',
] as const;

/** One register/RAM state (INIT is complete; FINA lists only what changed). */
export interface MooState {
  /** Register values by index in {@link MOO_REGS}; undefined = not listed. */
  readonly regs: (number | undefined)[];
  /** RAM bytes as [address, value] pairs. */
  readonly ram: [number, number][];
}

/** One test. */
export interface MooTest {
  readonly index: number;
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly init: MooState;
  readonly final: MooState;
  /** Exception taken: vector and the linear address of the pushed FLAGS word. */
  readonly exception: { readonly vector: number; readonly flagsAddress: number } | undefined;
  /** Test id (hex). */
  readonly hash: string;
}

/** A parsed file. */
export interface MooFile {
  readonly cpu: string;
  readonly version: number;
  readonly tests: MooTest[];
}

class Reader {
  constructor(
    readonly d: Uint8Array,
    readonly v: DataView,
  ) {}
  u8(p: number): number {
    return this.d[p] ?? 0;
  }
  u16(p: number): number {
    return this.v.getUint16(p, true);
  }
  u32(p: number): number {
    return this.v.getUint32(p, true);
  }
  tag(p: number): string {
    return String.fromCharCode(this.u8(p), this.u8(p + 1), this.u8(p + 2), this.u8(p + 3));
  }
}

function bad(msg: string): never {
  throw new X86Error('BAD_IMAGE', `MOO: ${msg}`);
}

/** Parses a decompressed MOO file. Throws `BAD_IMAGE` on malformed input. */
export function parseMoo(data: Uint8Array): MooFile {
  const r = new Reader(data, new DataView(data.buffer, data.byteOffset, data.byteLength));
  if (data.length < 8 || r.tag(0) !== 'MOO ') bad('missing "MOO " magic');
  const hlen = r.u32(4);
  if (8 + hlen > data.length || hlen < 12) bad('truncated header');
  const version = r.u8(8);
  const cpu = String.fromCharCode(r.u8(16), r.u8(17), r.u8(18), r.u8(19)).trim();
  const tests: MooTest[] = [];
  let p = 8 + hlen;
  while (p + 8 <= data.length) {
    const tag = r.tag(p);
    const len = r.u32(p + 4);
    const body = p + 8;
    const end = body + len;
    if (end > data.length) bad(`chunk ${tag} overruns the file`);
    if (tag === 'TEST') tests.push(parseTest(r, body, end));
    p = end;
  }
  return { cpu, version, tests };
}

function parseTest(r: Reader, start: number, end: number): MooTest {
  const index = r.u32(start);
  let name = '';
  let bytes = new Uint8Array(0);
  let init: MooState = { regs: [], ram: [] };
  let final: MooState = { regs: [], ram: [] };
  let exception: MooTest['exception'];
  let hash = '';
  let p = start + 4;
  while (p + 8 <= end) {
    const tag = r.tag(p);
    const len = r.u32(p + 4);
    const b = p + 8;
    if (b + len > end) bad(`sub-chunk ${tag} overruns test ${index}`);
    switch (tag) {
      case 'NAME': {
        const n = r.u32(b);
        name = String.fromCharCode(...r.d.subarray(b + 4, b + 4 + n));
        break;
      }
      case 'BYTS': {
        const n = r.u32(b);
        bytes = r.d.slice(b + 4, b + 4 + n);
        break;
      }
      case 'INIT':
        init = parseState(r, b, b + len);
        break;
      case 'FINA':
        final = parseState(r, b, b + len);
        break;
      case 'EXCP':
        exception = { vector: r.u8(b), flagsAddress: r.u32(b + 1) };
        break;
      case 'HASH':
        hash = Array.from(r.d.subarray(b, b + len), (x) => x.toString(16).padStart(2, '0')).join('');
        break;
      default:
        break;
    }
    p = b + len;
  }
  return { index, name, bytes, init, final, exception, hash };
}

function parseState(r: Reader, start: number, end: number): MooState {
  const regs: (number | undefined)[] = new Array<number | undefined>(MOO_REGS.length).fill(undefined);
  const ram: [number, number][] = [];
  let p = start;
  while (p + 8 <= end) {
    const tag = r.tag(p);
    const len = r.u32(p + 4);
    const b = p + 8;
    if (tag === 'REGS') {
      const mask = r.u16(b);
      let q = b + 2;
      for (let k = 0; k < MOO_REGS.length; k++) {
        if ((mask & (1 << k)) !== 0) {
          regs[k] = r.u16(q);
          q += 2;
        }
      }
    } else if (tag === 'RAM ') {
      const n = r.u32(b);
      for (let k = 0; k < n; k++) ram.push([r.u32(b + 4 + 5 * k), r.u8(b + 8 + 5 * k)]);
    }
    p = b + len;
  }
  return { regs, ram };
}
