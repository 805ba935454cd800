/**
 * Measured resources (DESIGN.md §5): what a node's CPU, memory, storage, GPU and network can do,
 * as far as its platform tells. Nothing here is a default or a guess. Every figure is either
 * measured or read from a platform API, and a field the platform cannot tell is `null` — the
 * adapters (lib/adapters/browser-resources.ts, lib/adapters/node-resources.ts) say why in a
 * `reasons` map beside the model.
 *
 * Pure: no I/O, no wall clock. The CPU calibration takes a monotonic clock as an argument, and
 * its workload (a chained SHA-256 over one 64 KiB block, written out below rather than taken from
 * a library, so that a dependency update cannot change what the score means) is the same code in
 * a tab's worker (workers/calibrate.worker.ts) and in the headless node.
 *
 * {@link validateResources} is for measurements that come from elsewhere (a registration, a
 * peer's announcement): exact keys, bounded numbers, typed errors.
 *
 * Errors: {@link InvalidResourcesError} for a bad measurement from elsewhere, and the shared
 * {@link AssetArgumentError} of lib/assets for a caller's option out of range.
 */
import { AssetArgumentError, AssetError, type SerializedAssetError } from './asset-id'

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/**
 * Version of the resource model. It names the CPU workload too: a score of version 1 is in units
 * of {@link CPU_WORKLOAD}, and a change of workload is a new version, so scores of different
 * workloads are never compared.
 */
export const RESOURCES_VERSION = 1

/**
 * The CPU calibration workload, version 1. One work unit: SHA-256 (FIPS 180-4) of one 65,536-byte
 * block, then the 32-byte digest is written over the block's first 32 bytes, so each unit depends
 * on the one before and no unit can be skipped or hoisted by a compiler. The block starts as
 * `block[i] = i mod 256`. The score is units per second on one thread: ×64 KiB gives SHA-256
 * throughput. One unit is 1,025 compression-function calls (1,024 data blocks and the padding).
 */
export const CPU_WORKLOAD = 'sha256-chain-64KiB/v1'

/** Bytes hashed by one work unit of {@link CPU_WORKLOAD}. */
export const CALIBRATION_BLOCK_BYTES = 65_536

/**
 * Default warm-up before the measured phase, in ms. The first units run in the interpreter and
 * baseline tiers; without a warm-up a short measurement mostly measures the JIT.
 */
export const CALIBRATION_WARMUP_MS = 50

/**
 * Default length of the measured phase, in ms. A unit takes about 0.25 ms on a 2020s laptop core,
 * so 250 ms is about a thousand units; a browser clock coarsened to 1 ms (Firefox, Safari) then
 * adds at most ±0.4 % to the score.
 */
export const CALIBRATION_DURATION_MS = 250

/** Smallest measured phase accepted, in ms: below it the clock's resolution dominates. */
export const CALIBRATION_MIN_DURATION_MS = 10

/** Largest warm-up or measured phase accepted, in ms: a calibration is a short probe. */
export const CALIBRATION_MAX_DURATION_MS = 5_000

/** Default bytes written (then deleted) by the storage write probe: 4 MiB. */
export const STORAGE_PROBE_DEFAULT_BYTES = 4 * 1024 * 1024

/** Smallest storage probe accepted: 64 KiB. Below that the rate is mostly per-call overhead. */
export const STORAGE_PROBE_MIN_BYTES = 64 * 1024

/** Largest storage probe accepted: 64 MiB. The probe is a measurement, not a fill. */
export const STORAGE_PROBE_MAX_BYTES = 64 * 1024 * 1024

/** Most logical cores accepted (same bound as a heartbeat's `capabilities.cores`). */
export const MAX_LOGICAL_CORES = 1_024

/**
 * Largest CPU score accepted, in units/s: 6.5 GB/s of SHA-256 in JavaScript on one thread, several
 * times what native SHA-NI code reaches. A higher score is announced, not measured.
 */
export const MAX_CPU_SCORE = 100_000

/** Largest calibration time accepted, in ms. */
export const MAX_CALIBRATION_MS = 60_000

/** Largest `navigator.deviceMemory` accepted, in GiB (same bound as a heartbeat's `memoryGiB`). */
export const MAX_DEVICE_MEMORY_GIB = 65_536

/** Smallest memory figure accepted (heap limit, total, cgroup limit): 1 MiB. */
export const MIN_MEMORY_BYTES = 2 ** 20

/** Largest memory figure accepted: 64 TiB (= {@link MAX_DEVICE_MEMORY_GIB} GiB). */
export const MAX_MEMORY_BYTES = 2 ** 46

/** Largest storage figure accepted (quota, usage, free, total): 1 PiB. */
export const MAX_STORAGE_BYTES = 2 ** 50

/** Largest rate accepted (storage writes, link goodput): 1 TiB/s. */
export const MAX_BYTES_PER_SECOND = 2 ** 40

/** Largest WebGPU limit accepted. Real limits are at most a few GiB (maxBufferSize). */
export const MAX_GPU_LIMIT = 2 ** 50

/** Longest GPU text field accepted (vendor, architecture, device, description), in UTF-16 units. */
export const MAX_GPU_TEXT_LENGTH = 256

/** Most network links in one measurement (same bound as a heartbeat's neighbours). */
export const MAX_NETWORK_LINKS = 64

/** Largest link RTT accepted, in ms (same bound as a heartbeat's `rttMs`). */
export const MAX_LINK_RTT_MS = 60_000

/** Longest peer ID accepted, in characters. An Ed25519 peer ID is 52 in base58btc. */
export const MAX_PEER_ID_LENGTH = 128

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** A resource measurement from elsewhere broke the model: wrong shape, type or bound. */
export class InvalidResourcesError extends AssetError {
  override readonly name = 'InvalidResourcesError'
  readonly code = 'ERR_RESOURCES_INVALID'
  /** Path of the offending field (`storage.freeBytes`, `network.links[3].rttMs`). */
  readonly field: string

