/**
 * Reading a state: the helpers the UI, the wallet and proofs of state need. All pure; none
 * changes the state.
 */
import type { AssetRecord, NodeAssets } from './assets'
import {
  ASSET_ONLINE_WINDOW_BLOCKS,
  MAX_PROOF_BYTES,
  MAX_PROOF_DEPTH,
  PUBLIC_KEY_BYTES,
} from './constants'
import {
  compareBytes,
  decodeCanonical,
  encodeCbor,
  fromHex,
  readBytes,
  readList,
  readMap,
} from './codec'
import { LedgerArgumentError, UnknownFactError } from './errors'
import { hashKey, smtGet, smtProve, smtWalk, verifyInclusion, HASH_BYTES } from './smt'
import { readTree, type LedgerState } from './state'
import {
  accountKey,
  assetKey,
  nodeAssetsKey,
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

/** An asset and its UUID, as the listing queries return them. */
export interface AssetEntry {
  /** The asset's UUID (16 bytes): its state key is `asset/<hex>`. */
  uuid: Uint8Array
  record: AssetRecord
}

function uuidArg(uuid: Uint8Array, where: string): void {
  if (!(uuid instanceof Uint8Array) || uuid.length !== 16) {
    throw new LedgerArgumentError(where, 'must be a 16-byte asset UUID')
  }
}

/**
 * The asset whose UUID is `uuid`, live or retired, or `undefined` when none was registered.
 *
 * @throws {LedgerArgumentError} when `uuid` is not 16 bytes
 * @example
 * ```ts
 * asset(state, parseAssetUuid('0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f'))?.owner
 * ```
 */
export function asset(state: LedgerState, uuid: Uint8Array): AssetRecord | undefined {
  uuidArg(uuid, 'asset.uuid')
  return readTree(state.tree, assetKey(uuid)) as AssetRecord | undefined
}

/** Options of {@link assetsOf} and {@link allAssets}. */
export interface AssetListOptions {
  /** Include retired assets (default false: live ones only). */
  includeRetired?: boolean
  /** At most this many (default: all). */
  limit?: number
}

function limitArg(limit: number | undefined, where: string): number {
  if (limit === undefined) return Number.POSITIVE_INFINITY
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new LedgerArgumentError(where, 'must be a non-negative integer')
  }
  return limit
}

/**
 * The assets of node `owner`. Live ones come from its index (`node-assets/<key>`, at most 16
 * reads), in registration order; with `includeRetired` the whole state is walked (retired
 * assets leave the index), by registration height (within one block by UUID).
 *
 * @throws {LedgerArgumentError} when `owner` is not 32 bytes or `limit` is not a count
 */
export function assetsOf(
  state: LedgerState,
  owner: Uint8Array,
  options: AssetListOptions = {},
): AssetEntry[] {
  publicKeyArg(owner, 'assetsOf.owner')
  const limit = limitArg(options.limit, 'assetsOf.limit')
  if (options.includeRetired === true) {
    return allAssets(state, { includeRetired: true })
      .filter((e) => compareBytes(e.record.owner, owner) === 0)
      .sort(
        (a, b) =>
          a.record.registeredHeight - b.record.registeredHeight || compareBytes(a.uuid, b.uuid),
      )
      .slice(0, limit)
  }
  const index = readTree(state.tree, nodeAssetsKey(owner)) as NodeAssets | undefined
  return (index?.live ?? []).slice(0, limit).map((uuid) => ({
    uuid,
    record: readTree(state.tree, assetKey(uuid)) as AssetRecord,
  }))
}

/**
 * Every asset of the state, newest registration first (ties by UUID). A walk of the whole state
 * tree, O(entries): the tree is keyed by hashes, so no prefix range is cheaper. Meant for the
 * explorer, which asks once per block; a caller that asks more often should cache by state.
 *
 * @throws {LedgerArgumentError} when `limit` is not a count
 */
