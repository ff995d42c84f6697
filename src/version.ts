// This package's version (encoder_version in the encode-info sidecar), read from package.json so there is
// one source of truth whether we run from src/ (tsx) or dist/src/ (compiled).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'elastickv-snapshot' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here; look one level up
    }
    dir = dirname(dir);
  }
  return 'dev';
}

/** This package's version from package.json (`dev` when it cannot be found). */
export const PACKAGE_VERSION = findVersion();
