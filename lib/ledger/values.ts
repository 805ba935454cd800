/**
 * The state: every entry is a key (ASCII string, `<namespace>/<id>`) and a value whose canonical
 * dag-cbor bytes are a leaf of the state tree. In memory a value is its wire-shaped object (amounts
 * bigint), so writing it is one `dagCbor.encode`. This module names the keys, types the values and
 * decodes value bytes strictly (a proof of state hands them over the network).
 *
 * docs/ledger.md, "State entries", lists every namespace and field.
 */
import {
  COORDINATE_DIMENSIONS,
  MAX_ATTESTED_RTT_MS,
  MAX_COORDINATE_COMPONENT_MS,
  MAX_COORDINATE_ERROR,
  MAX_FACT_VALUE_BYTES,
  MAX_VALIDATORS_LIMIT,
} from './constants'
import {
  decodeCanonical,
  fromHex,
  readAmount,
  readBool,
  readBytes,
  readList,
  readMap,
  readNullable,
  readNumber,
  readPublicKey,
  readUint,
  toHex,
} from './codec'
import {
  ASSET_UUID_LENGTH,
  readAssetRecord,
  readNodeAssets,
  type AssetRecord,
  type NodeAssets,
} from './assets'
import { LedgerArgumentError, LedgerDecodeError } from './errors'

/** Credits waiting to return to the balance. */
export interface UnbondingEntry {
  readonly amount: bigint
  /** Epoch at whose first block the amount returns to the balance. */
  readonly release: number
}

/** An account (`account/<key hex>`). */
export interface Account {
  /** Spendable credits. */
  readonly balance: bigint
  /** Bonded stake (counts for the committee, slashable). */
  readonly stake: bigint
  /** Unstaked credits, still slashable until released; at most one entry per release epoch. */
  readonly unbonding: readonly UnbondingEntry[]
  /** Nonce the account's next transaction must carry (= transactions executed so far). */
  readonly nonce: number
  /** Last epoch in which the account sent a transaction, or null. */
  readonly active: number | null
}

/** A Vivaldi coordinate as the ledger keeps it (ms; Serf layout without the adjustment). */
export interface LedgerCoordinate {
  /** 8 components, each |x| ≤ 1e6. */
  readonly vec: readonly number[]
  /** Height, 0 to 1e6. */
  readonly height: number
  /** Error estimate, 0 to 1.5. */
  readonly error: number
}

/** The latest RTT attestation about a node. */
export interface AttestationRecord {
  /** The witness that measured. */
  readonly witness: Uint8Array
  /** Round-trip time measured, ms. */
  readonly rttMs: number
  /** Chain height the witness measured at. */
  readonly height: number
  /** The witness's coordinate stated with the measurement. */
  readonly coord: LedgerCoordinate
}

/** A registered node (`node/<key hex>`). */
export interface NodeRecord {
  /** Height of the block holding its first registration. */
  readonly registered: number
  /** `notAfter` of its TrustChain certificate (ms), or null without one. */
  readonly certExpiry: number | null
  /** Whether it received the registration grant. */
  readonly granted: boolean
  /** Its own latest coordinate (sent with its latest attestation as a witness), or null. */
  readonly coord: LedgerCoordinate | null
  /** Height of the block that recorded `coord`, or null. */
  readonly coordHeight: number | null
  /** Latest attestation about it, or null. */
  readonly attestation: AttestationRecord | null
}

/** `meta/head`: the last executed block. */
export interface Head {
  readonly height: number
  /** Block time, ms. */
  readonly time: number
}

/** `meta/genesis`: which chain this state belongs to. */
export interface GenesisRecord {
  readonly chainId: string
  /** SHA-256 of the encoded genesis configuration. */
  readonly hash: Uint8Array
}

/** `meta/supply`: the supply counters. */
export interface Supply {
  /** Credits created at genesis (allocations and anchor stakes). */
  readonly genesis: bigint
  /** Credits minted since (registration grants). */
  readonly minted: bigint
  /** Credits burned since (fees, slashing). */
  readonly burned: bigint
}

/** `meta/grants`: registration grants paid in `epoch`. */
export interface GrantCounter {
  readonly epoch: number
  readonly count: number
}

/** `meta/uptime`: commits signed in `epoch`, per member of that epoch's committee. */
export interface UptimeRecord {
  readonly epoch: number
  /** Blocks of the epoch that credited signatures (all but the epoch's first). */
  readonly blocks: number
  /** Per committee member, in committee order: commits it signed. */
  readonly signed: readonly number[]
}

/** A committee member as stored (`committee/<epoch>`: a list of these). */
export interface StoredMember {
  readonly publicKey: Uint8Array
  readonly power: number
}

/** `slashed/<validator hex>/<height>/<round>/<type>`: an equivocation already punished. */
export interface SlashRecord {
  /** Height of the block that slashed. */
  readonly at: number
  /** Credits burned. */
  readonly burned: bigint
}

