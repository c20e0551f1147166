/**
 * The vCPU's x87 state through NOVA's MTD FPU bit (spec/nova.md §5.2 bit 31, §3.11 ec_ctrl ops
 * 6/7) with real guest code on x86VcpuEngine: the exit message carries the guest's FPU state as
 * the 512-byte FXSAVE image at UTCB page offset 0x258, a reply or a set-state with the bit loads
 * it into the guest, and guest code goes on with what the VMM wrote.
 */
import { SvmExit } from '@genode-ts/x86-core';
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../constants.js';
import type { Blocking } from '../kernel-entry.js';
import { Mtd } from '../mtd.js';
import type { Sys } from '../sys.js';
import { UTCB_FPU } from '../utcb.js';
import { flatState, hex, mapReply, runX86, VCPU, VMM_MTD, vmm, vmmPages } from './x86-harness.js';

const FRAME = 0x1900;
const VMM_PAGE = 0x800;
/** The guest's page: code at 0x1000, constants at 0x1100, results at 0x1200. */
const GPA_PAGE = 1;

/**
 *  0x1000  db e3               fninit
 *  0x1002  d9 2d 04 11 00 00   fldcw [0x1104]        ; 0x0f7f: round toward zero
 *  0x1008  d9 e8               fld1
 *  0x100a  d9 eb               fldpi
 *  0x100c  db 05 00 11 00 00   fild dword [0x1100]   ; 7
 *  0x1012  f4                  hlt                   ; exit 1: ST0 = 7, ST1 = pi, ST2 = 1
 *  0x1013  dd 1d 00 12 00 00   fstp qword [0x1200]
 *  0x1019  dd 1d 08 12 00 00   fstp qword [0x1208]
 *  0x101f  d9 3d 10 12 00 00   fnstcw [0x1210]
 *  0x1025  f4                  hlt                   ; exit 2
 */
function image(): Uint8Array {
  const b = new Uint8Array(PAGE_SIZE);
  b.set(
    [
      0xdb, 0xe3, 0xd9, 0x2d, 0x04, 0x11, 0x00, 0x00, 0xd9, 0xe8, 0xd9, 0xeb, 0xdb, 0x05, 0x00, 0x11, 0x00,
      0x00, 0xf4, 0xdd, 0x1d, 0x00, 0x12, 0x00, 0x00, 0xdd, 0x1d, 0x08, 0x12, 0x00, 0x00, 0xd9, 0x3d, 0x10,
      0x12, 0x00, 0x00, 0xf4,
    ],
    0,
  );
  b.set([7, 0, 0, 0, 0x7f, 0x0f], 0x100);
  return b;
}

const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** ST(i) of an FXSAVE image as `sign exponent significand` (hex). */
function st(img: Uint8Array, i: number): string {
  const v = new DataView(img.buffer, img.byteOffset + 32 + 16 * i, 10);
  const se = v.getUint16(8, true);
  return `${se >> 15} ${hex(se & 0x7fff)} ${v.getBigUint64(0, true).toString(16)}`;
}

/** Set ST(i) of an FXSAVE image. */
function setSt(img: Uint8Array, i: number, s: number, e: number, m: bigint): void {
  const v = new DataView(img.buffer, img.byteOffset + 32 + 16 * i, 10);
  v.setBigUint64(0, m, true);
  v.setUint16(8, (s << 15) | e, true);
}

/** The guest's results (fstp qword ×2, fnstcw) read back through the kernel. */
function* results(s: Sys): Blocking<string[]> {
  const r = yield* s.readBytes(VMM_PAGE * PAGE_SIZE + 0x200, 18);
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return [v.getFloat64(0, true).toString(), v.getBigUint64(8, true).toString(16), hex(v.getUint16(16, true))];
}

function skip(s: Sys): void {
  s.utcb.rip = s.utcb.rip + s.utcb.get('instLen');
}

