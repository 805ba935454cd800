/**
 * Assets on the ledger (DESIGN.md §4–5, docs/ledger.md "Assets"): the shapes the three asset
 * kinds carry and the state stores — the share an owner offers, the measured capacity it was
 * checked against, the asset record and the per-node index — with their strict readers, and the
 * bridges to lib/assets' own types (`AssetShare`, `MeasuredCapacity`, `Resources`), whose rules
 * the ledger applies rather than restates: `checkShare` for shares, `isRegistered` for levels,
 * `globalAddressOf` for addresses, `assetContentHash` for the content hash.
 *
 * Pure: no clock, no randomness.
 */
import {
  assetContentHash,
  assetIdOf,
  decodeAssetId,
  isAssetType,
  type AssetId,
  type AssetType,
} from '../assets/asset-id'
import {
  encodeGlobalAddress,
  globalAddressOf,
  peerIdOfPublicKey,
  PUBLIC_MESH_PREFIX,
} from '../assets/global-address'
import type { AssetShare, MeasuredCapacity, PrivacyLevel } from '../assets/privacy'
import {
  MAX_BYTES_PER_SECOND,
  MAX_CPU_SCORE,
  MAX_GPU_LIMIT,
  MAX_LOGICAL_CORES,
  MAX_MEMORY_BYTES,
  MAX_STORAGE_BYTES,
  MIN_MEMORY_BYTES,
  summarizeResources,
  validateResources,
  type Resources,
} from '../assets/resources'
import {
  equalBytes,
  readBool,
  readBytes,
  readList,
  readMap,
  readNullable,
  readNumber,
  readPublicKey,
  readUint,
} from './codec'
import { MAX_ASSET_GPU_LABEL_LENGTH, MAX_LIVE_ASSETS_PER_NODE } from './constants'
import { LedgerArgumentError, LedgerDecodeError } from './errors'

/** Bytes of an asset UUID (the state key's ID). */
export const ASSET_UUID_LENGTH = 16

/** Bytes of an asset ID on the wire: type code ‖ UUID (lib/assets `encodeAssetId`). */
export const ASSET_ID_LENGTH = 17

/** Bytes of a global address (lib/assets `encodeGlobalAddress`). */
export const ASSET_ADDRESS_LENGTH = 34

/** Largest service port. */
export const MAX_ASSET_PORT = 0xffff

/** The privacy levels the ledger registers (lib/assets `isRegistered`): the ledger is public. */
export type RegisteredLevel = Extract<PrivacyLevel, 'public-network' | 'full-public'>

const LEVELS: readonly PrivacyLevel[] = [
  'private',
  'private-network',
  'p2p',
  'public-network',
  'full-public',
]

/**
 * What the owner offers, on the wire: `amount` is the quantity of the asset's type — whole cores
 * (cpu), a fraction of the GPU's time in (0, 1] (gpu), bytes (memory, storage), bytes per second
 * (network), null for container and economic assets — and `hours` the hours per day in (0, 24],
 * or null for all day. lib/assets' `AssetShare` names the quantity per type; the type is in the
 * asset ID, so the ledger keeps one shape for all.
 */
export interface LedgerAssetShare {
  readonly amount: number | null
  readonly hours: number | null
}

/** The GPU part of an {@link AssetCapacity}: label and the WebGPU limits jobs are sized by. */
export interface AssetGpuCapacity {
  /** The adapter's description (else vendor, architecture, device), ≤ 128 characters, or null. */
  readonly label: string | null
  /** A software (CPU-emulated) adapter, or null when not reported. */
  readonly fallback: boolean | null
  readonly maxBufferSize: number | null
  readonly maxStorageBufferBindingSize: number | null
  readonly maxComputeWorkgroupsPerDimension: number | null
  readonly maxComputeInvocationsPerWorkgroup: number | null
}

/**
 * The measured capacity an asset's share was checked against: the figures of lib/assets'
 * `summarizeResources` the explorer shows, every one measured or read from a platform API, null
 * when the platform did not tell (never a default). Bounds are lib/assets/resources.ts's.
 */