  /**
   * @param field - path of the offending field, or `resources` for the whole
   * @param reason - the rule it breaks
   */
  constructor(field: string, reason: string) {
    super(`Resource field ${field} is invalid: ${reason}.`)
    this.field = field
  }
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

/** Where a measurement was taken. */
export type ResourcePlatform = 'browser' | 'node'

/** CPU: `null` = this platform cannot tell (or the calibration was not run or failed). */
export interface CpuResources {
  /**
   * Logical cores: `navigator.hardwareConcurrency` in a browser, `os.availableParallelism()` in
   * Node. Browsers may report fewer than the machine has (privacy modes clamp it).
   */
  logicalCores: number | null
  /** Units of {@link CPU_WORKLOAD} per second, on one thread, after a warm-up. */
  score: number | null
  /** Wall time the whole calibration took (worker start, warm-up, measured phase), in ms. */
  calibrationMs: number | null
}

/** Memory: `null` = this platform cannot tell. */
export interface MemoryResources {
  /**
   * `navigator.deviceMemory`, in GiB, as the browser gives it: rounded to a power of two and
   * clamped to a range that depends on the browser (Chromium long capped it at 8; Chromium 156
   * here reports 16), so the top value means "this or more". `null` in Node and in browsers
   * without the Device Memory API (Firefox, Safari).
   */
  deviceMemoryGiB: number | null
  /**
   * The JavaScript heap's size limit, in bytes: `performance.memory.jsHeapSizeLimit` (Chromium
   * only) or V8's `heap_size_limit` in Node.
   */
  jsHeapLimitBytes: number | null
  /** The machine's physical memory (`os.totalmem()`), in bytes. `null` in a browser. */
  totalBytes: number | null
  /**
   * The memory limit imposed on the process below the machine's total (a cgroup limit, from
   * `process.constrainedMemory()`), in bytes. `null` when there is none or it is unknown.
   */
  limitBytes: number | null
}

/** How the storage write rate was measured. */
export type StorageWriteProbe = 'indexeddb' | 'file-fsync'

/** Storage: `null` = this platform cannot tell. */
export interface StorageResources {
  /** The origin's quota from `navigator.storage.estimate()`, in bytes. `null` in Node. */
  quotaBytes: number | null
  /** The origin's usage from `navigator.storage.estimate()`, in bytes. `null` in Node. */
  usageBytes: number | null
  /** Bytes free to the node's user on the data directory's file system. `null` in a browser. */
  freeBytes: number | null
  /** Size of the data directory's file system, in bytes. `null` in a browser. */
  totalBytes: number | null
  /** Measured write rate, bytes/s, durable writes (see {@link StorageResources.writeProbe}). */
  writeBytesPerSecond: number | null
  /**
   * How the rate was measured: `indexeddb` = one `durability: 'strict'` transaction of the probe
   * bytes in a scratch database; `file-fsync` = writing the probe bytes to a file and `fsync`.
   * `null` exactly when the rate is.
   */
  writeProbe: StorageWriteProbe | null
}

/**
 * Selected WebGPU limits of the adapter (`adapter.limits`), the ones a compute job is sized by.
 * `null` = the adapter does not report it.
 */
export interface GpuLimits {
  maxBufferSize: number | null
  maxStorageBufferBindingSize: number | null
  maxComputeWorkgroupsPerDimension: number | null
  maxComputeInvocationsPerWorkgroup: number | null
}

/**
 * A WebGPU adapter, as `navigator.gpu.requestAdapter()` and `adapter.info` describe it. Chromium
 * leaves most text fields empty unless a flag is set; an empty string is reported as `null`.
 */
export interface GpuResources {
  vendor: string | null
  architecture: string | null
  device: string | null
  description: string | null
  /** `adapter.info.isFallbackAdapter`: a software adapter (e.g. SwiftShader), CPU-emulated. */
  fallbackAdapter: boolean | null
  /** GPU memory. WebGPU does not expose it, so it is always `null` (unknown). */
  memoryBytes: null
  limits: GpuLimits
}

/** One link to a peer, as the mesh node measured it. */
export interface LinkMeasurement {
  peerId: string
  /** Measured round trip, in ms; `null` when none was measured yet. */
  rttMs: number | null
  /** Goodput of a measured transfer, in bytes/s; `null` when no transfer was measured. */
  goodputBytesPerSecond: number | null
}

/** Network: the node's measured links (none is an empty list, not a guess). */
export interface NetworkResources {
  links: LinkMeasurement[]
}

/** What a node measured of its platform. */
export interface Resources {
  version: typeof RESOURCES_VERSION
  platform: ResourcePlatform
  cpu: CpuResources
  memory: MemoryResources
  storage: StorageResources
  /** `null` when there is no usable WebGPU adapter (the reasons map says why). */
  gpu: GpuResources | null
  network: NetworkResources
}

/** The parts of {@link Resources} an adapter measures one by one. */
export type ResourcePart = 'cpu' | 'memory' | 'storage' | 'gpu' | 'network'

/** Dotted path of every field of {@link Resources} that may be `null`. */
export type ResourcePath =
  | `cpu.${keyof CpuResources}`
  | `memory.${keyof MemoryResources}`
  | `storage.${keyof StorageResources}`
  | 'gpu'
  | `gpu.${Exclude<keyof GpuResources, 'limits'>}`
  | `gpu.limits.${keyof GpuLimits}`

/**
 * Why a part or a field is `null`: a plain sentence per path. A field without its own reason takes
 * its part's (see {@link reasonFor}).
 */
export type ResourceReasons = Partial<Record<ResourcePart | ResourcePath, string>>

/** How long each part's measurement took, in ms (for the bench), and the whole. */
export type ResourceTimings = Record<ResourcePart | 'total', number>

/** What a measuring adapter returns: the model, why each `null` is null, and the time it took. */
export interface ResourceReport {
  resources: Resources
  reasons: ResourceReasons
  tookMs: ResourceTimings
}

const CPU_FIELDS = ['logicalCores', 'score', 'calibrationMs'] as const
const MEMORY_FIELDS = ['deviceMemoryGiB', 'jsHeapLimitBytes', 'totalBytes', 'limitBytes'] as const
const STORAGE_FIELDS = [
  'quotaBytes',
  'usageBytes',
  'freeBytes',
  'totalBytes',
  'writeBytesPerSecond',
  'writeProbe',
] as const
const GPU_TEXT_FIELDS = ['vendor', 'architecture', 'device', 'description'] as const
const GPU_FIELDS = [...GPU_TEXT_FIELDS, 'fallbackAdapter', 'memoryBytes', 'limits'] as const
const GPU_LIMIT_FIELDS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
] as const
const TOP_FIELDS = ['version', 'platform', 'cpu', 'memory', 'storage', 'gpu', 'network'] as const
const LINK_FIELDS = ['peerId', 'rttMs', 'goodputBytesPerSecond'] as const

