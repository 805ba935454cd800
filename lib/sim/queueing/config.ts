/**
 * The description of one queueing run (`QueueingConfig`), its defaults, its check at the edge
 * (`resolveQueueingConfig`, which throws `QueueingConfigError` naming the field) and the load
 * definition that turns a target load ρ into an arrival rate (`arrivalRatePerMs`).
 */
import { QUEUEING_DEFAULT_MAX_ATTEMPTS } from './constants'
import { checkSizeDistribution, sizeMoments, type SizeDistribution } from './distributions'
import { QueueingConfigError } from './errors'
import { checkSpeedProfile, meanSpeed, type SpeedProfile } from './speed-profiles'

/** One job class: its share of arrivals and its size distribution. */
export interface JobClassConfig {
  /** Relative weight (≥ 0; weights need not sum to 1). */
  readonly weight: number
  readonly size: SizeDistribution
}

/** Server `server` runs jobs of class `jobClass` `factor` times faster (a GPU peer: 10). */
export interface AffinityConfig {
  readonly server: number
  readonly jobClass: number
  readonly factor: number
}

/** What the router is told about a job's size (`JobView.sizeHint`). */
export type SizeHintConfig =
  /** No hint: `sizeHint` is null. */
  | { readonly kind: 'none' }
  /** The true size. */
  | { readonly kind: 'exact' }
  /** True size × exp(σZ), Z standard normal: median-unbiased multiplicative error. */
  | { readonly kind: 'noisy'; readonly sigma: number }

/** The wide-area network between routers and servers. */
export interface NetworkConfig {
  /**
   * Range of round-trip times, ms: each (router, server) pair gets an RTT drawn uniformly from
   * [min, max] once per run, and each direction takes half of it. [0, 0] = no network.
   */
  readonly rttMs: readonly [number, number]
  /**
   * Whether routers get `predictedRttMs` (network coordinates). Default true; false gives null.
   */
  readonly coordinates?: boolean
  /**
   * Coordinate error: predicted RTT = true RTT × exp(σZ), drawn once per pair (a coordinate
   * system's error is persistent, not fresh noise per decision). Default 0.
   */
  readonly coordinateErrorSigma?: number
}

/** A scripted membership change (tests and hand-made runs). */
export interface ChurnEvent {
  readonly atMs: number
  readonly server: number
  /** True: the server joins (no-op when up); false: it leaves (no-op when down). */
  readonly up: boolean
}

/**
 * Servers leaving and (re)joining. Either a Poisson process (`meanUpMs` and `meanDownMs`: every
 * server alternates exponential up- and down-times, all up at time 0) or a `script`, not both.
 */
export interface ChurnConfig {
  readonly meanUpMs?: number
  readonly meanDownMs?: number
  readonly script?: readonly ChurnEvent[]
  /**
   * Jobs lost with a leaving server (queued, running, or arriving while it is down or after it
   * left) come back to their router as `ok: false` this long after the loss.
   */
  readonly detectionTimeoutMs: number
  /** A joining server runs at `coldStartFactor` × its speed for this long. Default 0. */
  readonly coldStartMs?: number
  /** Speed multiplier during a cold start, in (0, 1]. Default 1. */
  readonly coldStartFactor?: number
}

/** Peers that fail a share of their jobs quickly without doing the work. */
export interface FastFailConfig {
  /** Indices of the failing servers. */
  readonly servers: readonly number[]
  /** Chance that one job sent to one of them fails, per attempt. */
  readonly probability: number
  /** Time from the job's arrival at the server to its failure reply, ms (the reply then travels back). */
  readonly delayMs: number
}

/** One arrival of an explicit trace (`QueueingConfig.trace`). */
export interface TraceArrival {
  readonly timeMs: number
  /** Work units. */
  readonly size: number
  /** Default 0. */
  readonly jobClass?: number
  /** Which router receives it; default 0. */
  readonly router?: number
}

/**
 * A queueing run. Times in ms, sizes in work units, speeds in work units per ms. See README.md for
 * the model, and `runQueueing` for what comes out.
 */
