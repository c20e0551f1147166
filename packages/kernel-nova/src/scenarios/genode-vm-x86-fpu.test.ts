/**
 * A VMM reads and writes its guest's x87 state through Genode's `Vcpu_state::fpu`
 * (`with_state` / `charge` over the 512-byte FXSAVE image), on `novaKernel()` with real guest
 * code (x86VcpuEngine): the exit portal's MTD includes FPU (as base-nova's `_portal_mtd` does),
 * the kernel copies the image into the handler's UTCB, genode-base presents it, and a charged
 * image goes back with MTD FPU in the reply.
 */
import { boot, type Env, MTD, VCPU_EXIT, Vcpu, Vm_connection } from '@genode-ts/genode-base';
import { describe, expect, it } from 'vitest';
import { novaKernel } from '../genode/nova-kernel.js';
import { x86VcpuEngine } from '../x86/x86-vcpu-engine.js';
import { chargeFlat32 } from './genode-vcpu-harness.js';

const CODE = 0x10000;
const BACKING = 0x400_1000;
/**
 *  0x00  db e3               fninit
 *  0x02  d9 2d 04 01 01 00   fldcw [0x10104]        ; 0x0b7f: round up, 64-bit precision
 *  0x08  d9 e8               fld1
 *  0x0a  d9 eb               fldpi
 *  0x0c  db 05 00 01 01 00   fild dword [0x10100]   ; -3
 *  0x12  f4                  hlt                    ; the VMM looks, charges ST0 := 1024.75
 *  0x13  dd 1d 00 02 01 00   fstp qword [0x10200]
 *  0x19  dd 1d 08 02 01 00   fstp qword [0x10208]
 *  0x1f  d9 3d 10 02 01 00   fnstcw [0x10210]
 *  0x25  f4                  hlt
 *  0x100 dd -3 ; dw 0x0b7f
 */
const GUEST = (() => {
  const b = new Uint8Array(0x212);
  b.set([
    0xdb, 0xe3, 0xd9, 0x2d, 0x04, 0x01, 0x01, 0x00, 0xd9, 0xe8, 0xd9, 0xeb, 0xdb, 0x05, 0x00, 0x01, 0x01,
    0x00, 0xf4, 0xdd, 0x1d, 0x00, 0x02, 0x01, 0x00, 0xdd, 0x1d, 0x08, 0x02, 0x01, 0x00, 0xd9, 0x3d, 0x10,
    0x02, 0x01, 0x00, 0xf4,
  ]);
  b.set([0xfd, 0xff, 0xff, 0xff, 0x7f, 0x0b], 0x100);
  return b;
})();

/** ST(i) of an FXSAVE image as `sign exponent significand` (hex). */
function st(img: Uint8Array, i: number): string {
  const v = new DataView(img.buffer, img.byteOffset + 32 + 16 * i, 10);
  const se = v.getUint16(8, true);
  return `${se >> 15} ${(se & 0x7fff).toString(16)} ${v.getBigUint64(0, true).toString(16)}`;
}

describe('Vcpu_state::fpu on novaKernel() with real guest code', () => {
  it('the handler reads ST0/ST1 and FCW from the image, charges a new ST0, the guest stores it', () => {
    const engine = x86VcpuEngine();
    const system = boot({ kernel: novaKernel({ vcpuEngine: engine }), ramBytes: 64 << 20 });
    const seen: string[] = [];
    const ram: number[] = [];
    let done = false;
    system.start({
      name: 'vmm',
      ram: 8 << 20,
      caps: 300,
      component: {
        *construct(env: Env) {
          const vm = new Vm_connection(env, { colocated: false });
          const ds = env.ram().alloc(1 << 20);
          const r = env.rm().attach(ds, { use_at: true, at: BACKING, writeable: true, executable: true });
          const backing = r.ok ? r.range.start : 0;
          const mem = env.rm().local;
          yield* mem.write(backing + CODE, GUEST);
          new Vcpu(
            vm,
            function* (vcpu) {
              let npt = -1;
              vcpu.with_state((s) => {
                if (s.exit_reason === VCPU_EXIT.STARTUP) {
                  chargeFlat32(s, CODE);
                  return true;
                }
                if (s.exit_reason === VCPU_EXIT.NPT) {
                  npt = s.qual_secondary.value();
                  return true;
                }
                s.fpu.with_state((img) => {
                  const fcw = img[0]! | (img[1]! << 8);
                  const top = (img[3]! >> 3) & 7;
                  seen.push(`FCW ${fcw.toString(16)} TOP ${top} FTW ${img[4]!.toString(16)}`);
                  if (seen.length === 1) seen.push(`ST0 ${st(img, 0)}`, `ST1 ${st(img, 1)}`);
                });
                if (seen.length > 3) return false; // second HLT: done
                s.fpu.charge((img) => {
                  const v = new DataView(img.buffer, img.byteOffset + 32, 10);
                  v.setBigUint64(0, 0x8018000000000000n, true); // 1024.75 = 1.0000000011b × 2^10
                  v.setUint16(8, 0x3fff + 10, true);
                });
                s.ip.charge(s.ip.value() + s.ip_len.value());
                return true;
              });
              if (npt >= 0) {
                const page = npt - (npt % 4096);
                if (mem.lookup(backing + page) === undefined) yield* mem.read8(backing + page);
                vcpu.delegate({ local: backing + page, guest_phys: page, log2: 12 });
              }
              if (seen.length > 3) {
                for (let o = 0; o < 18; o++) ram.push(yield* mem.read8(backing + CODE + 0x200 + o));
                done = true;
              }
            },
            // base-nova's `_portal_mtd` adds FPU to every exit portal; here the HLT portal only
            {
              exit_mtd: (reason) =>
                reason === VCPU_EXIT.HLT ? (MTD.ALL | MTD.QUAL | MTD.FPU) >>> 0 : MTD.ALL,
            },
          );
        },
      },
    });
    const result = system.run({ until: () => done, maxSteps: 200_000 });
    expect(result.reason).toBe('until');
    expect(seen).toEqual([
      'FCW b7f TOP 5 FTW e0',
      'ST0 1 4000 c000000000000000', // -3
      'ST1 0 4000 c90fdaa22168c235', // pi (round up = the nearest value's last bit, already up)
      'FCW b7f TOP 7 FTW 80', // both popped; R7 (1.0) left
    ]);
    const bytes = Uint8Array.from(ram);
    const v = new DataView(bytes.buffer);
    expect(v.getFloat64(0, true)).toBe(1024.75); // the VMM's ST0
    // pi rounded up to a double (RC = up): one ulp above Math.PI
    expect(v.getBigUint64(8, true).toString(16)).toBe('400921fb54442d19');
    expect(v.getUint16(16, true).toString(16)).toBe('b7f');
    expect(engine.vcpus[0]!.fpuImage()[3]! >> 3).toBe(7);
  });
});
