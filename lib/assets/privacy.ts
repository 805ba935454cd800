/**
 * Privacy settings of an asset (DESIGN.md §5, lib/assets/README.md): a level, a share of what
 * was measured, and a pause switch. The owner chooses them per asset; these rules say what follows
 * from them (registered on the ledger, listed in the explorer, reachable by whom, rewarded how).
 *
 * | level           | reward | registered | listed | who may reach it                        |
 * |-----------------|--------|------------|--------|-----------------------------------------|
 * | private         | 0      | no         | no     | the owning node only                    |
 * | private-network | 0.25   | no         | no     | + the owner's other nodes, with a token |
 * | p2p             | 0.5    | no         | no     | + direct peers, with a token            |
 * | public-network  | 0.75   | yes        | yes    | + any node, with a token                |
 * | full-public     | 1      | yes        | yes    | + any node, with a token                |
 *
 * `paused` overrides all of it: nothing is reachable and nothing listed. Registration alone
 * ignores the pause (see {@link isRegistered}).
 */
import { AssetArgumentError, AssetError, type AssetType, isAssetType } from './asset-id'

// ---------------------------------------------------------------------------------------------
// Errors

/** Why a share was refused (see {@link InvalidShareError}). */
export type InvalidShareReason = 'type' | 'value' | 'hours' | 'unmeasured' | 'above-capacity'

/**
 * A share the owner cannot set: for another asset type than the asset's or than the measurement's
 * (`type`), a quantity that is not a positive integer (a fraction in (0, 1] for a GPU) (`value`),
 * hours per day outside (0, 24] (`hours`), a capacity the platform could not measure
 * (`unmeasured`: what is not measured cannot be offered), or more than was measured
 * (`above-capacity`).
 */
export class InvalidShareError extends AssetError {
  override readonly name = 'InvalidShareError'
  readonly code = 'ERR_INVALID_SHARE'
  override readonly reason: InvalidShareReason

  /**
   * @param reason - which rule failed
   * @param message - a sentence for people
   */
  constructor(reason: InvalidShareReason, message: string) {
    super(message)
    this.reason = reason
  }
}

/**
 * Persisted settings that cannot be loaded: not JSON, another version, a missing, extra or
 * out-of-range field. The caller keeps the settings it had; nothing is partially applied.
 */
export class PrivacySettingsDecodeError extends AssetError {
  override readonly name = 'PrivacySettingsDecodeError'
  readonly code = 'ERR_PRIVACY_SETTINGS_DECODE'

  /**
   * @param field - path of the offending field (`share.cores`), or `value` for the whole input
   * @param problem - what is wrong with it
   */
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`Saved privacy settings are not valid at ${field}: ${problem}.`)
  }
}

// ---------------------------------------------------------------------------------------------
// Levels

/** How widely an asset is shared, from not at all to everyone. */
export type PrivacyLevel = 'private' | 'private-network' | 'p2p' | 'public-network' | 'full-public'

/** Every level, narrowest first. */
export const PRIVACY_LEVELS: readonly PrivacyLevel[] = Object.freeze([
  'private',
  'private-network',
  'p2p',
  'public-network',
  'full-public',
])

/** Reward multiplier of each level (DESIGN.md §5 and §9). */
export const REWARD_MULTIPLIERS: Readonly<Record<PrivacyLevel, number>> = Object.freeze({
  private: 0,
  'private-network': 0.25,
  p2p: 0.5,
  'public-network': 0.75,
  'full-public': 1,
})

/** Levels whose assets are registered on the ledger (and so listed in the explorer). */
const PUBLIC_LEVELS: ReadonlySet<PrivacyLevel> = new Set(['public-network', 'full-public'])

/** Whether `x` is a {@link PrivacyLevel}. Never throws. */
export function isPrivacyLevel(x: unknown): x is PrivacyLevel {
  return typeof x === 'string' && (PRIVACY_LEVELS as readonly string[]).includes(x)
}

/**
 * The reward multiplier of a level: 0, 0.25, 0.5, 0.75, 1 from private to full-public.
 *
 * @throws {@link AssetArgumentError} for an unknown level
 * @example
 * ```ts
 * rewardMultiplier('p2p') // 0.5
 * ```
 */
export function rewardMultiplier(level: PrivacyLevel): number {
  if (!isPrivacyLevel(level)) {
    throw new AssetArgumentError('rewardMultiplier.level', 'must be a privacy level')
  }
  return REWARD_MULTIPLIERS[level]
}

// ---------------------------------------------------------------------------------------------
// Shares and measurements

