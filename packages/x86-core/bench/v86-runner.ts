/**
 * Boots a Multiboot guest on v86 (npm `v86`, the reference x86 emulator) in Node, without a BIOS,
 * and reports its serial output, its debug-exit value and its exact retired-instruction count.
 *
 * This is v86's half of the x86-core benchmark (spec/x86.md, "Benchmark plan") and the second
 * reference (next to QEMU) for the guests' expected results in `guests/expected/`.
 *
 * How it works (v86 0.5.462, read from its build and its sources in copy/v86):
 * - `new V86({ multiboot })` without a BIOS makes v86 load the image itself (a.out kludge or ELF),
 *   enter it in 32-bit protected mode with EAX = 0x2BADB002 and EBX = 0x7C00 (its Multiboot
 *   information), and register port 0xf4 as a "test exit" that logs and throws. We replace that
 *   port's write handlers once the emulator is ready: the written value is the exit value, and
 *   the emulator stops at the end of its current time slice.
 * - `cpu.instruction_counter` (what `get_instruction_counter()` returns) is a 32-bit counter in
 *   wasm memory, incremented per retired instruction, which the JIT flushes at block ends. We
 *   sample it every `sampleMs` and sum the deltas mod 2^32, so counts above 2^32 stay exact.
 * - Every guest of this corpus ends with `out 0xf4, al` (or `out dx, al`), `cli`, `hlt`: v86 stops
 *   in that `hlt` (IF = 0, nothing can wake it), where the counter is exact. The runner checks
 *   those bytes in front of the final EIP and then reports the count up to and including the
 *   `out` (the `cli; hlt` pair subtracted), which is what a core that stops at the debug-exit
 *   write reports. Without that tail the count is reported as not exact.
 * - A guest that halts with interrupts off without writing to port 0xf4 stops with reason
 *   `halted`; a guest that runs past `maxInstructions` or `timeoutMs` is stopped (`budget` /
 *   `timeout`). When v86 itself throws (its wasm traps on some guest states), the run ends with
 *   reason `crash` and the error text instead of taking the Node process down.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { V86 } from 'v86';

/** Where the guest's run ended. */
export type V86StopReason = 'debug-exit' | 'halted' | 'budget' | 'timeout' | 'crash';

/** Options of {@link runOnV86}. */
export interface V86RunOptions {
  /** The Multiboot image (a.out kludge or ELF). */
  readonly image: Uint8Array;
  /** Run with v86's x86-to-wasm JIT (default false: the interpreter). */
  readonly jit?: boolean;
  /** Guest RAM in bytes (default 32 MiB). */
  readonly memoryBytes?: number;
  /** Bytes for COM1's receiver, queued before the guest starts. */
  readonly input?: Uint8Array | string;
  /** Stop once more instructions than this retired (checked at every sample). */
  readonly maxInstructions?: number;
  /** Stop after this much wall time (default 600 s). */
  readonly timeoutMs?: number;
  /** Sampling period of the 32-bit instruction counter (default 20 ms). */
  readonly sampleMs?: number;
  /** Called with every byte the guest writes to COM1. */
  readonly onSerial?: (byte: number) => void;
}

/** What {@link runOnV86} observed. */
export interface V86RunResult {
  readonly reason: V86StopReason;
  /** The value written to port 0xf4, or null. */
  readonly exitValue: number | null;
  /** v86's own error when it crashed (reason `crash`). */
  readonly crash: string | null;
  /** Every byte written to COM1's transmitter. */
  readonly serial: Uint8Array;
  /**
   * Retired instructions: up to and including the debug-exit `out` when {@link instructionsExact},
   * else everything v86 counted until it stopped.
   */
  readonly instructions: number;
  /** True when the guest stopped in the `out 0xf4; cli; hlt` tail and the count is exact. */
  readonly instructionsExact: boolean;
  /** Wall time from the start of execution to the debug-exit write (or the stop), in ms. */
  readonly wallMs: number;
  /** instructions / wallMs / 1000. */
  readonly mips: number;
  readonly jit: boolean;
}

const require = createRequire(import.meta.url);

/** The path of v86's wasm build inside node_modules. */
export function v86WasmPath(): string {
  return join(dirname(require.resolve('v86/package.json')), 'build', 'v86.wasm');
}