describe('MTD FPU: the guest x87 state as the FXSAVE image in the UTCB', () => {
  it('an exit with FPU carries the image at 0x258; a reply with FPU loads a changed ST0 into the guest', () => {
    const seen: string[] = [];
    const stored: string[][] = [];
    const mtds: number[] = [];
    runX86(function* (sys) {
      yield* vmmPages(sys, FRAME, VMM_PAGE, 1, image());
      yield* vmm(
        sys,
        function* (s, reason) {
          const u = s.utcb;
          if (reason === SvmExit.STARTUP) return flatState(s, 0x1000);
          if (reason === SvmExit.NPT_FAULT) {
            mapReply(s, VMM_PAGE, GPA_PAGE);
            return { mtd: 0 };
          }
          mtds.push(u.mtd >>> 0);
          const img = u.fpuImage();
          if (reason !== SvmExit.HLT) return undefined;
          if (seen.length === 0) {
            // exit 1: the state the guest built, as raw UTCB bytes at page offset 0x258
            const raw = new Uint8Array(u.view.buffer, u.view.byteOffset + u.base + UTCB_FPU, 32);
            seen.push(hexBytes(raw));
            seen.push(st(img, 0), st(img, 1), st(img, 2));
            setSt(img, 0, 1, 0x4000, 0xa000000000000000n); // ST0 := -2.5
            skip(s);
            return { mtd: Mtd.EIP | Mtd.FPU };
          }
          // exit 2: both popped; the control word as the guest left it
          seen.push(hexBytes(img.subarray(0, 6)));
          stored.push(yield* results(s));
          return { mtd: 0, sm: 0x52 };
        },
        { mtd: VMM_MTD | Mtd.FPU },
      );
    });
    expect(mtds.every((m) => m === (VMM_MTD | Mtd.FPU) >>> 0)).toBe(true);
    expect(seen).toEqual([
      // FCW 0f7f, FSW TOP=5, FTW R5–R7, FOP 305 (FILD m32), FIP 100c, FCS 08, FDP 1100, FDS 10, MXCSR 1f80
      '7f 0f 00 28 e0 00 05 03 0c 10 00 00 08 00 00 00 00 11 00 00 10 00 00 00 80 1f 00 00 00 00 00 00',
      '0 4001 e000000000000000', // 7
      '0 4000 c90fdaa22168c234', // pi rounded toward zero
      '0 3fff 8000000000000000', // 1
      '7f 0f 20 38 80 00', // PE (pi rounded to a double), TOP = 7, only R7 (1.0) left
    ]);
    // ST0 the VMM wrote, pi as a double, the control word unchanged
    expect(stored).toEqual([['-2.5', '400921fb54442d18', 'f7f']]);
  });

  it('ec_ctrl get/set vCPU state with MTD FPU reads and writes the image (op 6 / op 7)', () => {
    const log: string[] = [];
    const stored: string[][] = [];
    runX86(function* (sys) {
      yield* vmmPages(sys, FRAME, VMM_PAGE, 1, image());
      yield* vmm(sys, function* (s, reason) {
        const u = s.utcb;
        if (reason === SvmExit.STARTUP) return flatState(s, 0x1000);
        if (reason === SvmExit.NPT_FAULT) {
          mapReply(s, VMM_PAGE, GPA_PAGE);
          return { mtd: 0 };
        }
        if (reason !== SvmExit.HLT) return undefined;
        if (log.length === 0) {
          // the portal MTD (VMM_MTD) has no FPU: the exit left the area alone
          const img = u.fpuImage();
          img.fill(0xcc);
          skip(s);
          const rip = u.rip;
          log.push(`get ${yield* s.getVcpuState(VCPU, Mtd.FPU)} mtd=${hex(u.mtd >>> 0)}`);
          log.push(`FCW ${hex(img[0]! | (img[1]! << 8))} FSW ${hex(img[2]! | (img[3]! << 8))} ${st(img, 0)}`);
          // ST0 := 0.5, round to nearest, written by set-state; the reply itself carries no FPU
          setSt(img, 0, 0, 0x3ffe, 0x8000000000000000n);
          img[1] = 0x03;
          u.mtd = Mtd.FPU;
          log.push(`set ${yield* s.setVcpuState(VCPU)}`);
          u.rip = rip;
          return { mtd: Mtd.EIP };
        }
        stored.push(yield* results(s));
        log.push(`get ${yield* s.getVcpuState(VCPU, Mtd.FPU)}`);
        log.push(`FCW ${hex(u.fpuImage()[0]! | (u.fpuImage()[1]! << 8))} FTW ${hex(u.fpuImage()[4]!)}`);
        return { mtd: 0, sm: 0x52 };
      });
    });
    expect(log).toEqual([
      `get 0 mtd=${hex(Mtd.FPU)}`,
      'FCW f7f FSW 2800 0 4001 e000000000000000',
      'set 0',
      'get 0',
      'FCW 37f FTW 80',
    ]);
    // 0.5 from set-state; pi as a double; FNSTCW sees the control word of the set-state
    expect(stored).toEqual([['0.5', '400921fb54442d18', '37f']]);
  });
});
