// Temporary paths a running decode or encode owns (staging trees, spill directories, `<output>.tmp-*`), so an
// interrupted run (Ctrl-C, SIGTERM) can remove them before exiting instead of leaving gigabytes behind. The
// pipelines remove their own paths when they finish; this registry only serves the interrupted case.

import { UserError } from '../errors.ts';
import { removeTree } from './remove-tree.ts';

const owned = new Set<string>();
let interrupted = false;

/**
 * 1 once the run is interrupted, in memory shared with worker threads that create files in temporary paths (the
 * small-file writer), so that they stop creating them before the sweeps (see removeTrackedTemps).
 */
export const interruptFlag = new Int32Array(new SharedArrayBuffer(4));

/** Marks the run as interrupted: from then on nothing is published (see assertNotInterrupted). */
export function markInterrupted(): void {
  interrupted = true;
  Atomics.store(interruptFlag, 0, 1);
}

/**
 * Throws RUN_INTERRUPTED once the run was interrupted. Called before every publication (a tree renamed into place, an
 * `.fsm` renamed over its output, a sidecar written), since work still under way when the signal came may compute
 * a wrong result from temporary files the interrupt already removed (a self-test reporting a mismatch).
 */
export function assertNotInterrupted(path: string): void {
  if (interrupted) throw new UserError('RUN_INTERRUPTED', `interrupted: ${shownPath(path)} not written`, { path });
}

/** Records a temporary path; the returned function forgets it (call it once the path is removed or published). */
export function trackTemp(path: string): () => void {
  owned.add(path);
  return () => {
    owned.delete(path);
  };
}

/**
 * Removes every tracked path, synchronously (safe in a signal handler); returns how many were tracked. The paths
 * stay tracked: an interrupt sweeps twice, so a file an operation already under way creates after the first
 * sweep (an open or mkdir running on a worker thread) is caught by the second.
 */
export function removeTrackedTemps(): number {
  const paths = [...owned];
  for (const p of paths) {
    try {
      removeTree(p);
    } catch {
      // Best effort while exiting: a path that cannot be removed is left for the operator.
    }
  }
  return paths.length;
}

/**
 * The path a user knows for a path under one of our temporary names: `.<name>.partial-<hex>` (a tree being
 * built) and `<file>.tmp-<hex>` (a file being written) stand for the output they become.
 */
export function shownPath(path: string): string {
  return path.replace(/(^|\/)\.([^/]+)\.partial-[0-9a-f]{16}(?=\/|$)/, '$1$2').replace(/\.tmp-[0-9a-f]{16}$/, '');
}