/** Key of the last block's height and time. */
export const HEAD_KEY = 'meta/head'
/** Key of the chain ID and genesis hash. */
export const GENESIS_KEY = 'meta/genesis'
/** Key of the supply counters. */
export const SUPPLY_KEY = 'meta/supply'
/** Key of the registration grant counter. */
export const GRANTS_KEY = 'meta/grants'
/** Key of the current epoch's uptime record. */
export const UPTIME_KEY = 'meta/uptime'

/** Key of the account of `publicKey`. */
export function accountKey(publicKey: Uint8Array): string {
  return `account/${toHex(publicKey)}`
}

/** Key of the node of `publicKey`. */
export function nodeKey(publicKey: Uint8Array): string {
  return `node/${toHex(publicKey)}`
}

/**
 * Key of the asset whose UUID is `uuid` (16 bytes): `asset/<32 hex digits>`. Keyed by the UUID
 * alone, as its global address names it: one UUID is one asset, whatever its type.
 *
 * @throws {LedgerArgumentError} when `uuid` is not 16 bytes
 */
export function assetKey(uuid: Uint8Array): string {
  if (!(uuid instanceof Uint8Array) || uuid.length !== ASSET_UUID_LENGTH) {
    throw new LedgerArgumentError('assetKey.uuid', 'must be 16 bytes')
  }
  return `asset/${toHex(uuid)}`
}

/** Key of the index of the assets of the node `publicKey`: `node-assets/<key hex>`. */
export function nodeAssetsKey(publicKey: Uint8Array): string {
  return `node-assets/${toHex(publicKey)}`
}

/** Key of the committee of `epoch`. */
export function committeeKey(epoch: number): string {
  return `committee/${epoch}`
}

/** Key of the record that one equivocation was slashed. */
export function slashedKey(
  validator: Uint8Array,
  height: number,
  round: number,
  type: string,
): string {
  return `slashed/${toHex(validator)}/${height}/${round}/${type}`
}

// Readers of each value: strict shapes, as for transactions.

/** Read a coordinate (attestation bodies and node records share the shape). */
export function readCoordinate(raw: unknown, field: string): LedgerCoordinate {
  const m = readMap(raw, field, ['vec', 'height', 'error'])
  const vec = readList(m.vec, `${field}.vec`, COORDINATE_DIMENSIONS, (x, f) =>
    readNumber(x, f, -MAX_COORDINATE_COMPONENT_MS, MAX_COORDINATE_COMPONENT_MS),
  )
  if (vec.length !== COORDINATE_DIMENSIONS) {
    throw new LedgerDecodeError(`${field}.vec`, `expected ${COORDINATE_DIMENSIONS} components`)
  }
  return {
    vec,
    height: readNumber(m.height, `${field}.height`, 0, MAX_COORDINATE_COMPONENT_MS),
    error: readNumber(m.error, `${field}.error`, 0, MAX_COORDINATE_ERROR),
  }
}

function readAccount(raw: unknown, field: string): Account {
  const m = readMap(raw, field, ['balance', 'stake', 'unbonding', 'nonce', 'active'])
  return {
    balance: readAmount(m.balance, `${field}.balance`),
    stake: readAmount(m.stake, `${field}.stake`),
    unbonding: readList(m.unbonding, `${field}.unbonding`, 16, (x, f) => {
      const e = readMap(x, f, ['amount', 'release'])
      return {
        amount: readAmount(e.amount, `${f}.amount`),
        release: readUint(e.release, `${f}.release`),
      }
    }),
    nonce: readUint(m.nonce, `${field}.nonce`),
    active: readNullable(m.active, `${field}.active`, (x, f) => readUint(x, f)),
  }
}

function readNode(raw: unknown, field: string): NodeRecord {
  const m = readMap(raw, field, [
    'registered',
    'certExpiry',
    'granted',
    'coord',
    'coordHeight',
    'attestation',
  ])
  return {
    registered: readUint(m.registered, `${field}.registered`),
    certExpiry: readNullable(m.certExpiry, `${field}.certExpiry`, (x, f) => readUint(x, f)),
    granted: readBool(m.granted, `${field}.granted`),
    coord: readNullable(m.coord, `${field}.coord`, readCoordinate),
    coordHeight: readNullable(m.coordHeight, `${field}.coordHeight`, (x, f) => readUint(x, f)),
    attestation: readNullable(m.attestation, `${field}.attestation`, (x, f) => {
      const a = readMap(x, f, ['witness', 'rttMs', 'height', 'coord'])
      return {
        witness: readPublicKey(a.witness, `${f}.witness`),
        rttMs: readNumber(a.rttMs, `${f}.rttMs`, 0, MAX_ATTESTED_RTT_MS),
        height: readUint(a.height, `${f}.height`),
        coord: readCoordinate(a.coord, `${f}.coord`),
      }
    }),
  }
}

/** A decoded state value, tagged by its namespace. */
export type FactValue =
  | { type: 'account'; value: Account }
  | { type: 'node'; value: NodeRecord }
  | { type: 'head'; value: Head }
  | { type: 'genesis'; value: GenesisRecord }
  | { type: 'supply'; value: Supply }
  | { type: 'grants'; value: GrantCounter }
  | { type: 'uptime'; value: UptimeRecord }
  | { type: 'committee'; value: readonly StoredMember[] }
  | { type: 'slashed'; value: SlashRecord }
  | { type: 'asset'; value: AssetRecord }
  | { type: 'node-assets'; value: NodeAssets }

