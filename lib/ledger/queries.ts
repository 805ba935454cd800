/**
 * Reading a state: the helpers the UI, the wallet and proofs of state need. All pure; none
 * changes the state.
 */
import { MAX_PROOF_BYTES, MAX_PROOF_DEPTH, PUBLIC_KEY_BYTES } from './constants'
import { decodeCanonical, encodeCbor, readBytes, readList, readMap } from './codec'
import { LedgerArgumentError, UnknownFactError } from './errors'
import { hashKey, smtGet, smtProve, smtWalk, verifyInclusion, HASH_BYTES } from './smt'
import { readTree, type LedgerState } from './state'
import {
  accountKey,
  nodeKey,
  SUPPLY_KEY,
  type Account,
  type NodeRecord,
  type Supply,
} from './values'

function publicKeyArg(publicKey: Uint8Array, where: string): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new LedgerArgumentError(where, 'must be a 32-byte public key')
  }
}

/**
 * The account of `publicKey`, or `undefined` when it has none.
 *
 * @throws {LedgerArgumentError} when `publicKey` is not 32 bytes
 * @example
 * ```ts
 * account(state, alice.publicKey)?.balance // 1000n
 * ```
 */
export function account(state: LedgerState, publicKey: Uint8Array): Account | undefined {
  publicKeyArg(publicKey, 'account.publicKey')
  return readTree(state.tree, accountKey(publicKey)) as Account | undefined
}

/**
 * The node record of `publicKey`, or `undefined` when it is not registered.
 *
 * @throws {LedgerArgumentError} when `publicKey` is not 32 bytes
 */
export function node(state: LedgerState, publicKey: Uint8Array): NodeRecord | undefined {
  publicKeyArg(publicKey, 'node.publicKey')
  return readTree(state.tree, nodeKey(publicKey)) as NodeRecord | undefined
}

/** The supply counters (`meta/supply`). */
export function supplyCounters(state: LedgerState): Supply {
  return readTree(state.tree, SUPPLY_KEY) as Supply
}

/** Total supply by the counters: genesis + minted − burned. */
export function totalSupply(state: LedgerState): bigint {
  const s = supplyCounters(state)
  return s.genesis + s.minted - s.burned
}

/** Result of {@link checkSupply}. */
export interface SupplyReport {
  /** Whether `held` equals `expected`. */
  ok: boolean
  /** Sum over all accounts of balance + stake + unbonding. */
  held: bigint
  /** genesis + minted − burned. */
  expected: bigint
}

/**
 * Check the supply invariant: the credits held by all accounts (balances, stakes, unbonding)
 * equal genesis + minted − burned. Walks the whole state: for tests, audits and the simulator.
 */
export function checkSupply(state: LedgerState): SupplyReport {
  let held = 0n
  smtWalk(state.tree, (leaf) => {
    if (!leaf.key.startsWith('account/')) return
    const a = leaf.value as Account
    held += a.balance + a.stake
    for (const e of a.unbonding) held += e.amount
  })
  const expected = totalSupply(state)
  return { ok: held === expected, held, expected }
}

/** An inclusion proof of one state entry. */
export interface StateProof {
  /** Sibling hashes from the root down to the leaf (32 bytes each; zeros for an empty subtree). */
  siblings: Uint8Array[]
}

/** One fact of a state with its proof: everything {@link verifyFact} needs but the root. */
export interface ProvenFact {
  /** The state key, e.g. `account/<hex>`. */
  key: string
  /** The value's canonical dag-cbor (decode with `decodeFactValue`). */
  value: Uint8Array
  /** Its inclusion proof. */
  proof: StateProof
}

/**
 * The value under `key` with its inclusion proof against `state.root`.
 *
 * @throws {UnknownFactError} when the state holds nothing under `key`
 * @example
 * ```ts
 * const fact = proveFact(state, accountKey(alice.publicKey))
 * verifyFact(app.stateRoot(state), fact.key, fact.value, fact.proof) // true
 * ```
 */
export function proveFact(state: LedgerState, key: string): ProvenFact {
  if (typeof key !== 'string') throw new LedgerArgumentError('proveFact.key', 'must be a string')
  const keyHash = hashKey(key)
  const leaf = smtGet(state.tree, keyHash)
  const siblings = smtProve(state.tree, keyHash)
  if (leaf === undefined || siblings === undefined) throw new UnknownFactError(key)
  return { key, value: leaf.bytes.slice(), proof: { siblings } }
}

/**
 * Whether `proof` shows that the state with root `stateRoot` maps `key` to `valueBytes`. Needs
 * nothing else (no state, no network): a browser verifies a proof of state offline. Never throws.
 *
 * @param stateRoot - 32-byte root, from a block header covered by a commit certificate
 * @param key - the state key (UTF-8 string) or its bytes
 * @param valueBytes - the value's canonical dag-cbor
 * @param proof - the inclusion proof
 */
export function verifyFact(
  stateRoot: Uint8Array,
  key: string | Uint8Array,
  valueBytes: Uint8Array,
  proof: StateProof,
): boolean {
  if (typeof proof !== 'object' || proof === null) return false
  return verifyInclusion(stateRoot, key, valueBytes, proof.siblings)
}

/** Encode a proof for the wire: dag-cbor `{ siblings: [bytes(32), …] }`. */
export function encodeStateProof(proof: StateProof): Uint8Array {
  return encodeCbor({ siblings: proof.siblings })
}

/**
 * Decode a proof from the wire (canonical dag-cbor, at most 256 siblings of 32 bytes).
 *
 * @throws {LedgerDecodeError} otherwise
 */
export function decodeStateProof(bytes: Uint8Array): StateProof {
  const m = readMap(decodeCanonical(bytes, MAX_PROOF_BYTES), 'proof', ['siblings'])
  return {
    siblings: readList(m.siblings, 'proof.siblings', MAX_PROOF_DEPTH, (x, f) =>
      readBytes(x, f, HASH_BYTES),
    ),
  }
}