export interface AssetCapacity {
  readonly platform: 'browser' | 'node'
  /** Logical cores, 1–1,024. */
  readonly cores: number | null
  /** Units/s of lib/assets' CPU workload on one thread, (0, 100,000]. */
  readonly cpuScore: number | null
  /** Memory in bytes (process limit, machine total, or `deviceMemory`), 2^20–2^46. */
  readonly memoryBytes: number | null
  /** Bytes the node can still store, 0–2^50. */
  readonly storageBytes: number | null
  /** Measured durable write rate, bytes/s, (0, 2^40]. */
  readonly writeBytesPerSecond: number | null
  /** Median measured link goodput, bytes/s, (0, 2^40]. */
  readonly goodputBytesPerSecond: number | null
  /** The WebGPU adapter, or null when none was found. */
  readonly gpu: AssetGpuCapacity | null
}

/** An asset (`asset/<uuid hex>`). */
export interface AssetRecord {
  readonly type: AssetType
  /** The owning node's key (the sender of the registration). */
  readonly owner: Uint8Array
  /** 34-byte global address: public-mesh prefix ‖ node ID of the owner ‖ UUID ‖ port. */
  readonly address: Uint8Array
  /** Service port (also the address's last two bytes). */
  readonly port: number
  readonly level: RegisteredLevel
  readonly share: LedgerAssetShare
  readonly capacity: AssetCapacity
  /** Creation time the owner gave, µs since the epoch (input of the content hash). */
  readonly createdUs: number
  /** `SHA-256("HYPERMESH_V1" ‖ type ‖ uuid ‖ createdUs)` (lib/assets `assetContentHash`). */
  readonly contentHash: Uint8Array
  /** Block time (BFT time, ms) of the registration. */
  readonly registeredAt: number
  /** Height of the block holding the registration. */
  readonly registeredHeight: number
  /** Block time of the registration or of the latest update, ms. */
  readonly updatedAt: number
  /** Height of the registration or of the latest update. */
  readonly updatedHeight: number
  /** Block time of the retirement, or null while live. */
  readonly retiredAt: number | null
  /** Height of the retirement, or null while live. */
  readonly retiredHeight: number | null
}

/** A node's assets (`node-assets/<key hex>`): the live ones, and how many it ever registered. */
export interface NodeAssets {
  /** UUIDs of its live assets, in registration order (≤ `MAX_LIVE_ASSETS_PER_NODE`). */
  readonly live: readonly Uint8Array[]
  /** Assets it ever registered, retired ones included. */
  readonly total: number
}

// ---------------------------------------------------------------------------------------------
// Readers (strict, LedgerDecodeError naming the field)

/**
 * An asset ID: 17 bytes that lib/assets' `decodeAssetId` accepts. Returns the bytes (bodies stay
 * wire-shaped: the sign bytes are computed from the decoded body) and the decoded ID.
 */
export function readAssetId(raw: unknown, field: string): { bytes: Uint8Array; id: AssetId } {
  const bytes = readBytes(raw, field, ASSET_ID_LENGTH)
  try {
    return { bytes, id: decodeAssetId(bytes) }
  } catch (err) {
    throw new LedgerDecodeError(field, `not an asset ID (${(err as { reason?: string }).reason})`)
  }
}

/** The decoded asset ID of a body's `id` (already checked by {@link readAssetId}). */
export function bodyAssetId(bytes: Uint8Array): AssetId {
  return decodeAssetId(bytes)
}

/** A privacy level (any of the five: the kinds refuse the unpublished ones with a typed error). */
export function readLevel(raw: unknown, field: string): PrivacyLevel {
  if (typeof raw !== 'string' || !LEVELS.includes(raw as PrivacyLevel)) {
    throw new LedgerDecodeError(field, 'expected a privacy level')
  }
  return raw as PrivacyLevel
}

function readRegisteredLevel(raw: unknown, field: string): RegisteredLevel {
  if (raw !== 'public-network' && raw !== 'full-public') {
    throw new LedgerDecodeError(field, 'expected public-network or full-public')
  }
  return raw
}

/** A share of an asset of `type`: the quantity its type has, hours in (0, 24] or null. */
export function readAssetShare(raw: unknown, field: string, type: AssetType): LedgerAssetShare {
  const m = readMap(raw, field, ['amount', 'hours'])
  const hours = readNullable(m.hours, `${field}.hours`, (x, f) => readNumber(x, f, 0, 24))
  if (hours === 0) throw new LedgerDecodeError(`${field}.hours`, 'expected more than 0')
  let amount: number | null
  if (type === 'container' || type === 'economic') {
    if (m.amount !== null) throw new LedgerDecodeError(`${field}.amount`, 'expected null')
    amount = null
  } else if (type === 'gpu') {
    amount = readNumber(m.amount, `${field}.amount`, 0, 1)
    if (amount === 0) throw new LedgerDecodeError(`${field}.amount`, 'expected more than 0')
  } else {
    amount = readUint(m.amount, `${field}.amount`, Number.MAX_SAFE_INTEGER, 1)
  }
  return { amount, hours }
}

