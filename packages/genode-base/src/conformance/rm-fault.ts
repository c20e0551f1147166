import { Attached_ram_dataspace } from '../base/attached-dataspace.js';
import { Child, type Child_policy, Parent_service, type Service } from '../base/child.js';
import { Rm_connection, Rom_connection } from '../base/connections.js';
import type { Env } from '../base/env.js';
import { Hex } from '../base/output.js';
import type { Fault } from '../base/region-map.js';
import { Region_map_client } from '../base/region-map-client.js';
import { Signal_handler } from '../base/signal.js';
import { boot } from '../base/system.js';
import { Thread } from '../base/thread.js';
import { Cap_quota, Ram_quota } from '../core/pd-session-component.js';
import { GenodeError } from '../errors.js';
import type { Blocking } from '../kernel/blocking.js';
import type { Kernel } from '../kernel/kernel.js';
import { Checks, check_in_order, finish, lines_of, type Scenario, type Scenario_result } from './kit.js';

const MANAGED_ADDR = 0x1800_0000;
const STOP_TEST = 0xdeadn;
const READ_TEST = 0x12345n;
const WRITE_TEST = READ_TEST - 1n;
const EXEC_TEST = WRITE_TEST - 1n;
const SHUTDOWN = EXEC_TEST - 1n;

/** A stand-in for `ld.lib.so`: the start of an x86_64 ELF header (read-only ROM). */
export const LD_LIB_SO: Uint8Array = new Uint8Array([
  0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0x00, 0x3e, 0x00,
]);

function fault_name(f: Fault): string {
  return f.type === 'READ'
    ? 'READ_FAULT'
    : f.type === 'WRITE'
      ? 'WRITE_FAULT'
      : f.type === 'EXEC'
        ? 'EXEC_FAULT'
        : 'READY';
}

/*
 * Child role. Adaptation to the execution model: the C++ child busy-waits (`while (modify_at())`,
 * `while (*cmd != STOP_TEST) { }`); here every iteration of such a loop yields the CPU, otherwise
 * the parent's handler could never run on the single JavaScript stack.
 */

function* read_at(env: Env, addr: number): Blocking<void> {
  env.log('perform read operation at ', Hex(addr));
  const value = yield* env.rm().local.read32(addr);
  env.log('read value ', Hex(value));
}

function* modify_at(env: Env, addr: number): Blocking<boolean> {
  const mem = env.rm().local;
  const value = yield* mem.read64(addr);
  if (value === STOP_TEST) return false;
  if (value !== READ_TEST + 1n) {
    const cur = yield* mem.read64(addr);
    yield* mem.write64(addr, cur + 1n);
    const value_mod = yield* mem.read64(addr);
    // if we are told to stop, do so
    if ((yield* mem.read64(addr + 8)) === STOP_TEST) return false;
    env.log('modify memory at ', Hex(addr), ' from ', Hex(value), ' to ', Hex(value_mod));
  }
  if (value !== READ_TEST && value !== READ_TEST + 1n) {
    env.error('could modify ROM !!! ', Hex(value));
    return false;
  }
  return true;
}

const FAULT_ON_ADDR = 0;
const FAULT_ON_STACK = 1;

class Exec_faulter extends Thread {
  readonly #test: number;

  constructor(env: Env, test: number) {
    super(env, 'exec_fault', 1024 * 8);
    this.#test = test;
  }

  override *entry(): Blocking<void> {
    const mem = this.env.rm().local;
    if (this.#test === FAULT_ON_ADDR) {
      yield* mem.write64(MANAGED_ADDR, 0x0b0f9090n); // nop, nop, ud2
      yield* mem.fetch(MANAGED_ADDR, 3); // call
      return;
    }
    // `unsigned long dummy = 0x0b0f9090` on the stack, then call it
    const dummy = this.stack_top() - 8;
    yield* mem.write64(dummy, 0x0b0f9090n);
    yield* mem.fetch(dummy, 3);
  }
}

