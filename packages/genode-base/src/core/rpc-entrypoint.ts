import { GenodeError } from '../errors.js';
import type { Capability } from '../kernel/capability.js';
import type { BootedKernel, KernelEntrypoint, RpcRequest } from '../kernel/kernel.js';

/**
 * An RPC entrypoint's object pool (`Genode::Rpc_entrypoint`): manages objects as kernel RPC
 * objects and finds the local object behind a capability (`apply`), which is how a server
 * recognises capability arguments that name its own objects.
 */
export class Rpc_entrypoint {
  readonly kernel: BootedKernel;
  readonly ep: KernelEntrypoint;
  readonly #pool = new Map<number, object>();
  readonly #caps = new Map<object, Capability>();

  constructor(kernel: BootedKernel, ep: KernelEntrypoint) {
    this.kernel = kernel;
    this.ep = ep;
  }

  /** Serve `obj`: calls to the returned capability invoke the listed methods. */
  manage(obj: object, ops: readonly string[]): Capability {
    const allowed = new Set(ops);
    const target = obj as Record<string, unknown>;
    const cap = this.kernel.manage(this.ep, (req: RpcRequest) => {
      const fn = target[req.op];
      if (!allowed.has(req.op) || typeof fn !== 'function') {
        throw new GenodeError('Invalid_argument', `RPC object has no operation '${req.op}'`);
      }
      return (fn as (...a: unknown[]) => unknown).apply(obj, [...req.args]);
    });
    this.#pool.set(cap.id, obj);
    this.#caps.set(obj, cap);
    return cap;
  }

  /** Stop serving `obj`; its capability becomes invalid. */
  dissolve(obj: object): void {
    const cap = this.#caps.get(obj);
    if (cap === undefined) return;
    this.#caps.delete(obj);
    this.#pool.delete(cap.id);
    this.kernel.dissolve(cap);
  }

  /** The local object named by `cap` if it is an instance of `cls` (`Rpc_entrypoint::apply`). */
  apply<T>(cap: Capability | null | undefined, cls: abstract new (...args: never[]) => T): T | undefined {
    if (cap == null || typeof cap !== 'object' || typeof cap.id !== 'number' || cap.id < 0) return undefined;
    const obj = this.#pool.get(cap.id);
    return obj instanceof cls ? obj : undefined;
  }

  /** The capability of a managed object. */
  cap_of(obj: object): Capability | undefined {
    return this.#caps.get(obj);
  }
}