/**
 * A model with every field unknown: the starting point of an adapter, which fills in what it
 * measures. The GPU starts as `null` (no adapter) and the network with no links.
 */
export function unknownResources(platform: ResourcePlatform): Resources {
  return {
    version: RESOURCES_VERSION,
    platform,
    cpu: { logicalCores: null, score: null, calibrationMs: null },
    memory: { deviceMemoryGiB: null, jsHeapLimitBytes: null, totalBytes: null, limitBytes: null },
    storage: {
      quotaBytes: null,
      usageBytes: null,
      freeBytes: null,
      totalBytes: null,
      writeBytesPerSecond: null,
      writeProbe: null,
    },
    gpu: null,
    network: { links: [] },
  }
}

/**
 * Every path of `r` whose value is `null`, in a fixed order. With `gpu: null` only `gpu` is listed
 * for the GPU. Network links are not listed: a link's `null` says itself what was not measured.
 */
export function nullFields(r: Resources): ResourcePath[] {
  const out: ResourcePath[] = []
  for (const f of CPU_FIELDS) if (r.cpu[f] === null) out.push(`cpu.${f}`)
  for (const f of MEMORY_FIELDS) if (r.memory[f] === null) out.push(`memory.${f}`)
  for (const f of STORAGE_FIELDS) if (r.storage[f] === null) out.push(`storage.${f}`)
  if (r.gpu === null) {
    out.push('gpu')
  } else {
    for (const f of GPU_FIELDS) {
      if (f !== 'limits' && r.gpu[f] === null) out.push(`gpu.${f}`)
    }
    for (const f of GPU_LIMIT_FIELDS) if (r.gpu.limits[f] === null) out.push(`gpu.limits.${f}`)
  }
  return out
}

/**
 * The reason recorded for `path`: its own, else its part's (`gpu.limits.maxBufferSize` falls back
 * to `gpu`), else `null`.
 */
export function reasonFor(
  reasons: ResourceReasons,
  path: ResourcePart | ResourcePath,
): string | null {
  const own = reasons[path]
  if (own !== undefined) return own
  const part = path.split('.')[0] as ResourcePart
  return reasons[part] ?? null
}

// ---------------------------------------------------------------------------------------------
// Normalising what a platform API returns (pure, so the browser adapter's logic is testable)
// ---------------------------------------------------------------------------------------------

/**
 * A platform number as the model wants it: a finite number within `[min, max]` (an integer if
 * `integer`), else `null`. Platform APIs return `undefined`, `0` for "unknown", or, in some
 * engines, NaN; none of those becomes a figure.
 */
export function platformNumber(
  x: unknown,
  min: number,
  max: number,
  integer = false,
): number | null {
  if (typeof x !== 'number' || !Number.isFinite(x)) return null
  if (integer && !Number.isSafeInteger(x)) return null
  // `+ 0`: -0 becomes 0, the number it means (and what the validator returns).
  return x >= min && x <= max ? x + 0 : null
}

/** A platform text field as the model wants it: trimmed, empty → `null`, cut to the max length. */
export function platformText(x: unknown): string | null {
  if (typeof x !== 'string') return null
  const s = stripControl(x).trim()
  return s.length === 0 ? null : s.slice(0, MAX_GPU_TEXT_LENGTH)
}

// Control characters are not text a peer should be shown (and the validator refuses them).
function stripControl(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, '')
}

/** The subset of `GPUAdapterInfo` the model reads; every member optional (older engines). */
export interface GpuAdapterInfoLike {
  vendor?: unknown
  architecture?: unknown
  device?: unknown
  description?: unknown
  isFallbackAdapter?: unknown
}

/** The subset of `GPUSupportedLimits` the model reads. */
export type GpuLimitsLike = Partial<Record<keyof GpuLimits, unknown>>

/**
 * The GPU part from what WebGPU reported. `isFallbackAdapter` is read from `info` (current spec)
 * or from the adapter (`legacyFallback`, the older location). Never throws.
 */
