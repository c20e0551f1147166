import { GenodeError } from '../errors.js';
import type { Blocking } from '../kernel/blocking.js';
import type { KernelSemaphore, KernelThread } from '../kernel/kernel.js';
import { invoke, type Maybe_blocking } from './blocking-util.js';
import type { Env, Stack } from './env.js';

/** Default stack size of a thread (model: 16 KiB). */
export const DEFAULT_STACK_SIZE: number = 16 * 1024;

/**
 * `Genode::Thread`: a thread of the component with a stack in its stack area. Override
 * {@link Thread.entry} or pass an entry function; `start()` makes it run.
 */
export class Thread {
  readonly env: Env;
  readonly name: string;
  readonly #stack: Stack;
  readonly #entry: Maybe_blocking<[Thread]> | undefined;
  readonly #finished: KernelSemaphore;
  #kthread: KernelThread | null = null;
  #done = false;

  constructor(
    env: Env,
    name: string,
    stack_size: number = DEFAULT_STACK_SIZE,
    entry?: Maybe_blocking<[Thread]>,
  ) {
    this.env = env;
    this.name = name;
    this.#entry = entry;
    this.#stack = env.alloc_stack(name, stack_size);
    this.#finished = env.kernel.createSemaphore(0);
  }

  /** The thread's code; the default runs the entry function given to the constructor. */
  *entry(): Blocking<void> {
    if (this.#entry !== undefined) yield* invoke(this.#entry, this);
  }

  /** Create and start the kernel thread. */
  start(): void {
    if (this.#kthread !== null) return;
    const self = this;
    const t = this.env.cpu().create_thread(this.env.pd_session_cap(), {
      name: this.name,
      body: function* () {
        try {
          yield* self.entry();
        } finally {
          self.#done = true;
          self.env.kernel.semUp(self.#finished);
        }
      },
    });
    if (t === undefined) throw new GenodeError('Invalid_session', 'cannot create thread');
    this.#kthread = t;
    this.env.cpu().start(t);
  }

  /** Block until the entry returned (`Thread::join`). */
  *join(): Blocking<void> {
    if (this.#done) return;
    yield* this.env.kernel.semDown(this.#finished);
    this.env.kernel.semUp(this.#finished);
  }

  /** Address just below the top of the thread's stack. */
  stack_top(): number {
    return this.#stack.top;
  }

  /** The kernel thread, once started. */
  kernel_thread(): KernelThread | null {
    return this.#kthread;
  }

  /** Kill the thread (if running) and release its stack (`~Thread`). */
  destroy(): void {
    if (this.#kthread !== null && !this.#done) this.env.cpu().kill_thread(this.#kthread);
    this.env.free_stack(this.#stack);
  }
}
