/**
 * The genesis configuration: the chain's identity, its first committee, its first credits and the
 * parameters every rule reads. `validateGenesis` is the one gate: everything downstream assumes a
 * validated configuration. docs/ledger.md lists every field.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import {
  CHAIN_ID_PATTERN,
  MAX_AMOUNT,
  MAX_BLOCK_TXS_LIMIT,
  MAX_EPOCH_LENGTH,
  MAX_GENESIS_BYTES,
  MAX_GENESIS_ENTRIES,
  MAX_REGISTRATION_BITS,
  MAX_VALIDATORS_LIMIT,
  PUBLIC_KEY_BYTES,
  TX_MAX_BYTES_LIMIT,
  TX_MIN_BYTES_LIMIT,
} from './constants'
import { decodeCanonical, encodeCbor, readMap, toHex } from './codec'
import { InvalidGenesisError, LedgerDecodeError } from './errors'

/** A validator of the first two epochs, with the stake it starts with. */
export interface AnchorValidator {
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array
  /** Bonded stake at genesis (> 0); counts in the genesis supply. */
  stake: bigint
}

/** Credits an account holds at genesis. */
export interface Allocation {
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array
  /** Balance at genesis (> 0). */
  amount: bigint
}

/** A chain's genesis configuration (validated by {@link validateGenesis}). */
export interface GenesisConfig {
  /** Chain ID, 1–64 characters of `[A-Za-z0-9._-]`; signed into every transaction and vote. */
  chainId: string
  /** Time of the genesis state, ms since the epoch; block 1's time is not earlier. */
  genesisTime: number
  /** Committee of epochs 0 and 1 (1 to `maxValidators`, distinct keys). */
  anchorValidators: readonly AnchorValidator[]
  /** Initial balances (distinct keys; a key may also be an anchor validator). */
  allocations: readonly Allocation[]
  /** Credits minted to a node on its first registration (0 for none). */
  registrationGrant: bigint
  /** Most registration grants per epoch. */
  maxGrantsPerEpoch: number
  /** Leading zero bits a registration's hashcash stamp needs, 0–40. */
  hashcashBits: number
  /** Blocks per epoch, ≥ 2. */
  epochLength: number
  /** Largest committee, 1–128 (31 in the design). */
  maxValidators: number
  /** Share of stake + unbonding burned per equivocation, in ‰ (0–1000). */
  slashFractionPerMille: number
  /** TrustChain root public key: when set, nodes need a certificate it signed. */
  trustchainRoot?: Uint8Array
  /** Largest encoded transaction, 1024–65536 bytes. */
  maxTxBytes: number
  /** Most transactions per block, 1–100000. */
  maxBlockTxs: number
}

const FIELDS = [
  'chainId',
  'genesisTime',
  'anchorValidators',
  'allocations',
  'registrationGrant',
  'maxGrantsPerEpoch',
  'hashcashBits',
  'epochLength',
  'maxValidators',
  'slashFractionPerMille',
  'trustchainRoot',
  'maxTxBytes',
  'maxBlockTxs',
] as const

function fail(field: string, rule: string): never {
  throw new InvalidGenesisError(field, rule)
}

function int(x: unknown, field: string, min: number, max: number): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max) {
    fail(field, `must be an integer from ${min} to ${max}`)
  }
  return x
}

function amount(x: unknown, field: string, min: bigint): bigint {
  let v: bigint
  if (typeof x === 'bigint') v = x
  else if (typeof x === 'number' && Number.isSafeInteger(x)) v = BigInt(x)
  else fail(field, 'must be an integer amount')
  if (v < min || v > MAX_AMOUNT) fail(field, `must be from ${min} to 2^64 - 1`)
  return v
}

function key(x: unknown, field: string): Uint8Array {
  if (!(x instanceof Uint8Array) || x.length !== PUBLIC_KEY_BYTES) {
    fail(field, 'must be a 32-byte public key')
  }
  return x.slice()
}

function list(x: unknown, field: string, min: number, max: number): unknown[] {
  if (!Array.isArray(x) || x.length < min || x.length > max) {
    fail(field, `must be a list of ${min} to ${max} entries`)
  }
  return x
}

function entry(
  x: unknown,
  field: string,
  names: readonly [string, string],
): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(field, 'must be a map')
  const m = x as Record<string, unknown>
  const extra = Object.keys(m).filter((k) => !names.includes(k) && m[k] !== undefined)
  if (extra.length > 0) fail(field, `has unknown field ${extra[0]}`)
  return m
}

/**
 * Check a genesis configuration and return a normalised, frozen copy (amounts as bigint, keys
 * copied, `trustchainRoot` absent rather than null). Accepts amounts as bigint or safe integers.
 *
 * @param input - the configuration, e.g. from {@link decodeGenesis} or a literal
 * @throws {InvalidGenesisError} naming the first field that breaks a rule: an unknown or missing
 *   field, a value out of range, a duplicate key, more anchors than `maxValidators`, or a genesis
 *   supply above 2^64 − 1
 * @example
 * ```ts
 * const genesis = validateGenesis({ chainId: 'hypermesh-dev', genesisTime: 0, ... })
 * ```
 */