export function gpuFromAdapter(
  info: GpuAdapterInfoLike | null | undefined,
  limits: GpuLimitsLike | null | undefined,
  legacyFallback?: unknown,
): GpuResources {
  const i = info ?? {}
  const fallback =
    typeof i.isFallbackAdapter === 'boolean'
      ? i.isFallbackAdapter
      : typeof legacyFallback === 'boolean'
        ? legacyFallback
        : null
  const l = limits ?? {}
  return {
    vendor: platformText(i.vendor),
    architecture: platformText(i.architecture),
    device: platformText(i.device),
    description: platformText(i.description),
    fallbackAdapter: fallback,
    memoryBytes: null,
    limits: {
      maxBufferSize: platformNumber(l.maxBufferSize, 1, MAX_GPU_LIMIT, true),
      maxStorageBufferBindingSize: platformNumber(
        l.maxStorageBufferBindingSize,
        1,
        MAX_GPU_LIMIT,
        true,
      ),
      maxComputeWorkgroupsPerDimension: platformNumber(
        l.maxComputeWorkgroupsPerDimension,
        1,
        MAX_GPU_LIMIT,
        true,
      ),
      maxComputeInvocationsPerWorkgroup: platformNumber(
        l.maxComputeInvocationsPerWorkgroup,
        1,
        MAX_GPU_LIMIT,
        true,
      ),
    },
  }
}

/**
 * Why each `null` of a WebGPU adapter's part is null (the adapter itself was found). GPU memory is
 * always among them: WebGPU does not expose it.
 */
export function gpuNullReasons(gpu: GpuResources): ResourceReasons {
  const reasons: ResourceReasons = {
    'gpu.memoryBytes': 'WebGPU does not expose GPU memory',
  }
  for (const f of GPU_TEXT_FIELDS) {
    if (gpu[f] === null) reasons[`gpu.${f}`] = `the browser left adapter.info.${f} empty`
  }
  if (gpu.fallbackAdapter === null) {
    reasons['gpu.fallbackAdapter'] = 'the browser does not say whether this is a fallback adapter'
  }
  for (const f of GPU_LIMIT_FIELDS) {
    if (gpu.limits[f] === null) reasons[`gpu.limits.${f}`] = `adapter.limits has no ${f}`
  }
  return reasons
}

/**
 * The network part from the links the mesh node measured, checked by {@link validateLinks}, and
 * its reason when there is no link.
 *
 * @param option - qualified option name for the error
 * @throws {@link AssetArgumentError} when a link breaks the model's bounds
 */
export function networkFromLinks(
  option: string,
  links: readonly LinkMeasurement[] | undefined,
): { network: NetworkResources; reasons: ResourceReasons } {
  let checked: LinkMeasurement[]
  try {
    checked = validateLinks(links ?? [], option)
  } catch (err) {
    if (err instanceof InvalidResourcesError) {
      throw new AssetArgumentError(err.field, 'breaks the bounds of a link measurement')
    }
    throw err
  }
  const reasons: ResourceReasons = {}
  if (checked.length === 0) reasons.network = 'no link to a peer was measured yet'
  else if (checked.every((l) => l.goodputBytesPerSecond === null)) {
    reasons.network = 'no transfer was measured yet, so goodput is unknown'
  }
  return { network: { links: checked }, reasons }
}

/**
 * `navigator.deviceMemory` as the model wants it: a power of two within bounds, else `null`.
 * Browsers only ever report powers of two (the Device Memory API rounds), so anything else did
 * not come from one.
 */
export function deviceMemoryFrom(x: unknown): number | null {
  const v = platformNumber(x, 2 ** -10, MAX_DEVICE_MEMORY_GIB)
  return v !== null && Number.isInteger(Math.log2(v)) ? v : null
}

/**
 * Quota and usage from `navigator.storage.estimate()`. A quota of 0 is Safari's and some
 * embedders' way of not telling, so it becomes `null`; a usage of 0 is a real figure.
 */
export function storageFromEstimate(estimate: { quota?: unknown; usage?: unknown } | null): {
  quotaBytes: number | null
  usageBytes: number | null
} {
  return {
    quotaBytes: platformNumber(estimate?.quota, 1, MAX_STORAGE_BYTES, true),
    usageBytes: platformNumber(estimate?.usage, 0, MAX_STORAGE_BYTES, true),
  }
}

/**
 * A write rate from a measured byte count and duration, or `null` when the duration is too short
 * for the clock to have measured it (0 ms on a coarse clock) or the figure is out of bounds.
 */
export function rateFrom(bytes: number, ms: number): number | null {
  if (!(bytes > 0) || !(ms > 0) || !Number.isFinite(ms)) return null
  return platformNumber(bytes / (ms / 1000), Number.MIN_VALUE, MAX_BYTES_PER_SECOND)
}

// ---------------------------------------------------------------------------------------------
// Validation of measurements received from elsewhere
// ---------------------------------------------------------------------------------------------

/**
 * Check a measurement that came from elsewhere (a registration, a peer) and return a fresh copy.
 * Exact keys at every level, `version` = {@link RESOURCES_VERSION}, every number finite and within
 * its `MAX_*` bound, integers where the platform reports integers, `deviceMemoryGiB` a power of
 * two, GPU memory `null`, free ≤ total storage, limit ≤ total memory, the write probe named
 * exactly when a write rate is given, at most {@link MAX_NETWORK_LINKS} links with distinct
 * peer IDs. It does not make a figure true — a peer can still lie within bounds — but it keeps
 * absurd values out of every computation downstream.
 *
 * @example
 * ```ts
 * const resources = validateResources(JSON.parse(text))
 * ```
 * @throws {@link InvalidResourcesError} naming the first offending field
 */
export function validateResources(x: unknown): Resources {
  const o = readRecord(x, 'resources', TOP_FIELDS)
  if (o.version !== RESOURCES_VERSION) {
    throw new InvalidResourcesError('version', `not ${RESOURCES_VERSION}`)
  }
  if (o.platform !== 'browser' && o.platform !== 'node') {
    throw new InvalidResourcesError('platform', "not 'browser' or 'node'")
  }
  return {
    version: RESOURCES_VERSION,
    platform: o.platform,
    cpu: readCpu(o.cpu),
    memory: readMemory(o.memory),
    storage: readStorage(o.storage),
    gpu: o.gpu === null ? null : readGpu(o.gpu),
    network: readNetwork(o.network),
  }
}

