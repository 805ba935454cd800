/**
 * Measure what Node.js exposes of its machine (DESIGN.md §5) for the headless node
 * (`npm run node`), into the model of lib/assets/resources.ts. Same rule as in a tab: what the
 * platform cannot tell is `null` with a reason, never a default.
 *
 * The CPU calibration runs the same workload code as the tab's worker (`calibrateCpu`), here on
 * the calling thread in slices of {@link NODE_CALIBRATION_SLICE_MS} with a yield to the event loop
 * between them, so the node keeps answering while it calibrates; the yields are not counted in the
 * score. (A worker thread would need a loader for the TypeScript source under tsx and vitest.)
 */
import { randomFillSync } from 'node:crypto'
import { open, statfs, unlink } from 'node:fs/promises'
import { availableParallelism, totalmem } from 'node:os'
import { join } from 'node:path'
import { getHeapStatistics } from 'node:v8'
import {
  calibrateCpu,
  checkCalibrationPhases,
  checkStorageProbeBytes,
  MAX_LOGICAL_CORES,
  MAX_MEMORY_BYTES,
  MAX_STORAGE_BYTES,
  MIN_MEMORY_BYTES,
  networkFromLinks,
  platformNumber,
  rateFrom,
  STORAGE_PROBE_DEFAULT_BYTES,
  unknownResources,
  CALIBRATION_DURATION_MS,
  CALIBRATION_WARMUP_MS,
  type LinkMeasurement,
  type ResourceReasons,
  type ResourceReport,
} from '../assets/resources'
import { AssetArgumentError } from '../assets/asset-id'
import { measurePart, recordCalibration } from './measure-part'

/** Default time limits per part, in ms. A part that takes longer is `null` ("timed out"). */
export const NODE_RESOURCE_TIMEOUTS_MS = {
  /** Warm-up and measured phase, ~0.3 s of work, plus the event loop's other work in between. */
  cpu: 5_000,
  /** statfs plus the write probe (a few MiB and an fsync, slow on network file systems). */
  storage: 10_000,
} as const

/** Longest stretch of calibration work between two yields to the event loop, in ms. */
export const NODE_CALIBRATION_SLICE_MS = 10

/** Largest time limit a timer honours, in ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Options of {@link measureNodeResources}. */
export interface NodeResourcesInit {
  /** The node's data directory: its file system is measured and the write probe lands there. */
  dataDir: string
  /** Aborts the whole measurement: the promise rejects with the signal's reason. */
  signal?: AbortSignal
  /** Run the CPU calibration. Default `true`; `false` leaves the score `null`. */
  calibrate?: boolean
  /**
   * Bytes the write probe writes to a scratch file in `dataDir` and fsyncs (then deletes): 0 skips
   * the probe, else an integer in [64 KiB, 64 MiB]. Default {@link STORAGE_PROBE_DEFAULT_BYTES}.
   */
  storageProbeBytes?: number
  /** Links the mesh node measured (RTT per link, goodput where a transfer was measured). */
  links?: readonly LinkMeasurement[]
  /** Per-part time limits in ms, in (0, 2^31 - 1]. Defaults {@link NODE_RESOURCE_TIMEOUTS_MS}. */
  timeoutsMs?: Partial<Record<keyof typeof NODE_RESOURCE_TIMEOUTS_MS, number>>
  /** Calibration phases in ms. Defaults: the core's warm-up 50 ms and measured phase 250 ms. */
  calibration?: { warmupMs?: number; durationMs?: number }
}

/** Prefix of the write probe's scratch file; a random suffix follows. */
export const NODE_STORAGE_PROBE_PREFIX = '.hypermesh-storage-probe-'

/**
 * Measure this process's resources.
 *
 * - cpu: `os.availableParallelism()`; the score of the calibration workload (same code as a tab).
 * - memory: `os.totalmem()`, V8's `heap_size_limit`, and `process.constrainedMemory()` when a
 *   cgroup limit is below the total. `deviceMemory` is a browser API: `null`.
 * - storage: `fs.statfs(dataDir)` (bytes available to this user, and size); the write rate of
 *   `storageProbeBytes` written to a scratch file in 64 KiB writes then one `fsync`, the file
 *   deleted afterwards. Quota and usage are browser notions: `null`.
 * - gpu: `null` — Node.js has no WebGPU.
 * - network: the `links` handed in.
 *
 * @example
 * ```ts
 * const { resources } = await measureNodeResources({ dataDir: './data' })
 * ```
 * @throws {@link AssetArgumentError} for an option out of range (before measuring)
 * @throws the signal's reason when aborted
 */
