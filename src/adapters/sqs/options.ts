// The SQS adapter's decode flags: live visibility state and the internal side records, recorded in
// MANIFEST.json's exclusions.

import type { AdapterOptions } from '../adapter.ts';

export const SQS_OPTIONS: AdapterOptions = {
  flags: {
    'preserve-sqs-visibility': {
      type: 'bool',
      help: 'SQS: keep visibility deadlines and receive state instead of zeroing them',
    },
    'include-sqs-side-records': { type: 'bool', help: 'SQS: also dump internal side records under _internals/' },
  },
  switchesFromFlags: (v) => ({
    preserveSqsVisibility: v.bool('preserve-sqs-visibility'),
    includeSqsSideRecords: v.bool('include-sqs-side-records'),
  }),
  recordModes: (s) => ({
    exclusions: { preserveSqsVisibility: s.preserveSqsVisibility, includeSqsSideRecords: s.includeSqsSideRecords },
  }),
  encodeSwitches: (m) => ({
    preserveSqsVisibility: m.exclusions?.preserveSqsVisibility ?? false,
    includeSqsSideRecords: m.exclusions?.includeSqsSideRecords ?? false,
  }),
  switchesFromManifest: (m) => ({
    preserveSqsVisibility: m.exclusions?.preserveSqsVisibility ?? false,
    includeSqsSideRecords: m.exclusions?.includeSqsSideRecords ?? false,
  }),
};