function readCpu(x: unknown): CpuResources {
  const o = readRecord(x, 'cpu', CPU_FIELDS)
  const cpu: CpuResources = {
    logicalCores: readInt(o.logicalCores, 'cpu.logicalCores', 1, MAX_LOGICAL_CORES),
    score: readPositive(o.score, 'cpu.score', MAX_CPU_SCORE),
    calibrationMs: readPositive(o.calibrationMs, 'cpu.calibrationMs', MAX_CALIBRATION_MS),
  }
  if ((cpu.score === null) !== (cpu.calibrationMs === null)) {
    throw new InvalidResourcesError('cpu.calibrationMs', 'not null exactly when the score is')
  }
  return cpu
}

function readMemory(x: unknown): MemoryResources {
  const o = readRecord(x, 'memory', MEMORY_FIELDS)
  const f = 'memory.deviceMemoryGiB'
  const dm = readPositive(o.deviceMemoryGiB, f, MAX_DEVICE_MEMORY_GIB)
  if (dm !== null && deviceMemoryFrom(dm) === null) {
    throw new InvalidResourcesError(f, 'not a power of two from 2^-10 up')
  }
  const memory: MemoryResources = {
    deviceMemoryGiB: dm,
    jsHeapLimitBytes: readInt(
      o.jsHeapLimitBytes,
      'memory.jsHeapLimitBytes',
      MIN_MEMORY_BYTES,
      MAX_MEMORY_BYTES,
    ),
    totalBytes: readInt(o.totalBytes, 'memory.totalBytes', MIN_MEMORY_BYTES, MAX_MEMORY_BYTES),
    limitBytes: readInt(o.limitBytes, 'memory.limitBytes', MIN_MEMORY_BYTES, MAX_MEMORY_BYTES),
  }
  if (
    memory.limitBytes !== null &&
    memory.totalBytes !== null &&
    memory.limitBytes > memory.totalBytes
  ) {
    throw new InvalidResourcesError('memory.limitBytes', 'larger than memory.totalBytes')
  }
  return memory
}

function readStorage(x: unknown): StorageResources {
  const o = readRecord(x, 'storage', STORAGE_FIELDS)
  const storage: StorageResources = {
    quotaBytes: readInt(o.quotaBytes, 'storage.quotaBytes', 1, MAX_STORAGE_BYTES),
    usageBytes: readInt(o.usageBytes, 'storage.usageBytes', 0, MAX_STORAGE_BYTES),
    freeBytes: readInt(o.freeBytes, 'storage.freeBytes', 0, MAX_STORAGE_BYTES),
    totalBytes: readInt(o.totalBytes, 'storage.totalBytes', 1, MAX_STORAGE_BYTES),
    writeBytesPerSecond: readPositive(
      o.writeBytesPerSecond,
      'storage.writeBytesPerSecond',
      MAX_BYTES_PER_SECOND,
    ),
    writeProbe: null,
  }
  if (o.writeProbe !== null && o.writeProbe !== 'indexeddb' && o.writeProbe !== 'file-fsync') {
    throw new InvalidResourcesError('storage.writeProbe', "not null, 'indexeddb' or 'file-fsync'")
  }
  storage.writeProbe = o.writeProbe
  if ((storage.writeProbe === null) !== (storage.writeBytesPerSecond === null)) {
    throw new InvalidResourcesError('storage.writeProbe', 'not null exactly when the rate is')
  }
  if (
    storage.freeBytes !== null &&
    storage.totalBytes !== null &&
    storage.freeBytes > storage.totalBytes
  ) {
    throw new InvalidResourcesError('storage.freeBytes', 'larger than storage.totalBytes')
  }
  return storage
}

function readGpu(x: unknown): GpuResources {
  const o = readRecord(x, 'gpu', GPU_FIELDS)
  const text = (v: unknown, field: string): string | null => {
    if (v === null) return null
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_GPU_TEXT_LENGTH) {
      throw new InvalidResourcesError(
        field,
        `not null or a string of 1 to ${MAX_GPU_TEXT_LENGTH} characters`,
      )
    }
    if (stripControl(v) !== v) throw new InvalidResourcesError(field, 'has control characters')
    return v
  }
  if (o.fallbackAdapter !== null && typeof o.fallbackAdapter !== 'boolean') {
    throw new InvalidResourcesError('gpu.fallbackAdapter', 'not null or a boolean')
  }
  if (o.memoryBytes !== null) {
    throw new InvalidResourcesError('gpu.memoryBytes', 'not null (WebGPU does not expose it)')
  }
  const l = readRecord(o.limits, 'gpu.limits', GPU_LIMIT_FIELDS)
  const limit = (f: (typeof GPU_LIMIT_FIELDS)[number]): number | null =>
    readInt(l[f], `gpu.limits.${f}`, 1, MAX_GPU_LIMIT)
  return {
    vendor: text(o.vendor, 'gpu.vendor'),
    architecture: text(o.architecture, 'gpu.architecture'),
    device: text(o.device, 'gpu.device'),
    description: text(o.description, 'gpu.description'),
    fallbackAdapter: o.fallbackAdapter,
    memoryBytes: null,
    limits: {
      maxBufferSize: limit('maxBufferSize'),
      maxStorageBufferBindingSize: limit('maxStorageBufferBindingSize'),
      maxComputeWorkgroupsPerDimension: limit('maxComputeWorkgroupsPerDimension'),
      maxComputeInvocationsPerWorkgroup: limit('maxComputeInvocationsPerWorkgroup'),
    },
  }
}

function readNetwork(x: unknown): NetworkResources {
  const o = readRecord(x, 'network', ['links'] as const)
  return { links: readLinks(o.links, 'network.links') }
}