export async function measureNodeResources(init: NodeResourcesInit): Promise<ResourceReport> {
  const fn = 'measureNodeResources'
  if (typeof init?.dataDir !== 'string' || init.dataDir.length === 0) {
    throw new AssetArgumentError(`${fn}.dataDir`, 'is not a non-empty path')
  }
  const dataDir = init.dataDir
  const probeBytes = init.storageProbeBytes ?? STORAGE_PROBE_DEFAULT_BYTES
  if (probeBytes !== 0) checkStorageProbeBytes(`${fn}.storageProbeBytes`, probeBytes)
  const timeouts = { ...NODE_RESOURCE_TIMEOUTS_MS, ...init.timeoutsMs }
  for (const [p, ms] of Object.entries(timeouts)) {
    // Timers take at most 2^31 - 1 ms.
    if (!(typeof ms === 'number' && ms > 0 && ms <= MAX_TIMER_MS)) {
      throw new AssetArgumentError(`${fn}.timeoutsMs.${p}`, `is not in (0, ${MAX_TIMER_MS}]`)
    }
  }
  const warmupMs = init.calibration?.warmupMs ?? CALIBRATION_WARMUP_MS
  const durationMs = init.calibration?.durationMs ?? CALIBRATION_DURATION_MS
  checkCalibrationPhases(`${fn}.calibration`, warmupMs, durationMs)
  const signal = init.signal
  signal?.throwIfAborted()

  const resources = unknownResources('node')
  const reasons: ResourceReasons = {}
  const tookMs = { cpu: 0, memory: 0, storage: 0, gpu: 0, network: 0, total: 0 }
  const start = performance.now()

  let t = start
  const network = networkFromLinks(`${fn}.links`, init.links)
  resources.network = network.network
  Object.assign(reasons, network.reasons)
  tookMs.network = performance.now() - t

  // memory
  t = performance.now()
  const total = platformNumber(totalmem(), MIN_MEMORY_BYTES, MAX_MEMORY_BYTES, true)
  resources.memory.totalBytes = total
  if (total === null) reasons['memory.totalBytes'] = 'os.totalmem() reported no usable figure'
  resources.memory.jsHeapLimitBytes = platformNumber(
    getHeapStatistics().heap_size_limit,
    MIN_MEMORY_BYTES,
    MAX_MEMORY_BYTES,
    true,
  )
  if (resources.memory.jsHeapLimitBytes === null) {
    reasons['memory.jsHeapLimitBytes'] = 'V8 reported no usable heap size limit'
  }
  // 0 means "no constraint or unknown"; an unconstrained cgroup reports 2^64 - 1 or the host's
  // total. Only a limit below the total says something the total does not.
  const constrained =
    typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0
  const limit = platformNumber(constrained, MIN_MEMORY_BYTES, MAX_MEMORY_BYTES, true)
  if (limit !== null && (total === null || limit < total)) {
    resources.memory.limitBytes = limit
  } else {
    reasons['memory.limitBytes'] = 'no memory limit below the machine total is set or known'
  }
  reasons['memory.deviceMemoryGiB'] = 'navigator.deviceMemory is a browser API (see totalBytes)'
  tookMs.memory = performance.now() - t

  // gpu
  reasons.gpu = 'Node.js has no WebGPU (navigator.gpu is missing)'

  // storage
  t = performance.now()
  const fsInfo = await measurePart(signal, timeouts.storage, () =>
    statfs(dataDir, { bigint: true }),
  )
  if (fsInfo.ok) {
    const { bavail, blocks, bsize } = fsInfo.value
    resources.storage.freeBytes = bytesFrom(bavail * bsize, 0)
    resources.storage.totalBytes = bytesFrom(blocks * bsize, 1)
    if (resources.storage.freeBytes === null) {
      reasons['storage.freeBytes'] = 'statfs reported no usable figure'
    }
    if (resources.storage.totalBytes === null) {
      reasons['storage.totalBytes'] = 'statfs reported no usable figure'
    }
    const { freeBytes, totalBytes } = resources.storage
    if (freeBytes !== null && totalBytes !== null && freeBytes > totalBytes) {
      resources.storage.freeBytes = null
      reasons['storage.freeBytes'] = 'statfs reported more free bytes than the file system holds'
    }
  } else {
    const why = `the data directory cannot be measured: ${fsInfo.reason}`
    reasons['storage.freeBytes'] = why
    reasons['storage.totalBytes'] = why
  }
  if (probeBytes === 0) {
    reasons['storage.writeBytesPerSecond'] = 'the write probe was not asked for'
  } else {
    const probe = await measurePart(signal, timeouts.storage, (s) =>
      probeFile(dataDir, probeBytes, s),
    )
    if (probe.ok) {
      resources.storage.writeBytesPerSecond = probe.value
      resources.storage.writeProbe = 'file-fsync'
    } else {
      reasons['storage.writeBytesPerSecond'] = probe.reason
    }
  }
  if (resources.storage.writeProbe === null) {
    reasons['storage.writeProbe'] = 'no write rate was measured'
  }
  reasons['storage.quotaBytes'] = 'a storage quota is a browser notion (see freeBytes)'
  reasons['storage.usageBytes'] = "the data directory's usage is not measured in Node"
  tookMs.storage = performance.now() - t

  // cpu
  t = performance.now()
  resources.cpu.logicalCores = platformNumber(availableParallelism(), 1, MAX_LOGICAL_CORES, true)
  if (resources.cpu.logicalCores === null) {
    reasons['cpu.logicalCores'] = 'os.availableParallelism() reported no usable figure'
  }
  if (init.calibrate === false) {
    reasons['cpu.score'] = 'the calibration was not asked for'
  } else {
    const c0 = performance.now()
    const cal = await measurePart(signal, timeouts.cpu, (s) =>
      calibrateCpu(
        () => performance.now(),
        { warmupMs, durationMs, sliceMs: NODE_CALIBRATION_SLICE_MS, pause: yieldToEventLoop },
        { signal: s },
      ),
    )
    recordCalibration(resources, reasons, cal, performance.now() - c0)
  }
  if (resources.cpu.score === null) reasons['cpu.calibrationMs'] = 'no calibration was run'
  tookMs.cpu = performance.now() - t

  tookMs.total = performance.now() - start
  return { resources, reasons, tookMs }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function bytesFrom(x: bigint, min: number): number | null {
  return x <= BigInt(MAX_STORAGE_BYTES) ? platformNumber(Number(x), min, MAX_STORAGE_BYTES) : null
}

/** Writes of 64 KiB, the STOQ average chunk size, as the chunk store would write. */
const PROBE_WRITE_BYTES = 64 * 1024

/**
 * Write `bytes` of random data (random so no layer can compress or deduplicate it) to a new
 * scratch file in `dir`, `fsync` it, and delete it. The rate counts the writes and the fsync, not
 * the open. Throws a sentence when the clock could not time it.
 */
async function probeFile(dir: string, bytes: number, signal: AbortSignal): Promise<number> {
  const data = randomFillSync(new Uint8Array(bytes))
  const path = join(
    dir,
    NODE_STORAGE_PROBE_PREFIX + randomFillSync(Buffer.alloc(8)).toString('hex'),
  )
  // 'wx': never overwrite an existing file, whatever its name.
  const handle = await open(path, 'wx')
  try {
    const t0 = performance.now()
    for (let o = 0; o < bytes; o += PROBE_WRITE_BYTES) {
      signal.throwIfAborted()
      const chunk = data.subarray(o, Math.min(o + PROBE_WRITE_BYTES, bytes))
      let done = 0
      while (done < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done)
        done += bytesWritten
      }
    }
    await handle.sync()
    const rate = rateFrom(bytes, performance.now() - t0)
    if (rate === null) throw new Error('the write finished faster than the clock could time it')
    return rate
  } finally {
    await handle.close().catch(() => undefined)
    await unlink(path).catch(() => undefined)
  }
}
