/**
 * This tab's assets, the pure part (no I/O, no clock, no randomness: they come in as arguments):
 * what the assets runtime (assets-runtime.ts) persists and how it is checked on load, what a
 * measurement offers per asset type, the shares the home page's card lets the owner pick, the
 * privacy gate in front of the remote memory server, how a typed address finds its peer, and the
 * sentences a user sees when an access is refused. The runtime does the I/O; the card
 * (app/assets-card.tsx) reads the {@link AssetsView} it publishes.
 */
import {
  ALL_RIGHTS,
  AssetError,
  InvalidShareError,
  MAX_CHALLENGE_CHUNKS,
  MAX_RETRIEVABLE_BYTES,
  PRIVACY_LEVELS,
  PUBLIC_MESH_PREFIX,
  REWARD_MULTIPLIERS,
  RIGHT_READ,
  RIGHT_WRITE,
  checkShare,
  decodePrivacySettings,
  describeRemoteMemoryError,
  encodePrivacySettings,
  formatAssetId,
  isRegistered,
  mayReach,
  newAssetId,
  nodeIdOf,
  parseAssetId,
  parseAssetQuery,
  parsePeerId,
  reasonFor,
  summarizeResources,
  type AssetId,
  type AssetShare,
  type AuthorizeRequest,
  type AuthorizeVerdict,
  type CapabilityGrant,
  type GlobalAddress,
  type LinkMeasurement,
  type MeasuredCapacity,
  type PeerRelation,
  type PersistedPrivacySettings,
  type PrivacyLevel,
  type PrivacySettings,
  type ResourceReasons,
  type ResourceTimings,
  type Resources,
  type RetrievabilityRefusalCode,
} from '@/lib/assets'
import {
  MAX_ACCESS_BYTES,
  MAX_COMMIT_BYTES,
  MAX_GRANT_TTL_MS,
  NO_SERVICE_PORT,
  REMOTE_MEMORY_PORT,
  STORAGE_PORT,
  STORED_ASSETS_VERSION,
} from './assets-constants'

export { PRIVACY_LEVELS, REWARD_MULTIPLIERS, type PrivacyLevel, type AssetShare }

// ---------------------------------------------------------------------------------------------
// Types

/** The asset types a tab measures and offers (containers and economic assets come later). */
export type OwnAssetType = 'cpu' | 'gpu' | 'memory' | 'storage' | 'network'

/** Every type a tab may have, in the order the card shows them. */
export const OWN_ASSET_TYPES: readonly OwnAssetType[] = Object.freeze([
  'cpu',
  'memory',
  'storage',
  'gpu',
  'network',
])

/** Whether `x` is an {@link OwnAssetType}. Never throws. */
export function isOwnAssetType(x: unknown): x is OwnAssetType {
  return typeof x === 'string' && (OWN_ASSET_TYPES as readonly string[]).includes(x)
}

/** One asset of this tab as the runtime keeps it (and persists it). */
export interface OwnAssetRecord {
  readonly id: AssetId
  /** Creation time, µs since the epoch (input of the content hash, sent at registration). */
  readonly createdUs: number
  /** Service port of its GlobalAddress. */
  readonly port: number
  readonly settings: PrivacySettings
}

/** One persisted asset: JSON-safe. */
export interface StoredAsset {
  id: string
  createdUs: number
  port: number
  settings: PersistedPrivacySettings
}

/** What is persisted in the slot's IndexedDB under `assets`. */
export interface StoredAssets {
  v: typeof STORED_ASSETS_VERSION
  assets: StoredAsset[]
}

// ---------------------------------------------------------------------------------------------
// What was measured

/** Which of the {@link OWN_ASSET_TYPES} a measurement gives this tab: GPU only with an adapter. */
export function ownAssetTypes(resources: Resources): OwnAssetType[] {
  return OWN_ASSET_TYPES.filter((t) => t !== 'gpu' || resources.gpu !== null)
}

/**
 * What a share of `type` is checked against, from a measurement: the figures lib/ledger's
 * `assetCapacityOf` registers (both go through `summarizeResources`), so a share this tab accepts
 * is one the ledger accepts. `null` stays `null`: what was not measured is not offered.
 */
export function capacityFromResources(type: OwnAssetType, resources: Resources): MeasuredCapacity {
  const s = summarizeResources(resources)
  switch (type) {
    case 'cpu':
      return { type, cores: s.cores }
    case 'gpu':
      return { type, available: s.gpu }
    case 'memory':
      return { type, bytes: s.memoryGiB === null ? null : Math.round(s.memoryGiB * 2 ** 30) }
    case 'storage':
      return {
        type,
        bytes: s.storageAvailableBytes === null ? null : Math.floor(s.storageAvailableBytes),
      }
    case 'network':
      return {
        type,
        bytesPerSecond:
          s.medianGoodputBytesPerSecond === null ? null : Math.floor(s.medianGoodputBytesPerSecond),
      }
  }
}

/** The measured quantity of a capacity (cores, bytes, bytes/s), `null` if unknown; GPU: none. */
function quantityOf(capacity: MeasuredCapacity): number | null {
  switch (capacity.type) {
    case 'cpu':
      return capacity.cores
    case 'memory':
    case 'storage':
      return capacity.bytes
    case 'network':
      return capacity.bytesPerSecond
    default:
      return null
  }
}

/** The quantity of a share (cores, bytes, bytes/s, or the GPU's fraction). */
export function shareQuantity(share: AssetShare): number | null {
  switch (share.type) {
    case 'cpu':
      return share.cores
    case 'gpu':
      return share.fraction
    case 'memory':
    case 'storage':
      return share.bytes
    case 'network':
      return share.bytesPerSecond
    default:
      return null
  }
}