/** Boots `options.image` on a fresh v86 instance and resolves when the guest stops. */
export function runOnV86(options: V86RunOptions): Promise<V86RunResult> {
  const jit = options.jit ?? false;
  const sampleMs = options.sampleMs ?? 20;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const image = options.image;
  const buffer = image.buffer.slice(image.byteOffset, image.byteOffset + image.byteLength) as ArrayBuffer;
  const serial: number[] = [];

  return new Promise<V86RunResult>((resolve, reject) => {
    const emulator: any = new V86({
      wasm_path: v86WasmPath(),
      multiboot: { buffer },
      memory_size: options.memoryBytes ?? 32 << 20,
      disable_jit: !jit,
      autostart: false,
    } as any);

    let total = 0;
    let last = 0;
    let reason: V86StopReason | null = null;
    let exitValue: number | null = null;
    let t0 = 0;
    let tEnd = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    let cpu: any;
    let crash: string | null = null;

    const sample = (): void => {
      const now = cpu.instruction_counter[0] >>> 0;
      total += (now - last) >>> 0;
      last = now;
    };
    const stop = (why: V86StopReason): void => {
      if (reason !== null) return;
      reason = why;
      tEnd = performance.now();
      emulator.stop();
    };

    emulator.add_listener('serial0-output-byte', (byte: number) => {
      serial.push(byte);
      options.onSerial?.(byte);
    });

    emulator.add_listener('emulator-ready', () => {
      try {
        cpu = emulator.v86.cpu;
        const onExit = (value: number): void => {
          if (reason !== null) return;
          exitValue = value;
          stop('debug-exit');
        };
        cpu.io.register_write(0xf4, cpu, onExit, onExit, onExit);
        emulator.add_listener('cpu-event-halt', () => {
          // hlt with IF = 0: nothing wakes the processor again.
          if (reason === null) stop('halted');
        });
        emulator.add_listener('emulator-stopped', finish);
        // v86 runs its main loop in setImmediate callbacks: an exception there would end the process.
        const machine = emulator.v86;
        const doTick = machine.do_tick.bind(machine);
        machine.do_tick = (): void => {
          try {
            doTick();
          } catch (error) {
            crash = String(error);
            stop('crash');
            machine.running = false;
            machine.stopping = false;
            finish();
          }
        };
        if (options.input !== undefined) {
          const bytes =
            typeof options.input === 'string' ? new TextEncoder().encode(options.input) : options.input;
          for (const b of bytes) emulator.bus.send('serial0-input', b);
        }
        last = cpu.instruction_counter[0] >>> 0;
        timer = setInterval(() => {
          sample();
          if (reason !== null) return;
          if (options.maxInstructions !== undefined && total > options.maxInstructions) stop('budget');
          else if (performance.now() - t0 > timeoutMs) stop('timeout');
        }, sampleMs);
        t0 = performance.now();
        emulator.run();
      } catch (error) {
        reject(error);
      }
    });

    let finished = false;
    function finish(): void {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      sample();
      let instructions = total;
      let exact = false;
      if (reason === 'debug-exit' || reason === 'halted') {
        // The tail `out 0xf4, al` (E6 F4) or `out dx, al` (EE), then `cli` (FA), `hlt` (F4).
        const eip = cpu.instruction_pointer[0] >>> 0;
        const at = (back: number): number => {
          try {
            return cpu.read8(cpu.translate_address_system_read(eip - back)) & 0xff;
          } catch {
            return -1;
          }
        };
        const tail = at(2) === 0xfa && at(1) === 0xf4;
        const out = (at(4) === 0xe6 && at(3) === 0xf4) || at(3) === 0xee;
        if (reason === 'debug-exit' && tail && out) {
          instructions -= 2;
          exact = true;
        }
      }
      const wallMs = (tEnd || performance.now()) - t0;
      const result: V86RunResult = {
        reason: reason ?? 'timeout',
        exitValue,
        crash,
        serial: Uint8Array.from(serial),
        instructions,
        instructionsExact: exact,
        wallMs,
        mips: instructions / wallMs / 1000,
        jit,
      };
      if (reason === 'crash') {
        // The emulator object is unusable; V86.destroy() would wait for a stop that never comes.
        try {
          emulator.v86.destroy();
        } catch {
          // nothing left to release
        }
        resolve(result);
        return;
      }
      Promise.resolve(emulator.destroy()).then(
        () => resolve(result),
        () => resolve(result),
      );
    }
  });
}

/** Reads a guest image from a file and runs it ({@link runOnV86}). */
export function runFileOnV86(
  path: string,
  options: Omit<V86RunOptions, 'image'> = {},
): Promise<V86RunResult> {
  return runOnV86({ ...options, image: new Uint8Array(readFileSync(path)) });
}
