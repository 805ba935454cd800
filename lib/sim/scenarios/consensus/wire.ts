/**
 * Frames of the consensus scenario on the simulated network: one tag byte, then the payload the
 * real runtime would carry on that gossip topic or stream (lib/chain/network.ts): an encoded
 * proposal, vote or transaction, or a block-sync request / response. Sync responses carry blocks
 * in the stored form of the real chain node (`encodeStoredBlock`: block + certificate).
 */
import * as dagCbor from '@ipld/dag-cbor'
import type { Topic } from '@/lib/consensus/core'

export const TAG_PROPOSAL = 1
export const TAG_VOTE = 2
export const TAG_TX = 3
export const TAG_SYNC_REQUEST = 4
export const TAG_SYNC_RESPONSE = 5

const TOPIC_TAG: Record<Topic, number> = { proposal: TAG_PROPOSAL, vote: TAG_VOTE, tx: TAG_TX }

/** Most blocks one sync response carries. */
export const SYNC_BATCH = 32

/** `tag ‖ payload`. */
export function frame(tag: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1)
  out[0] = tag
  out.set(payload, 1)
  return out
}

/** The frame of a gossip message on `topic`. */
export function topicFrame(topic: Topic, payload: Uint8Array): Uint8Array {
  return frame(TOPIC_TAG[topic], payload)
}

/** The gossip topic of a frame, or `null` for other frames. */
export function frameTopic(bytes: Uint8Array): Topic | null {
  switch (bytes[0]) {
    case TAG_PROPOSAL:
      return 'proposal'
    case TAG_VOTE:
      return 'vote'
    case TAG_TX:
      return 'tx'
    default:
      return null
  }
}

/** The payload of a frame (a view, not a copy: frames are never mutated). */
export function payloadOf(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(1)
}

/** A request for blocks from `fromHeight` on. */
export function syncRequest(fromHeight: number): Uint8Array {
  const out = new Uint8Array(5)
  out[0] = TAG_SYNC_REQUEST
  new DataView(out.buffer).setUint32(1, fromHeight)
  return out
}

/** The height a sync request asks from, or `null` when the frame is not one. */
export function decodeSyncRequest(bytes: Uint8Array): number | null {
  if (bytes.length !== 5 || bytes[0] !== TAG_SYNC_REQUEST) return null
  return new DataView(bytes.buffer, bytes.byteOffset, 5).getUint32(1)
}

/** A response: stored blocks (`encodeStoredBlock` bytes), consecutive heights. */
export function syncResponse(blocks: readonly Uint8Array[]): Uint8Array {
  return frame(TAG_SYNC_RESPONSE, dagCbor.encode(blocks))
}

/** The stored blocks of a sync response; throws on anything else. */
export function decodeSyncResponse(bytes: Uint8Array): Uint8Array[] {
  const list = dagCbor.decode(payloadOf(bytes)) as unknown
  if (!Array.isArray(list) || !list.every((b) => b instanceof Uint8Array)) {
    throw new TypeError('sync response: expected a list of byte strings')
  }
  return list as Uint8Array[]
}

/** Message kind of a frame, for the simulator's per-kind metrics. */
export function frameKind(bytes: Uint8Array): string {
  switch (bytes[0]) {
    case TAG_PROPOSAL:
      return 'proposal'
    case TAG_VOTE:
      return 'vote'
    case TAG_TX:
      return 'tx'
    case TAG_SYNC_REQUEST:
      return 'sync-request'
    case TAG_SYNC_RESPONSE:
      return 'sync-response'
    default:
      return 'unknown'
  }
}
