/**
 * Ledger state values and the overlay transactions write through.
 *
 * A {@link LedgerState} is immutable: the state tree (./smt.ts) shares every unchanged node with
 * the state it came from. Executing a block opens a {@link LedgerView} over a state: reads fall
 * through to the tree, writes land in an overlay map, and `commit` turns the overlay into one batch
 * of tree changes — so a block of 2,000 transfers touches about 4,000 leaves and their paths, and
 * the input state stays exactly as it was.
 */
import type { SignatureVerifier } from '../ports'
import { MAX_AMOUNT } from './constants'
import { encodeCbor } from './codec'
import { epochOf } from './committee'
import { InvalidAmountError } from './errors'
import type { GenesisConfig } from './genesis'
import {
  hashKey,
  makeLeaf,
  rootHash,
  smtGet,
  smtUpdate,
  smtWalk,
  type SmtChange,
  type SmtNode,
} from './smt'
import type { AssetRecord, NodeAssets } from './assets'
import {
  accountKey,
  assetKey,
  committeeKey,
  nodeAssetsKey,
  nodeKey,
  SUPPLY_KEY,
  type Account,
  type NodeRecord,
  type StoredMember,
  type Supply,
} from './values'

/**
 * An immutable ledger state. Treat it as opaque: read it through the query helpers
 * (`account`, `node`, `totalSupply`, `proveFact`) and the application.
 */
export interface LedgerState {
  /** The chain's validated genesis configuration (parameters of every rule). */
  readonly genesis: GenesisConfig
  /** Height of the last executed block (0 for the genesis state). */
  readonly height: number
  /** Time of the last executed block, ms (the genesis time for the genesis state). */
  readonly time: number
  /** Root of the state tree (32 bytes): what block headers commit to. Do not modify. */
  readonly root: Uint8Array
  /** The state tree. Internal. */
  readonly tree: SmtNode | null
}

/** An account that does not exist yet reads as this. */
export const EMPTY_ACCOUNT: Account = Object.freeze({
  balance: 0n,
  stake: 0n,
  unbonding: Object.freeze([]),
  nonce: 0,
  active: null,
})

/**
 * `a + b` for amounts.
 *
 * @throws {InvalidAmountError} when the sum exceeds 2^64 − 1
 */
export function addAmount(a: bigint, b: bigint): bigint {
  const sum = a + b
  if (sum > MAX_AMOUNT) throw new InvalidAmountError('the result exceeds 2^64 - 1')
  return sum
}

const DELETED = Symbol('deleted')

const NO_ASSETS: NodeAssets = Object.freeze({ live: Object.freeze([]), total: 0 })

/** Read a value from a tree (no overlay). */
export function readTree(tree: SmtNode | null, key: string): unknown {
  return smtGet(tree, hashKey(key))?.value
}

/**
 * A writable view of a state while one block (or one `checkTx`) executes. Values read from it are
 * shared with the state: never mutate them, write a new object with `put`.
 */
export class LedgerView {
  /** The chain's genesis configuration. */
  readonly genesis: GenesisConfig
  /** Height of the block being executed. */
  readonly height: number
  /** Time of the block being executed, ms (for `checkTx`, the last block's time). */
  readonly time: number
  /** Epoch of `height`. */
  readonly epoch: number
  /** Signature verifier of the application. */
  readonly verifier: SignatureVerifier
  #tree: SmtNode | null
  #writes = new Map<string, unknown>()

  /**
   * @param state - the state to read through to
   * @param height - height of the block being executed
   * @param time - its time, ms
   * @param verifier - the application's signature verifier
   */
  constructor(state: LedgerState, height: number, time: number, verifier: SignatureVerifier) {
    this.genesis = state.genesis
    this.height = height
    this.time = time
    this.epoch = epochOf(height, state.genesis.epochLength)
    this.verifier = verifier
    this.#tree = state.tree
  }

