/**
 * The hand-over between the early script (early-entry.ts) and the node (node-runtime.ts), two
 * bundles that share only `globalThis`. Imports nothing.
 */

/** Work the early script started for the node. */
export interface EarlyStart {
  /** The claimed tab slot. */
  slot: Promise<number>
  /** The slot's stored key bytes (undefined before first use). */
  key: Promise<Uint8Array | undefined>
  /** The raw JSON of GET /api/bootstrap, to be checked with parseBootstrapAnswer. */
  bootstrap: Promise<unknown>
}

const EARLY_KEY = Symbol.for('hypermesh.early')
const tab = globalThis as { [EARLY_KEY]?: EarlyStart | null }

/** Called by the early script. */
export function offerEarlyStart(early: EarlyStart): void {
  // Unhandled rejections would be reported before the node gets to them; it handles them then.
  for (const p of [early.slot, early.key, early.bootstrap]) p.catch(() => undefined)
  tab[EARLY_KEY] = early
}

/** Called once by the node: the early script's work, or null if it has not run. */
export function takeEarlyStart(): EarlyStart | null {
  const early = tab[EARLY_KEY] ?? null
  tab[EARLY_KEY] = null
  return early
}
