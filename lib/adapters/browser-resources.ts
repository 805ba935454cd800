/**
 * Measure what a browser exposes of its machine (DESIGN.md §5), into the model of
 * lib/assets/resources.ts. Every browser API is feature-detected: a part the browser does not
 * offer, or that fails or times out, is `null` with a plain-sentence reason, never a default.
 *
 * Parts run one after another, not at once, so that each part's time is its own (the bench reports
 * them) and the CPU calibration does not share the machine with the storage probe.
 */
import {
  checkCalibrationPhases,
  checkStorageProbeBytes,
  deviceMemoryFrom,
  gpuFromAdapter,
  gpuNullReasons,
  MAX_LOGICAL_CORES,
  MAX_MEMORY_BYTES,
  MIN_MEMORY_BYTES,
  networkFromLinks,
  platformNumber,
  rateFrom,
  storageFromEstimate,
  STORAGE_PROBE_DEFAULT_BYTES,
  unknownResources,
  CALIBRATION_DURATION_MS,
  CALIBRATION_WARMUP_MS,
  type CalibrateRequest,
  type CalibrateResponse,
  type CpuCalibration,
  type GpuAdapterInfoLike,
  type GpuLimitsLike,
  type GpuResources,
  type LinkMeasurement,
  type ResourceReasons,
  type ResourceReport,
} from '../assets/resources'
import { AssetArgumentError } from '../assets/asset-id'
import { measurePart, recordCalibration } from './measure-part'

/** Where the calibration worker is served (built from workers/calibrate.worker.ts). */
export const CALIBRATE_WORKER_URL = '/node/calibrate-worker.js'

/** Default time limits per part, in ms. A part that takes longer is `null` ("timed out"). */
export const BROWSER_RESOURCE_TIMEOUTS_MS = {
  /** Worker start, warm-up and measured phase: ~0.3 s of work, plenty of room for a slow phone. */
  cpu: 5_000,
  /** `storage.estimate()` plus the write probe (a few MiB through IndexedDB, then deletion). */
  storage: 10_000,
  /**
   * `requestAdapter()` may start the GPU process (450 ms for SwiftShader in headless Chromium
   * here); a driver that never answers must not hold up the other parts.
   */
  gpu: 3_000,
} as const

/** Largest time limit `setTimeout` honours, in ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Options of {@link measureBrowserResources}. */
export interface BrowserResourcesInit {
  /** Aborts the whole measurement: the promise rejects with the signal's reason. */
  signal?: AbortSignal
  /** Run the CPU calibration in a worker. Default `true`; `false` leaves the score `null`. */
  calibrate?: boolean
  /**
   * Bytes the IndexedDB write probe writes (then deletes): 0 skips the probe, else an integer in
   * [64 KiB, 64 MiB]. Default {@link STORAGE_PROBE_DEFAULT_BYTES} (4 MiB).
   */
  storageProbeBytes?: number
  /** Links the mesh node measured (RTT per link, goodput where a transfer was measured). */
  links?: readonly LinkMeasurement[]
  /** Per-part time limits in ms, in (0, 2^31 - 1]. Defaults {@link BROWSER_RESOURCE_TIMEOUTS_MS}. */
  timeoutsMs?: Partial<Record<keyof typeof BROWSER_RESOURCE_TIMEOUTS_MS, number>>
  /** Calibration phases in ms. Defaults: the core's warm-up 50 ms and measured phase 250 ms. */
  calibration?: { warmupMs?: number; durationMs?: number }
  /**
   * Start the calibration worker. Default: a module worker from {@link CALIBRATE_WORKER_URL}.
   * Tests and other bundlers pass their own.
   */
  createWorker?: () => Worker
}

/** Navigator members this adapter reads; none is assumed to exist. */
interface NavigatorLike {
  hardwareConcurrency?: unknown
  deviceMemory?: unknown
  storage?: { estimate?: () => Promise<{ quota?: unknown; usage?: unknown }> }
  gpu?: GpuLike
}