/** Hours per day the asset is offered, in (0, 24]; absent means all day. */
interface Hours {
  readonly hoursPerDay?: number
}

/**
 * How much of an asset is offered, by asset type: whole cores, bytes of memory or storage, a
 * fraction of the GPU's time, bytes per second of the link. Container and economic assets have
 * no measured quantity; their share is only the hours.
 */
export type AssetShare =
  | ({ readonly type: 'cpu'; readonly cores: number } & Hours)
  | ({ readonly type: 'gpu'; readonly fraction: number } & Hours)
  | ({ readonly type: 'memory'; readonly bytes: number } & Hours)
  | ({ readonly type: 'storage'; readonly bytes: number } & Hours)
  | ({ readonly type: 'network'; readonly bytesPerSecond: number } & Hours)
  | ({ readonly type: 'container' } & Hours)
  | ({ readonly type: 'economic' } & Hours)

/**
 * What the adapters measured for an asset (DESIGN.md §5: `hardwareConcurrency`, `deviceMemory`,
 * `storage.estimate()`, WebGPU, link bandwidth). `null` is "the platform did not tell".
 */
export type MeasuredCapacity =
  | { readonly type: 'cpu'; readonly cores: number | null }
  | { readonly type: 'gpu'; readonly available: boolean | null }
  | { readonly type: 'memory'; readonly bytes: number | null }
  | { readonly type: 'storage'; readonly bytes: number | null }
  | { readonly type: 'network'; readonly bytesPerSecond: number | null }
  | { readonly type: 'container' }
  | { readonly type: 'economic' }

/** The quantity field of each share type (none for container and economic). */
const QUANTITY: Readonly<Record<AssetType, string | null>> = {
  cpu: 'cores',
  gpu: 'fraction',
  memory: 'bytes',
  storage: 'bytes',
  network: 'bytesPerSecond',
  container: null,
  economic: null,
}

function isPositiveInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 1
}

/** The share's own rules (no measurement): which field breaks which rule, or `null`. */
function shareProblem(share: AssetShare): [InvalidShareReason, string, string] | null {
  if (typeof share !== 'object' || share === null || !isAssetType(share.type)) {
    return ['type', 'type', 'The share does not name an asset type.']
  }
  const hours = share.hoursPerDay
  if (
    hours !== undefined &&
    !(typeof hours === 'number' && Number.isFinite(hours) && hours > 0 && hours <= 24)
  ) {
    return ['hours', 'hoursPerDay', 'Hours per day must be more than 0 and at most 24.']
  }
  const field = QUANTITY[share.type]
  if (field === null) return null
  const value = (share as unknown as Record<string, unknown>)[field]
  if (share.type === 'gpu') {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 1)) {
      return ['value', field, 'The GPU share is a fraction of its time, more than 0 and at most 1.']
    }
  } else if (!isPositiveInteger(value)) {
    return ['value', field, `The ${share.type} share must be a whole number of at least 1.`]
  }
  return null
}

/**
 * Check that a share can be set on an asset of `type` given what was measured. A capacity the
 * platform could not measure cannot be offered: the owner sees why and may measure again.
 *
 * @param type - the asset's type
 * @param share - what the owner wants to offer
 * @param measured - what the adapters measured for this asset
 * @throws {@link InvalidShareError} (`type`, `value`, `hours`, `unmeasured`, `above-capacity`)
 * @example
 * ```ts
 * checkShare('cpu', { type: 'cpu', cores: 2 }, { type: 'cpu', cores: 8 }) // ok
 * checkShare('cpu', { type: 'cpu', cores: 9 }, { type: 'cpu', cores: 8 }) // throws above-capacity
 * ```
 */
export function checkShare(type: AssetType, share: AssetShare, measured: MeasuredCapacity): void {
  if (!isAssetType(type)) throw new AssetArgumentError('checkShare.type', 'must be an asset type')
  const problem = shareProblem(share)
  if (problem !== null) throw new InvalidShareError(problem[0], problem[2])
  if (share.type !== type) {
    throw new InvalidShareError('type', `A ${share.type} share cannot be set on a ${type} asset.`)
  }
  if (typeof measured !== 'object' || measured === null || measured.type !== type) {
    throw new InvalidShareError('type', `The measurement is not one of a ${type} asset.`)
  }
  const field = QUANTITY[type]
  if (field === null) return
  if (share.type === 'gpu' && measured.type === 'gpu') {
    if (measured.available === null) {
      throw new InvalidShareError('unmeasured', 'This browser did not tell whether it has a GPU.')
    }
    if (!measured.available) throw new InvalidShareError('above-capacity', 'No GPU was found.')
    return
  }
  const wanted = (share as unknown as Record<string, number>)[field]!
  const capacity = (measured as unknown as Record<string, unknown>)[field]
  if (capacity === null || typeof capacity !== 'number' || !Number.isFinite(capacity)) {
    throw new InvalidShareError('unmeasured', `This browser did not tell its ${type} capacity.`)
  }
  if (wanted > capacity) {
    throw new InvalidShareError(
      'above-capacity',
      `The ${type} share (${wanted}) is more than was measured (${capacity}).`,
    )
  }
}

