export {
  type Conformance_options,
  defineConformanceTests,
  formatResult,
  runConformance,
  type Test_api,
} from './adapter.js';
export { ds_ownership } from './ds-ownership.js';
export { kernel_timed_down } from './kernel-timed-down.js';
export {
  type Check,
  Checks,
  type Component_scenario_options,
  check_in_order,
  component_scenario,
  DEFAULT_MAX_STEPS,
  lines_of,
  type Scenario,
  type Scenario_result,
} from './kit.js';
export { Accessor, Fault_recorder, settle, wait_until } from './probe.js';
export { LD_LIB_SO, rm_fault, rm_fault_no_nox, rm_fault_scenario } from './rm-fault.js';
export { rm_nested } from './rm-nested.js';
export { rm_stress, rm_stress_scenario } from './rm-stress.js';
export {
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
export { sub_rm } from './sub-rm.js';
export { conformance_suite, genode_tests, kernel_scenarios, rule_scenarios } from './suite.js';