function* execute_at(env: Env, exec_test: boolean, cmd_addr: number): Blocking<void> {
  const mem = env.rm().local;
  if (exec_test) {
    new Exec_faulter(env, FAULT_ON_ADDR).start();
    // wait until parent acknowledged fault
    while ((yield* mem.read64(cmd_addr)) !== STOP_TEST) yield* env.kernel.yieldCpu();
    // tell parent that we start with next EXEC_TEST
    yield* mem.write64(cmd_addr, EXEC_TEST);
    new Exec_faulter(env, FAULT_ON_STACK).start();
    while ((yield* mem.read64(cmd_addr)) === EXEC_TEST) yield* env.kernel.yieldCpu();
  }
  env.log('\n--- child role of region-manager fault test finished ---');
  // sync shutdown with parent
  yield* mem.write64(cmd_addr, SHUTDOWN);
}

function* main_child(env: Env, exec_test: boolean): Blocking<void> {
  env.log('child role started');
  yield* read_at(env, MANAGED_ADDR);
  while (yield* modify_at(env, MANAGED_ADDR)) yield* env.kernel.yieldCpu();
  yield* execute_at(env, exec_test, MANAGED_ADDR);
}

/* Parent role. */

class Main_parent {
  readonly #env: Env;
  readonly #exec_test: boolean;
  readonly #binary: Rom_connection;
  readonly #child: Child;
  readonly #address_space: Region_map_client;
  readonly #ds: Attached_ram_dataspace;
  #fault_cnt = 0;

  constructor(env: Env, exec_test: boolean) {
    this.#env = env;
    this.#exec_test = exec_test;
    const fault_handler = new Signal_handler(env.ep(), () => this.#handle_fault());
    const fault_handler_stack = new Signal_handler(env.ep(), () => this.#handle_fault_stack());
    this.#binary = new Rom_connection(env, 'ld.lib.so');
    const services = new Map<string, Service>(
      ['PD', 'CPU', 'ROM', 'LOG'].map((n) => [n, new Parent_service(env, n)]),
    );
    const policy: Child_policy = {
      name: () => 'rmchild',
      binary_name: () => 'test-rm_fault',
      ref_pd: () => env.pd(),
      ref_pd_cap: () => env.pd_session_cap(),
      init: (session, cap) => {
        session.ref_account(env.pd_session_cap());
        env.pd().transfer_quota(cap, Ram_quota(1024 * 1024));
        env.pd().transfer_quota(cap, Cap_quota(20));
        new Region_map_client(env, session.address_space()).fault_handler(fault_handler.cap());
        new Region_map_client(env, session.stack_area()).fault_handler(fault_handler_stack.cap());
      },
      resolve_session_request: (name) => {
        const s = services.get(name);
        if (s === undefined) throw new GenodeError('Service_denied', `no route to ${name}`);
        return s;
      },
    };
    this.#child = new Child(env, policy);
    this.#address_space = new Region_map_client(env, this.#child.pd().address_space());
    this.#ds = new Attached_ram_dataspace(env.ram(), env.rm(), 4096);
  }

  *#child_value(): Blocking<bigint> {
    return yield* this.#env.rm().local.read64(this.#ds.local_addr());
  }

  *#set_child_value(v: bigint): Blocking<void> {
    yield* this.#env.rm().local.write64(this.#ds.local_addr(), v);
  }