// ---------------------------------------------------------------------------------------------
// Settings and rules

/** The owner's choices for one asset. */
export interface PrivacySettings {
  /** How widely the asset is shared. */
  readonly level: PrivacyLevel
  /** How much of it (checked against the measurement with {@link checkShare}). */
  readonly share: AssetShare
  /** When true, nothing of the asset is reachable or listed, whatever the level. */
  readonly paused: boolean
}

/** How a node asking for an asset relates to its owner (the closest that holds). */
export type PeerRelation = 'self' | 'same-owner' | 'direct-peer' | 'other'

/** Who is asking, for {@link mayReach}. */
export interface ReachRelation {
  /** `self` is the owning node itself; `same-owner` another node of the same owner. */
  readonly peer: PeerRelation
  /** Whether the asker presented a capability token that `checkCapability` (capability.ts) accepted. */
  readonly capability: boolean
}

/** The narrowest level at which each relation may reach an asset (with a token unless self). */
const NARROWEST_LEVEL: Readonly<Record<PeerRelation, number>> = {
  self: 0,
  'same-owner': 1,
  'direct-peer': 2,
  other: 3,
}

function checkSettings(settings: PrivacySettings, where: string): void {
  if (typeof settings !== 'object' || settings === null || !isPrivacyLevel(settings.level)) {
    throw new AssetArgumentError(`${where}.level`, 'must be a privacy level')
  }
  if (typeof settings.paused !== 'boolean') {
    throw new AssetArgumentError(`${where}.paused`, 'must be a boolean')
  }
}

/**
 * Whether an asset at these settings is registered on the ledger: `public-network` and
 * `full-public` only. Registration is public and permanent (anyone reads the ledger, its history
 * is never erased), so an owner who chose `p2p` or narrower is never published there. The pause
 * does not change it: pausing is instant and local (no transaction, no fee, works offline), and a
 * registration says that the asset exists at a level, not that it is available now.
 *
 * @throws {@link AssetArgumentError} for malformed settings
 */
export function isRegistered(settings: PrivacySettings): boolean {
  checkSettings(settings, 'isRegistered.settings')
  return PUBLIC_LEVELS.has(settings.level)
}

/**
 * Whether the explorer lists the asset: registered ({@link isRegistered}) and not paused.
 * Private levels are never listed.
 *
 * @throws {@link AssetArgumentError} for malformed settings
 */
export function isListed(settings: PrivacySettings): boolean {
  checkSettings(settings, 'isListed.settings')
  return PUBLIC_LEVELS.has(settings.level) && !settings.paused
}

/**
 * Whether a node may reach the asset. Nothing is reachable while paused. Otherwise the owning
 * node always may; any other node needs an accepted capability token and a relation the level
 * allows: the owner's other nodes from `private-network`, direct peers from `p2p`, any node from
 * `public-network`. Each level allows everything the narrower ones do.
 *
 * @throws {@link AssetArgumentError} for malformed settings or relation
 * @example
 * ```ts
 * mayReach({ level: 'p2p', share, paused: false }, { peer: 'direct-peer', capability: true }) // true
 * mayReach({ level: 'p2p', share, paused: false }, { peer: 'other', capability: true }) // false
 * ```
 */
export function mayReach(settings: PrivacySettings, relation: ReachRelation): boolean {
  checkSettings(settings, 'mayReach.settings')
  if (
    typeof relation !== 'object' ||
    relation === null ||
    !Object.hasOwn(NARROWEST_LEVEL, relation.peer) ||
    typeof relation.capability !== 'boolean'
  ) {
    throw new AssetArgumentError('mayReach.relation', 'must be { peer, capability }')
  }
  if (settings.paused) return false
  if (relation.peer === 'self') return true
  if (!relation.capability) return false
  const level = Math.min(PRIVACY_LEVELS.indexOf(settings.level), NARROWEST_LEVEL.other)
  return NARROWEST_LEVEL[relation.peer] <= level
}

// ---------------------------------------------------------------------------------------------
// Persistence

/** Version of the persisted form. */
export const PRIVACY_SETTINGS_VERSION = 1

