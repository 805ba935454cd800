/**
 * Named queueing scenarios for the routing bench (DESIGN.md §6 and §10: "p99 ≤ 0.8 × P2C-PEWMA
 * where learning should help, within 10 % where it cannot"). Each builds a `QueueingConfig` for a
 * given size; times that matter (a slowdown, a swap) are placed as fractions of the expected
 * horizon (jobs / λ), so they stay in the run when the size changes.
 *
 * Common ground unless a scenario says otherwise: 30 servers, 30,000 jobs, exponential sizes of
 * mean 100 work units (100 ms on a speed-1 peer), the first 10 % of the horizon as warm-up.
 */
import { arrivalRatePerMs, type QueueingConfig } from './config'
import {
  QUEUEING_DEFAULT_JOBS,
  QUEUEING_DEFAULT_SERVERS,
  QUEUEING_MEAN_SIZE,
  QUEUEING_WARMUP_SHARE,
} from './constants'
import type { SizeDistribution } from './distributions'
import { QueueingConfigError, UnknownQueueingScenarioError } from './errors'
import type { SpeedProfile } from './speed-profiles'

/** Whether a learning router should beat the baselines in a scenario, or only match them. */
export type LearningExpectation = 'should-help' | 'cannot-help'

/** Size overrides of a scenario (the bench's `--jobs`, `--servers`). */
export interface QueueingScenarioSize {
  /** Arrivals per run. Default 30,000. */
  readonly jobs?: number
  /** Servers; each scenario keeps its proportions (half throttled, 10 % failing…). Default 30 (affinity: 20). */
  readonly servers?: number
}

/** A named scenario. */
export interface QueueingScenario {
  readonly name: string
  /** One line: what is being tested. */
  readonly description: string
  readonly learning: LearningExpectation
  /** How to read its results, when that differs from the usual steady-state comparison. */
  readonly note?: string
  /**
   * The run's config at this size.
   *
   * @throws QueueingConfigError - a size override is not an integer in range
   */
  build(size?: QueueingScenarioSize): QueueingConfig
}

const EXP_SIZE: SizeDistribution = { kind: 'exponential', mean: QUEUEING_MEAN_SIZE }
const ONE_CLASS = [{ weight: 1, size: EXP_SIZE }] as const

function constant(n: number, speed = 1): SpeedProfile[] {
  return Array.from({ length: n }, () => ({ kind: 'constant', speed }))
}

function sizeOf(name: string, size: QueueingScenarioSize | undefined, servers: number, min = 2) {
  const jobs = size?.jobs ?? QUEUEING_DEFAULT_JOBS
  const n = size?.servers ?? servers
  if (!(Number.isInteger(jobs) && jobs >= 10)) {
    throw new QueueingConfigError(`queueing scenario ${name}: jobs must be an integer >= 10`)
  }
  if (!(Number.isInteger(n) && n >= min)) {
    throw new QueueingConfigError(`queueing scenario ${name}: servers must be an integer >= ${min}`)
  }
  return { jobs, n }
}

/** Expected horizon (ms) of `config` and the config with its warm-up set. */
function withWarmup(config: QueueingConfig): { config: QueueingConfig; horizonMs: number } {
  const horizonMs = config.jobs / arrivalRatePerMs(config)
  return { config: { ...config, warmupMs: QUEUEING_WARMUP_SHARE * horizonMs }, horizonMs }
}

const homogeneous: QueueingScenario = {
  name: 'homogeneous',
  description:
    'M/M/1 servers of equal speed, Poisson arrivals, fresh queue lengths: JSQ-like policies are near optimal',
  learning: 'cannot-help',
  build(size) {
    const { jobs, n } = sizeOf('homogeneous', size, QUEUEING_DEFAULT_SERVERS, 1)
    return withWarmup({
      servers: n,
      routers: 4,
      jobs,
      load: 0.85,
      classes: ONE_CLASS,
      speeds: constant(n),
      gossipPeriodMs: 0,
    }).config
  },
}