/** A share of `type` with `quantity`, keeping `hoursPerDay` from `previous` when given. */
export function shareWith(type: OwnAssetType, quantity: number, previous?: AssetShare): AssetShare {
  const hours = previous?.hoursPerDay !== undefined ? { hoursPerDay: previous.hoursPerDay } : {}
  switch (type) {
    case 'cpu':
      return { type, cores: quantity, ...hours }
    case 'gpu':
      return { type, fraction: quantity, ...hours }
    case 'memory':
    case 'storage':
      return { type, bytes: quantity, ...hours }
    case 'network':
      return { type, bytesPerSecond: quantity, ...hours }
  }
}

/** Default share quantities (also the placeholder of a capacity that was not measured). */
const DEFAULT_QUANTITY: Readonly<Record<OwnAssetType, number>> = {
  cpu: 1,
  gpu: 0.25,
  memory: 64 * 2 ** 20,
  storage: 2 ** 30,
  network: 2 ** 20,
}

/**
 * The share a new asset starts with: one core, a quarter of the GPU's time, 64 MiB of memory,
 * 1 GiB of storage, 1 MiB/s of the link, each at most what was measured. It offers nothing by
 * itself: new assets are private ({@link defaultSettings}).
 */
export function defaultShare(type: OwnAssetType, capacity: MeasuredCapacity): AssetShare {
  const measured = quantityOf(capacity)
  const wanted = DEFAULT_QUANTITY[type]
  return shareWith(
    type,
    measured !== null && type !== 'gpu'
      ? Math.max(1, Math.min(wanted, Math.floor(measured)))
      : wanted,
  )
}

/**
 * The settings a new asset starts with: private, not paused. Private by default because nothing
 * should leave the tab before its owner chose to offer it (DESIGN.md §5: the owner sets the level).
 */
export function defaultSettings(type: OwnAssetType, capacity: MeasuredCapacity): PrivacySettings {
  return { level: 'private', paused: false, share: defaultShare(type, capacity) }
}

/** A share checked against the current measurement (see {@link fitShare}). */
export interface FittedShare {
  share: AssetShare
  /** Whether the share can be offered (the capacity was measured and the share fits it). */
  offerable: boolean
  /** Why it cannot be offered, as a sentence; `null` when it can. */
  why: string | null
}

/**
 * Check a share (stored, or chosen by the owner) against what was measured now. A share above a
 * capacity that has shrunk since it was saved is lowered to the capacity; a share of a capacity
 * the browser does not tell cannot be offered (the asset stays out of reach, whatever its level).
 * A share broken in itself is replaced by the default.
 */
export function fitShare(
  type: OwnAssetType,
  share: AssetShare,
  capacity: MeasuredCapacity,
): FittedShare {
  try {
    checkShare(type, share, capacity)
    return { share, offerable: true, why: null }
  } catch (err) {
    if (!(err instanceof InvalidShareError)) throw err
    if (err.reason === 'unmeasured') {
      return {
        share,
        offerable: false,
        why: `This browser does not tell its ${NOUN[type]}, and what is not measured cannot be offered.`,
      }
    }
    if (err.reason === 'above-capacity') {
      const measured = quantityOf(capacity)
      if (measured !== null && Math.floor(measured) >= 1) {
        return { share: shareWith(type, Math.floor(measured), share), offerable: true, why: null }
      }
      return { share, offerable: false, why: err.message }
    }
    const fallback = defaultShare(type, capacity)
    if (share.type === type && shareQuantity(share) === shareQuantity(fallback)) {
      return { share, offerable: false, why: err.message }
    }
    return fitShare(type, fallback, capacity)
  }
}

const NOUN: Record<OwnAssetType, string> = {
  cpu: 'number of cores',
  gpu: 'GPU',
  memory: 'memory size',
  storage: 'available storage',
  network: 'link throughput (no goodput probe got through)',
}

// ---------------------------------------------------------------------------------------------
// Persistence

/** Most stored entries looked at: more than any tab has types, so anything above is not ours. */
const MAX_STORED_ASSETS = 16
const STORED_ENTRY_KEYS = ['id', 'createdUs', 'port', 'settings']

/** What {@link loadStoredAssets} needs besides the stored value. */
export interface LoadAssetsInit {
  /** The types the current measurement gives this tab (an asset is created for each missing one). */
  types: readonly OwnAssetType[]
  /** What was measured, per type (for the default share of a new or reset asset). */
  capacities: Readonly<Partial<Record<OwnAssetType, MeasuredCapacity>>>
  /** 16 random bytes per call (`crypto.getRandomValues`), for new asset IDs. */
  random16: () => Uint8Array
  /** Now, µs since the epoch: the creation time of new assets. */
  nowUs: number
}

