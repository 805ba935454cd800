/**
 * {@link ChainNetwork} over a libp2p node with gossipsub: the chain's topics, and block sync as a
 * length-prefixed stream protocol (request, then one frame per block, then an empty frame).
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { GossipSub } from '@libp2p/gossipsub'
import {
  BLOCK_SYNC_PROTOCOL,
  CHAIN_TOPICS,
  decodeSyncRequest,
  encodeSyncRequest,
  MAX_SYNC_BLOCKS,
  MAX_SYNC_FRAME_BYTES,
  type BlockSource,
  type ChainMessage,
  type ChainNetwork,
  type ChainTopic,
} from '@/lib/chain/network'

const TOPIC_BY_NAME = new Map<string, ChainTopic>(
  Object.entries(CHAIN_TOPICS).map(([short, full]) => [full, short as ChainTopic]),
)

/** Options of {@link libp2pChainNetwork}. */
export interface Libp2pChainNetworkInit {
  /** Time allowed for one sync request, ms (default 10 s). */
  syncTimeoutMs?: number
  /** Peers tried first for sync (e.g. the server's anchor validator). */
  preferredSyncPeers?: () => string[]
}

/**
 * Join the chain's topics on `libp2p` and return the network port. `stop()` leaves the topics and
 * unregisters the sync protocol.
 */
export async function libp2pChainNetwork(
  libp2p: Libp2p<{ pubsub: GossipSub }>,
  init: Libp2pChainNetworkInit = {},
): Promise<ChainNetwork & { stop(): Promise<void> }> {
  const pubsub = libp2p.services.pubsub
  const handlers = new Set<(m: ChainMessage) => void>()
  let source: BlockSource | null = null
  const timeoutMs = init.syncTimeoutMs ?? 10_000

  const onMessage = (
    evt: CustomEvent<{ topic: string; data: Uint8Array; type: string; from?: PeerId }>,
  ): void => {
    const { topic, data } = evt.detail
    const short = TOPIC_BY_NAME.get(topic)
    if (short === undefined) return
    const from = evt.detail.type === 'signed' ? (evt.detail.from?.toString() ?? '') : ''
    for (const h of handlers) h({ topic: short, data, from })
  }
  pubsub.addEventListener('message', onMessage as never)
  for (const topic of Object.values(CHAIN_TOPICS)) pubsub.subscribe(topic)

  await libp2p.handle(
    BLOCK_SYNC_PROTOCOL,
    (stream: Stream) => {
      void serve(stream)
    },
    { maxInboundStreams: 8, runOnLimitedConnection: false },
  )

  async function serve(stream: Stream): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs)
    const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
    try {
      const { from, to } = decodeSyncRequest((await lp.read({ signal })).subarray())
      const blocks = source === null ? [] : await source(from, to, { signal })
      for (const b of blocks.slice(0, MAX_SYNC_BLOCKS)) await lp.write(b, { signal })
      await lp.write(new Uint8Array(0), { signal })
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  async function fetchFrom(
    peer: string,
    from: number,
    to: number,
    signal: AbortSignal,
  ): Promise<Uint8Array[]> {
    const connection = libp2p.getConnections().find((c) => c.remotePeer.toString() === peer)
    if (connection === undefined) throw new Error(`fetchBlocks: not connected to ${peer}`)
    const stream = await connection.newStream(BLOCK_SYNC_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
    try {
      await lp.write(encodeSyncRequest(from, to), { signal })
      const blocks: Uint8Array[] = []
      for (;;) {
        const frame = (await lp.read({ signal })).subarray()
        if (frame.length === 0) break
        if (blocks.length >= MAX_SYNC_BLOCKS) throw new Error('fetchBlocks: too many frames')
        blocks.push(frame)
      }
      await stream.close({ signal }).catch(() => undefined)
      return blocks
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  }

  return {
    async publish(topic, data) {
      try {
        await pubsub.publish(CHAIN_TOPICS[topic], data)
      } catch {
        // Best effort: no peers yet, or a duplicate of something already relayed.
      }
    },
    onMessage(handler) {
      handlers.add(handler)
      return () => handlers.delete(handler)
    },
    async fetchBlocks(from, to, options) {
      const signal = options.signal
        ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)])
        : AbortSignal.timeout(timeoutMs)
      const connected = [...new Set(libp2p.getConnections().map((c) => c.remotePeer.toString()))]
      const candidates =
        options.peer !== undefined
          ? [options.peer]
          : [
              ...(init.preferredSyncPeers?.() ?? []).filter((p) => connected.includes(p)),
              ...connected,
            ]
      let last: unknown = new Error('fetchBlocks: no connected peer')
      for (const peer of [...new Set(candidates)]) {
        try {
          return { peer, blocks: await fetchFrom(peer, from, to, signal) }
        } catch (err) {
          last = err
          if (signal.aborted) break
        }
      }
      throw last
    },
    serveBlocks(s) {
      source = s
    },
    async stop() {
      pubsub.removeEventListener('message', onMessage as never)
      for (const topic of Object.values(CHAIN_TOPICS)) pubsub.unsubscribe(topic)
      await libp2p.unhandle(BLOCK_SYNC_PROTOCOL).catch(() => undefined)
      handlers.clear()
    },
  }
}
