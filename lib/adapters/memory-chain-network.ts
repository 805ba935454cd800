/**
 * {@link ChainNetwork} in memory, for tests: a hub that delivers every published message to every
 * other member asynchronously (a microtask later), and answers block sync from the members'
 * sources. Members can be disconnected and reconnected.
 */
import type { BlockSource, ChainMessage, ChainNetwork } from '@/lib/chain/network'

/** Connects in-memory chain networks. */
export class MemoryChainHub {
  readonly #members = new Map<
    string,
    { handlers: Set<(m: ChainMessage) => void>; source: BlockSource | null; up: boolean }
  >()

  /** The network port of member `id`. */
  join(id: string): ChainNetwork {
    const me = {
      handlers: new Set<(m: ChainMessage) => void>(),
      source: null as BlockSource | null,
      up: true,
    }
    this.#members.set(id, me)
    return {
      publish: async (topic, data) => {
        if (!me.up) return
        for (const [other, m] of this.#members) {
          if (other === id || !m.up) continue
          queueMicrotask(() => {
            if (m.up) for (const h of m.handlers) h({ topic, data, from: id })
          })
        }
      },
      onMessage: (handler) => {
        me.handlers.add(handler)
        return () => me.handlers.delete(handler)
      },
      fetchBlocks: async (from, to, options) => {
        const peers = [...this.#members].filter(
          ([other, m]) =>
            other !== id &&
            m.up &&
            m.source !== null &&
            (options.peer === undefined || other === options.peer),
        )
        if (!me.up || peers.length === 0) throw new Error('fetchBlocks: no peer')
        let best: { peer: string; blocks: Uint8Array[] } = { peer: peers[0]![0], blocks: [] }
        for (const [peer, m] of peers) {
          const blocks = await m.source!(from, to, options)
          if (blocks.length > best.blocks.length) best = { peer, blocks }
        }
        return best
      },
      serveBlocks: (source) => {
        me.source = source
      },
    }
  }

  /** Cut a member off (its messages and sync requests go nowhere) or bring it back. */
  setUp(id: string, up: boolean): void {
    const m = this.#members.get(id)
    if (m !== undefined) m.up = up
  }

  /** Forget a member (it crashed; a new one may join under the same id). */
  leave(id: string): void {
    this.#members.delete(id)
  }
}
