/**
 * {@link ChainNetwork} inside the consensus worker: gossip and block sync go through the main
 * thread, which owns the libp2p node (lib/client/chain-bridge.ts on the other side).
 */
import type { BlockSource, ChainMessage, ChainNetwork } from '@/lib/chain/network'
import type { FromChainWorker } from '@/lib/chain/worker-protocol'

/** The worker's side of the bridge: feed it the main thread's messages with `deliver`/`settle`/`serve`. */
export interface WorkerChainNetwork extends ChainNetwork {
  deliver(message: ChainMessage): void
  settle(
    id: number,
    outcome: { ok: true; peer: string; blocks: Uint8Array[] } | { ok: false; error: string },
  ): void
  serve(id: number, from: number, to: number): Promise<void>
}

/** Build the worker's network port; `post` sends a message to the main thread. */
export function workerChainNetwork(post: (m: FromChainWorker) => void): WorkerChainNetwork {
  const handlers = new Set<(m: ChainMessage) => void>()
  const waiting = new Map<
    number,
    { resolve: (v: { peer: string; blocks: Uint8Array[] }) => void; reject: (e: Error) => void }
  >()
  let source: BlockSource | null = null
  let next = 1
  return {
    async publish(topic, data) {
      post({ type: 'publish', topic, data })
    },
    onMessage(handler) {
      handlers.add(handler)
      return () => handlers.delete(handler)
    },
    fetchBlocks(from, to, options) {
      const id = next++
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject })
        options.signal?.addEventListener('abort', () => {
          waiting.delete(id)
          reject(options.signal!.reason as Error)
        })
        post({
          type: 'fetch',
          id,
          from,
          to,
          ...(options.peer !== undefined ? { peer: options.peer } : {}),
        })
      })
    },
    serveBlocks(s) {
      source = s
    },
    deliver(message) {
      for (const h of handlers) h(message)
    },
    settle(id, outcome) {
      const w = waiting.get(id)
      if (w === undefined) return
      waiting.delete(id)
      if (outcome.ok) w.resolve({ peer: outcome.peer, blocks: outcome.blocks })
      else w.reject(new Error(outcome.error))
    },
    async serve(id, from, to) {
      let blocks: Uint8Array[]
      try {
        blocks = source === null ? [] : await source(from, to, {})
      } catch {
        blocks = []
      }
      post({ type: 'served', id, blocks })
    },
  }
}
