/**
 * Names of vCPU exit reasons in SVM numbering as NOVA delivers them (spec/nova.md §5.4), for
 * reports and traces.
 */
const NAMES: Readonly<Record<number, string>> = {
  97: 'NMI',
  100: 'interrupt window (VINTR)',
  114: 'CPUID',
  119: 'PAUSE',
  120: 'HLT',
  121: 'INVLPG',
  123: 'I/O (IOIO)',
  124: 'MSR',
  127: 'shutdown (triple fault)',
  129: 'VMMCALL',
  251: 'unsupported',
  252: 'NPT fault',
  253: 'invalid guest state',
  254: 'startup',
  255: 'recall',
};

/** `NPT fault (0xfc)`, `exception #14 (0x4e)`, or `exit 0x..` for reasons without a name. */
export function exitName(reason: number): string {
  const hex = `0x${reason.toString(16).padStart(2, '0')}`;
  const n = NAMES[reason];
  if (n !== undefined) return `${n} (${hex})`;
  if (reason >= 0x40 && reason < 0x60) return `exception #${reason - 0x40} (${hex})`;
  return `exit ${hex}`;
}
