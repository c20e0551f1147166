import type { Blocking } from '../kernel/blocking.js';
import type { Capability } from '../kernel/capability.js';
import type { Maybe_blocking } from './blocking-util.js';
import { invoke } from './blocking-util.js';
import type { Entrypoint } from './entrypoint.js';

/**
 * `Genode::Signal_handler`: a signal context whose signals are dispatched on an entrypoint by
 * calling `fn` with the number of accumulated signals. Unlike an RPC function, a handler may
 * block (it is a generator), which is how a fault handler waits for another thread
 * (execution-model rule 3).
 */
export class Signal_handler {
  readonly #ep: Entrypoint;
  readonly #fn: Maybe_blocking<[number]>;
  readonly #imprint: number;
  readonly #cap: Capability;
  #dissolved = false;

  constructor(ep: Entrypoint, fn: Maybe_blocking<[number]>) {
    this.#ep = ep;
    this.#fn = fn;
    this.#imprint = ep.register_signal_handler(this);
    this.#cap = ep.env.pd().alloc_context(ep.signal_source, this.#imprint);
  }

  /** The signal-context capability (`Signal_context_capability`). */
  cap(): Capability {
    return this.#cap;
  }

  /** Called by the entrypoint for each delivery. */
  dispatch(count: number): Blocking<void> {
    return invoke(this.#fn, count);
  }

  /** Stop handling: the context is freed (`Entrypoint::dissolve`). */
  dissolve(): void {
    if (this.#dissolved) return;
    this.#dissolved = true;
    this.#ep.unregister_signal_handler(this.#imprint);
    this.#ep.env.pd().free_context(this.#cap);
  }
}

/** `Genode::Signal_transmitter`: submits signals to a context (through the PD session). */
export class Signal_transmitter {
  readonly #submit: (cap: Capability, n: number) => void;
  readonly #cap: Capability;

  constructor(env: { pd(): { submit(cap: Capability, n: number): void } }, cap: Capability) {
    const pd = env.pd();
    this.#submit = (c, n) => pd.submit(c, n);
    this.#cap = cap;
  }

  /** Submit `count` signals. */
  submit(count = 1): void {
    this.#submit(this.#cap, count);
  }
}
