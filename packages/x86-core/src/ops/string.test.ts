import { describe, expect, it } from 'vitest';
import { exec } from '../../test/harness.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const mov = (op: number, v: number): number[] => [op, ...le32(v)];

describe('string instructions', () => {
  it('REP MOVSB copies ECX bytes forward and updates ESI/EDI/ECX', () => {
    const m = exec([...mov(0xbe, 0x2000), ...mov(0xbf, 0x3000), ...mov(0xb9, 10), 0xf3, 0xa4], 'pm32', (mm) =>
      mm.mem.write(
        0x2000,
        Uint8Array.from({ length: 10 }, (_, k) => k + 1),
      ),
    );
    expect(Array.from(m.mem.read(0x3000, 10))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([m.cpu.r32[6], m.cpu.r32[7], m.cpu.r32[1]]).toEqual([0x200a, 0x300a, 0]);
  });
  it('STD + REP STOSD fills backwards', () => {
    const m = exec([0xfd, ...mov(0xbf, 0x3008), ...mov(0xb8, 0xdeadbeef), ...mov(0xb9, 3), 0xf3, 0xab, 0xfc]);
    expect([m.mem.read32(0x3000), m.mem.read32(0x3004), m.mem.read32(0x3008)].map((v) => v >>> 0)).toEqual([
      0xdeadbeef, 0xdeadbeef, 0xdeadbeef,
    ]);
    expect(m.cpu.r32[7]).toBe(0x3008 - 12);
  });
  it('REPNE SCASB stops after the match', () => {
    const m = exec([...mov(0xbf, 0x2000), ...mov(0xb9, 100), 0xb0, 0x42, 0xf2, 0xae], 'pm32', (mm) =>
      mm.mem.write(0x2000, Uint8Array.from([1, 2, 3, 0x42, 5])),
    );
    expect([m.cpu.r32[7], m.cpu.r32[1], m.cpu.getEflags() & 0x40]).toEqual([0x2004, 96, 0x40]);
  });
  it('REPE CMPSB stops at the first difference', () => {
    const m = exec(
      [...mov(0xbe, 0x2000), ...mov(0xbf, 0x3000), ...mov(0xb9, 8), 0xf3, 0xa6],
      'pm32',
      (mm) => {
        mm.mem.write(0x2000, Uint8Array.from([1, 2, 3, 4]));
        mm.mem.write(0x3000, Uint8Array.from([1, 2, 9, 4]));
      },
    );
    expect([m.cpu.r32[6], m.cpu.r32[1], m.cpu.getEflags() & 0x40]).toEqual([0x2003, 5, 0]);
  });
  it('a repeat count of zero does nothing', () => {
    const m = exec([...mov(0xbf, 0x3000), ...mov(0xb9, 0), 0xf3, 0xaa]);
    expect(m.cpu.r32[7]).toBe(0x3000);
  });
  it('16-bit address size uses CX/SI/DI and wraps at 64 KiB', () => {
    // a16 rep movsb with SI = 0xffff, CX = 2 in flat 32-bit code: SI wraps to 0x0001
    const m = exec([0xbe, 0xff, 0xff, 0, 0, ...mov(0xbf, 0x3000), ...mov(0xb9, 0x10002), 0x67, 0xf3, 0xa4]);
    expect([m.cpu.r32[6], m.cpu.r32[1]]).toEqual([1, 0x10000]);
  });
  it('a fault mid-way leaves the completed iterations (REP STOSB into a read-only segment end)', () => {
    // DS/ES limit 0x2fff (byte-granular): stos from 0x2ffe with ECX=4 → two bytes, then #GP
    let vector = -1;
    const m = exec([...mov(0xbf, 0x2ffe), ...mov(0xb9, 4), 0xb0, 0x77, 0xf3, 0xaa], 'pm32', (mm) => {
      mm.cpu.loadSegmentCache(0, 0x10, 0, 0x2fff, 0x493);
      mm.cpu.eventInterceptor = (c, v) => {
        vector = v;
        c.halt();
        return true;
      };
    });
    expect(vector).toBe(13);
    expect([m.cpu.r32[7], m.cpu.r32[1]]).toEqual([0x3000, 2]);
    expect(m.mem.read(0x2ffe, 2)).toEqual(Uint8Array.from([0x77, 0x77]));
  });
});

describe('REP bulk paths and large counts', () => {
  const le32b = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  it('REP MOVSD over several pages copies everything and counts one execution per page chunk', () => {
    // 3 pages of dwords from 0x10000 to 0x20800 (the destination is not page aligned)
    const m = exec(
      [0xbe, ...le32b(0x10000), 0xbf, ...le32b(0x20800), 0xb9, ...le32b(3 * 1024), 0xf3, 0xa5],
      'pm32',
      (mm) => {
        for (let k = 0; k < 3 * 1024; k++) mm.mem.write32(0x10000 + 4 * k, k * 7);
      },
    );
    for (let k = 0; k < 3 * 1024; k++) expect(m.mem.read32(0x20800 + 4 * k)).toBe(k * 7);
    expect([m.cpu.r32[6], m.cpu.r32[7], m.cpu.r32[1]]).toEqual([0x13000, 0x23800, 0]);
    // 3 movs + one execution per chunk: each ends where the source or the destination reaches a
    // page end, every 512 dwords here (the two are half a page apart) → 6 executions, + hlt
    expect(m.cpu.retired).toBe(3 + 6 + 1);
  });
  it('REP STOSD fills with the word value; backwards too', () => {
    const m = exec([0xbf, ...le32b(0x30000), 0xb8, ...le32b(0xa5a5a5a5), 0xb9, ...le32b(2048), 0xf3, 0xab]);
    expect(m.mem.read32(0x30000) >>> 0).toBe(0xa5a5a5a5);
    expect(m.mem.read32(0x31ffc) >>> 0).toBe(0xa5a5a5a5);
    expect(m.mem.read32(0x32000)).toBe(0);
  });
  it('treats ECX above 2^31 as unsigned (a32)', () => {
    // rep stosb with ECX = 0x80000001 into a segment whose limit stops it after 16 bytes: #GP,
    // with ECX decremented by exactly the bytes written.
    let vector = -1;
    const m = exec([0xbf, ...le32b(0x2ff0), 0xb9, ...le32b(0x80000001), 0xf3, 0xaa], 'pm32', (mm) => {
      mm.cpu.loadSegmentCache(0, 0x10, 0, 0x2fff, 0x493);
      mm.cpu.eventInterceptor = (c, v) => {
        vector = v;
        c.halt();
        return true;
      };
    });
    expect(vector).toBe(13);
    expect(m.cpu.r32[1]! >>> 0).toBe(0x80000001 - 16);
  });
});