function readPositive(raw: unknown, field: string, max: number): number | null {
  return readNullable(raw, field, (x, f) => {
    const v = readNumber(x, f, 0, max)
    if (v === 0) throw new LedgerDecodeError(f, 'expected more than 0')
    return v
  })
}

function readIntOrNull(raw: unknown, field: string, min: number, max: number): number | null {
  return readNullable(raw, field, (x, f) => readUint(x, f, max, min))
}

const GPU_FIELDS = [
  'label',
  'fallback',
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
] as const

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

function readGpu(raw: unknown, field: string): AssetGpuCapacity {
  const m = readMap(raw, field, GPU_FIELDS)
  const label = readNullable(m.label, `${field}.label`, (x, f) => {
    if (
      typeof x !== 'string' ||
      x.length === 0 ||
      x.length > MAX_ASSET_GPU_LABEL_LENGTH ||
      CONTROL.test(x)
    ) {
      throw new LedgerDecodeError(
        f,
        `expected 1–${MAX_ASSET_GPU_LABEL_LENGTH} printable characters`,
      )
    }
    return x
  })
  const limit = (k: (typeof GPU_FIELDS)[number]) =>
    readIntOrNull(m[k], `${field}.${k}`, 1, MAX_GPU_LIMIT)
  return {
    label,
    fallback: readNullable(m.fallback, `${field}.fallback`, readBool),
    maxBufferSize: limit('maxBufferSize'),
    maxStorageBufferBindingSize: limit('maxStorageBufferBindingSize'),
    maxComputeWorkgroupsPerDimension: limit('maxComputeWorkgroupsPerDimension'),
    maxComputeInvocationsPerWorkgroup: limit('maxComputeInvocationsPerWorkgroup'),
  }
}

/** A measured capacity, with lib/assets/resources.ts's bounds. */
export function readAssetCapacity(raw: unknown, field: string): AssetCapacity {
  const m = readMap(raw, field, [
    'platform',
    'cores',
    'cpuScore',
    'memoryBytes',
    'storageBytes',
    'writeBytesPerSecond',
    'goodputBytesPerSecond',
    'gpu',
  ])
  if (m.platform !== 'browser' && m.platform !== 'node') {
    throw new LedgerDecodeError(`${field}.platform`, 'expected browser or node')
  }
  return {
    platform: m.platform,
    cores: readIntOrNull(m.cores, `${field}.cores`, 1, MAX_LOGICAL_CORES),
    cpuScore: readPositive(m.cpuScore, `${field}.cpuScore`, MAX_CPU_SCORE),
    memoryBytes: readIntOrNull(
      m.memoryBytes,
      `${field}.memoryBytes`,
      MIN_MEMORY_BYTES,
      MAX_MEMORY_BYTES,
    ),
    storageBytes: readIntOrNull(m.storageBytes, `${field}.storageBytes`, 0, MAX_STORAGE_BYTES),
    writeBytesPerSecond: readPositive(
      m.writeBytesPerSecond,
      `${field}.writeBytesPerSecond`,
      MAX_BYTES_PER_SECOND,
    ),
    goodputBytesPerSecond: readPositive(
      m.goodputBytesPerSecond,
      `${field}.goodputBytesPerSecond`,
      MAX_BYTES_PER_SECOND,
    ),
    gpu: readNullable(m.gpu, `${field}.gpu`, readGpu),
  }
}

const RECORD_FIELDS = [
  'type',
  'owner',
  'address',
  'port',
  'level',
  'share',
  'capacity',
  'createdUs',
  'contentHash',
  'registeredAt',
  'registeredHeight',
  'updatedAt',
  'updatedHeight',
  'retiredAt',
  'retiredHeight',
] as const

/**
 * The record stored under `asset/<uuid hex>`. Beyond shapes and ranges it checks what the
 * ledger derives, so a value that decodes is one the ledger could have written: the address is
 * {@link assetAddress} of the owner, UUID and port; the content hash is lib/assets'
 * `assetContentHash`; updates and retirement do not precede the registration; `retiredAt` and
 * `retiredHeight` are null together.
 *
 * @param uuid - the UUID of the key the value is stored under
 */
