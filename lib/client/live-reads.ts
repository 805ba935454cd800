/**
 * Answers that follow the chain: the explorer's asset list, an asset, a node's ledger facts, a
 * node's certificates. Unlike chain-view's `ChainQueries` (committed blocks, which never change),
 * these change as blocks commit, so each answer is tagged with the `version` it was asked for —
 * the chain's height, or a time bucket — and asked again when a page follows a newer version.
 * The last answer stays on show meanwhile, so a page never blanks between two blocks.
 */
import { describeChainError } from './chain-view'

/** One followed answer. */
export interface LiveEntry<T> {
  status: 'idle' | 'loading' | 'done' | 'error'
  /** The last answer (kept while a newer one is asked for, and after a failure). */
  data: T | undefined
  /** The version the answer on show was asked for; null before the first. */
  version: number | null
  /** Why the last ask failed, as a sentence; null when it worked. */
  problem: string | null
}

/** Before anything was asked. */
export const IDLE_LIVE: LiveEntry<never> = Object.freeze({
  status: 'idle',
  data: undefined,
  version: null,
  problem: null,
}) as LiveEntry<never>

type Listener = () => void

/**
 * Followed answers by key. Read an entry with `useSyncExternalStore(r.subscribe, () =>
 * r.read(key))` and keep it current with {@link LiveReads.follow}.
 */
export class LiveReads {
  readonly #entries = new Map<string, LiveEntry<unknown>>()
  // Per key: the newest version asked for while an ask was running.
  readonly #wanted = new Map<string, number>()
  readonly #listeners = new Set<Listener>()
  readonly #max: number

  /** @param init.max - most entries kept (oldest use first out); default 100 */
  constructor(init: { max?: number } = {}) {
    this.#max = init.max ?? 100
  }

  /** Subscribe to changes of any entry; returns the unsubscribe function. */
  subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The entry of a key (the same object until it changes). */
  read<T>(key: string): LiveEntry<T> {
    return (this.#entries.get(key) ?? IDLE_LIVE) as LiveEntry<T>
  }

  /**
   * Ask for `key` at `version` unless an answer for it (or a newer one) is on show; while an ask
   * runs, a newer version is asked right after it. A failure keeps the last answer and says why.
   * Never rejects.
   */
  async follow<T>(key: string, version: number, fetch: () => Promise<T>): Promise<void> {
    const entry = this.#entries.get(key)
    if (entry?.status === 'loading') {
      if (version > (this.#wanted.get(key) ?? -Infinity)) this.#wanted.set(key, version)
      return
    }
    if (entry?.status === 'done' && entry.version !== null && entry.version >= version) return
    this.#put(key, {
      status: 'loading',
      data: entry?.data,
      version: entry?.version ?? null,
      problem: null,
    })
    let next: LiveEntry<unknown>
    try {
      next = { status: 'done', data: await fetch(), version, problem: null }
    } catch (err) {
      next = {
        status: 'error',
        data: entry?.data,
        version: entry?.version ?? null,
        problem: describeChainError(err),
      }
    }
    this.#put(key, next)
    const wanted = this.#wanted.get(key)
    this.#wanted.delete(key)
    if (wanted !== undefined && wanted > version) await this.follow(key, wanted, fetch)
  }

  #put(key: string, entry: LiveEntry<unknown>): void {
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value
      if (oldest === undefined) break
      this.#entries.delete(oldest)
    }
    for (const l of this.#listeners) l()
  }
}

/** The explorer's followed answers: one per tab, so moving between pages shows the last ones. */
export const liveReads: LiveReads = new LiveReads()
