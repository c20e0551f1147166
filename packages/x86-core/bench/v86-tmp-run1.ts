import { runFileOnV86 } from '/work/wt/guests/packages/x86-core/bench/v86-runner.ts';
const r = await runFileOnV86(process.argv[2]!, { jit: process.argv[3] === 'jit', timeoutMs: Number(process.argv[4] ?? 20000) });
process.stdout.write(new TextDecoder().decode(r.serial));
console.log({ ...r, serial: undefined });