export function readAssetRecord(raw: unknown, field: string, uuid: Uint8Array): AssetRecord {
  const m = readMap(raw, field, RECORD_FIELDS)
  if (!isAssetType(m.type)) throw new LedgerDecodeError(`${field}.type`, 'expected an asset type')
  let id: AssetId
  try {
    id = assetIdOf(m.type, uuid)
  } catch {
    throw new LedgerDecodeError('key', 'not the key of an asset UUID (v4 layout)')
  }
  const owner = readPublicKey(m.owner, `${field}.owner`)
  const address = readBytes(m.address, `${field}.address`, ASSET_ADDRESS_LENGTH)
  const port = readUint(m.port, `${field}.port`, MAX_ASSET_PORT)
  if (!equalBytes(address, assetAddress(owner, id.uuid, port))) {
    throw new LedgerDecodeError(`${field}.address`, 'not the address of this owner, asset and port')
  }
  const createdUs = readUint(m.createdUs, `${field}.createdUs`)
  const contentHash = readBytes(m.contentHash, `${field}.contentHash`, 32)
  if (!equalBytes(contentHash, assetContentHash(id, createdUs))) {
    throw new LedgerDecodeError(`${field}.contentHash`, 'not the content hash of this asset')
  }
  const registeredAt = readUint(m.registeredAt, `${field}.registeredAt`)
  const registeredHeight = readUint(m.registeredHeight, `${field}.registeredHeight`)
  const updatedAt = readUint(m.updatedAt, `${field}.updatedAt`)
  const updatedHeight = readUint(m.updatedHeight, `${field}.updatedHeight`)
  if (updatedAt < registeredAt || updatedHeight < registeredHeight) {
    throw new LedgerDecodeError(`${field}.updatedHeight`, 'before the registration')
  }
  const retiredAt = readNullable(m.retiredAt, `${field}.retiredAt`, (x, f) => readUint(x, f))
  const retiredHeight = readNullable(m.retiredHeight, `${field}.retiredHeight`, (x, f) =>
    readUint(x, f),
  )
  if ((retiredAt === null) !== (retiredHeight === null)) {
    throw new LedgerDecodeError(`${field}.retiredHeight`, 'null exactly when retiredAt is')
  }
  if (retiredHeight !== null && retiredHeight < updatedHeight) {
    throw new LedgerDecodeError(`${field}.retiredHeight`, 'before the latest update')
  }
  return {
    type: id.type,
    owner,
    address,
    port,
    level: readRegisteredLevel(m.level, `${field}.level`),
    share: readAssetShare(m.share, `${field}.share`, id.type),
    capacity: readAssetCapacity(m.capacity, `${field}.capacity`),
    createdUs,
    contentHash,
    registeredAt,
    registeredHeight,
    updatedAt,
    updatedHeight,
    retiredAt,
    retiredHeight,
  }
}

/** The index stored under `node-assets/<key hex>`: distinct UUIDs, at most the live limit. */
export function readNodeAssets(raw: unknown, field: string): NodeAssets {
  const m = readMap(raw, field, ['live', 'total'])
  const live = readList(m.live, `${field}.live`, MAX_LIVE_ASSETS_PER_NODE, (x, f) =>
    readBytes(x, f, ASSET_UUID_LENGTH),
  )
  const total = readUint(m.total, `${field}.total`)
  for (let i = 0; i < live.length; i++) {
    for (let j = 0; j < i; j++) {
      if (equalBytes(live[i]!, live[j]!)) {
        throw new LedgerDecodeError(`${field}.live[${i}]`, 'listed twice')
      }
    }
  }
  if (total < live.length) throw new LedgerDecodeError(`${field}.total`, 'fewer than live')
  return { live, total }
}

// ---------------------------------------------------------------------------------------------
// Derivations and bridges to lib/assets

/**
 * The 34-byte global address the ledger gives an asset: lib/assets' `globalAddressOf` with the
 * public-mesh prefix, the node ID of the owner's peer ID, the UUID and the port. The ledger is the
 * public registry, so it always uses the public prefix (lib/assets/README.md: addresses outlive a
 * genesis); the UUID alone already keeps assets of different chains apart.
 */