export function validateGenesis(input: unknown): GenesisConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail('genesis', 'must be an object')
  }
  const g = input as Record<string, unknown>
  for (const k of Object.keys(g)) {
    if (!(FIELDS as readonly string[]).includes(k) && g[k] !== undefined) {
      fail(k, 'is not a genesis field')
    }
  }
  if (typeof g.chainId !== 'string' || !CHAIN_ID_PATTERN.test(g.chainId)) {
    fail('chainId', 'must be 1 to 64 characters of A-Z a-z 0-9 . _ -')
  }
  const genesisTime = int(g.genesisTime, 'genesisTime', 0, Number.MAX_SAFE_INTEGER)
  const maxValidators = int(g.maxValidators, 'maxValidators', 1, MAX_VALIDATORS_LIMIT)
  const seen = new Set<string>()
  let supply = 0n
  const anchorValidators = list(g.anchorValidators, 'anchorValidators', 1, maxValidators).map(
    (x, i) => {
      const field = `anchorValidators[${i}]`
      const m = entry(x, field, ['publicKey', 'stake'])
      const publicKey = key(m.publicKey, `${field}.publicKey`)
      const hex = toHex(publicKey)
      if (seen.has(hex)) fail(`${field}.publicKey`, 'is listed twice')
      seen.add(hex)
      const stake = amount(m.stake, `${field}.stake`, 1n)
      supply += stake
      return Object.freeze({ publicKey, stake })
    },
  )
  seen.clear()
  const allocations = list(g.allocations, 'allocations', 0, MAX_GENESIS_ENTRIES).map((x, i) => {
    const field = `allocations[${i}]`
    const m = entry(x, field, ['publicKey', 'amount'])
    const publicKey = key(m.publicKey, `${field}.publicKey`)
    const hex = toHex(publicKey)
    if (seen.has(hex)) fail(`${field}.publicKey`, 'is listed twice')
    seen.add(hex)
    const value = amount(m.amount, `${field}.amount`, 1n)
    supply += value
    return Object.freeze({ publicKey, amount: value })
  })
  if (supply > MAX_AMOUNT) fail('allocations', 'make a genesis supply above 2^64 - 1')
  let trustchainRoot: Uint8Array | undefined
  if (g.trustchainRoot !== undefined && g.trustchainRoot !== null) {
    trustchainRoot = key(g.trustchainRoot, 'trustchainRoot')
  }
  const config: GenesisConfig = {
    chainId: g.chainId,
    genesisTime,
    anchorValidators: Object.freeze(anchorValidators),
    allocations: Object.freeze(allocations),
    registrationGrant: amount(g.registrationGrant, 'registrationGrant', 0n),
    maxGrantsPerEpoch: int(g.maxGrantsPerEpoch, 'maxGrantsPerEpoch', 0, Number.MAX_SAFE_INTEGER),
    hashcashBits: int(g.hashcashBits, 'hashcashBits', 0, MAX_REGISTRATION_BITS),
    epochLength: int(g.epochLength, 'epochLength', 2, MAX_EPOCH_LENGTH),
    maxValidators,
    slashFractionPerMille: int(g.slashFractionPerMille, 'slashFractionPerMille', 0, 1000),
    ...(trustchainRoot ? { trustchainRoot } : {}),
    maxTxBytes: int(g.maxTxBytes, 'maxTxBytes', TX_MIN_BYTES_LIMIT, TX_MAX_BYTES_LIMIT),
    maxBlockTxs: int(g.maxBlockTxs, 'maxBlockTxs', 1, MAX_BLOCK_TXS_LIMIT),
  }
  return Object.freeze(config)
}

/** The wire form of a genesis: every field, `trustchainRoot` null when absent. */
function toWire(g: GenesisConfig): Record<string, unknown> {
  return {
    chainId: g.chainId,
    genesisTime: g.genesisTime,
    anchorValidators: g.anchorValidators.map((v) => ({ publicKey: v.publicKey, stake: v.stake })),
    allocations: g.allocations.map((a) => ({ publicKey: a.publicKey, amount: a.amount })),
    registrationGrant: g.registrationGrant,
    maxGrantsPerEpoch: g.maxGrantsPerEpoch,
    hashcashBits: g.hashcashBits,
    epochLength: g.epochLength,
    maxValidators: g.maxValidators,
    slashFractionPerMille: g.slashFractionPerMille,
    trustchainRoot: g.trustchainRoot ?? null,
    maxTxBytes: g.maxTxBytes,
    maxBlockTxs: g.maxBlockTxs,
  }
}

/**
 * Canonical dag-cbor of a genesis configuration (validated first): what operators distribute and
 * what {@link genesisHash} hashes.
 *
 * @throws {InvalidGenesisError} when `genesis` is not valid
 */
export function encodeGenesis(genesis: GenesisConfig): Uint8Array {
  return encodeCbor(toWire(validateGenesis(genesis)))
}

/**
 * Decode a genesis configuration: canonical dag-cbor of the exact wire form, then
 * {@link validateGenesis}.
 *
 * @throws {LedgerDecodeError} when the bytes are not the canonical wire form
 * @throws {InvalidGenesisError} when a field breaks a rule
 */
export function decodeGenesis(bytes: Uint8Array): GenesisConfig {
  const raw = readMap(decodeCanonical(bytes, MAX_GENESIS_BYTES), 'genesis', FIELDS)
  for (const [name, item] of [
    ['anchorValidators', ['publicKey', 'stake']],
    ['allocations', ['publicKey', 'amount']],
  ] as const) {
    const items = raw[name]
    if (!Array.isArray(items)) throw new LedgerDecodeError(name, 'expected a list')
    items.forEach((x, i) => readMap(x, `${name}[${i}]`, item))
  }
  return validateGenesis(raw)
}

/** SHA-256 of {@link encodeGenesis}: names the chain's genesis in the state (`meta/genesis`). */
export function genesisHash(genesis: GenesisConfig): Uint8Array {
  return sha256(encodeGenesis(genesis))
}
