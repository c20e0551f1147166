import { ds_ownership } from './ds-ownership.js';
import { kernel_timed_down } from './kernel-timed-down.js';
import type { Scenario } from './kit.js';
import { rm_fault, rm_fault_no_nox } from './rm-fault.js';
import { rm_nested } from './rm-nested.js';
import { rm_stress } from './rm-stress.js';
import {
  rule_01_page_granularity,
  rule_02_attach_order,
  rule_03_ranges,
  rule_04_placement,
  rule_05_rights,
  rule_06_nested,
  rule_07_faults,
  rule_08_violations,
  rule_09_detach,
  rule_10_ram_quota,
  rule_11_transfer,
  rule_12_auto_upgrade,
} from './rules/index.js';
import { sub_rm } from './sub-rm.js';

/** Genode's own tests (spec/genode.md §5). */
export const genode_tests: readonly Scenario[] = [
  sub_rm,
  rm_fault,
  rm_fault_no_nox,
  rm_nested,
  rm_stress,
  ds_ownership,
];

/** One scenario per rule of spec/genode.md §6 (1–12). */
export const rule_scenarios: readonly Scenario[] = [
  rule_01_page_granularity,
  rule_02_attach_order,
  rule_03_ranges,
  rule_04_placement,
  rule_05_rights,
  rule_06_nested,
  rule_07_faults,
  rule_08_violations,
  rule_09_detach,
  rule_10_ram_quota,
  rule_11_transfer,
  rule_12_auto_upgrade,
];

/** Kernel-interface mechanisms that Genode's tests do not reach (what a VMM relies on). */
export const kernel_scenarios: readonly Scenario[] = [kernel_timed_down];

/** The whole conformance suite. */
export const conformance_suite: readonly Scenario[] = [
  ...genode_tests,
  ...rule_scenarios,
  ...kernel_scenarios,
];