/** The slice of the WebGPU API this adapter uses (TypeScript's DOM lib has no WebGPU types). */
interface GpuLike {
  requestAdapter?: () => Promise<GpuAdapterLike | null>
}

interface GpuAdapterLike {
  info?: GpuAdapterInfoLike
  limits?: GpuLimitsLike
  /** Where `isFallbackAdapter` lived before it moved to `info`. */
  isFallbackAdapter?: unknown
  /** The older way to the same fields, before `adapter.info` (early WebGPU in Chromium). */
  requestAdapterInfo?: () => Promise<GpuAdapterInfoLike>
}

/**
 * Measure this browser's resources. Never invents a figure: what the browser cannot tell is
 * `null`, and `reasons` says why for every `null` (see `reasonFor` in lib/assets/resources.ts).
 *
 * - cpu: `navigator.hardwareConcurrency`; the score of the calibration workload, run in a worker.
 * - memory: `navigator.deviceMemory` (rounded by the browser), `performance.memory.jsHeapSizeLimit`
 *   (Chromium only). Physical memory is not exposed.
 * - storage: `navigator.storage.estimate()`; the write rate of one `durability: 'strict'`
 *   IndexedDB transaction of `storageProbeBytes` in 64 KiB records (the STOQ average chunk size)
 *   into a scratch database that is deleted afterwards. Free disk space is not exposed.
 * - gpu: `navigator.gpu.requestAdapter()` and `adapter.info` / `adapter.limits`; `null` without
 *   WebGPU or an adapter. GPU memory is always unknown.
 * - network: the `links` handed in.
 *
 * @example
 * ```ts
 * const { resources, reasons, tookMs } = await measureBrowserResources({ calibrate: true })
 * ```
 * @throws {@link AssetArgumentError} for an option out of range (before measuring)
 * @throws the signal's reason when aborted
 */
