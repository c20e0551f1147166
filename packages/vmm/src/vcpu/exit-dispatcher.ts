import { type Blocking, MTD, type Vcpu_state } from '@genode-ts/genode-base';
import { type Register_access, watchVcpuState } from './mtd-discipline.js';

/**
 * One exit handler (Seoul: `register_handler<EV, ..., FUNC>(exc_base, mtd)`): the MTD its portal
 * delivers, and the function. The function sees the exit's {@link Vcpu_state}, charges what it
 * changes, and returns whether the vCPU resumes. It may block (a VMM page fault, waiting for an
 * interrupt in HLT).
 */
export interface Exit_handler<C> {
  /** Name for statistics and logs (`npt`, `ioio`, …). */
  readonly name: string;
  /** MTD of the exit portal: what the handler may read and write. */
  readonly mtd: number;
  readonly handle: (ctx: C, state: Vcpu_state) => Blocking<boolean> | boolean;
}

function* run<C>(h: Exit_handler<C>, ctx: C, state: Vcpu_state): Blocking<boolean> {
  const r = h.handle(ctx, state);
  if (typeof r === 'boolean') return r;
  return yield* r;
}

/** Options of {@link Exit_dispatcher}. */
export interface Exit_dispatcher_options {
  /**
   * Watch every handler's register accesses against its MTD ({@link watchVcpuState}) and report
   * accesses outside it. Off by default (it costs a wrapper per register and exit).
   */
  readonly strict?: boolean;
  /** Called for every access outside the MTD (strict mode); default: throw. */
  readonly onViolation?: (reason: number, handler: string, access: Register_access) => void;
  /** Called for every access in strict mode (tests use it to record what handlers touch). */
  readonly onAccess?: (reason: number, handler: string, access: Register_access) => void;
}

/**
 * The exit dispatcher of a vCPU (Genode's `Vcpu_dispatcher`): one handler per exit reason, each
 * with the MTD of its portal. `mtd(reason)` is what the kernel's exit portals are created with
 * (`Vcpu_options.exit_mtd`); `dispatch` runs the handler of the exit at hand. Exits without a
 * handler go to `fallback` (with `Mtd::ALL`).
 *
 * @example
 * ```ts
 * const d = new Exit_dispatcher<Ctx>({ [VCPU_EXIT.HLT]: hltHandler }, unhandled);
 * new Vcpu(vm, function* (vcpu) { … yield* d.dispatch(ctx, state) … }, { exit_mtd: (r) => d.mtd(r) });
 * ```
 */
export class Exit_dispatcher<C> {
  readonly #handlers: ReadonlyMap<number, Exit_handler<C>>;
  readonly #fallback: Exit_handler<C>;
  readonly #options: Exit_dispatcher_options;

  constructor(
    handlers: Readonly<Record<number, Exit_handler<C>>>,
    fallback: Exit_handler<C>,
    options: Exit_dispatcher_options = {},
  ) {
    this.#handlers = new Map(Object.entries(handlers).map(([k, v]) => [Number(k), v]));
    this.#fallback = fallback;
    this.#options = options;
  }

  /** The handler for `reason` (the fallback if none is registered). */
  handler(reason: number): Exit_handler<C> {
    return this.#handlers.get(reason) ?? this.#fallback;
  }

  /** The reasons with a handler of their own. */
  reasons(): number[] {
    return [...this.#handlers.keys()].sort((a, b) => a - b);
  }

  /** MTD of the portal for `reason` (what `Vcpu_options.exit_mtd` returns). */
  mtd(reason: number): number {
    return (this.#handlers.get(reason)?.mtd ?? MTD.ALL) >>> 0;
  }

  /** Run the handler of `state.exit_reason`; returns whether the vCPU resumes. */
  *dispatch(ctx: C, state: Vcpu_state): Blocking<boolean> {
    const reason = state.exit_reason;
    const h = this.handler(reason);
    if (this.#options.strict !== true) return yield* run(h, ctx, state);
    const violation =
      this.#options.onViolation ??
      ((r: number, name: string, a: Register_access) => {
        throw new Error(
          `exit 0x${r.toString(16)} (${name}): ${a.kind} of ${a.register} outside MTD 0x${this.mtd(r).toString(16)}`,
        );
      });
    const view = watchVcpuState(state, this.mtd(reason), (a) => {
      this.#options.onAccess?.(reason, h.name, a);
      if (!a.allowed) violation(reason, h.name, a);
    });
    return yield* run(h, ctx, view);
  }
}
