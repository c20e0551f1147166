import { describe, it } from 'vitest';
import { testKernel } from '../test-kernel/test-kernel.js';
import { defineConformanceTests } from './adapter.js';

// genode-base's own run of the whole conformance suite, through the adapter kernel packages use
defineConformanceTests({ describe, it }, () => testKernel());