const ID = /^[0-9a-f]{64}$/
const UUID_HEX = /^[0-9a-f]{32}$/
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/

function keyType(key: string): FactValue['type'] | null {
  const [space, ...rest] = key.split('/')
  const id = rest[0] ?? ''
  switch (space) {
    case 'account':
    case 'node':
    case 'node-assets':
      return rest.length === 1 && ID.test(id) ? space : null
    case 'asset':
      return rest.length === 1 && UUID_HEX.test(id) ? space : null
    case 'committee':
      return rest.length === 1 && DECIMAL.test(id) ? space : null
    case 'slashed':
      return rest.length === 4 &&
        ID.test(id) &&
        DECIMAL.test(rest[1]!) &&
        DECIMAL.test(rest[2]!) &&
        (rest[3] === 'prevote' || rest[3] === 'precommit')
        ? 'slashed'
        : null
    case 'meta':
      return rest.length === 1 && ['head', 'genesis', 'supply', 'grants', 'uptime'].includes(id)
        ? (id as FactValue['type'])
        : null
    default:
      return null
  }
}

/** Whether `key` is a well-formed state key of a known namespace. */
export function isStateKey(key: string): boolean {
  return typeof key === 'string' && keyType(key) !== null
}

/** The public key named by an `account/` or `node/` key. */
export function keyOwner(key: string): Uint8Array | null {
  const hex = key.slice(key.indexOf('/') + 1)
  return ID.test(hex) ? fromHex(hex) : null
}

/**
 * Decode the value bytes of the state entry `key` (from a proof of state) into its typed value.
 * Strict: canonical dag-cbor, the exact fields of the namespace, every range checked.
 *
 * @throws {LedgerDecodeError} when `key` is not a state key or the bytes are not its value
 * @example
 * ```ts
 * const fact = decodeFactValue(accountKey(alice), bytes)
 * if (fact.type === 'account') fact.value.balance
 * ```
 */
export function decodeFactValue(key: string, bytes: Uint8Array): FactValue {
  const type = typeof key === 'string' ? keyType(key) : null
  if (type === null) throw new LedgerDecodeError('key', 'not a state key')
  const raw = decodeCanonical(bytes, MAX_FACT_VALUE_BYTES)
  switch (type) {
    case 'account':
      return { type, value: readAccount(raw, 'account') }
    case 'node':
      return { type, value: readNode(raw, 'node') }
    case 'asset':
      return { type, value: readAssetRecord(raw, 'asset', fromHex(key.slice('asset/'.length))!) }
    case 'node-assets':
      return { type, value: readNodeAssets(raw, 'nodeAssets') }
    case 'head': {
      const m = readMap(raw, 'head', ['height', 'time'])
      return {
        type,
        value: { height: readUint(m.height, 'head.height'), time: readUint(m.time, 'head.time') },
      }
    }
    case 'genesis': {
      const m = readMap(raw, 'genesis', ['chainId', 'hash'])
      if (typeof m.chainId !== 'string')
        throw new LedgerDecodeError('genesis.chainId', 'expected a string')
      return { type, value: { chainId: m.chainId, hash: readBytes(m.hash, 'genesis.hash', 32) } }
    }
    case 'supply': {
      const m = readMap(raw, 'supply', ['genesis', 'minted', 'burned'])
      return {
        type,
        value: {
          genesis: readAmount(m.genesis, 'supply.genesis'),
          minted: readAmount(m.minted, 'supply.minted'),
          burned: readAmount(m.burned, 'supply.burned'),
        },
      }
    }
    case 'grants': {
      const m = readMap(raw, 'grants', ['epoch', 'count'])
      return {
        type,
        value: {
          epoch: readUint(m.epoch, 'grants.epoch'),
          count: readUint(m.count, 'grants.count'),
        },
      }
    }
    case 'uptime': {
      const m = readMap(raw, 'uptime', ['epoch', 'blocks', 'signed'])
      return {
        type,
        value: {
          epoch: readUint(m.epoch, 'uptime.epoch'),
          blocks: readUint(m.blocks, 'uptime.blocks'),
          signed: readList(m.signed, 'uptime.signed', MAX_VALIDATORS_LIMIT, (x, f) =>
            readUint(x, f),
          ),
        },
      }
    }
    case 'committee':
      return {
        type,
        value: readList(raw, 'committee', MAX_VALIDATORS_LIMIT, (x, f) => {
          const m = readMap(x, f, ['publicKey', 'power'])
          return {
            publicKey: readPublicKey(m.publicKey, `${f}.publicKey`),
            power: readUint(m.power, `${f}.power`, Number.MAX_SAFE_INTEGER, 1),
          }
        }),
      }
    case 'slashed': {
      const m = readMap(raw, 'slashed', ['at', 'burned'])
      return {
        type,
        value: { at: readUint(m.at, 'slashed.at'), burned: readAmount(m.burned, 'slashed.burned') },
      }
    }
  }
}