/**
 * Check a list of link measurements handed in by the mesh node (or received from a peer) and
 * return a fresh copy: the rules of {@link validateResources} for `network.links`.
 *
 * @param field - path used in errors; default `links`
 * @throws {@link InvalidResourcesError} naming the first offending field
 */
export function validateLinks(x: unknown, field = 'links'): LinkMeasurement[] {
  return readLinks(x, field)
}

function readLinks(x: unknown, field: string): LinkMeasurement[] {
  if (!Array.isArray(x) || x.length > MAX_NETWORK_LINKS) {
    throw new InvalidResourcesError(field, `not a list of at most ${MAX_NETWORK_LINKS} links`)
  }
  const seen = new Set<string>()
  return x.map((item: unknown, i) => {
    const f = `${field}[${i}]`
    const o = readRecord(item, f, LINK_FIELDS)
    const peerId = o.peerId
    if (
      typeof peerId !== 'string' ||
      peerId.length === 0 ||
      peerId.length > MAX_PEER_ID_LENGTH ||
      !/^[A-Za-z0-9]+$/.test(peerId)
    ) {
      throw new InvalidResourcesError(
        `${f}.peerId`,
        `not an alphanumeric string of 1 to ${MAX_PEER_ID_LENGTH} characters`,
      )
    }
    if (seen.has(peerId)) throw new InvalidResourcesError(`${f}.peerId`, 'listed twice')
    seen.add(peerId)
    return {
      peerId,
      rttMs: readReal(o.rttMs, `${f}.rttMs`, 0, MAX_LINK_RTT_MS),
      goodputBytesPerSecond: readPositive(
        o.goodputBytesPerSecond,
        `${f}.goodputBytesPerSecond`,
        MAX_BYTES_PER_SECOND,
      ),
    }
  })
}

function readRecord<K extends string>(
  x: unknown,
  field: string,
  keys: readonly K[],
): Record<K, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    throw new InvalidResourcesError(field, 'not an object')
  }
  const own = Object.keys(x)
  if (own.length !== keys.length || !keys.every((k) => Object.hasOwn(x, k))) {
    throw new InvalidResourcesError(field, `not an object of exactly ${keys.join(', ')}`)
  }
  return x as Record<K, unknown>
}

function readInt(x: unknown, field: string, min: number, max: number): number | null {
  if (x === null) return null
  if (!Number.isSafeInteger(x) || (x as number) < min || (x as number) > max) {
    throw new InvalidResourcesError(field, `not null or an integer from ${min} to ${max}`)
  }
  // -0 is an integer equal to 0; normalised so the copy serialises like the number it means.
  return (x as number) + 0
}

function readReal(x: unknown, field: string, min: number, max: number): number | null {
  if (x === null) return null
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) {
    throw new InvalidResourcesError(field, `not null or a number from ${min} to ${max}`)
  }
  return x + 0
}

function readPositive(x: unknown, field: string, max: number): number | null {
  if (x === null) return null
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0 || x > max) {
    throw new InvalidResourcesError(field, `not null or a number in (0, ${max}]`)
  }
  return x
}

// ---------------------------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------------------------

/**
 * The few figures a page or a router needs, from a validated {@link Resources}. Every figure is
 * derived from measured ones; `null` = unknown. `cores`, `memoryGiB` and `platform` have the
 * meaning of a heartbeat's capability summary.
 */
export interface ResourceSummary {
  platform: ResourcePlatform
  cores: number | null
  /** Units/s of {@link CPU_WORKLOAD} on one thread. */
  cpuScore: number | null
  /**
   * Memory in GiB: the process's limit or the machine's total in Node, `deviceMemory` in a
   * browser (a rounded, clamped figure: the top value may mean more).
   */
  memoryGiB: number | null
  /** Bytes this node can still store: free bytes in Node, quota − usage in a browser. */
  storageAvailableBytes: number | null
  storageWriteBytesPerSecond: number | null
  /** Whether a WebGPU adapter was found. */
  gpu: boolean
  /** The adapter's description, else its vendor, architecture and device; `null` if none. */
  gpuLabel: string | null
  /** Median RTT over the links that measured one, in ms. */
  medianRttMs: number | null
  /** Median goodput over the links that measured one, in bytes/s. */
  medianGoodputBytesPerSecond: number | null
}

/**
 * Summarise a measurement. Validate foreign input with {@link validateResources} first; this
 * function trusts the types and bounds.
 */
export function summarizeResources(r: Resources): ResourceSummary {
  const { memory, storage, gpu } = r
  const bytes = memory.limitBytes ?? memory.totalBytes
  let available: number | null = storage.freeBytes
  if (available === null && storage.quotaBytes !== null && storage.usageBytes !== null) {
    available = Math.max(0, storage.quotaBytes - storage.usageBytes)
  }
  let gpuLabel: string | null = null
  if (gpu !== null) {
    const parts = [gpu.vendor, gpu.architecture, gpu.device].filter((s) => s !== null)
    gpuLabel = gpu.description ?? (parts.length > 0 ? parts.join(' ') : null)
  }
  return {
    platform: r.platform,
    cores: r.cpu.logicalCores,
    cpuScore: r.cpu.score,
    memoryGiB: bytes !== null ? bytes / 2 ** 30 : memory.deviceMemoryGiB,
    storageAvailableBytes: available,
    storageWriteBytesPerSecond: storage.writeBytesPerSecond,
    gpu: gpu !== null,
    gpuLabel,
    medianRttMs: median(r.network.links.map((l) => l.rttMs)),
    medianGoodputBytesPerSecond: median(r.network.links.map((l) => l.goodputBytesPerSecond)),
  }
}

function median(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b)
  if (v.length === 0) return null
  const mid = v.length >> 1
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
}