/** Longest JSON text {@link decodePrivacySettings} parses. */
const MAX_SETTINGS_JSON = 4096

/** The persisted, JSON-safe form of {@link PrivacySettings}. */
export interface PersistedPrivacySettings {
  readonly v: typeof PRIVACY_SETTINGS_VERSION
  readonly level: PrivacyLevel
  readonly paused: boolean
  readonly share: AssetShare
}

function plainShare(share: AssetShare): AssetShare {
  const field = QUANTITY[share.type]
  const out: Record<string, unknown> = { type: share.type }
  if (field !== null) out[field] = (share as unknown as Record<string, unknown>)[field]
  if (share.hoursPerDay !== undefined) out.hoursPerDay = share.hoursPerDay
  return out as unknown as AssetShare
}

/**
 * The JSON-safe form to persist (IndexedDB, or `JSON.stringify` for text stores).
 *
 * @throws {@link AssetArgumentError} when the settings break a rule (checked before anything is
 *   written, so a bad value is never persisted)
 */
export function encodePrivacySettings(settings: PrivacySettings): PersistedPrivacySettings {
  checkSettings(settings, 'encodePrivacySettings.settings')
  const problem = shareProblem(settings.share)
  if (problem !== null) {
    throw new AssetArgumentError(`encodePrivacySettings.settings.share.${problem[1]}`, problem[2])
  }
  return {
    v: PRIVACY_SETTINGS_VERSION,
    level: settings.level,
    paused: settings.paused,
    share: plainShare(settings.share),
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

function exactKeys(
  x: Record<string, unknown>,
  required: readonly string[],
  optional: readonly string[],
  where: string,
): void {
  for (const k of required) {
    if (!Object.hasOwn(x, k)) throw new PrivacySettingsDecodeError(`${where}${k}`, 'missing')
  }
  for (const k of Object.keys(x)) {
    if (!required.includes(k) && !optional.includes(k)) {
      throw new PrivacySettingsDecodeError(`${where}${k.slice(0, 32)}`, 'unknown field')
    }
  }
}

/**
 * Load persisted settings: the object {@link encodePrivacySettings} gave, or its JSON text.
 * Validated field by field with the same rules as the encoder; nothing else is accepted. The share
 * is not compared with a measurement here (capacity may have changed since it was saved): run
 * {@link checkShare} against the current one.
 *
 * @param value - what was read from storage
 * @param type - when given, the share must be of this asset type
 * @throws {@link PrivacySettingsDecodeError} for anything else; the caller keeps its settings
 * @example
 * ```ts
 * try { settings = decodePrivacySettings(await store.get(key), 'cpu') } catch { keep old ones }
 * ```
 */
export function decodePrivacySettings(value: unknown, type?: AssetType): PrivacySettings {
  let x = value
  if (typeof x === 'string') {
    if (x.length > MAX_SETTINGS_JSON) {
      throw new PrivacySettingsDecodeError('value', `longer than ${MAX_SETTINGS_JSON} characters`)
    }
    try {
      x = JSON.parse(x)
    } catch {
      throw new PrivacySettingsDecodeError('value', 'not JSON')
    }
  }
  if (!isRecord(x)) throw new PrivacySettingsDecodeError('value', 'not an object')
  exactKeys(x, ['v', 'level', 'paused', 'share'], [], '')
  if (x.v !== PRIVACY_SETTINGS_VERSION) {
    throw new PrivacySettingsDecodeError('v', `must be ${PRIVACY_SETTINGS_VERSION}`)
  }
  if (!isPrivacyLevel(x.level)) throw new PrivacySettingsDecodeError('level', 'unknown level')
  if (typeof x.paused !== 'boolean') throw new PrivacySettingsDecodeError('paused', 'not a boolean')
  const share = x.share
  if (!isRecord(share)) throw new PrivacySettingsDecodeError('share', 'not an object')
  if (!isAssetType(share.type)) throw new PrivacySettingsDecodeError('share.type', 'unknown type')
  if (type !== undefined && share.type !== type) {
    throw new PrivacySettingsDecodeError('share.type', `not ${type}`)
  }
  const field = QUANTITY[share.type]
  exactKeys(share, field === null ? ['type'] : ['type', field], ['hoursPerDay'], 'share.')
  const problem = shareProblem(share as unknown as AssetShare)
  if (problem !== null) {
    throw new PrivacySettingsDecodeError(`share.${problem[1]}`, problem[2].replace(/\.$/, ''))
  }
  return Object.freeze({
    level: x.level,
    paused: x.paused,
    share: Object.freeze(plainShare(share as unknown as AssetShare)),
  })
}