  /** The value under `key`, or `undefined`. */
  get(key: string): unknown {
    const written = this.#writes.get(key)
    if (written !== undefined) return written === DELETED ? undefined : written
    return readTree(this.#tree, key)
  }

  /** Write `value` (wire-shaped, encodable by dag-cbor) under `key`. */
  put(key: string, value: unknown): void {
    this.#writes.set(key, value)
  }

  /** Remove `key` from the state. */
  delete(key: string): void {
    this.#writes.set(key, DELETED)
  }

  /** The account of `publicKey`, or `undefined` when it has none. */
  account(publicKey: Uint8Array): Account | undefined {
    return this.get(accountKey(publicKey)) as Account | undefined
  }

  /** Write the account of `publicKey`. */
  putAccount(publicKey: Uint8Array, account: Account): void {
    this.put(accountKey(publicKey), account)
  }

  /** The node of `publicKey`, or `undefined` when it is not registered. */
  node(publicKey: Uint8Array): NodeRecord | undefined {
    return this.get(nodeKey(publicKey)) as NodeRecord | undefined
  }

  /** Write the node of `publicKey`. */
  putNode(publicKey: Uint8Array, node: NodeRecord): void {
    this.put(nodeKey(publicKey), node)
  }

  /** The asset whose UUID is `uuid`, live or retired, or `undefined`. */
  asset(uuid: Uint8Array): AssetRecord | undefined {
    return this.get(assetKey(uuid)) as AssetRecord | undefined
  }

  /** Write the asset whose UUID is `uuid`. */
  putAsset(uuid: Uint8Array, asset: AssetRecord): void {
    this.put(assetKey(uuid), asset)
  }

  /** The asset index of the node `publicKey` (none registered yet: no live, total 0). */
  nodeAssets(publicKey: Uint8Array): NodeAssets {
    return (this.get(nodeAssetsKey(publicKey)) as NodeAssets | undefined) ?? NO_ASSETS
  }

  /** Write the asset index of the node `publicKey`. */
  putNodeAssets(publicKey: Uint8Array, index: NodeAssets): void {
    this.put(nodeAssetsKey(publicKey), index)
  }

  /** The supply counters. */
  supply(): Supply {
    return this.get(SUPPLY_KEY) as Supply
  }

  /** Add `amount` to the burned counter (fees, slashing). */
  burn(amount: bigint): void {
    if (amount === 0n) return
    const s = this.supply()
    this.put(SUPPLY_KEY, { ...s, burned: s.burned + amount })
  }

  /** Add `amount` to the minted counter (grants). */
  mint(amount: bigint): void {
    if (amount === 0n) return
    const s = this.supply()
    this.put(SUPPLY_KEY, { ...s, minted: s.minted + amount })
  }

  /** The committee stored for `epoch`, or `undefined` (pruned or not elected yet). */
  committee(epoch: number): readonly StoredMember[] | undefined {
    return this.get(committeeKey(epoch)) as readonly StoredMember[] | undefined
  }

  /** Apply the overlay to the tree now (before walking it). */
  flush(): void {
    if (this.#writes.size === 0) return
    const changes: SmtChange[] = []
    for (const [key, value] of this.#writes) {
      const keyHash = hashKey(key)
      changes.push({
        keyHash,
        leaf: value === DELETED ? null : makeLeaf(key, value, encodeCbor(value), keyHash),
      })
    }
    this.#tree = smtUpdate(this.#tree, changes)
    this.#writes = new Map()
  }

  /** Call `visit` on every entry whose key starts with `prefix` (flushes first). */
  scan(prefix: string, visit: (key: string, value: unknown) => void): void {
    this.flush()
    smtWalk(this.#tree, (leaf) => {
      if (leaf.key.startsWith(prefix)) visit(leaf.key, leaf.value)
    })
  }

  /** The new state: the overlay applied to the tree, at this view's height and time. */
  commit(): LedgerState {
    this.flush()
    return Object.freeze({
      genesis: this.genesis,
      height: this.height,
      time: this.time,
      root: rootHash(this.#tree),
      tree: this.#tree,
    })
  }
}