// ---------------------------------------------------------------------------------------------
// CPU calibration workload
// ---------------------------------------------------------------------------------------------

// SHA-256 round constants (FIPS 180-4 §4.2.2).
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])

// Initial hash value (FIPS 180-4 §5.3.3).
const H0 = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]

/** Reusable buffers for {@link sha256Into}: one hash at a time, no allocation per unit. */
interface Sha256Scratch {
  h: Int32Array
  w: Int32Array
  tail: Uint8Array
}

function sha256Scratch(): Sha256Scratch {
  return { h: new Int32Array(8), w: new Int32Array(64), tail: new Uint8Array(128) }
}

// One compression of the 64-byte block at `p` of `b` into `h`.
function compress(h: Int32Array, w: Int32Array, b: Uint8Array, p: number): void {
  for (let i = 0; i < 16; i++, p += 4) {
    w[i] = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!
    const y = w[i - 2]!
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0
  }
  let a = h[0]!
  let bb = h[1]!
  let c = h[2]!
  let d = h[3]!
  let e = h[4]!
  let f = h[5]!
  let g = h[6]!
  let hh = h[7]!
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0
    hh = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = bb
    bb = a
    a = (t1 + t2) | 0
  }
  h[0] = (h[0]! + a) | 0
  h[1] = (h[1]! + bb) | 0
  h[2] = (h[2]! + c) | 0
  h[3] = (h[3]! + d) | 0
  h[4] = (h[4]! + e) | 0
  h[5] = (h[5]! + f) | 0
  h[6] = (h[6]! + g) | 0
  h[7] = (h[7]! + hh) | 0
}

// SHA-256 of `data` into the first 32 bytes of `out`.
function sha256Into(data: Uint8Array, out: Uint8Array, s: Sha256Scratch): void {
  const { h, w, tail } = s
  h.set(H0)
  const full = data.length - (data.length % 64)
  for (let p = 0; p < full; p += 64) compress(h, w, data, p)
  // Padding: 0x80, zeros, then the bit length as a 64-bit big-endian integer.
  const rest = data.length - full
  tail.fill(0)
  tail.set(data.subarray(full), 0)
  tail[rest] = 0x80
  const tailLength = rest < 56 ? 64 : 128
  const bits = data.length * 8
  const hi = Math.floor(bits / 2 ** 32)
  const lo = bits >>> 0
  for (let i = 0; i < 4; i++) {
    tail[tailLength - 8 + i] = (hi >>> (24 - 8 * i)) & 0xff
    tail[tailLength - 4 + i] = (lo >>> (24 - 8 * i)) & 0xff
  }
  for (let p = 0; p < tailLength; p += 64) compress(h, w, tail, p)
  for (let i = 0; i < 8; i++) {
    const v = h[i]!
    out[4 * i] = v >>> 24
    out[4 * i + 1] = (v >>> 16) & 0xff
    out[4 * i + 2] = (v >>> 8) & 0xff
    out[4 * i + 3] = v & 0xff
  }
}

/**
 * SHA-256 exactly as the calibration workload computes it, exported so tests can hold it against
 * the standard's vectors and node:crypto. For hashing anything else use `@noble/hashes` or
 * WebCrypto: this one is written for a stable benchmark, not for constant time.
 */
export function workloadSha256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  sha256Into(data, out, sha256Scratch())
  return out
}

/** A running instance of {@link CPU_WORKLOAD}: call `unit()` to do one work unit. */
export interface CpuWorkload {
  /** Do one unit: hash the block, write the digest over its first 32 bytes. */
  unit(): void
  /** Units done so far. */
  readonly units: number
  /** The block's first 32 bytes: after at least one unit, the last unit's digest. */
  digest(): Uint8Array
}

/** A fresh instance of {@link CPU_WORKLOAD}, its block in the initial state. */
export function createCpuWorkload(): CpuWorkload {
  const block = new Uint8Array(CALIBRATION_BLOCK_BYTES)
  for (let i = 0; i < block.length; i++) block[i] = i & 0xff
  const scratch = sha256Scratch()
  let units = 0
  return {
    unit() {
      sha256Into(block, block, scratch)
      units++
    },
    get units() {
      return units
    },
    digest: () => block.slice(0, 32),
  }
}

/** Options of {@link calibrateCpu}. */
export interface CalibrationInit {
  /** Warm-up in ms, not counted, in [0, 5000]. Default {@link CALIBRATION_WARMUP_MS}. */
  warmupMs?: number
  /** Measured phase in ms, in [10, 5000]. Default {@link CALIBRATION_DURATION_MS}. */
  durationMs?: number
  /**
   * Longest stretch of work between two `pause()` calls, in ms, > 0. Default `Infinity`: one
   * stretch, for a worker. A thread that must stay responsive (the headless node's main thread)
   * passes e.g. 10 and a `pause` that yields to its event loop; the paused time is not counted.
   */
  sliceMs?: number
  /** Called between slices; resolves when work may go on. Default: no pause. */
  pause?: () => Promise<void>
}

/** The outcome of a calibration. */
export interface CpuCalibration {
  workload: typeof CPU_WORKLOAD
  /** Units done in the measured phase (≥ 1). */
  units: number
  /** Clock time spent working in the measured phase, in ms (pauses excluded). */
  measuredMs: number
  /** `units / measuredMs`, per second: the score. */
  unitsPerSecond: number
  /** Units done in the warm-up. */
  warmupUnits: number
  /** Clock time from start to end, warm-up and pauses included, in ms. */
  totalMs: number
  /** Hex of the chain's last digest, after `warmupUnits + units` units: proof the work was done. */
  digestHex: string
}