/** The assets after loading. */
export interface LoadedAssets {
  /** One per type, in {@link OWN_ASSET_TYPES} order: the stored ones, then any new ones. */
  records: OwnAssetRecord[]
  /** Stored entries thrown away (malformed, unknown type, duplicate): their assets were lost. */
  dropped: number
  /** Stored entries whose settings were malformed and were reset to the defaults. */
  reset: number
  /** Whether the records differ from what was stored (so they must be written back). */
  changed: boolean
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

/**
 * Load the stored assets of the tab's slot, checking every field (lib/assets' codecs for the ID
 * and the settings). Nothing stored, or something that is not this format, gives new assets;
 * an entry with a good ID but bad settings keeps its ID with default settings. Never throws for
 * any stored value: a tab with damaged storage still starts, with fresh private assets.
 *
 * Stored assets of a type the current measurement lacks (a GPU that is gone) are kept, so that
 * their ID comes back with the GPU.
 *
 * @example
 * ```ts
 * const { records, changed } = loadStoredAssets(await readSlotValue(slot, 'assets'), init)
 * if (changed) await putSlotValue(slot, 'assets', encodeStoredAssets(records))
 * ```
 */
export function loadStoredAssets(stored: unknown, init: LoadAssetsInit): LoadedAssets {
  const byType = new Map<OwnAssetType, OwnAssetRecord>()
  let dropped = 0
  let reset = 0
  let changed = stored === undefined
  if (stored !== undefined) {
    const entries =
      isRecord(stored) &&
      stored.v === STORED_ASSETS_VERSION &&
      Object.keys(stored).length === 2 &&
      Array.isArray(stored.assets) &&
      stored.assets.length <= MAX_STORED_ASSETS
        ? (stored.assets as unknown[])
        : null
    if (entries === null) {
      dropped++
      changed = true
    }
    for (const entry of entries ?? []) {
      const loaded = loadEntry(entry, init)
      if (loaded === null || byType.has(loaded.record.id.type as OwnAssetType)) {
        dropped++
        changed = true
        continue
      }
      if (loaded.reset) {
        reset++
        changed = true
      }
      byType.set(loaded.record.id.type as OwnAssetType, loaded.record)
    }
  }
  for (const [type, record] of byType) {
    // The port follows what the tab serves: a storage asset stored before it was served had 0.
    if (record.port !== servicePortOf(type)) {
      byType.set(type, { ...record, port: servicePortOf(type) })
      changed = true
    }
  }
  for (const type of init.types) {
    if (byType.has(type)) continue
    changed = true
    byType.set(type, {
      id: newAssetId(type, init.random16()),
      createdUs: init.nowUs,
      port: servicePortOf(type),
      settings: defaultSettings(type, capacityOr(init, type)),
    })
  }
  const records = OWN_ASSET_TYPES.flatMap((t) => {
    const r = byType.get(t)
    return r === undefined ? [] : [r]
  })
  return { records, dropped, reset, changed }
}

/**
 * The service port of an asset type's GlobalAddress: memory answers the remote memory protocol on
 * port 1, storage on port 2, the others (no protocol yet) have port 0.
 */
export function servicePortOf(type: OwnAssetType): number {
  return type === 'memory'
    ? REMOTE_MEMORY_PORT
    : type === 'storage'
      ? STORAGE_PORT
      : NO_SERVICE_PORT
}

function capacityOr(init: LoadAssetsInit, type: OwnAssetType): MeasuredCapacity {
  return init.capacities[type] ?? unknownCapacity(type)
}

/** A capacity with nothing measured. */
export function unknownCapacity(type: OwnAssetType): MeasuredCapacity {
  switch (type) {
    case 'cpu':
      return { type, cores: null }
    case 'gpu':
      return { type, available: null }
    case 'memory':
    case 'storage':
      return { type, bytes: null }
    case 'network':
      return { type, bytesPerSecond: null }
  }
}

function loadEntry(
  entry: unknown,
  init: LoadAssetsInit,
): { record: OwnAssetRecord; reset: boolean } | null {
  if (!isRecord(entry)) return null
  const keys = Object.keys(entry)
  if (keys.length !== STORED_ENTRY_KEYS.length || !STORED_ENTRY_KEYS.every((k) => k in entry)) {
    return null
  }
  let id: AssetId
  try {
    id = parseAssetId(entry.id as string)
  } catch (err) {
    if (err instanceof AssetError) return null
    throw err
  }
  const type = id.type
  if (!isOwnAssetType(type)) return null
  const { createdUs, port } = entry
  if (typeof createdUs !== 'number' || !Number.isSafeInteger(createdUs) || createdUs < 0) {
    return null
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 0xffff) return null
  let settings: PrivacySettings
  let wasReset = false
  try {
    settings = decodePrivacySettings(entry.settings, type)
  } catch (err) {
    if (!(err instanceof AssetError)) throw err
    settings = defaultSettings(type, capacityOr(init, type))
    wasReset = true
  }
  return { record: { id, createdUs, port, settings }, reset: wasReset }
}

/**
 * The persisted form of the records (checked by lib/assets' encoders, so a bad value is never
 * written).
 */
export function encodeStoredAssets(records: readonly OwnAssetRecord[]): StoredAssets {
  return {
    v: STORED_ASSETS_VERSION,
    assets: records.map((r) => ({
      id: formatAssetId(r.id),
      createdUs: r.createdUs,
      port: r.port,
      settings: encodePrivacySettings(r.settings),
    })),
  }
}

// ---------------------------------------------------------------------------------------------
// The gate in front of the remote memory server

/** Codes of the gate's refusals (they go to the peer as remote memory error codes). */
export type GateRefusalCode = 'ASSET_PAUSED' | 'ASSET_NOT_SHARED' | 'ASSET_UNAVAILABLE'

/** What the gate needs to know of an asset. */
export interface GatedAsset {
  settings: PrivacySettings
  /** Whether its share can be offered ({@link FittedShare.offerable}). */
  offerable: boolean
  /**
   * Whether the tab can serve it now; false for a storage asset whose stored bytes could not be
   * opened. Default true.
   */
  available?: boolean
}

/**
 * Whether a peer whose capability token was accepted may reach an asset now: never while it is
 * paused (`ASSET_PAUSED`); otherwise when the level allows the peer's relation (lib/assets
 * `mayReach`: private never, `p2p` direct peers, `public-network` and wider any node) and the
 * share can be offered (`ASSET_NOT_SHARED`), and the tab can serve it (`ASSET_UNAVAILABLE`).
 */
export function gateAccess(asset: GatedAsset, peer: PeerRelation): AuthorizeVerdict {
  if (asset.settings.paused) {
    return { ok: false, code: 'ASSET_PAUSED', message: 'the owner has paused this asset' }
  }
  if (!asset.offerable || !mayReach(asset.settings, { peer, capability: true })) {
    return {
      ok: false,
      code: 'ASSET_NOT_SHARED',
      message: `the asset is ${asset.settings.level}: not shared with this peer`,
    }
  }
  if (asset.available === false) {
    return {
      ok: false,
      code: 'ASSET_UNAVAILABLE',
      message: 'the owner’s node cannot serve this asset now',
    }
  }
  return { ok: true }
}

/** What {@link assetAuthorizer} combines. */
export interface AssetAuthorizerInit {
  /** The capability check (lib/assets `capabilityAuthorizer`). */
  capability: (token: Uint8Array, request: AuthorizeRequest, now: number) => AuthorizeVerdict
  /** The asset at a 34-byte address, or `null` when this node has none there. */
  lookup: (address: Uint8Array) => GatedAsset | null
  /** How the requesting peer relates to this node. */
  relationOf: (peer: string) => PeerRelation
}

/**
 * The remote memory server's `authorize` port for this tab: the capability first (so a peer
 * without one learns nothing about the asset, not even that it is paused), then the owner's
 * privacy settings ({@link gateAccess}). An address with no asset passes here: the server core
 * answers `NOT_FOUND`.
 */
export function assetAuthorizer(
  init: AssetAuthorizerInit,
): (token: Uint8Array, request: AuthorizeRequest, now: number) => AuthorizeVerdict {
  return (token, request, now) => {
    const verdict = init.capability(token, request, now)
    if (!verdict.ok) return verdict
    const asset = init.lookup(request.address)
    return asset === null ? verdict : gateAccess(asset, init.relationOf(request.peer))
  }
}

/**
 * How `peer` relates to this node, for `mayReach`: itself, a direct (WebRTC) peer, or any other
 * node. A tab knows no other node of its owner, so `same-owner` never comes up.
 */
export function relationOf(
  peer: string,
  self: string,
  directPeers: ReadonlySet<string>,
): PeerRelation {
  if (peer === self) return 'self'
  return directPeers.has(peer) ? 'direct-peer' : 'other'
}

// ---------------------------------------------------------------------------------------------
// Errors and sentences

const SENTENCES: Record<string, string> = {
  ASSET_PAUSED:
    'The owner has paused this asset: nothing of it is reachable now. Try again once they resume it.',
  ASSET_NOT_SHARED:
    'The owner does not share this asset with you at its current privacy level. Ask them to widen it.',
  ASSET_UNAVAILABLE:
    'The owner’s node cannot serve this asset right now (its stored bytes could not be opened). Try again later, or ask the owner to reload their tab.',
  NO_MEMORY_ASSET: 'This tab has no memory asset to grant access to yet. Wait for the measurement.',
  NO_STORAGE_ASSET:
    'This tab has no storage asset to grant access to yet. Wait for the measurement.',
  STORAGE_UNAVAILABLE:
    'This tab’s stored bytes could not be opened, so its storage asset serves nothing. Reload the tab to try again.',
  BAD_AUDIT:
    'The audit cannot run as asked: give the commitment { root, size } that commit() returned for the bytes written, and a number of chunks from 1 to 128.',
  BAD_COMMIT: `Nothing to commit to: give the bytes written (1 byte to ${MAX_COMMIT_BYTES / 2 ** 20} MiB, base64).`,
  BAD_ASSET: "The asset is 'memory' or 'storage'.",
  WRONG_CHUNKS:
    'The node did not answer with the chunks the audit asked for: it cannot produce the content you stored.',
  WRONG_CHUNK_SIZE:
    'The node answered with chunks of the wrong size: what it stores is not the content you committed to.',
  BAD_PROOF:
    'The node’s answer does not match the content you committed to: the bytes it stores have changed or are lost.',
  MALFORMED_RESPONSE: 'The node’s answer to the audit could not be read as a proof.',
  INVALID_COMMITMENT: 'The commitment is not a 32-byte root with a valid size.',
  INVALID_CHALLENGE: 'The audit’s challenge does not fit the committed size.',
  UNKNOWN_NODE:
    'No node this tab knows has this address. Use the hypermesh:// URI, which names the peer.',
  BAD_ADDRESS: 'This is neither a hypermesh:// URI nor a global address of an asset.',
  BAD_TOKEN: 'The capability token is not base64 text. Paste it exactly as the owner gave it.',
  BAD_BYTES: 'The bytes to write are not base64 text.',
  BAD_GRANT: 'The grant cannot be issued as asked.',
  BAD_RANGE: 'The offset or length is not a whole number in range.',
  NOT_READY: 'This tab’s assets are not measured yet. Wait a few seconds, then try again.',
  CAPABILITY_MALFORMED:
    'The capability token is damaged: it could not be read. Ask the owner for a new one.',
  CAPABILITY_WRONG_GRANTEE:
    'The capability token was granted to another node. Ask the owner for one issued to you.',
  CAPABILITY_WRONG_ADDRESS:
    'The capability token is for another asset. Use it at the address it was granted for.',
  CAPABILITY_WRONG_OWNER:
    'The capability token was not issued by this asset’s owner. Ask the owner for one.',
  CAPABILITY_NOT_YET_VALID: 'The capability token is not valid yet. Try again later.',
  CAPABILITY_NO_RIGHT:
    'The capability token does not allow this kind of access (read or write). Ask the owner for one that does.',
  CAPABILITY_BAD_SIGNATURE:
    'A signature of the capability token does not verify: it was altered. Ask the owner for a new one.',
  CAPABILITY_WIDENED:
    'The capability token was passed on with more rights than it had. Ask the owner for a new one.',
}

/**
 * A sentence for a user about an access code: this module's own codes, the capability codes,
 * then the remote memory protocol's (lib/assets `describeRemoteMemoryError`).
 */
export function describeAccessError(code: string): string {
  return SENTENCES[code] ?? describeRemoteMemoryError(code)
}

/** An access to an asset (own or remote) that failed: `code` is stable, `message` a sentence. */
export class AssetAccessError extends Error {
  override readonly name = 'AssetAccessError'