export function allAssets(state: LedgerState, options: AssetListOptions = {}): AssetEntry[] {
  const limit = limitArg(options.limit, 'allAssets.limit')
  const out: AssetEntry[] = []
  smtWalk(state.tree, (leaf) => {
    if (!leaf.key.startsWith('asset/')) return
    const record = leaf.value as AssetRecord
    if (record.retiredHeight !== null && options.includeRetired !== true) return
    out.push({ uuid: fromHex(leaf.key.slice('asset/'.length))!, record })
  })
  out.sort(
    (a, b) => b.record.registeredHeight - a.record.registeredHeight || compareBytes(a.uuid, b.uuid),
  )
  return out.slice(0, limit)
}

/** Parameters of {@link assetOnline}. */
export interface AssetOnlineParams {
  /** How many blocks a sign of life stays fresh (default {@link ASSET_ONLINE_WINDOW_BLOCKS}). */
  windowBlocks: number
}

/** The default {@link AssetOnlineParams}. */
export const DEFAULT_ASSET_ONLINE: AssetOnlineParams = Object.freeze({
  windowBlocks: ASSET_ONLINE_WINDOW_BLOCKS,
})

/**
 * The latest height at which the chain saw a sign of life of an asset: its registration or latest
 * update, the latest attestation its node sent as a witness (`coordHeight`), or the height at
 * which a witness last measured its node (`attestation.height`). Each is signed by the owner
 * node or measured by a peer of it, and finalized.
 */
export function assetLastSeen(record: AssetRecord, owner: NodeRecord | undefined): number {
  return Math.max(record.updatedHeight, owner?.coordHeight ?? 0, owner?.attestation?.height ?? 0)
}

/**
 * Whether an asset is online as far as the chain can tell: not retired, and its latest sign of
 * life ({@link assetLastSeen}) at most `params.windowBlocks` blocks before `height`. This is the
 * on-chain half; the mesh's heartbeats are the other (the explorer combines both). Pure: the
 * same state and height give the same answer on every node.
 *
 * @param record - the asset
 * @param owner - its owner's node record (`node(state, record.owner)`)
 * @param height - the height to judge at, normally the state's (`state.height`)
 * @param params - the window; default {@link DEFAULT_ASSET_ONLINE}
 * @throws {LedgerArgumentError} when `height` or the window is not a non-negative integer
 * @example
 * ```ts
 * const a = asset(state, uuid)!
 * assetOnline(a, node(state, a.owner), state.height) // true within 120 blocks of a sign of life
 * ```
 */
export function assetOnline(
  record: AssetRecord,
  owner: NodeRecord | undefined,
  height: number,
  params: AssetOnlineParams = DEFAULT_ASSET_ONLINE,
): boolean {
  if (!Number.isSafeInteger(height) || height < 0) {
    throw new LedgerArgumentError('assetOnline.height', 'must be a non-negative integer')
  }
  const window = params?.windowBlocks
  if (!Number.isSafeInteger(window) || window < 0) {
    throw new LedgerArgumentError(
      'assetOnline.params.windowBlocks',
      'must be a non-negative integer',
    )
  }
  if (record.retiredHeight !== null) return false
  return height - assetLastSeen(record, owner) <= window
}

/**
 * The facts that prove an asset: `asset/<uuid>` and its owner's `node/<key>` (latest own
 * coordinate and latest attestation about it: where the asset is in the network), each with its
 * inclusion proof against `state.root`. With a block header and commit certificate covering that
 * root (lib/chain/proof-of-state.ts) this shows "asset A, owned by node N, at network position P,
 * registered at time T" offline.
 *
 * @throws {UnknownFactError} when no asset has this UUID
 * @throws {LedgerArgumentError} when `uuid` is not 16 bytes
 */
export function proveAsset(state: LedgerState, uuid: Uint8Array): ProvenFact[] {
  uuidArg(uuid, 'proveAsset.uuid')
  const fact = proveFact(state, assetKey(uuid))
  const record = readTree(state.tree, assetKey(uuid)) as AssetRecord
  return [fact, proveFact(state, nodeKey(record.owner))]
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