const transientSlow: QueueingScenario = {
  name: 'transient-slow',
  description: 'one server runs at 10 % speed for 30 % of the run; queue lengths reveal it at once',
  learning: 'cannot-help',
  build(size) {
    const { jobs, n } = sizeOf('transient-slow', size, QUEUEING_DEFAULT_SERVERS)
    const base: QueueingConfig = {
      servers: n,
      routers: 4,
      jobs,
      load: 0.85,
      classes: ONE_CLASS,
      speeds: constant(n),
      gossipPeriodMs: 250,
    }
    const { config, horizonMs } = withWarmup(base)
    const speeds = constant(n)
    speeds[0] = {
      kind: 'transient',
      speed: 1,
      factor: 0.1,
      fromMs: 0.3 * horizonMs,
      toMs: 0.6 * horizonMs,
    }
    return { ...config, speeds }
  },
}

const flips: QueueingScenario = {
  name: 'flips',
  description:
    'every speed flips between μ and 6μ every 50 ms (half a mean job): nothing lasts long enough to learn',
  learning: 'cannot-help',
  build(size) {
    const { jobs, n } = sizeOf('flips', size, QUEUEING_DEFAULT_SERVERS)
    const speeds: SpeedProfile[] = Array.from({ length: n }, () => ({
      kind: 'flip',
      low: 2 / 7,
      high: 12 / 7,
      periodMs: 50,
    }))
    return withWarmup({
      servers: n,
      routers: 4,
      jobs,
      load: 0.85,
      classes: ONE_CLASS,
      speeds,
      gossipPeriodMs: 250,
    }).config
  },
}

const swap: QueueingScenario = {
  name: 'swap',
  description:
    'half the servers at speed 2, half at 0.5; they swap roles at mid-run (advertised capacity goes stale)',
  learning: 'cannot-help',
  build(size) {
    const { jobs, n } = sizeOf('swap', size, QUEUEING_DEFAULT_SERVERS)
    const make = (atMs: number): SpeedProfile[] =>
      Array.from({ length: n }, (_, i) =>
        i % 2 === 0
          ? { kind: 'swap', before: 2, after: 0.5, atMs }
          : { kind: 'swap', before: 0.5, after: 2, atMs },
      )
    const base: QueueingConfig = {
      servers: n,
      routers: 4,
      jobs,
      load: 0.85,
      classes: ONE_CLASS,
      speeds: make(0),
      gossipPeriodMs: 250,
    }
    const { config, horizonMs } = withWarmup(base)
    return { ...config, speeds: make(0.5 * horizonMs) }
  },
}

const overload: QueueingScenario = {
  name: 'overload',
  description: 'homogeneous servers at ρ = 1.05: queues grow without bound',
  learning: 'cannot-help',
  note:
    'No steady state: every policy gets the same arrivals over the same horizon (no warm-up) and ' +
    'all jobs are drained, so sojourn times grow with the horizon; compare policies at one size only.',
  build(size) {
    const { jobs, n } = sizeOf('overload', size, QUEUEING_DEFAULT_SERVERS, 1)
    return {
      servers: n,
      routers: 4,
      jobs,
      load: 1.05,
      classes: ONE_CLASS,
      speeds: constant(n),
      gossipPeriodMs: 0,
      warmupMs: 0,
    }
  },
}

const affinity: QueueingScenario = {
  name: 'affinity',
  description: 'two job classes; server 0 (a WebGPU-like peer) runs class 1 ten times faster',
  learning: 'should-help',
  build(size) {
    const { jobs, n } = sizeOf('affinity', size, 20)
    return withWarmup({
      servers: n,
      routers: 4,
      jobs,
      load: 0.85,
      classes: [
        { weight: 1, size: EXP_SIZE },
        { weight: 1, size: EXP_SIZE },
      ],
      speeds: constant(n),
      affinity: [{ server: 0, jobClass: 1, factor: 10 }],
      gossipPeriodMs: 250,
    }).config
  },
}

/** Bounded Pareto α = 1.1 on [20, 10,000]: mean ≈ 99, coefficient of variation ≈ 3.4. */
const PARETO_SIZE: SizeDistribution = { kind: 'bounded-pareto', alpha: 1.1, lo: 20, hi: 10_000 }

const heavyTail: QueueingScenario = {
  name: 'heavy-tail',
  description: 'bounded Pareto sizes (α 1.1) with noisy size hints (σ 0.25) on speeds 0.5, 1 and 2',
  learning: 'should-help',
  build(size) {
    const { jobs, n } = sizeOf('heavy-tail', size, QUEUEING_DEFAULT_SERVERS)
    const tiers = [0.5, 1, 2]
    return withWarmup({
      servers: n,
      routers: 4,
      jobs,
      load: 0.85,
      classes: [{ weight: 1, size: PARETO_SIZE }],
      speeds: Array.from({ length: n }, (_, i) => ({
        kind: 'constant',
        speed: tiers[i % tiers.length] as number,
      })),
      sizeHints: { kind: 'noisy', sigma: 0.25 },
      gossipPeriodMs: 250,
    }).config
  },
}

