import { GenodeError } from '../errors.js';
import type { Blocking } from '../kernel/blocking.js';
import type { Capability } from '../kernel/capability.js';
import type { KernelEntrypoint, KernelSignalSource, RpcRequest } from '../kernel/kernel.js';
import { invoke, type Maybe_blocking } from './blocking-util.js';
import type { Env, Stack } from './env.js';
import type { Signal_handler } from './signal.js';

/**
 * `Genode::Entrypoint`: a thread that serves RPC objects and dispatches signals to
 * {@link Signal_handler}s. RPC functions run to completion; signal handlers may block.
 * The component's main entrypoint (`env.ep()`, thread name `ep`) first runs
 * `construct(env)`, then dispatches signals.
 */
export class Entrypoint {
  readonly env: Env;
  readonly name: string;
  /** The kernel entrypoint (thread plus RPC objects). */
  readonly kernel_ep: KernelEntrypoint;
  /** The signal source the entrypoint waits on. */
  readonly signal_source: KernelSignalSource;
  readonly #handlers = new Map<number, Signal_handler>();
  readonly #stack: Stack;
  #next_imprint = 1;

  constructor(
    env: Env,
    stack_size: number,
    name: string,
    options: { initial?: Maybe_blocking; start?: boolean } = {},
  ) {
    this.env = env;
    this.name = name;
    this.#stack = env.alloc_stack(name, stack_size);
    const kernel = env.kernel;
    const handlers = this.#handlers;
    const initial = options.initial;
    let source: KernelSignalSource | undefined;
    const body = function* (): Blocking<void> {
      if (initial !== undefined) yield* invoke(initial);
      for (;;) {
        const d = yield* kernel.waitSignal(source!);
        const h = handlers.get(d.imprint);
        if (h !== undefined) yield* h.dispatch(d.count);
      }
    };
    const kep = env.cpu().create_entrypoint(env.pd_session_cap(), { name, body });
    if (kep === undefined) throw new GenodeError('Invalid_session', 'cannot create entrypoint');
    this.kernel_ep = kep;
    source = kernel.createSignalSource(kep);
    this.signal_source = source;
    if (options.start !== false) this.start();
  }

  /** Start the entrypoint's thread (done by the constructor unless told otherwise). */
  start(): void {
    this.env.cpu().start(this.kernel_ep.thread);
  }

  /** Top of the entrypoint's stack in the component's address space. */
  stack_top(): number {
    return this.#stack.top;
  }

  /** Serve `obj` as an RPC object on this entrypoint; calls may invoke the listed methods. */
  manage(obj: object, ops: readonly string[]): Capability {
    const allowed = new Set(ops);
    const target = obj as Record<string, unknown>;
    return this.env.kernel.manage(this.kernel_ep, (req: RpcRequest) => {
      const fn = target[req.op];
      if (!allowed.has(req.op) || typeof fn !== 'function') {
        throw new GenodeError('Invalid_argument', `RPC object has no operation '${req.op}'`);
      }
      return (fn as (...a: unknown[]) => unknown).apply(obj, [...req.args]);
    });
  }

  /** Stop serving an RPC object. */
  dissolve(cap: Capability): void {
    this.env.kernel.dissolve(cap);
  }

  /** Used by {@link Signal_handler}: register and get the imprint. */
  register_signal_handler(h: Signal_handler): number {
    const imprint = this.#next_imprint++;
    this.#handlers.set(imprint, h);
    return imprint;
  }

  /** Used by {@link Signal_handler}. */
  unregister_signal_handler(imprint: number): void {
    this.#handlers.delete(imprint);
  }
}
