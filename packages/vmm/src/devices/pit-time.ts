/**
 * The 8254's input clock on the PC: 1.193182 MHz (14.31818 MHz / 12; Intel 8254 datasheet, CLK
 * input, as wired on the IBM PC/AT).
 */
export const PIT_HZ = 1_193_182;

const NS_PER_S = 1_000_000_000;

/**
 * Input-clock pulses that have occurred by guest time `ns` (pulse k happens at
 * {@link pitTickTime}(k)): `floor(ns × 1193182 / 10⁹)`, computed exactly for any `ns` below 2⁵³.
 */
export function pitTicksAt(ns: number): number {
  const s = Math.floor(ns / NS_PER_S);
  const r = ns - s * NS_PER_S;
  return s * PIT_HZ + Math.floor((r * PIT_HZ) / NS_PER_S);
}

/** The first guest time (ns) at which {@link pitTicksAt} reaches `tick`. */
export function pitTickTime(tick: number): number {
  const s = Math.floor(tick / PIT_HZ);
  const r = tick - s * PIT_HZ;
  return s * NS_PER_S + Math.ceil((r * NS_PER_S) / PIT_HZ);
}