export interface QueueingConfig {
  /** Number of servers n (each a single-server FIFO queue). */
  readonly servers: number
  /** Independent routers; arrivals are spread uniformly at random over them. Default 1. */
  readonly routers?: number
  /** Arrivals to simulate, all routers together. */
  readonly jobs: number
  /**
   * Target load ρ = λ·E[S] / (A·Σᵢ v̄ᵢ): λ the total arrival rate, E[S] the mean size over classes,
   * v̄ᵢ the long-run mean speed of server i (`meanSpeed`; affinity and cold starts excluded) and A
   * the long-run fraction of time a server is up (meanUp / (meanUp + meanDown); 1 without Poisson
   * churn). Must be > 0; ρ ≥ 1 is allowed (overload: queues grow without bound).
   */
  readonly load: number
  /** Job classes (at least one). */
  readonly classes: readonly JobClassConfig[]
  /** Speed profile of each server (length `servers`). */
  readonly speeds: readonly SpeedProfile[]
  /** Per-(server, class) speed multipliers; unlisted pairs are 1. */
  readonly affinity?: readonly AffinityConfig[]
  /** Jobs arriving before this time run but are not measured. Default 0. */
  readonly warmupMs?: number
  /**
   * Gossip period of queue lengths, ms. Each server announces (waiting + in service) every period,
   * at a phase drawn per seed; routers see the last announcement and its age. 0 (the default):
   * routers see the exact queue length at decision time, age 0.
   */
  readonly gossipPeriodMs?: number
  /** Default `{ kind: 'none' }`. */
  readonly sizeHints?: SizeHintConfig
  /** Default: no network (zero latency, predicted RTT 0). */
  readonly network?: NetworkConfig
  readonly churn?: ChurnConfig
  readonly fastFail?: FastFailConfig
  /** Attempts per job, first included, before it is dropped. Default 8. */
  readonly maxAttempts?: number
  /**
   * Window of the herding measure, ms. Default: the gossip period when gossip is on, else the
   * time in which about 2n jobs arrive.
   */
  readonly herdingWindowMs?: number
  /** Whether routers see `capacity` (`advertisedSpeed`); false gives null. Default true. */
  readonly advertiseCapacity?: boolean
  /**
   * Explicit arrivals (tests, replays) instead of the Poisson process: `jobs` must equal its
   * length, times must not decrease, and `load` then only sets the default herding window.
   */
  readonly trace?: readonly TraceArrival[]
}

/** `QueueingConfig` with every default filled in and every field checked. */
export interface ResolvedQueueingConfig {
  readonly servers: number
  readonly routers: number
  readonly jobs: number
  readonly load: number
  readonly classes: readonly JobClassConfig[]
  readonly speeds: readonly SpeedProfile[]
  /** Dense multipliers, index server × classes + class. */
  readonly affinity: Float64Array
  readonly warmupMs: number
  readonly gossipPeriodMs: number
  readonly sizeHints: SizeHintConfig
  readonly rttMs: readonly [number, number]
  readonly coordinates: boolean
  readonly coordinateErrorSigma: number
  readonly churn: ChurnConfig | null
  readonly fastFail: FastFailConfig | null
  readonly maxAttempts: number
  readonly herdingWindowMs: number
  readonly advertiseCapacity: boolean
  readonly trace: readonly TraceArrival[] | null
  /** Total arrival rate λ, jobs per ms (from `load`). */
  readonly arrivalRatePerMs: number
}

/**
 * The total arrival rate λ (jobs per ms) that gives `config` its target load: see
 * `QueueingConfig.load`. The config is checked first.
 *
 * @example
 * arrivalRatePerMs({ servers: 10, jobs: 1, load: 0.5, speeds: Array(10).fill({ kind: 'constant', speed: 1 }),
 *   classes: [{ weight: 1, size: { kind: 'exponential', mean: 100 } }] }) // 0.05
 */
export function arrivalRatePerMs(config: QueueingConfig): number {
  return resolveQueueingConfig(config).arrivalRatePerMs
}

function isInt(x: unknown, min: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= min
}
const finiteNonNegative = (x: number): boolean => Number.isFinite(x) && x >= 0
const finitePositive = (x: number): boolean => Number.isFinite(x) && x > 0

/**
 * Checks `config` and fills in its defaults. Throws `QueueingConfigError` naming the first bad
 * field. Everything the run relies on is checked here, so the event loop needs no checks.
 */