  #attach_at(ds: ReturnType<Attached_ram_dataspace['cap']>, at: number): void {
    if (!this.#address_space.attach(ds, { use_at: true, at, writeable: true }).ok) {
      this.#env.error('_attach_at unexpectedly failed');
    }
  }

  *#test_read_fault(child_virt_addr: number): Blocking<void> {
    this.#env.log('attach dataspace to the child at ', Hex(child_virt_addr));
    yield* this.#set_child_value(READ_TEST);
    this.#attach_at(this.#ds.cap(), child_virt_addr);
    // poll until our child modifies the dataspace content
    while ((yield* this.#child_value()) === READ_TEST) yield* this.#env.kernel.yieldCpu();
    this.#env.log('child modified dataspace content, new value is ', Hex(yield* this.#child_value()));
    this.#env.log('revoke dataspace from child');
    this.#address_space.detach(child_virt_addr);
  }

  *#test_write_fault(child_virt_addr: number, round: number): Blocking<void> {
    if ((yield* this.#child_value()) !== WRITE_TEST) {
      this.#env.log('test WRITE faults on read-only binary and read-only attached RAM');
      yield* this.#set_child_value(WRITE_TEST);
      this.#attach_at(this.#binary.dataspace(), child_virt_addr);
      return;
    }
    const ROUND_FAULT_ON_ROM_BINARY = 1;
    const ROUND_FAULT_ON_RO_RAM = 2;
    if (round === ROUND_FAULT_ON_RO_RAM) {
      yield* this.#env.rm().local.write64(this.#ds.local_addr() + 8, STOP_TEST);
    }
    this.#env.log(
      'got write fault on ',
      Hex(child_virt_addr),
      round === ROUND_FAULT_ON_ROM_BINARY
        ? ' ROM (binary)'
        : round === ROUND_FAULT_ON_RO_RAM
          ? ' read-only attached RAM'
          : ' unknown',
    );
    // detach region where fault happened
    this.#address_space.detach(child_virt_addr);
    if (round === ROUND_FAULT_ON_ROM_BINARY) {
      // attach a RAM dataspace read-only
      if (!this.#address_space.attach(this.#ds.cap(), { size: 4096, use_at: true, at: child_virt_addr }).ok) {
        this.#env.error('attach of ROUND_FAULT_ON_ROM_BINARY failed');
      }
    } else if (round === ROUND_FAULT_ON_RO_RAM) {
      // let client continue by attaching RAM dataspace writeable
      this.#attach_at(this.#ds.cap(), child_virt_addr);
    }
  }

  *#test_exec_fault(fault: Fault): Blocking<void> {
    if ((yield* this.#child_value()) === WRITE_TEST) {
      yield* this.#set_child_value(EXEC_TEST);
      return;
    }
    if (fault.type !== 'EXEC' || fault.addr !== MANAGED_ADDR) {
      this.#env.error('exec test failed ', fault.type, ' addr=', Hex(fault.addr));
      return;
    }
    this.#env.log('got exec fault on dataspace');
    // signal client to continue with next test, current test is done
    yield* this.#set_child_value(STOP_TEST);
  }

  *#handle_fault(): Blocking<void> {
    const FAULT_CNT_READ = 4;
    const FAULT_CNT_WRITE = 6;
    this.#env.log('received region-map fault signal, request fault state');
    const fault = this.#address_space.fault();
    this.#env.log('rm session state is ', fault_name(fault), ', pf_addr=', Hex(fault.addr));
    // ignore spurious fault signal
    if (fault.type === 'NONE') {
      this.#env.log('ignoring spurious fault signal');
      return;
    }
    const child_virt_addr = fault.addr - (fault.addr % 4096);
    if (this.#fault_cnt < FAULT_CNT_READ) yield* this.#test_read_fault(child_virt_addr);
    if (this.#fault_cnt <= FAULT_CNT_WRITE && this.#fault_cnt >= FAULT_CNT_READ) {
      yield* this.#test_write_fault(child_virt_addr, this.#fault_cnt - FAULT_CNT_READ);
    }
    if (!this.#exec_test && this.#fault_cnt >= FAULT_CNT_WRITE) yield* this.#handle_fault_stack();
    if (this.#fault_cnt > FAULT_CNT_WRITE) yield* this.#test_exec_fault(fault);
    this.#fault_cnt++;
  }

  *#handle_fault_stack(): Blocking<void> {
    // sanity check that we got exec fault
    if (this.#exec_test) {
      const fault = this.#address_space.fault();
      if (fault.type !== 'EXEC') {
        this.#env.error('unexpected state ', fault_name(fault));
        return;
      }
      yield* this.#set_child_value(STOP_TEST);
    }
    // sync shutdown with client
    while ((yield* this.#child_value()) !== SHUTDOWN) yield* this.#env.kernel.yieldCpu();
    this.#env.log('--- parent role of region-manager fault test finished --- ');
    // done, finally
    this.#env.parent().exit(0);
  }
}

function rm_fault_component(exec_test: boolean): { construct(env: Env): Blocking<void> } {
  return {
    *construct(env: Env): Blocking<void> {
      env.log('--- region-manager fault test ---');
      let rm: Rm_connection;
      try {
        // distinguish parent from child by requesting a service only the parent gets
        rm = new Rm_connection(env);
      } catch (e) {
        if (e instanceof GenodeError && e.code === 'Service_denied') {
          yield* main_child(env, exec_test);
          return;
        }
        throw e;
      }
      new Main_parent(env, exec_test);
      env.log('-- parent role started --');
      rm.close();
    },
  };
}

/**
 * Genode's `rm_fault` test (repos/base/src/test/rm_fault/main.cc, 2024 API; recipe
 * test-rm_fault): the parent starts itself as child `rmchild` with 1 MiB and 20 caps, handles the
 * child's READ faults by attaching and revoking a shared page, WRITE faults on a read-only ROM
 * and on read-only RAM, and EXEC faults on the address space and on the stack area (second
 * handler). Succeeds when the parent exits with 0; fails on `Error: could modify ROM`.
 * `executable_fault_test: false` is the `test-rm_fault_no_nox` variant.
 */
export function rm_fault_scenario(executable_fault_test = true): Scenario {
  const name = executable_fault_test ? 'rm_fault' : 'rm_fault_no_nox';
  return {
    name,
    title: 'READ, WRITE and EXEC faults of a child reflected to its parent',
    source: 'repos/base/src/test/rm_fault/main.cc, recipes/pkg/test-rm_fault',
    run(kernel: Kernel): Scenario_result {
      const t = new Checks();
      const component = rm_fault_component(executable_fault_test);
      const system = boot({ kernel, roms: { 'ld.lib.so': LD_LIB_SO } });
      const c = system.start({ name: 'test-rm_fault', ram: 10 * 1024 * 1024, caps: 110, component });
      const run = system.run({
        until: () =>
          c.exit_value() !== undefined || system.log.some((l) => l.includes('Error: could modify ROM')),
        maxSteps: 100_000,
      });
      t.equal('parent exited with 0', c.exit_value(), 0);
      t.add('child never modified the ROM', !system.log.some((l) => l.includes('Error: could modify ROM')));
      const parent = lines_of(system.log, 'init -> test-rm_fault');
      const child = lines_of(system.log, 'init -> test-rm_fault -> rmchild');
      const read_round = [
        'received region-map fault signal, request fault state',
        'rm session state is READ_FAULT, pf_addr=0x18000000',
        'attach dataspace to the child at 0x18000000',
        'child modified dataspace content, new value is 0x12346',
        'revoke dataspace from child',
      ];
      check_in_order(t, 'parent: four READ rounds, two WRITE rounds', parent, [
        '--- region-manager fault test ---',
        '-- parent role started --',
        ...read_round,
        ...read_round,
        ...read_round,
        ...read_round,
        'rm session state is READ_FAULT, pf_addr=0x18000000',
        'test WRITE faults on read-only binary and read-only attached RAM',
        'rm session state is WRITE_FAULT, pf_addr=0x18000000',
        'got write fault on 0x18000000 ROM (binary)',
        'rm session state is WRITE_FAULT, pf_addr=0x18000000',
        'got write fault on 0x18000000 read-only attached RAM',
        ...(executable_fault_test
          ? ['rm session state is EXEC_FAULT, pf_addr=0x18000000', 'got exec fault on dataspace']
          : []),
        '--- parent role of region-manager fault test finished --- ',
      ]);
      const modify = 'modify memory at 0x18000000 from 0x12345 to 0x12346';
      check_in_order(t, 'child: read, four modifications, finished', child, [
        '--- region-manager fault test ---',
        'child role started',
        'perform read operation at 0x18000000',
        'read value 0x12345',
        modify,
        modify,
        modify,
        modify,
        '',
        '--- child role of region-manager fault test finished ---',
      ]);
      t.equal(
        'child modified the shared page exactly four times',
        child.filter((l) => l === modify).length,
        4,
      );
      const errors = system.log.filter((l) => l.includes('Error'));
      t.add('no Error line', errors.length === 0, errors[0]);
      return finish(name, t, system, run);
    },
  };
}

/** rm_fault with the executable-fault test. */
export const rm_fault: Scenario = rm_fault_scenario(true);
/** The `test-rm_fault_no_nox` variant (`executable_fault_test=false`). */
export const rm_fault_no_nox: Scenario = rm_fault_scenario(false);
