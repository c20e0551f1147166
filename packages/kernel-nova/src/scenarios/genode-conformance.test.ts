/**
 * genode-base's whole conformance suite (Genode's sub_rm, rm_fault, rm_fault_no_nox, rm_nested,
 * rm_stress with its 10,000 rounds, ds_ownership, and rule-01 … rule-12) against `novaKernel()`,
 * with kernel-nova's invariant checker run on every booted NOVA after each scenario.
 */
import { defineConformanceTests } from '@genode-ts/genode-base/conformance';
import { describe, expect, it } from 'vitest';
import type { NovaGenodeKernel } from '../genode/nova-backend.js';
import { novaKernel } from '../genode/nova-kernel.js';
import { checkInvariants } from '../invariants.js';

const booted: NovaGenodeKernel[] = [];

defineConformanceTests(
  {
    describe,
    it: (name, fn, timeout) =>
      it(
        name,
        () => {
          booted.length = 0;
          fn();
          expect(booted.length).toBeGreaterThan(0);
          for (const k of booted) expect(checkInvariants(k.nova)).toEqual([]);
        },
        timeout,
      ),
  },
  () => novaKernel({ onBoot: (k) => booted.push(k) }),
);