/**
 * Run {@link CPU_WORKLOAD} for a warm-up, then for a measured phase, and score it. The clock is
 * checked after every unit (one unit ≈ 0.25 ms, so reading the clock costs nothing that shows),
 * and a phase ends at the first unit that finishes past its length, so the measured phase is
 * never empty.
 *
 * @param now - monotonic clock in ms (`performance.now` in adapters; a fake in tests)
 * @param options.signal - checked before the start and between slices
 * @throws {@link AssetArgumentError} for an option out of range
 * @throws the signal's reason when aborted
 */
export async function calibrateCpu(
  now: () => number,
  init: CalibrationInit = {},
  options: { signal?: AbortSignal } = {},
): Promise<CpuCalibration> {
  const warmupMs = init.warmupMs ?? CALIBRATION_WARMUP_MS
  const durationMs = init.durationMs ?? CALIBRATION_DURATION_MS
  const sliceMs = init.sliceMs ?? Infinity
  checkCalibrationPhases('calibrateCpu', warmupMs, durationMs)
  if (!(sliceMs > 0)) throw new AssetArgumentError('calibrateCpu.sliceMs', 'is not > 0')
  options.signal?.throwIfAborted()
  const work = createCpuWorkload()
  const start = now()
  const runPhase = async (ms: number): Promise<{ units: number; busyMs: number }> => {
    let units = 0
    let busyMs = 0
    while (busyMs < ms) {
      const s = now()
      const stretch = Math.min(ms - busyMs, sliceMs)
      let t: number
      do {
        work.unit()
        units++
        t = now()
      } while (t - s < stretch)
      busyMs += t - s
      if (busyMs < ms) {
        await init.pause?.()
        options.signal?.throwIfAborted()
      }
    }
    return { units, busyMs }
  }
  const warm = await runPhase(warmupMs)
  const measured = await runPhase(durationMs)
  return {
    workload: CPU_WORKLOAD,
    units: measured.units,
    measuredMs: measured.busyMs,
    unitsPerSecond: measured.units / (measured.busyMs / 1000),
    warmupUnits: warm.units,
    totalMs: now() - start,
    digestHex: toHex(work.digest()),
  }
}

/**
 * Check calibration phases given to a calibration or an adapter: warm-up in [0, 5000] ms, measured
 * phase in [10, 5000] ms.
 *
 * @param fn - qualified name of the caller, for the error (`measureNodeResources.calibration`)
 * @throws {@link AssetArgumentError} naming `<fn>.warmupMs` or `<fn>.durationMs`
 */
export function checkCalibrationPhases(fn: string, warmupMs: unknown, durationMs: unknown): void {
  if (
    typeof warmupMs !== 'number' ||
    !Number.isFinite(warmupMs) ||
    warmupMs < 0 ||
    warmupMs > CALIBRATION_MAX_DURATION_MS
  ) {
    throw new AssetArgumentError(
      `${fn}.warmupMs`,
      `is not a number from 0 to ${CALIBRATION_MAX_DURATION_MS}`,
    )
  }
  if (
    typeof durationMs !== 'number' ||
    !Number.isFinite(durationMs) ||
    durationMs < CALIBRATION_MIN_DURATION_MS ||
    durationMs > CALIBRATION_MAX_DURATION_MS
  ) {
    throw new AssetArgumentError(
      `${fn}.durationMs`,
      `is not a number from ${CALIBRATION_MIN_DURATION_MS} to ${CALIBRATION_MAX_DURATION_MS}`,
    )
  }
}

function toHex(b: Uint8Array): string {
  let s = ''
  for (const x of b) s += x.toString(16).padStart(2, '0')
  return s
}

/**
 * Check a storage probe size given to an adapter.
 *
 * @param option - qualified option name for the error
 * @throws {@link AssetArgumentError} unless an integer in
 *   [{@link STORAGE_PROBE_MIN_BYTES}, {@link STORAGE_PROBE_MAX_BYTES}]
 */
export function checkStorageProbeBytes(option: string, bytes: unknown): number {
  if (
    !Number.isSafeInteger(bytes) ||
    (bytes as number) < STORAGE_PROBE_MIN_BYTES ||
    (bytes as number) > STORAGE_PROBE_MAX_BYTES
  ) {
    throw new AssetArgumentError(
      option,
      `is not an integer from ${STORAGE_PROBE_MIN_BYTES} to ${STORAGE_PROBE_MAX_BYTES}`,
    )
  }
  return bytes as number
}

// ---------------------------------------------------------------------------------------------
// Calibration worker protocol (workers/calibrate.worker.ts)
// ---------------------------------------------------------------------------------------------

/** Ask the calibration worker to run {@link calibrateCpu} once. */
export interface CalibrateRequest {
  type: 'calibrate'
  /** Echoed in the answer. */
  id: number
  warmupMs: number
  durationMs: number
}

/** The calibration worker's answer. */
export type CalibrateResponse =
  | { type: 'calibrated'; id: number; result: CpuCalibration }
  | { type: 'error'; id: number | null; error: SerializedAssetError }

/**
 * Check a message sent to the calibration worker.
 *
 * @throws {@link AssetArgumentError} for a malformed request or an option out of range
 */
export function parseCalibrateRequest(x: unknown): CalibrateRequest {
  if (typeof x !== 'object' || x === null) {
    throw new AssetArgumentError('CalibrateRequest', 'is not an object')
  }
  const o = x as Record<string, unknown>
  if (o.type !== 'calibrate') {
    throw new AssetArgumentError('CalibrateRequest.type', "is not 'calibrate'")
  }
  if (!Number.isSafeInteger(o.id)) {
    throw new AssetArgumentError('CalibrateRequest.id', 'is not a safe integer')
  }
  checkCalibrationPhases('CalibrateRequest', o.warmupMs, o.durationMs)
  return {
    type: 'calibrate',
    id: o.id as number,
    warmupMs: o.warmupMs as number,
    durationMs: o.durationMs as number,
  }
}