export async function measureBrowserResources(
  init: BrowserResourcesInit = {},
): Promise<ResourceReport> {
  const fn = 'measureBrowserResources'
  const probeBytes = init.storageProbeBytes ?? STORAGE_PROBE_DEFAULT_BYTES
  if (probeBytes !== 0) checkStorageProbeBytes(`${fn}.storageProbeBytes`, probeBytes)
  const timeouts = { ...BROWSER_RESOURCE_TIMEOUTS_MS, ...init.timeoutsMs }
  for (const [part, ms] of Object.entries(timeouts)) {
    // setTimeout fires at once for a delay above 2^31 - 1 ms, so that is the largest limit.
    if (!(typeof ms === 'number' && ms > 0 && ms <= MAX_TIMER_MS)) {
      throw new AssetArgumentError(`${fn}.timeoutsMs.${part}`, `is not in (0, ${MAX_TIMER_MS}]`)
    }
  }
  const warmupMs = init.calibration?.warmupMs ?? CALIBRATION_WARMUP_MS
  const durationMs = init.calibration?.durationMs ?? CALIBRATION_DURATION_MS
  // The worker checks these too, but a bad option should fail here, not end as a null score.
  checkCalibrationPhases(`${fn}.calibration`, warmupMs, durationMs)
  const signal = init.signal
  signal?.throwIfAborted()

  const nav: NavigatorLike = typeof navigator === 'object' ? (navigator as NavigatorLike) : {}
  const resources = unknownResources('browser')
  const reasons: ResourceReasons = {}
  const tookMs = { cpu: 0, memory: 0, storage: 0, gpu: 0, network: 0, total: 0 }
  const start = performance.now()

  // network: handed in by the mesh node; only checked here.
  let t = start
  const network = networkFromLinks(`${fn}.links`, init.links)
  resources.network = network.network
  Object.assign(reasons, network.reasons)
  tookMs.network = performance.now() - t

  // memory: synchronous reads.
  t = performance.now()
  resources.memory.deviceMemoryGiB = deviceMemoryFrom(nav.deviceMemory)
  if (resources.memory.deviceMemoryGiB === null) {
    reasons['memory.deviceMemoryGiB'] = 'this browser does not offer navigator.deviceMemory'
  }
  const perfMemory = (performance as { memory?: { jsHeapSizeLimit?: unknown } }).memory
  resources.memory.jsHeapLimitBytes = platformNumber(
    perfMemory?.jsHeapSizeLimit,
    MIN_MEMORY_BYTES,
    MAX_MEMORY_BYTES,
    true,
  )
  if (resources.memory.jsHeapLimitBytes === null) {
    reasons['memory.jsHeapLimitBytes'] =
      'this browser does not offer performance.memory (Chromium only)'
  }
  reasons['memory.totalBytes'] = 'a browser does not expose physical memory'
  reasons['memory.limitBytes'] = 'a browser does not expose the memory limit of its process'
  tookMs.memory = performance.now() - t

  // gpu
  t = performance.now()
  const gpu = await measurePart(signal, timeouts.gpu, () => probeGpu(nav))
  tookMs.gpu = performance.now() - t
  if (gpu.ok) {
    resources.gpu = gpu.value
    Object.assign(reasons, gpuNullReasons(gpu.value))
  } else {
    reasons.gpu = gpu.reason
  }

  // storage: the estimate and the write probe each under the storage time limit, so a failed or
  // slow probe does not cost the estimate.
  t = performance.now()
  const estimate = await measurePart(signal, timeouts.storage, async () => {
    if (typeof nav.storage?.estimate !== 'function') {
      throw new Error('this browser does not offer navigator.storage.estimate()')
    }
    return nav.storage.estimate()
  })
  const { quotaBytes, usageBytes } = storageFromEstimate(estimate.ok ? estimate.value : null)
  resources.storage.quotaBytes = quotaBytes
  resources.storage.usageBytes = usageBytes
  const why = estimate.ok ? 'navigator.storage.estimate() did not report it' : estimate.reason
  if (quotaBytes === null) reasons['storage.quotaBytes'] = why
  if (usageBytes === null) reasons['storage.usageBytes'] = why
  if (probeBytes === 0) {
    reasons['storage.writeBytesPerSecond'] = 'the write probe was not asked for'
  } else {
    const probe = await measurePart(signal, timeouts.storage, (s) => probeIndexedDb(probeBytes, s))
    if (probe.ok) {
      resources.storage.writeBytesPerSecond = probe.value
      resources.storage.writeProbe = 'indexeddb'
    } else {
      reasons['storage.writeBytesPerSecond'] = probe.reason
    }
  }
  if (resources.storage.writeProbe === null) {
    reasons['storage.writeProbe'] = 'no write rate was measured'
  }
  reasons['storage.freeBytes'] = 'a browser does not expose free disk space (see quotaBytes)'
  reasons['storage.totalBytes'] = 'a browser does not expose the disk size'
  tookMs.storage = performance.now() - t

  // cpu
  t = performance.now()
  resources.cpu.logicalCores = platformNumber(nav.hardwareConcurrency, 1, MAX_LOGICAL_CORES, true)
  if (resources.cpu.logicalCores === null) {
    reasons['cpu.logicalCores'] = 'this browser does not offer navigator.hardwareConcurrency'
  }
  if (init.calibrate === false) {
    reasons['cpu.score'] = 'the calibration was not asked for'
  } else if (init.createWorker === undefined && typeof Worker !== 'function') {
    reasons['cpu.score'] = 'this browser has no Web Workers to calibrate in'
  } else {
    const createWorker =
      init.createWorker ??
      (() => new Worker(CALIBRATE_WORKER_URL, { type: 'module', name: 'calibrate' }))
    const c0 = performance.now()
    const cal = await measurePart(signal, timeouts.cpu, (s) =>
      calibrateInWorker(createWorker, { warmupMs, durationMs }, s),
    )
    recordCalibration(resources, reasons, cal, performance.now() - c0)
  }
  if (resources.cpu.score === null) reasons['cpu.calibrationMs'] = 'no calibration was run'
  tookMs.cpu = performance.now() - t

  tookMs.total = performance.now() - start
  return { resources, reasons, tookMs }
}

