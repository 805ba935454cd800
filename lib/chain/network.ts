/**
 * The network as the chain sees it: three gossip topics (proposals, votes, transactions) and one
 * request/response protocol to fetch committed blocks from a peer (block sync). Payloads are opaque
 * bytes here; lib/consensus decodes and checks them. One implementation per platform:
 * libp2p directly (server anchor, headless node: lib/adapters/libp2p-chain-network.ts), and a
 * worker bridge in the browser, where libp2p lives on the main thread and the chain in a worker
 * (lib/adapters/worker-chain-network.ts).
 */

/** Gossip topics of the chain (docs/consensus.md, "Network"). */
export const CHAIN_TOPICS = {
  proposal: 'hypermesh/chain/1/proposal',
  vote: 'hypermesh/chain/1/vote',
  tx: 'hypermesh/chain/1/tx',
} as const

/** A gossip topic by its short name. */
export type ChainTopic = keyof typeof CHAIN_TOPICS

/** Block sync: request `{ from, to }`, answer one frame per committed block, then an empty frame. */
export const BLOCK_SYNC_PROTOCOL = '/hypermesh/blocksync/1'

/** Most blocks one sync request may ask for. */
export const MAX_SYNC_BLOCKS = 256

/** Largest frame of a sync answer (one block with its commit certificate). */
export const MAX_SYNC_FRAME_BYTES = 4 * 1024 * 1024

/** A gossip message as it arrives. */
export interface ChainMessage {
  topic: ChainTopic
  data: Uint8Array
  /** Peer ID (string form) of the message's author, as signed by gossipsub. */
  from: string
}

/** Answers block sync requests: encoded committed blocks `from..to` (inclusive), possibly fewer. */
export type BlockSource = (
  from: number,
  to: number,
  options: { signal?: AbortSignal },
) => Promise<Uint8Array[]>

/** The chain's view of the network. */
export interface ChainNetwork {
  /** Gossip `data` on `topic`. Never throws for lack of peers: gossip is best effort. */
  publish(topic: ChainTopic, data: Uint8Array): Promise<void>
  /** Receive gossip; returns a function that stops delivery. */
  onMessage(handler: (message: ChainMessage) => void): () => void
  /**
   * Fetch committed blocks `from..to` from a peer (any peer that has them when `peer` is absent).
   * Resolves with what the peer returned (maybe fewer, maybe none); rejects when no peer answered.
   */
  fetchBlocks(
    from: number,
    to: number,
    options: { peer?: string; signal?: AbortSignal },
  ): Promise<{ peer: string; blocks: Uint8Array[] }>
  /** Serve block sync requests from `source`. */
  serveBlocks(source: BlockSource): void
}

/** Sync request codec: two unsigned 32-bit heights, big-endian. */
export function encodeSyncRequest(from: number, to: number): Uint8Array {
  const out = new Uint8Array(8)
  const view = new DataView(out.buffer)
  view.setUint32(0, from)
  view.setUint32(4, to)
  return out
}

/** Error of a malformed block sync request. */
export class SyncRequestError extends Error {
  override readonly name = 'SyncRequestError'
  readonly code = 'ERR_SYNC_REQUEST'
}

/** Decode and check a sync request: 8 bytes, 1 ≤ from ≤ to, at most {@link MAX_SYNC_BLOCKS}. */
export function decodeSyncRequest(bytes: Uint8Array): { from: number; to: number } {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 8) {
    throw new SyncRequestError('decodeSyncRequest: expected 8 bytes')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8)
  const from = view.getUint32(0)
  const to = view.getUint32(4)
  if (from < 1 || to < from || to - from + 1 > MAX_SYNC_BLOCKS) {
    throw new SyncRequestError(`decodeSyncRequest: bad range ${from}..${to}`)
  }
  return { from, to }
}
