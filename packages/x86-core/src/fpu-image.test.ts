import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exec, machine } from '../test/harness.js';
import { Cpu } from './cpu.js';
import {
  abridgedTagWord,
  FXSAVE_IMAGE_BYTES,
  FxsaveOffset,
  fullTagWord,
  fxsaveImage,
  readFxsaveImage,
  writeFxsaveImage,
} from './fpu-image.js';
import { PhysicalMemory } from './physical-memory.js';

function hex(b: Uint8Array, from: number, to: number): string {
  return Array.from(b.subarray(from, to), (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** Byte equality (cheaper than a deep `toEqual` inside a property; fast-check shows the input). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function freshCpu(): Cpu {
  return new Cpu({ memory: new PhysicalMemory({ size: 1 << 20 }) });
}

/** fninit; fldcw [0x2004]; fld1; fldpi; fild dword [0x2000]; hlt — with [0x2000] = 7, [0x2004] = 0x0f7f. */
const LOAD_CODE = [
  0xdb,
  0xe3, // fninit
  0xd9,
  0x2d,
  0x04,
  0x20,
  0x00,
  0x00, // fldcw [0x2004]
  0xd9,
  0xe8, // fld1
  0xd9,
  0xeb, // fldpi
  0xdb,
  0x05,
  0x00,
  0x20,
  0x00,
  0x00, // fild dword [0x2000]
];

function loaded(): Cpu {
  return exec(LOAD_CODE, 'pm32', (m) => {
    m.mem.write(0x2000, Uint8Array.of(7, 0, 0, 0, 0x7f, 0x0f));
  }).cpu;
}

describe('FXSAVE image of the x87 state (SDM vol. 1, Table 10-2)', () => {
  it('holds the fields of a real guest sequence, byte for byte', () => {
    const cpu = loaded();
    const img = fxsaveImage(cpu);
    expect(img.length).toBe(512);
    // FCW 0x0f7f (round toward zero), FSW TOP = 5, abridged FTW R5–R7 in use, FOP of FILD m32 (DB /0)
    expect(hex(img, 0, 8)).toBe('7f 0f 00 28 e0 00 05 03');
    // FIP = 0x100c (the FILD), FCS = 0x08; FDP = 0x2000, FDS = 0x10
    expect(hex(img, 8, 24)).toBe('0c 10 00 00 08 00 00 00 00 20 00 00 10 00 00 00');
    // MXCSR = 0x1f80, MXCSR_MASK = 0
    expect(hex(img, 24, 32)).toBe('80 1f 00 00 00 00 00 00');
    // ST0 = 7.0, ST1 = pi chopped (RC = toward zero), ST2 = 1.0; six reserved bytes each
    expect(hex(img, 32, 48)).toBe('00 00 00 00 00 00 00 e0 01 40 00 00 00 00 00 00');
    expect(hex(img, 48, 64)).toBe('34 c2 68 21 a2 da 0f c9 00 40 00 00 00 00 00 00');
    expect(hex(img, 64, 80)).toBe('00 00 00 00 00 00 00 80 ff 3f 00 00 00 00 00 00');
    // ST3–ST7 (empty, never written) and the SSE/reserved area are zero
    expect(img.subarray(80).every((b) => b === 0)).toBe(true);
    // writing the image leaves the state alone
    expect([cpu.fpu.top, cpu.fpu.tw, cpu.fpu.cw]).toEqual([5, 0x03ff, 0x0f7f]);
  });

  it('restores into another processor, where guest code goes on with it', () => {
    const img = fxsaveImage(loaded());
    // fstp qword [0x3000]; fstp qword [0x3008]; fnstcw [0x3010]; fnstsw ax; hlt
    const m = machine([
      0xdd, 0x1d, 0x00, 0x30, 0x00, 0x00, 0xdd, 0x1d, 0x08, 0x30, 0x00, 0x00, 0xd9, 0x3d, 0x10, 0x30, 0x00,
      0x00, 0xdf, 0xe0, 0xf4,
    ]);
    readFxsaveImage(m.cpu, img);
    m.cpu.run(100);
    const v = new DataView(m.mem.u8.buffer, m.mem.u8.byteOffset);
    expect(v.getFloat64(0x3000, true)).toBe(7);
    // pi chopped to 64 bits, then stored as a double rounded toward zero
    expect(v.getBigUint64(0x3008, true)).toBe(0x400921fb54442d18n); // Math.PI
    expect(v.getUint16(0x3010, true)).toBe(0x0f7f);
    expect(m.cpu.r16[0]).toBe(0x3820); // TOP = 7 after two pops, PE from rounding pi to a double
    expect(m.cpu.fpu.tw).toBe(0x3fff); // R7 (1.0) valid, the rest empty
  });

  it('rebuilds the full tag word from the abridged one and the register contents', () => {
    const img = new Uint8Array(512);
    const v = new DataView(img.buffer);
    v.setUint16(FxsaveOffset.FSW, 3 << 11, true); // TOP = 3: ST(i) is R((3 + i) & 7)
    v.setUint8(FxsaveOffset.FTW, 0xbf); // all in use but R6
    const st = (i: number, s: number, e: number, m: bigint): void => {
      v.setBigUint64(FxsaveOffset.ST0 + 16 * i, m, true);
      v.setUint16(FxsaveOffset.ST0 + 16 * i + 8, (s << 15) | e, true);
    };
    st(5, 0, 0x3fff, 1n << 63n); // R0: 1.0 → valid
    st(6, 1, 0, 0n); // R1: -0 → zero
    st(7, 0, 0x7fff, 1n << 63n); // R2: infinity → special
    st(0, 0, 0, 1n); // R3: denormal → special
    st(1, 0, 0x3fff, 1n << 62n); // R4: unnormal → special
    st(2, 0, 0x7fff, 3n << 62n); // R5: NaN → special
    st(3, 0, 0x3fff, 1n << 63n); // R6: a value, but empty by the abridged tag
    st(4, 0, 0x4000, 0xc90fdaa22168c235n); // R7: pi → valid
    const cpu = freshCpu();
    readFxsaveImage(cpu, img);
    expect(cpu.fpu.top).toBe(3);
    expect(cpu.fpu.tw.toString(16)).toBe('3aa4');
    expect(cpu.fpu.regs[0]).toEqual({ s: 0, e: 0x3fff, m: 1n << 63n });
    expect(cpu.fpu.get(0)).toEqual({ s: 0, e: 0, m: 1n });
    expect(cpu.fpu.isEmpty(3)).toBe(true);
    // and back: the abridged tag is what was loaded
    expect(fxsaveImage(cpu)[FxsaveOffset.FTW]).toBe(0xbf);
  });

  it('converts between full and abridged tag words', () => {
    expect(abridgedTagWord(0xffff)).toBe(0);
    expect(abridgedTagWord(0x0000)).toBe(0xff);
    expect(abridgedTagWord(0x5555)).toBe(0xff);
    expect(abridgedTagWord(0xaaaa)).toBe(0xff);
    expect(abridgedTagWord(0x3fff)).toBe(0x80);
    expect(abridgedTagWord(0xfffc)).toBe(0x01);
    const zeros = Array.from({ length: 8 }, () => ({ s: 0, e: 0, m: 0n }));
    expect(fullTagWord(0, zeros)).toBe(0xffff);
    expect(fullTagWord(0xff, zeros)).toBe(0x5555);
    expect(fullTagWord(0x81, zeros)).toBe(0x7ffd);
  });

  it('ignores MXCSR, the SSE area and reserved bytes, and rejects a short buffer', () => {
    const a = fxsaveImage(loaded());
    const b = a.slice();
    b.fill(0xaa, 160); // XMM and reserved
    b[FxsaveOffset.MXCSR] = 0xff;
    b[5] = 0x55;
    const cpu = freshCpu();
    readFxsaveImage(cpu, b);
    expect(fxsaveImage(cpu)).toEqual(a);
    // at an offset inside a larger buffer (a UTCB page)
    const page = new Uint8Array(4096);
    writeFxsaveImage(cpu, page, 0x258);
    expect(page.subarray(0x258, 0x258 + 512)).toEqual(a);
    expect(() => writeFxsaveImage(cpu, new Uint8Array(511))).toThrow(RangeError);
    expect(() => readFxsaveImage(cpu, page, 4096 - 511)).toThrow(RangeError);
  });

  it('image → state → image is stable for any 512 bytes, exact for canonical images', () => {
    const cpu = freshCpu();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: FXSAVE_IMAGE_BYTES, maxLength: FXSAVE_IMAGE_BYTES }), (raw) => {
        readFxsaveImage(cpu, raw);
        const once = fxsaveImage(cpu);
        readFxsaveImage(cpu, once);
        return sameBytes(fxsaveImage(cpu), once);
      }),
      { seed: 0x5eed, numRuns: 300 },
    );
    const reg = fc.record({
      s: fc.integer({ min: 0, max: 1 }),
      e: fc.integer({ min: 0, max: 0x7fff }),
      m: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    });
    fc.assert(
      fc.property(
        fc.record({
          cw: fc.integer({ min: 0, max: 0xffff }).map((x) => (x & 0x1f7f) | 0x40),
          sw: fc.integer({ min: 0, max: 0xffff }),
          ftw: fc.integer({ min: 0, max: 0xff }),
          fop: fc.integer({ min: 0, max: 0x7ff }),
          fip: fc.integer({ min: 0, max: 0xffffffff }),
          fcs: fc.integer({ min: 0, max: 0xffff }),
          fdp: fc.integer({ min: 0, max: 0xffffffff }),
          fds: fc.integer({ min: 0, max: 0xffff }),
          st: fc.array(reg, { minLength: 8, maxLength: 8 }),
        }),
        (x) => {
          const img = new Uint8Array(512);
          const v = new DataView(img.buffer);
          v.setUint16(0, x.cw, true);
          v.setUint16(2, x.sw, true);
          v.setUint8(4, x.ftw);
          v.setUint16(6, x.fop, true);
          v.setUint32(8, x.fip, true);
          v.setUint16(12, x.fcs, true);
          v.setUint32(16, x.fdp, true);
          v.setUint16(20, x.fds, true);
          v.setUint32(24, 0x1f80, true);
          x.st.forEach((r, i) => {
            v.setBigUint64(32 + 16 * i, r.m, true);
            v.setUint16(40 + 16 * i, (r.s << 15) | r.e, true);
          });
          readFxsaveImage(cpu, img);
          return sameBytes(fxsaveImage(cpu), img);
        },
      ),
      { seed: 0xf9, numRuns: 300 },
    );
  });
});