async function probeGpu(nav: NavigatorLike): Promise<GpuResources> {
  const gpu = nav.gpu
  if (gpu === undefined || typeof gpu.requestAdapter !== 'function') {
    throw new Error('this browser has no WebGPU (navigator.gpu is missing)')
  }
  const adapter = await gpu.requestAdapter()
  if (adapter === null || adapter === undefined) {
    throw new Error('WebGPU found no adapter (no GPU, or the GPU is blocklisted)')
  }
  let info: GpuAdapterInfoLike | undefined = adapter.info
  if (info === undefined && typeof adapter.requestAdapterInfo === 'function') {
    info = await adapter.requestAdapterInfo()
  }
  return gpuFromAdapter(info, adapter.limits, adapter.isFallbackAdapter)
}

/** Records of 64 KiB, the STOQ average chunk size, so the probe writes as the chunk store does. */
const PROBE_RECORD_BYTES = 64 * 1024

/**
 * Write `bytes` of random data (random so no layer can compress it) into a scratch IndexedDB
 * database in one strict-durability transaction, and delete the database. Returns the rate in
 * bytes/s; throws a sentence when IndexedDB is missing or the clock could not time the write.
 */
async function probeIndexedDb(bytes: number, signal: AbortSignal): Promise<number> {
  if (typeof indexedDB !== 'object' || indexedDB === null) {
    throw new Error('this browser offers no IndexedDB')
  }
  const records: Uint8Array[] = []
  for (let left = bytes; left > 0; left -= PROBE_RECORD_BYTES) {
    // getRandomValues fills at most 65,536 bytes per call: one record.
    records.push(crypto.getRandomValues(new Uint8Array(Math.min(PROBE_RECORD_BYTES, left))))
  }
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('')
  const name = `hypermesh-storage-probe-${suffix}`
  const db = await request(
    (() => {
      const open = indexedDB.open(name, 1)
      open.onupgradeneeded = () => open.result.createObjectStore('probe')
      return open
    })(),
  )
  try {
    signal.throwIfAborted()
    const t0 = performance.now()
    const tx = db.transaction('probe', 'readwrite', { durability: 'strict' })
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error ?? new Error('the probe transaction failed'))
      tx.onabort = () => reject(tx.error ?? signal.reason ?? new Error('probe transaction aborted'))
    })
    const onAbort = (): void => {
      try {
        tx.abort()
      } catch {
        // Already finished: nothing to stop.
      }
    }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const store = tx.objectStore('probe')
      records.forEach((r, i) => store.put(r, i))
      await done
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
    const rate = rateFrom(bytes, performance.now() - t0)
    if (rate === null) throw new Error('the write finished faster than the clock could time it')
    return rate
  } finally {
    db.close()
    await deleteDatabase(name)
  }
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'))
  })
}

/** Delete the scratch database; resolves whatever happens (the probe's result stands). */
function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(name)
    req.onsuccess = () => resolve()
    req.onerror = () => resolve()
    // Our own connection is closed; another would be a tab that found the scratch name, which
    // cannot happen with a random suffix. Deletion then completes once it closes.
    req.onblocked = () => resolve()
  })
}

/** Ask a fresh calibration worker for one calibration; terminate it whatever the outcome. */
async function calibrateInWorker(
  createWorker: () => Worker,
  phases: { warmupMs: number; durationMs: number },
  signal: AbortSignal,
): Promise<CpuCalibration> {
  const worker = createWorker()
  try {
    return await new Promise<CpuCalibration>((resolve, reject) => {
      const req: CalibrateRequest = { type: 'calibrate', id: 1, ...phases }
      worker.onmessage = (e: MessageEvent) => {
        const res = e.data as CalibrateResponse
        if (res?.type === 'calibrated' && res.id === req.id) resolve(res.result)
        else if (res?.type === 'error')
          reject(new Error(`calibration failed: ${res.error.message}`))
      }
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault()
        reject(new Error(`the calibration worker did not run: ${e.message || 'failed to load'}`))
      }
      signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      worker.postMessage(req)
    })
  } finally {
    worker.terminate()
  }
}
