// The DynamoDB adapter's decode flags: the item layout and the size of a JSONL bundle part, recorded in
// MANIFEST.json as dynamodb_layout and dynamodb_bundle_bytes.

import type { AdapterOptions } from '../adapter.ts';
import type { Manifest } from '../../tree/manifest.ts';

const layoutOf = (m: Manifest): 'per-item' | 'jsonl' => (m.dynamodbLayout === 'jsonl' ? 'jsonl' : 'per-item');

export const DYNAMODB_OPTIONS: AdapterOptions = {
  flags: {
    'dynamodb-bundle-mode': {
      type: 'string',
      value: 'MODE',
      default: 'per-item',
      choices: ['per-item', 'jsonl'],
      help: 'DynamoDB item layout: per-item (items/<pk>[/<sk>].json) or jsonl (items/data-<part>.jsonl)',
    },
    'dynamodb-bundle-size': {
      type: 'string',
      value: 'SIZE',
      default: '64M',
      help: 'extension: target size of one JSONL bundle part (with --dynamodb-bundle-mode jsonl)',
    },
  },
  switchesFromFlags: (v) => ({
    dynamodbBundleMode: v.string('dynamodb-bundle-mode') === 'jsonl' ? 'jsonl' : 'per-item',
    dynamodbBundleBytes: v.size('dynamodb-bundle-size'),
  }),
  recordModes: (s) => ({ dynamodbLayout: s.dynamodbBundleMode, dynamodbBundleBytes: BigInt(s.dynamodbBundleBytes) }),
  encodeSwitches: (m) => ({ dynamodbLayout: layoutOf(m) }),
  switchesFromManifest: (m) => ({
    dynamodbBundleMode: layoutOf(m),
    ...(m.dynamodbBundleBytes !== undefined ? { dynamodbBundleBytes: Number(m.dynamodbBundleBytes) } : {}),
  }),
};
