/**
 * A small deterministic application for consensus tests and the simulator: a key → counter map.
 * Transactions are UTF-8 text: `add <key> <n> <tag>` adds n to a counter (the tag only makes the
 * transaction unique), `once <key> <tag>` creates a counter that must not exist yet (two of them
 * for one key conflict: each passes `checkTx`, the second fails execution). The state root is the
 * SHA-256 of the canonical encoding of the height, the BFT time, the proposer and the sorted
 * entries, so it commits to what consensus passed in as well.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import type { Application, BlockContext, CommitteeMember } from '../application'
import { toHex } from '../bytes'

/** State of {@link kvApp}. Immutable. */
export interface KvState {
  readonly height: number
  readonly time: number
  readonly proposer: string
  readonly entries: ReadonlyMap<string, number>
  readonly validators: readonly CommitteeMember[]
  /** Signers of the last commit of each executed height (uptime), for tests. */
  readonly signers: number
}

/** A transaction {@link kvApp} refuses. */
export class KvTxError extends Error {
  override readonly name = 'KvTxError'
  readonly code = 'ERR_KV_TX'
}

type KvTx = { op: 'add'; key: string; n: number } | { op: 'once'; key: string }

const decoder = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

function parse(tx: Uint8Array): KvTx {
  let text: string
  try {
    text = decoder.decode(tx)
  } catch {
    throw new KvTxError('not UTF-8')
  }
  const parts = text.split(' ')
  if (parts[0] === 'add' && parts.length === 4 && /^\d{1,6}$/.test(parts[2]!)) {
    return { op: 'add', key: parts[1]!, n: Number(parts[2]) }
  }
  if (parts[0] === 'once' && parts.length === 3) return { op: 'once', key: parts[1]! }
  throw new KvTxError('malformed transaction')
}

/** `add <key> <n> <tag>` as bytes. */
export function addTx(key: string, n: number, tag: string | number): Uint8Array {
  return encoder.encode(`add ${key} ${n} ${tag}`)
}

/** `once <key> <tag>` as bytes. */
export function onceTx(key: string, tag: string | number): Uint8Array {
  return encoder.encode(`once ${key} ${tag}`)
}

/** The genesis state: no entries, the given validators. */
export function kvGenesis(validators: readonly CommitteeMember[]): KvState {
  return { height: 0, time: 0, proposer: '', entries: new Map(), validators, signers: 0 }
}

/** The key → counter application. */
export function kvApp(): Application<KvState> {
  const roots = new WeakMap<KvState, Uint8Array>()
  return {
    checkTx(state, tx) {
      const t = parse(tx)
      if (t.op === 'once' && state.entries.has(t.key)) throw new KvTxError('key exists')
    },
    executeBlock(state: KvState, context: BlockContext, txs) {
      const entries = new Map(state.entries)
      for (const tx of txs) {
        const t = parse(tx)
        if (t.op === 'add') entries.set(t.key, (entries.get(t.key) ?? 0) + t.n)
        else if (entries.has(t.key)) throw new KvTxError('key exists')
        else entries.set(t.key, 1)
      }
      return {
        height: context.height,
        time: context.time,
        proposer: toHex(context.proposer),
        entries,
        validators: state.validators,
        signers: context.lastCommitSigners.length,
      }
    },
    stateRoot(state) {
      let root = roots.get(state)
      if (root === undefined) {
        const sorted = [...state.entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        root = sha256(
          dagCbor.encode([state.height, state.time, state.proposer, state.signers, sorted]),
        )
        roots.set(state, root)
      }
      return root
    },
    committee(state) {
      return state.validators
    },
  }
}
