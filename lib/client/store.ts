import type { MeshSnapshot } from './types'

const STORE_KEY = Symbol.for('hypermesh.store')

/** The snapshot before the node has started. */
export const INITIAL_SNAPSHOT: MeshSnapshot = {
  peerId: null,
  slot: null,
  status: 'starting',
  problem: null,
  nextRetryAt: null,
  relayConnected: false,
  relayPeerId: null,
  connections: [],
  nodes: [],
  coordinate: null,
  heartbeats: { accepted: 0, dropped: {} },
  connectionsCreated: 0,
  dials: { attempts: 0, succeeded: 0, failed: 0, medianMs: null, recentFailures: [] },
  startedAt: 0,
  joinMs: null,
  certificate: null,
  verdicts: {},
  refusals: [],
  trustProblem: null,
  checkpointSize: null,
  ledger: { status: 'off', publicKey: null, summary: null, recentRoots: [], problem: null },
}

/**
 * The UI-side store: state lives outside React; components read it with useSyncExternalStore.
 * Snapshots are immutable: `set` replaces the object so React sees a new reference.
 */
export class MeshStore {
  #snapshot: MeshSnapshot = INITIAL_SNAPSHOT
  readonly #listeners = new Set<() => void>()

  /** Subscribe to changes; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The current immutable snapshot. */
  getSnapshot = (): MeshSnapshot => this.#snapshot

  /** Replace fields of the snapshot and notify subscribers. */
  update(patch: Partial<MeshSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...patch }
    for (const listener of this.#listeners) listener()
  }
}

/**
 * The one store of this tab. The node runs from its own script (public/node/boot.js) and the pages
 * from Next's chunks; each bundle has its own copy of this module, so the instance lives on
 * `globalThis` and both get the same one.
 */
export const meshStore: MeshStore = ((globalThis as { [STORE_KEY]?: MeshStore })[STORE_KEY] ??=
  new MeshStore())