const wanChurn: QueueingScenario = {
  name: 'wan-churn',
  description:
    'WAN RTT 5–300 ms with coordinates (σ 0.2); peers up 60 s / down 20 s on average, 5 s cold start at 25 % speed',
  learning: 'should-help',
  build(size) {
    const { jobs, n } = sizeOf('wan-churn', size, QUEUEING_DEFAULT_SERVERS)
    return withWarmup({
      servers: n,
      routers: 8,
      jobs,
      load: 0.8,
      classes: ONE_CLASS,
      speeds: constant(n),
      gossipPeriodMs: 500,
      network: { rttMs: [5, 300], coordinates: true, coordinateErrorSigma: 0.2 },
      churn: {
        meanUpMs: 60_000,
        meanDownMs: 20_000,
        detectionTimeoutMs: 2_000,
        coldStartMs: 5_000,
        coldStartFactor: 0.25,
      },
    }).config
  },
}

const periodic: QueueingScenario = {
  name: 'periodic',
  description:
    'half the servers are background tabs at 20 % speed for 5 s of every 10 s (advertising full speed)',
  learning: 'should-help',
  build(size) {
    const { jobs, n } = sizeOf('periodic', size, QUEUEING_DEFAULT_SERVERS)
    const speeds: SpeedProfile[] = Array.from({ length: n }, (_, i) =>
      i % 2 === 0
        ? { kind: 'periodic', speed: 1, factor: 0.2, periodMs: 10_000, duty: 0.5 }
        : { kind: 'constant', speed: 1 },
    )
    return withWarmup({
      servers: n,
      routers: 4,
      jobs,
      load: 0.85,
      classes: ONE_CLASS,
      speeds,
      gossipPeriodMs: 250,
    }).config
  },
}

const fastFail: QueueingScenario = {
  name: 'fast-fail',
  description:
    '10 % of the servers fail 80 % of their jobs within 5 ms (short queues, fast replies: a black hole)',
  learning: 'should-help',
  build(size) {
    const { jobs, n } = sizeOf('fast-fail', size, QUEUEING_DEFAULT_SERVERS)
    const failing = Array.from({ length: Math.max(1, Math.round(0.1 * n)) }, (_, i) => i)
    return withWarmup({
      servers: n,
      routers: 4,
      jobs,
      load: 0.85,
      classes: ONE_CLASS,
      speeds: constant(n),
      gossipPeriodMs: 250,
      fastFail: { servers: failing, probability: 0.8, delayMs: 5 },
      maxAttempts: 8,
    }).config
  },
}

const staleMany: QueueingScenario = {
  name: 'stale-many',
  description:
    '40 routers share queue lengths gossiped every 1.5 s: choosing the shortest reported queue herds',
  learning: 'should-help',
  build(size) {
    const { jobs, n } = sizeOf('stale-many', size, QUEUEING_DEFAULT_SERVERS)
    return withWarmup({
      servers: n,
      routers: 40,
      jobs,
      load: 0.85,
      classes: ONE_CLASS,
      speeds: constant(n),
      gossipPeriodMs: 1_500,
    }).config
  },
}

/** Every scenario: the six where learning should help, then the five where it cannot. */
export const QUEUEING_SCENARIOS: readonly QueueingScenario[] = [
  affinity,
  heavyTail,
  wanChurn,
  periodic,
  fastFail,
  staleMany,
  homogeneous,
  transientSlow,
  flips,
  swap,
  overload,
]

/**
 * The scenario called `name`.
 *
 * @throws UnknownQueueingScenarioError - no scenario has that name
 * @example
 * runQueueing(queueingScenario('stale-many').build({ jobs: 5_000 }), factory, 1)
 */
export function queueingScenario(name: string): QueueingScenario {
  const found = QUEUEING_SCENARIOS.find((s) => s.name === name)
  if (found === undefined) {
    throw new UnknownQueueingScenarioError(
      name,
      QUEUEING_SCENARIOS.map((s) => s.name),
    )
  }
  return found
}