  /**
   * @param code - stable identifier (a gate, capability or remote memory code, or one of ours)
   * @param detail - what exactly was wrong, appended to the sentence when given
   */
  constructor(
    readonly code: string,
    detail?: string,
  ) {
    super(
      detail === undefined ? describeAccessError(code) : `${describeAccessError(code)} ${detail}`,
    )
  }

  /** The `{ name, code, message }` form. */
  toJSON(): { name: string; code: string; message: string } {
    return { name: this.name, code: this.code, message: this.message }
  }
}

// ---------------------------------------------------------------------------------------------
// Addresses, tokens, grants

/**
 * The peer and address a user typed: a `hypermesh://` URI names its peer; a global address names
 * only the first 8 bytes of the hash of it, so the peer is looked up among `knownPeers`.
 *
 * @throws {@link AssetAccessError} `BAD_ADDRESS`, `UNKNOWN_NODE`
 */
export function resolveTarget(
  text: string,
  knownPeers: Iterable<string>,
  prefix: Uint8Array = PUBLIC_MESH_PREFIX,
): { peerId: string; address: GlobalAddress } {
  const q = typeof text === 'string' ? parseAssetQuery(text, prefix) : null
  if (q?.kind === 'uri') return { peerId: q.uri.peerId, address: q.uri.address }
  if (q?.kind !== 'global-address') throw new AssetAccessError('BAD_ADDRESS')
  const { address } = q
  if (!sameBytes(address.prefix, prefix)) throw new AssetAccessError('UNKNOWN_NODE')
  for (const peerId of knownPeers) {
    let nodeId: Uint8Array
    try {
      nodeId = nodeIdOf(peerId)
    } catch {
      continue
    }
    if (sameBytes(nodeId, address.nodeId)) return { peerId, address }
  }
  throw new AssetAccessError('UNKNOWN_NODE')
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Standard base64 with padding (what `btoa` writes). */
export function bytesToBase64(bytes: Uint8Array): string {
  let s = ''
  // fromCharCode over chunks: one call per byte is slow at 1 MiB, one call for all overflows.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(s)
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Read base64 text (white space, as in a pasted token, is ignored; anything else must be
 * standard base64 with padding).
 *
 * @param code - the error code for text that is not base64 (`BAD_TOKEN`, `BAD_BYTES`)
 * @throws {@link AssetAccessError} with `code`
 */
export function base64ToBytes(text: string, code: 'BAD_TOKEN' | 'BAD_BYTES'): Uint8Array {
  if (typeof text !== 'string') throw new AssetAccessError(code)
  const clean = text.replace(/\s+/g, '')
  if (!BASE64.test(clean)) throw new AssetAccessError(code)
  const s = atob(clean)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

/**
 * Check an offset and length of an access (whole numbers, length at most 1 MiB).
 *
 * @throws {@link AssetAccessError} `BAD_RANGE`
 */
export function checkRange(offset: unknown, length: unknown): void {
  if (
    !Number.isSafeInteger(offset) ||
    (offset as number) < 0 ||
    !Number.isSafeInteger(length) ||
    (length as number) < 0 ||
    (length as number) > MAX_ACCESS_BYTES ||
    !Number.isSafeInteger((offset as number) + (length as number))
  ) {
    throw new AssetAccessError(
      'BAD_RANGE',
      `Offsets start at 0; one access covers at most ${MAX_ACCESS_BYTES} bytes.`,
    )
  }
}

/** The assets a tab serves over the remote memory protocol, and so grants access to. */
export type ServedAssetType = 'memory' | 'storage'

/** What the owner grants: a byte range of an asset, rights and a lifetime. */
export interface GrantRequest {
  /** The asset: `memory` (default) or `storage`. */
  asset?: ServedAssetType
  offset: number
  length: number
  /** `r` read (also: audit with proofs of retrievability), `w` write, `rw` both. */
  rights: 'r' | 'w' | 'rw'
  /** Lifetime from now, ms: 1 … {@link MAX_GRANT_TTL_MS}. */
  ttlMs: number
}

/**
 * The asset a grant request names (`memory` when it names none).
 *
 * @throws {@link AssetAccessError} `BAD_GRANT` for anything but `memory` or `storage`
 */
export function grantedAssetOf(request: GrantRequest): ServedAssetType {
  const asset = request?.asset ?? 'memory'
  if (asset !== 'memory' && asset !== 'storage') {
    throw new AssetAccessError('BAD_GRANT', "The asset is 'memory' or 'storage'.")
  }
  return asset
}

// ---------------------------------------------------------------------------------------------
// Audits (proofs of retrievability)

/**
 * What the writer of some content keeps to audit it later: the Merkle root of its chunks
 * (lib/assets/retrievability.ts) in hex, and its size in bytes. JSON-safe.
 */
export interface Commitment {
  /** 64 lower-case hex digits. */
  root: string
  size: number
}

/** The outcome of an audit: the node proved the chunks asked for, or why not. */
export type AuditResult =
  | { ok: true; chunks: number; ms: number }
  | { ok: false; code: RetrievabilityRefusalCode; message: string; chunks: number; ms: number }

/** The commitment of a root and size. */
export function formatCommitment(root: Uint8Array, size: number): Commitment {
  return { root: Array.from(root, (b) => b.toString(16).padStart(2, '0')).join(''), size }
}

/**
 * Check a commitment and the number of chunks to challenge (1 … 128).
 *
 * @throws {@link AssetAccessError} `BAD_AUDIT` naming what is wrong
 */
export function parseAudit(commitment: unknown, k: unknown): { root: Uint8Array; size: number } {
  const c = commitment as Partial<Commitment> | null
  if (
    c === null ||
    typeof c !== 'object' ||
    typeof c.root !== 'string' ||
    !/^[0-9a-f]{64}$/.test(c.root) ||
    !Number.isSafeInteger(c.size) ||
    (c.size as number) < 1 ||
    (c.size as number) > MAX_RETRIEVABLE_BYTES
  ) {
    throw new AssetAccessError('BAD_AUDIT', 'The commitment is not { root: 64 hex digits, size }.')
  }
  if (!Number.isInteger(k) || (k as number) < 1 || (k as number) > MAX_CHALLENGE_CHUNKS) {
    throw new AssetAccessError('BAD_AUDIT', `Challenge 1 to ${MAX_CHALLENGE_CHUNKS} chunks.`)
  }
  const root = new Uint8Array(32)
  for (let i = 0; i < 32; i++) root[i] = parseInt(c.root.slice(2 * i, 2 * i + 2), 16)
  return { root, size: c.size as number }
}

const RIGHTS: Record<GrantRequest['rights'], number> = {
  r: RIGHT_READ,
  w: RIGHT_WRITE,
  rw: ALL_RIGHTS,
}

/**
 * The capability grant for a request of the owner: to the key of `granteePeerId`, on the asset at
 * `address` (memory or storage), inside the `servedBytes` it serves, valid from `now` for `ttlMs`.
 *
 * @throws {@link AssetAccessError} `BAD_GRANT` naming what is wrong
 */
export function grantFor(
  granteePeerId: string,
  request: GrantRequest,
  context: { address: GlobalAddress; servedBytes: number; now: number; nonce: Uint8Array },
): CapabilityGrant {
  let grantee: Uint8Array
  try {
    grantee = parsePeerId(String(granteePeerId).trim()).publicKey
  } catch {
    throw new AssetAccessError('BAD_GRANT', 'The grantee must be an Ed25519 peer ID (12D3KooW…).')
  }
  const { offset, length, rights, ttlMs } = request ?? ({} as GrantRequest)
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 1) {
    throw new AssetAccessError(
      'BAD_GRANT',
      'The offset must be 0 or more and the length 1 or more.',
    )
  }
  if (offset + length > context.servedBytes) {
    throw new AssetAccessError(
      'BAD_GRANT',
      `The range must lie within the ${context.servedBytes} bytes the asset serves.`,
    )
  }
  if (!Object.hasOwn(RIGHTS, rights)) {
    throw new AssetAccessError('BAD_GRANT', "The rights are 'r', 'w' or 'rw'.")
  }
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_GRANT_TTL_MS) {
    throw new AssetAccessError('BAD_GRANT', 'The lifetime is from 1 ms to 30 days.')
  }
  return {
    grantee,
    address: context.address,
    offset,
    length,
    rights: RIGHTS[rights],
    notBefore: context.now,
    expiry: context.now + ttlMs,
    nonce: context.nonce,
  }
}

// ---------------------------------------------------------------------------------------------
// What the card shows

/** One measured figure, as a line of the card. */
export interface MeasuredLine {
  label: string
  /** The figure, or `unknown (why)`. */
  value: string
  known: boolean
}

/** One asset of this tab, as the card and the test API see it. */
export interface OwnAssetView {
  type: OwnAssetType
  /** `<type>:<uuid>`. */
  assetId: string
  /** The 17-group text form. */
  globalAddress: string
  /** `hypermesh://<peer>/<uuid>:<port>`. */
  uri: string
  level: PrivacyLevel
  paused: boolean
  share: AssetShare
  capacity: MeasuredCapacity
  offerable: boolean
  /** Why the asset cannot be offered, or `null`. */
  why: string | null
  measured: MeasuredLine[]
  /**
   * Memory and storage: bytes served at the address now (0 while private or paused, or storage
   * whose stored bytes could not be opened); others `null`.
   */
  servedBytes: number | null
  /** Whether its level registers it on the ledger. */
  registered: boolean
}

/** The assets runtime's state, for the card. */
export interface AssetsView {
  /** `waiting`: for the node to join; `measuring`; `ready`; `failed`: see `problem`. */
  status: 'waiting' | 'measuring' | 'ready' | 'failed'
  problem: string | null
  /** Whether every asset is paused (the card's one Pause button). */
  paused: boolean
  assets: OwnAssetView[]
  /** Where the ledger registration of public assets stands, as a sentence; `null` if nothing to say. */
  ledger: string | null
  /** Why this tab has no GPU asset (no WebGPU adapter), or `null` when it has one or is not measured yet. */
  noGpu: string | null
  /**
   * How long each part of this tab's measurement took, in ms (`npm run bench -- assets` reads
   * it); `null` until the measurement finished.
   */
  tookMs: ResourceTimings | null
}

/** The test API (`window.hypermeshAssets`) and the card's actions. */
export interface HypermeshAssetsApi {
  /** Set an asset's level, and its share if given; applies at once and persists. */
  setPrivacy(type: OwnAssetType, level: PrivacyLevel, share?: AssetShare): Promise<void>
  /** Pause (or resume) every asset at once. */
  pause(paused: boolean): Promise<void>
  /**
   * Grant `granteePeerId` access to this tab's memory asset (or its storage asset, with
   * `asset: 'storage'`); returns the token as base64.
   */
  grant(granteePeerId: string, request: GrantRequest): Promise<string>
  /**
   * Write base64 bytes at `offset` of the memory or storage asset at a URI or global address.
   * A storage write resolves once the bytes are stored on the owner's disk.
   */
  write(target: string, offset: number, bytesBase64: string, tokenBase64: string): Promise<void>
  /** Read `length` bytes at `offset` of the memory or storage asset at a URI or global address (base64). */
  read(target: string, offset: number, length: number, tokenBase64: string): Promise<string>
  /**
   * The own memory (or storage) asset's bytes (base64), read locally: what a remote access did or
   * did not change.
   */
  localBytes(offset: number, length: number, asset?: ServedAssetType): Promise<string>
  /**
   * The commitment to content this tab wrote (base64, 1 byte … 16 MiB), computed here from the
   * bytes: keep it to {@link HypermeshAssetsApi.audit} the asset that stores them later.
   */
  commit(bytesBase64: string): Promise<Commitment>
  /**
   * Audit the storage asset at a URI or global address: challenge `k` random chunks (1 … 128;
   * all of them when the content has fewer) of the content committed to, stored from `offset` on,
   * and verify the node's proof against the commitment. A proof that fails is a result
   * (`ok: false` with the verifier's code); a refused or unreachable request throws, as `read`
   * does. `ms` is the time from challenge to verdict.
   */
  audit(
    target: string,
    offset: number,
    commitment: Commitment,
    k: number,
    tokenBase64: string,
  ): Promise<AuditResult>
}

/** The runtime's handle on `globalThis` under `ASSETS_SLOT_KEY`. */
export interface AssetsSlot extends HypermeshAssetsApi {
  subscribe(listener: () => void): () => void
  get(): AssetsView
}

/** The view before the runtime has started. */
export const WAITING_VIEW: AssetsView = Object.freeze({
  status: 'waiting',
  problem: null,
  paused: false,
  assets: [],
  ledger: null,
  noGpu: null,
  tookMs: null,
}) as AssetsView

const GIB = 2 ** 30
const MIB = 2 ** 20

/** Bytes for people: GiB from 1 GiB, else MiB, else KiB, else bytes. */
export function formatBytes(bytes: number): string {
  const round = (x: number) => (x >= 100 || Number.isInteger(x) ? Math.round(x) : +x.toFixed(1))
  if (bytes >= GIB) return `${round(bytes / GIB)} GiB`
  if (bytes >= MIB) return `${round(bytes / MIB)} MiB`
  if (bytes >= 1024) return `${round(bytes / 1024)} KiB`
  return `${bytes} B`
}

function line(label: string, value: string | null, why: string | null): MeasuredLine {
  return value === null
    ? { label, value: `unknown (${why ?? 'not measured'})`, known: false }
    : { label, value, known: true }
}

/**
 * The measured figures of an asset type, as lines of the card: every figure the measurement has
 * for it, and `unknown (why)` for every one it could not get. Nothing is estimated.
 */
export function measuredLines(
  type: OwnAssetType,
  r: Resources,
  reasons: ResourceReasons,
): MeasuredLine[] {
  const why = (path: Parameters<typeof reasonFor>[1]) => reasonFor(reasons, path)
  switch (type) {
    case 'cpu':
      return [
        line('Logical cores', r.cpu.logicalCores?.toString() ?? null, why('cpu.logicalCores')),
        line(
          'Speed',
          r.cpu.score === null
            ? null
            : `${Math.round(r.cpu.score)} SHA-256 hashes of 64 KiB a second, one thread`,
          why('cpu.score'),
        ),
      ]
    case 'memory':
      return [
        line(
          'Device memory',
          r.memory.deviceMemoryGiB === null
            ? null
            : `${formatBytes(r.memory.deviceMemoryGiB * GIB)} (rounded by the browser)`,
          why('memory.deviceMemoryGiB'),
        ),
        line(
          'JavaScript heap limit',
          r.memory.jsHeapLimitBytes === null ? null : formatBytes(r.memory.jsHeapLimitBytes),
          why('memory.jsHeapLimitBytes'),
        ),
        line('Physical memory', null, why('memory.totalBytes')),
      ]
    case 'storage': {
      const { quotaBytes, usageBytes } = r.storage
      return [
        line(
          'Quota of this site',
          quotaBytes === null ? null : formatBytes(quotaBytes),
          why('storage.quotaBytes'),
        ),
        line(
          'Used',
          usageBytes === null ? null : formatBytes(usageBytes),
          why('storage.usageBytes'),
        ),
        line(
          'Write speed',
          r.storage.writeBytesPerSecond === null
            ? null
            : `${formatBytes(r.storage.writeBytesPerSecond)}/s`,
          why('storage.writeBytesPerSecond'),
        ),
        line('Free disk space', null, why('storage.freeBytes')),
      ]
    }
    case 'gpu': {
      const g = r.gpu
      const label = summarizeResources(r).gpuLabel
      const limit = g?.limits.maxBufferSize ?? null
      return [
        line('Adapter', label, g === null ? why('gpu') : 'the browser gives no name'),
        line(
          'Software (fallback) adapter',
          g?.fallbackAdapter == null ? null : g.fallbackAdapter ? 'yes' : 'no',
          why('gpu.fallbackAdapter'),
        ),
        line('GPU memory', null, 'WebGPU does not expose it'),
        line(
          'Largest buffer',
          limit === null ? null : formatBytes(limit),
          why('gpu.limits.maxBufferSize'),
        ),
      ]
    }
    case 'network': {
      const s = summarizeResources(r)
      return [
        line('Links measured', String(r.network.links.length), null),
        line(
          'Median round trip',
          s.medianRttMs === null ? null : `${s.medianRttMs.toFixed(1)} ms`,
          reasons.network ?? 'no link to a peer was measured yet',
        ),
        line(
          'Throughput',
          s.medianGoodputBytesPerSecond === null
            ? null
            : `${formatBytes(s.medianGoodputBytesPerSecond)}/s`,
          'no transfer was measured yet',
        ),
      ]
    }
  }
}

/** The share input of the card for one asset type. */
export interface ShareControl {
  unit: string
  min: number
  max: number
  step: number
  /** The current share in `unit`. */
  value: number
}

const UNIT: Record<OwnAssetType, { unit: string; scale: number }> = {
  cpu: { unit: 'cores', scale: 1 },
  gpu: { unit: '% of its time', scale: 0.01 },
  memory: { unit: 'MiB', scale: MIB },
  storage: { unit: 'MiB', scale: MIB },
  network: { unit: 'KiB/s', scale: 1024 },
}

/**
 * The share input for an asset: whole units from 1 to what was measured (a GPU: 1–100 % of its
 * time). `null` when the capacity was not measured: nothing can be offered then.
 */
export function shareControl(
  view: Pick<OwnAssetView, 'type' | 'share' | 'capacity'>,
): ShareControl | null {
  const { unit, scale } = UNIT[view.type]
  const quantity = shareQuantity(view.share) ?? 0
  if (view.type === 'gpu') {
    if (view.capacity.type !== 'gpu' || view.capacity.available !== true) return null
    return { unit, min: 1, max: 100, step: 1, value: Math.round(quantity * 100) }
  }
  const measured = quantityOf(view.capacity)
  if (measured === null) return null
  const max = Math.floor(measured / scale)
  if (max < 1) return null
  return { unit, min: 1, max, step: 1, value: Math.max(1, Math.floor(quantity / scale)) }
}

/**
 * The share the owner typed into a {@link ShareControl}, or the sentence saying why not.
 */
export function parseShareInput(
  type: OwnAssetType,
  text: string,
  control: ShareControl,
  previous: AssetShare,
): { ok: true; share: AssetShare } | { ok: false; message: string } {
  const t = String(text).trim()
  const n = /^[0-9]{1,15}$/.test(t) ? Number(t) : NaN
  if (!Number.isSafeInteger(n) || n < control.min || n > control.max) {
    return {
      ok: false,
      message: `Enter a whole number from ${control.min} to ${control.max} (${control.unit}).`,
    }
  }
  const quantity = type === 'gpu' ? n / 100 : n * UNIT[type].scale
  return { ok: true, share: shareWith(type, quantity, previous) }
}

// ---------------------------------------------------------------------------------------------
// Ledger registration

/** An asset of this node as the ledger has it (the fields of lib/chain's `AssetSummary` used). */
export interface LedgerAssetView {
  id: string
  level: string
  share: AssetShare
  retiredAt: number | null
  /** The service port registered (compared when known). */
  port?: number
}

/** What {@link planLedgerSync} decides for one asset. */
export type LedgerAction =
  | { kind: 'register'; id: string }
  | { kind: 'update'; id: string }
  | { kind: 'retire'; id: string }
  /** A retired UUID can never be registered again: the asset needs a new ID first. */
  | { kind: 'renew'; id: string }

/** Whether two shares are the same offer. */
export function sameShare(a: AssetShare, b: AssetShare): boolean {
  return (
    a.type === b.type &&
    shareQuantity(a) === shareQuantity(b) &&
    (a.hoursPerDay ?? null) === (b.hoursPerDay ?? null)
  )
}

/**
 * What to send to the ledger so that it lists exactly the assets whose level registers them
 * (lib/assets `isRegistered`: public-network and full-public) with their current level and
 * share: register the missing ones, update the changed ones, retire those the owner has made
 * narrower (the ledger is public: a p2p or private asset must not stay published), and retire
 * live registrations of this node that no asset of the tab has any more. Pausing changes nothing
 * here (lib/assets: pausing is instant and local). A registration whose service port is not the
 * asset's (a storage asset registered before storage was served, on port 0) is retired: the
 * ledger cannot change a port, so the asset is renewed and registered again at its address.
 */
export function planLedgerSync(
  assets: readonly { id: string; settings: PrivacySettings; offerable: boolean; port?: number }[],
  onChain: readonly LedgerAssetView[],
): LedgerAction[] {
  const chain = new Map(onChain.map((a) => [a.id, a]))
  const actions: LedgerAction[] = []
  for (const a of assets) {
    const entry = chain.get(a.id)
    chain.delete(a.id)
    const wanted = a.offerable && isRegistered(a.settings)
    if (wanted) {
      if (entry === undefined) actions.push({ kind: 'register', id: a.id })
      else if (entry.retiredAt !== null) actions.push({ kind: 'renew', id: a.id })
      else if (a.port !== undefined && entry.port !== undefined && a.port !== entry.port) {
        actions.push({ kind: 'retire', id: a.id })
      } else if (entry.level !== a.settings.level || !sameShare(entry.share, a.settings.share)) {
        actions.push({ kind: 'update', id: a.id })
      }
    } else if (entry !== undefined && entry.retiredAt === null) {
      actions.push({ kind: 'retire', id: a.id })
    }
  }
  for (const entry of chain.values()) {
    if (entry.retiredAt === null) actions.push({ kind: 'retire', id: entry.id })
  }
  return actions
}

// ---------------------------------------------------------------------------------------------
// Network measurement input

/** Most links a measurement carries (lib/assets `MAX_NETWORK_LINKS`). */
const MAX_LINKS = 64
/** Longest RTT a link measurement may carry (lib/assets `MAX_LINK_RTT_MS`). */
const MAX_RTT_MS = 60_000

/** Largest goodput a link measurement may carry (lib/assets' largest rate: 1 TiB/s). */
const MAX_GOODPUT = 2 ** 40

/**
 * The links to hand to the measurement: one per direct (WebRTC) peer, with the RTT the mesh
 * measured on it and the goodput a probe measured (bytes/s by peer ID; `null` where none did).
 */
export function linkMeasurements(
  connections: readonly { peerId: string; transport: string; rttMs: number | null }[],
  goodput: ReadonlyMap<string, number> = new Map(),
): LinkMeasurement[] {
  const links = new Map<string, LinkMeasurement>()
  for (const c of connections) {
    if (c.transport !== 'webrtc' || links.has(c.peerId) || links.size >= MAX_LINKS) continue
    const rtt = c.rttMs
    const g = goodput.get(c.peerId)
    links.set(c.peerId, {
      peerId: c.peerId,
      rttMs: rtt !== null && Number.isFinite(rtt) && rtt >= 0 && rtt <= MAX_RTT_MS ? rtt : null,
      goodputBytesPerSecond:
        g !== undefined && Number.isFinite(g) && g > 0 && g <= MAX_GOODPUT ? g : null,
    })
  }
  return [...links.values()]
}