export function resolveQueueingConfig(config: QueueingConfig): ResolvedQueueingConfig {
  const fail = (why: string): never => {
    throw new QueueingConfigError(`runQueueing: ${why}`)
  }
  if (typeof config !== 'object' || config === null) fail('config must be an object')
  const n = config.servers
  if (!isInt(n, 1)) fail('servers must be an integer >= 1')
  const routers = config.routers ?? 1
  if (!isInt(routers, 1)) fail('routers must be an integer >= 1')
  if (!isInt(config.jobs, 1)) fail('jobs must be an integer >= 1')
  if (!finitePositive(config.load)) fail('load must be a positive number')

  if (!Array.isArray(config.classes) || config.classes.length === 0) {
    fail('classes must be a non-empty array')
  }
  let weightSum = 0
  let meanSizeWeighted = 0
  config.classes.forEach((c, i) => {
    if (typeof c !== 'object' || c === null) fail(`classes[${i}] must be an object`)
    if (!finiteNonNegative(c.weight)) fail(`classes[${i}].weight must be a number >= 0`)
    checkSizeDistribution(c.size, `classes[${i}].size`)
    weightSum += c.weight
    meanSizeWeighted += c.weight * sizeMoments(c.size).mean
  })
  if (!(weightSum > 0)) fail('class weights must not all be 0')
  const classCount = config.classes.length

  if (!Array.isArray(config.speeds) || config.speeds.length !== n) {
    fail(`speeds must have one profile per server (${n})`)
  }
  let speedSum = 0
  config.speeds.forEach((p, i) => {
    checkSpeedProfile(p, `speeds[${i}]`)
    speedSum += meanSpeed(p)
  })

  const affinity = new Float64Array(n * classCount).fill(1)
  for (const [i, a] of (config.affinity ?? []).entries()) {
    if (typeof a !== 'object' || a === null) fail(`affinity[${i}] must be an object`)
    if (!isInt(a.server, 0) || a.server >= n) fail(`affinity[${i}].server must be in [0, ${n})`)
    if (!isInt(a.jobClass, 0) || a.jobClass >= classCount) {
      fail(`affinity[${i}].jobClass must be in [0, ${classCount})`)
    }
    if (!finitePositive(a.factor)) fail(`affinity[${i}].factor must be a positive number`)
    affinity[a.server * classCount + a.jobClass] = a.factor
  }

  const warmupMs = config.warmupMs ?? 0
  if (!finiteNonNegative(warmupMs)) fail('warmupMs must be a number >= 0')
  const gossipPeriodMs = config.gossipPeriodMs ?? 0
  if (!finiteNonNegative(gossipPeriodMs)) fail('gossipPeriodMs must be a number >= 0')

  const sizeHints = config.sizeHints ?? { kind: 'none' }
  if (sizeHints.kind === 'noisy') {
    if (!(Number.isFinite(sizeHints.sigma) && sizeHints.sigma >= 0)) {
      fail('sizeHints.sigma must be a number >= 0')
    }
  } else if (sizeHints.kind !== 'none' && sizeHints.kind !== 'exact') {
    fail('sizeHints.kind must be none, exact or noisy')
  }

  const network = config.network
  const rttMs: readonly [number, number] = network?.rttMs ?? [0, 0]
  if (
    !Array.isArray(rttMs) ||
    rttMs.length !== 2 ||
    !finiteNonNegative(rttMs[0]) ||
    !finiteNonNegative(rttMs[1]) ||
    rttMs[0] > rttMs[1]
  ) {
    fail('network.rttMs must be [min, max] with 0 <= min <= max')
  }
  const coordinateErrorSigma = network?.coordinateErrorSigma ?? 0
  if (!finiteNonNegative(coordinateErrorSigma)) {
    fail('network.coordinateErrorSigma must be a number >= 0')
  }

  let availability = 1
  const churn = config.churn ?? null
  if (churn !== null) {
    const poisson = churn.meanUpMs !== undefined || churn.meanDownMs !== undefined
    if (poisson) {
      if (churn.script !== undefined) fail('churn: give meanUpMs/meanDownMs or script, not both')
      if (!finitePositive(churn.meanUpMs ?? NaN) || !finitePositive(churn.meanDownMs ?? NaN)) {
        fail('churn.meanUpMs and churn.meanDownMs must both be positive numbers')
      }
      availability =
        (churn.meanUpMs as number) / ((churn.meanUpMs as number) + (churn.meanDownMs as number))
    } else {
      if (!Array.isArray(churn.script)) fail('churn needs meanUpMs and meanDownMs, or a script')
      for (const [i, e] of (churn.script ?? []).entries()) {
        if (typeof e !== 'object' || e === null) fail(`churn.script[${i}] must be an object`)
        if (!finiteNonNegative(e.atMs)) fail(`churn.script[${i}].atMs must be a number >= 0`)
        if (!isInt(e.server, 0) || e.server >= n) {
          fail(`churn.script[${i}].server must be in [0, ${n})`)
        }
        if (typeof e.up !== 'boolean') fail(`churn.script[${i}].up must be a boolean`)
      }
    }
    if (!finiteNonNegative(churn.detectionTimeoutMs)) {
      fail('churn.detectionTimeoutMs must be a number >= 0')
    }
    if (!finiteNonNegative(churn.coldStartMs ?? 0)) fail('churn.coldStartMs must be a number >= 0')
    const f = churn.coldStartFactor ?? 1
    if (!(Number.isFinite(f) && f > 0 && f <= 1)) fail('churn.coldStartFactor must be in (0, 1]')
  }

  const fastFail = config.fastFail ?? null
  if (fastFail !== null) {
    if (!Array.isArray(fastFail.servers)) fail('fastFail.servers must be an array')
    for (const [i, s] of fastFail.servers.entries()) {
      if (!isInt(s, 0) || s >= n) fail(`fastFail.servers[${i}] must be in [0, ${n})`)
    }
    if (!(fastFail.probability >= 0 && fastFail.probability <= 1)) {
      fail('fastFail.probability must be in [0, 1]')
    }
    if (!finiteNonNegative(fastFail.delayMs)) fail('fastFail.delayMs must be a number >= 0')
  }

  const maxAttempts = config.maxAttempts ?? QUEUEING_DEFAULT_MAX_ATTEMPTS
  if (!isInt(maxAttempts, 1)) fail('maxAttempts must be an integer >= 1')

  const trace = config.trace ?? null
  if (trace !== null) {
    if (!Array.isArray(trace) || trace.length !== config.jobs) {
      fail('trace must be an array of `jobs` arrivals')
    }
    let last = 0
    for (const [i, a] of trace.entries()) {
      if (typeof a !== 'object' || a === null) fail(`trace[${i}] must be an object`)
      if (!finiteNonNegative(a.timeMs) || a.timeMs < last) {
        fail(`trace[${i}].timeMs must be a number >= 0, not below the previous one`)
      }
      last = a.timeMs
      if (!finitePositive(a.size)) fail(`trace[${i}].size must be a positive number`)
      const c = a.jobClass ?? 0
      if (!isInt(c, 0) || c >= classCount)
        fail(`trace[${i}].jobClass must be in [0, ${classCount})`)
      const r = a.router ?? 0
      if (!isInt(r, 0) || r >= routers) fail(`trace[${i}].router must be in [0, ${routers})`)
    }
  }

  const meanSize = meanSizeWeighted / weightSum
  const arrivalRate = (config.load * availability * speedSum) / meanSize
  if (!finitePositive(arrivalRate)) fail('load, speeds and sizes give no finite arrival rate')

  const herdingWindowMs =
    config.herdingWindowMs ?? (gossipPeriodMs > 0 ? gossipPeriodMs : (2 * n) / arrivalRate)
  if (!finitePositive(herdingWindowMs)) fail('herdingWindowMs must be a positive number')

  return {
    servers: n,
    routers,
    jobs: config.jobs,
    load: config.load,
    classes: config.classes,
    speeds: config.speeds,
    affinity,
    warmupMs,
    gossipPeriodMs,
    sizeHints,
    rttMs,
    coordinates: network?.coordinates ?? true,
    coordinateErrorSigma,
    churn,
    fastFail,
    maxAttempts,
    herdingWindowMs,
    advertiseCapacity: config.advertiseCapacity ?? true,
    trace,
    arrivalRatePerMs: arrivalRate,
  }
}
