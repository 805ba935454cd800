/**
 * Snapshots of a ledger state, so a node that restarts loads the state of a recent block instead
 * of replaying the chain from genesis. A snapshot is every state entry (key and canonical value
 * bytes) plus the genesis, height and time; decoding rebuilds the tree and checks that its root is
 * the one recorded, so a damaged snapshot is refused rather than trusted.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { decodeGenesis, encodeGenesis } from './genesis'
import { LedgerDecodeError } from './errors'
import { makeLeaf, rootHash, smtUpdate, smtWalk, type SmtChange } from './smt'
import type { LedgerState } from './state'
import { decodeFactValue } from './values'
import { equalBytes } from './codec'

/** Encode every entry of `state` (dag-cbor). */
export function encodeLedgerState(state: LedgerState): Uint8Array {
  const entries: [string, Uint8Array][] = []
  smtWalk(state.tree, (leaf) => entries.push([leaf.key, leaf.bytes]))
  return dagCbor.encode({
    g: encodeGenesis(state.genesis),
    h: state.height,
    t: state.time,
    r: state.root,
    e: entries,
  })
}

/**
 * Rebuild a state from {@link encodeLedgerState}'s bytes.
 *
 * @throws {LedgerDecodeError} when the bytes are not a snapshot or the rebuilt root differs
 */
export function decodeLedgerState(bytes: Uint8Array): LedgerState {
  let raw: { g?: unknown; h?: unknown; t?: unknown; r?: unknown; e?: unknown }
  try {
    raw = dagCbor.decode(bytes) as typeof raw
  } catch (err) {
    throw new LedgerDecodeError('snapshot', `not dag-cbor (${(err as Error).message})`)
  }
  if (
    !(raw.g instanceof Uint8Array) ||
    typeof raw.h !== 'number' ||
    typeof raw.t !== 'number' ||
    !(raw.r instanceof Uint8Array) ||
    !Array.isArray(raw.e)
  ) {
    throw new LedgerDecodeError('snapshot', 'expected { g, h, t, r, e }')
  }
  const changes: SmtChange[] = raw.e.map((entry: unknown) => {
    const [key, value] = entry as [unknown, unknown]
    if (typeof key !== 'string' || !(value instanceof Uint8Array)) {
      throw new LedgerDecodeError('snapshot.e', 'expected [key, bytes] entries')
    }
    const leaf = makeLeaf(key, decodeFactValue(key, value).value, value)
    return { keyHash: leaf.keyHash, leaf }
  })
  const tree = smtUpdate(null, changes)
  const root = rootHash(tree)
  if (!equalBytes(root, raw.r)) {
    throw new LedgerDecodeError('snapshot', 'the entries do not hash to the recorded root')
  }
  return { genesis: decodeGenesis(raw.g), height: raw.h, time: raw.t, root, tree }
}