export function assetAddress(owner: Uint8Array, uuid: Uint8Array, port: number): Uint8Array {
  return encodeGlobalAddress(
    globalAddressOf(peerIdOfPublicKey(owner), uuid, port, PUBLIC_MESH_PREFIX),
  )
}

/**
 * The wire form of a lib/assets share.
 *
 * @example
 * ```ts
 * ledgerShareOf({ type: 'cpu', cores: 2 }) // { amount: 2, hours: null }
 * ```
 */
export function ledgerShareOf(share: AssetShare): LedgerAssetShare {
  const s = share as unknown as Record<string, unknown>
  const amount =
    share.type === 'cpu'
      ? s.cores
      : share.type === 'gpu'
        ? s.fraction
        : share.type === 'memory' || share.type === 'storage'
          ? s.bytes
          : share.type === 'network'
            ? s.bytesPerSecond
            : null
  return {
    amount: (amount as number | undefined) ?? null,
    hours: share.hoursPerDay ?? null,
  }
}

/** The lib/assets share of a wire share of an asset of `type` (inverse of {@link ledgerShareOf}). */
export function assetShareOf(type: AssetType, share: LedgerAssetShare): AssetShare {
  const hours = share.hours === null ? {} : { hoursPerDay: share.hours }
  const amount = share.amount ?? 0
  switch (type) {
    case 'cpu':
      return { type, cores: amount, ...hours }
    case 'gpu':
      return { type, fraction: amount, ...hours }
    case 'memory':
    case 'storage':
      return { type, bytes: amount, ...hours }
    case 'network':
      return { type, bytesPerSecond: amount, ...hours }
    case 'container':
    case 'economic':
      return { type, ...hours }
  }
}

/**
 * What lib/assets' `checkShare` compares a share of `type` with: the capacity's figure for that
 * type. A capacity without a GPU has none (`available: false`).
 */
export function measuredCapacityOf(type: AssetType, capacity: AssetCapacity): MeasuredCapacity {
  switch (type) {
    case 'cpu':
      return { type, cores: capacity.cores }
    case 'gpu':
      return { type, available: capacity.gpu !== null }
    case 'memory':
      return { type, bytes: capacity.memoryBytes }
    case 'storage':
      return { type, bytes: capacity.storageBytes }
    case 'network':
      return { type, bytesPerSecond: capacity.goodputBytesPerSecond }
    case 'container':
    case 'economic':
      return { type }
  }
}

function cutLabel(label: string | null): string | null {
  if (label === null) return null
  let s = label.slice(0, MAX_ASSET_GPU_LABEL_LENGTH)
  // Never end on half a surrogate pair.
  const last = s.charCodeAt(s.length - 1)
  if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, -1)
  return s.length === 0 ? null : s
}

/**
 * The capacity to register from a measurement (lib/assets' `Resources`, validated here with
 * `validateResources`): the figures of `summarizeResources`, memory in bytes, the GPU's label cut
 * to {@link MAX_ASSET_GPU_LABEL_LENGTH} characters and its limits. Nothing is filled in: what
 * was not measured stays null.
 *
 * @throws {LedgerArgumentError} when `resources` is not a valid measurement
 */
export function assetCapacityOf(resources: Resources): AssetCapacity {
  let r: Resources
  try {
    r = validateResources(resources)
  } catch (err) {
    throw new LedgerArgumentError('assetCapacityOf.resources', (err as Error).message)
  }
  const s = summarizeResources(r)
  const g = r.gpu
  return {
    platform: s.platform,
    cores: s.cores,
    cpuScore: s.cpuScore,
    memoryBytes: s.memoryGiB === null ? null : Math.round(s.memoryGiB * 2 ** 30),
    storageBytes: s.storageAvailableBytes,
    writeBytesPerSecond: s.storageWriteBytesPerSecond,
    goodputBytesPerSecond: s.medianGoodputBytesPerSecond,
    gpu:
      g === null
        ? null
        : {
            label: cutLabel(s.gpuLabel),
            fallback: g.fallbackAdapter,
            maxBufferSize: g.limits.maxBufferSize,
            maxStorageBufferBindingSize: g.limits.maxStorageBufferBindingSize,
            maxComputeWorkgroupsPerDimension: g.limits.maxComputeWorkgroupsPerDimension,
            maxComputeInvocationsPerWorkgroup: g.limits.maxComputeInvocationsPerWorkgroup,
          },
  }
}
