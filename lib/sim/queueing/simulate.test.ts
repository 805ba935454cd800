import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { CandidateView, JobView, Router, RouterFactory, RoutingOutcome } from '../../mfn/types'
import type { QueueingConfig, TraceArrival } from './config'
import { runQueueing } from './simulate'
import type { SpeedProfile } from './speed-profiles'

const constant = (n: number, speed = 1): SpeedProfile[] =>
  Array.from({ length: n }, () => ({ kind: 'constant', speed }))

const EXP1 = [{ weight: 1, size: { kind: 'exponential', mean: 1 } }] as const

/** A copy of what a router saw of one candidate (views are live, so tests copy them). */
interface SeenCandidate {
  id: number
  predictedRttMs: number | null
  inFlight: number
  reportedQueue: number | null
  reportAgeMs: number
  capacity: number | null
}

interface Log {
  decisions: { now: number; job: JobView; candidates: SeenCandidate[]; chosen: number }[]
  outcomes: RoutingOutcome[]
}

const newLog = (): Log => ({ decisions: [], outcomes: [] })

const copy = (c: CandidateView): SeenCandidate => ({
  id: c.id,
  predictedRttMs: c.predictedRttMs,
  inFlight: c.inFlight,
  reportedQueue: c.reportedQueue,
  reportAgeMs: c.reportAgeMs,
  capacity: c.capacity,
})

/** Wraps a choice rule into a router that records every decision and outcome in `log`. */
function recording(
  name: string,
  log: Log,
  rule: (candidates: readonly CandidateView[], failed: Set<number>) => number,
): RouterFactory {
  return () => {
    const failed = new Set<number>()
    const router: Router = {
      name,
      choose(job, candidates, now) {
        const chosen = rule(candidates, failed)
        log.decisions.push({ now, job, candidates: candidates.map(copy), chosen })
        return chosen
      },
      feedback(outcome) {
        if (!outcome.ok) failed.add(outcome.candidate)
        log.outcomes.push(outcome)
      },
    }
    return router
  }
}

/** Always the first candidate: candidates come in id order, so the lowest id that is up. */
const lowestId = (log = newLog()): RouterFactory => recording('lowest-id', log, () => 0)

/** The lowest id that has not failed this router yet. */
const avoidFailed = (log = newLog()): RouterFactory =>
  recording('avoid-failed', log, (candidates, failed) =>
    Math.max(
      0,
      candidates.findIndex((c) => !failed.has(c.id)),
    ),
  )

const randomRouter: RouterFactory = (random) => ({
  name: 'random',
  choose: (_job, candidates) => Math.floor(random.next() * candidates.length),
  feedback() {},
})

function traced(
  arrivals: TraceArrival[],
  config: Partial<QueueingConfig> & { servers: number },
): QueueingConfig {
  return {
    jobs: arrivals.length,
    load: 0.5,
    classes: EXP1,
    speeds: constant(config.servers),
    trace: arrivals,
    ...config,
  }
}

const sojourns = (config: QueueingConfig, factory: RouterFactory): number[] => [
  ...runQueueing(config, factory, 1).sojournMs,
]

describe('runQueueing: service', () => {
  it('serves the remaining work at the new speed when the speed changes mid-service', () => {
    const one = (speed: SpeedProfile, size: number): number[] =>
      sojourns(traced([{ timeMs: 0, size }], { servers: 1, speeds: [speed] }), lowestId())
    // 4 units at speed 1, then 6 at speed 2: done at 4 + 3.
    expect(one({ kind: 'swap', before: 1, after: 2, atMs: 4 }, 10)).toEqual([7])
    // Throttled to 0.5 in [0, 5) and [10, 15): 2.5 + 5 + 2.5 units.
    expect(
      one({ kind: 'periodic', speed: 1, factor: 0.5, periodMs: 10, duty: 0.5, phaseMs: 0 }, 10),
    ).toEqual([15])
    // Low (1) in [0, 1), high (3) in [1, 3), low again: 1 + 6 + 1 units by t = 4.
    expect(
      one({ kind: 'flip', low: 1, high: 3, periodMs: 2, phaseMs: 1, startHigh: false }, 8),
    ).toEqual([4])
    // Speed 2 for 1 ms, 0.5 in [1, 3), 2 again: 2 + 1 + 3 units by t = 4.5.
    expect(one({ kind: 'transient', speed: 2, factor: 0.25, fromMs: 1, toMs: 3 }, 6)).toEqual([4.5])
  })

  it('queues FIFO, one job in service at a time, with class affinity', () => {
    const swapAt4: SpeedProfile = { kind: 'swap', before: 1, after: 2, atMs: 4 }
    const two = traced(
      [
        { timeMs: 0, size: 10 },
        { timeMs: 0, size: 10 },
      ],
      { servers: 1, speeds: [swapAt4] },
    )
    // The second starts at 7 at speed 2.
    expect(sojourns(two, lowestId())).toEqual([7, 12])
    const gpu = traced(
      [
        { timeMs: 0, size: 10, jobClass: 1 },
        { timeMs: 100, size: 10, jobClass: 0 },
      ],
      {
        servers: 1,
        classes: [...EXP1, ...EXP1],
        affinity: [{ server: 0, jobClass: 1, factor: 10 }],
      },
    )
    expect(sojourns(gpu, lowestId())).toEqual([1, 10])
  })

  it('adds the network both ways and shows routers predicted RTT, in-flight and capacity', () => {
    const log = newLog()
    const config = traced(
      [
        { timeMs: 0, size: 10 },
        { timeMs: 0, size: 10 },
      ],
      { servers: 1, network: { rttMs: [10, 10] }, speeds: constant(1, 0.5) },
    )
    // 5 ms out, 20 ms of service each (FIFO), 5 ms back.
    expect(sojourns(config, lowestId(log))).toEqual([30, 50])
    expect(log.decisions.map((d) => d.candidates[0])).toEqual([
      { id: 0, predictedRttMs: 10, inFlight: 0, reportedQueue: 0, reportAgeMs: 0, capacity: 0.5 },
      { id: 0, predictedRttMs: 10, inFlight: 1, reportedQueue: 0, reportAgeMs: 0, capacity: 0.5 },
    ])
    expect(log.outcomes.map((o) => [o.ok, o.latencyMs, o.now])).toEqual([
      [true, 30, 30],
      [true, 50, 50],
    ])
    const hidden = newLog()
    runQueueing(
      {
        ...config,
        network: { rttMs: [10, 10], coordinates: false },
        advertiseCapacity: false,
      },
      lowestId(hidden),
      1,
    )
    expect(hidden.decisions[0]?.candidates[0]?.predictedRttMs).toBeNull()
    expect(hidden.decisions[0]?.candidates[0]?.capacity).toBeNull()
  })

  it('gives the exact queue with fresh information, an aged announcement with gossip', () => {
    const fresh = newLog()
    const arrivals = [0, 0, 0, 25, 37].map((timeMs) => ({ timeMs, size: 100 }))
    runQueueing(traced(arrivals, { servers: 1 }), lowestId(fresh), 1)
    expect(fresh.decisions.map((d) => d.candidates[0]?.reportedQueue)).toEqual([0, 1, 2, 3, 4])
    const gossip = newLog()
    runQueueing(traced(arrivals, { servers: 1, gossipPeriodMs: 10 }), lowestId(gossip), 1)
    const seen = gossip.decisions.map((d) => d.candidates[0] as SeenCandidate)
    // Nothing announced at time 0 (the phase is in [0, 10)), 3 queued from then on.
    expect(seen[0]?.reportedQueue).toBeNull()
    expect(seen.slice(3).map((c) => c.reportedQueue)).toEqual([3, 4])
    for (const c of seen.slice(3)) expect(c.reportAgeMs >= 0 && c.reportAgeMs <= 10).toBe(true)
  })
})

describe('runQueueing: failures and retries', () => {
  it('fails the jobs of a leaving server after the detection timeout and retries them', () => {
    const log = newLog()
    const config = traced(
      [
        { timeMs: 0, size: 10 }, // A: on server 0 when it leaves at 5
        { timeMs: 50, size: 10 }, // B: server 0 is down, goes to 1
        { timeMs: 201, size: 10 }, // C: server 0 back at 200, cold (half speed) until 250
        { timeMs: 260, size: 10 }, // D: server 0 warm
      ],
      {
        servers: 2,
        churn: {
          script: [
            { atMs: 5, server: 0, up: false },
            { atMs: 200, server: 0, up: true },
          ],
          detectionTimeoutMs: 100,
          coldStartMs: 50,
          coldStartFactor: 0.5,
        },
      },
    )
    const result = runQueueing(config, lowestId(log), 1)
    // B at 60; A learns of the loss at 105, retries on server 1, done at 115; C at 221; D at 270.
    expect([...result.sojournMs]).toEqual([10, 115, 20, 10])
    expect(result.failedAttempts).toBe(1)
    expect(result.churnFailures).toBe(1)
    expect(result.dropped).toBe(0)
    expect(log.outcomes.map((o) => [o.candidate, o.ok, o.latencyMs, o.now])).toEqual([
      [1, true, 10, 60],
      [0, false, 105, 105],
      [1, true, 10, 115],
      [0, true, 20, 221],
      [0, true, 10, 270],
    ])
    // Routers are only offered servers that are up.
    expect(log.decisions.map((d) => d.candidates.map((c) => c.id))).toEqual([
      [0, 1],
      [1],
      [1],
      [0, 1],
      [0, 1],
    ])
  })

  it('parks a job while no server is up and routes it at the next join', () => {
    const config = traced([{ timeMs: 10, size: 5 }], {
      servers: 1,
      churn: {
        script: [
          { atMs: 0, server: 0, up: false },
          { atMs: 50, server: 0, up: true },
        ],
        detectionTimeoutMs: 0,
      },
    })
    const result = runQueueing(config, lowestId(), 1)
    expect([...result.sojournMs]).toEqual([45])
    expect(result.failedAttempts).toBe(0)
    const never = traced([{ timeMs: 10, size: 5 }], {
      servers: 1,
      churn: { script: [{ atMs: 0, server: 0, up: false }], detectionTimeoutMs: 0 },
    })
    expect(() => runQueueing(never, lowestId(), 1)).toThrow(
      expect.objectContaining({ name: 'QueueingConfigError' }),
    )
  })

  it('retries fast failures, counts every failed attempt and drops after maxAttempts', () => {
    const fastFail = { servers: [0], probability: 1, delayMs: 3 }
    const log = newLog()
    const stubborn = runQueueing(
      traced([{ timeMs: 0, size: 10 }], { servers: 2, fastFail, maxAttempts: 3 }),
      lowestId(log),
      1,
    )
    expect(stubborn.completed).toBe(0)
    expect(stubborn.dropped).toBe(1)
    expect(stubborn.failedAttempts).toBe(3)
    expect(stubborn.fastFailures).toBe(3)
    expect(log.outcomes.map((o) => [o.ok, o.latencyMs, o.now])).toEqual([
      [false, 3, 3],
      [false, 3, 6],
      [false, 3, 9],
    ])
    // A router that learns from the failure pays 3 ms once: the sojourn counts from arrival.
    const learner = runQueueing(
      traced([{ timeMs: 0, size: 10 }], { servers: 2, fastFail, maxAttempts: 3 }),
      avoidFailed(),
      1,
    )
    expect([...learner.sojournMs]).toEqual([13])
    expect(learner.failedAttempts).toBe(1)
    expect(learner.dropped).toBe(0)
  })
})

describe('runQueueing: measurement', () => {
  it('excludes jobs that arrive during warm-up from every statistic', () => {
    const config = traced(
      [0, 10, 20, 30].map((timeMs) => ({ timeMs, size: 1 })),
      { servers: 2, warmupMs: 15, fastFail: { servers: [0], probability: 1, delayMs: 0 } },
    )
    // Each job tries server 0 first (and fails at once), then runs on server 1.
    let failures = 0
    const firstThenSecond: RouterFactory = () => {
      const seen = new Set<JobView>()
      return {
        name: 'first-then-second',
        choose(job) {
          if (seen.has(job)) return 1
          seen.add(job)
          return 0
        },
        feedback(outcome) {
          if (!outcome.ok) failures++
        },
      }
    }
    const result = runQueueing(config, firstThenSecond, 1)
    expect(failures).toBe(4)
    expect(result.jobs).toBe(4)
    expect(result.measuredJobs).toBe(2)
    expect([...result.sojournMs]).toEqual([1, 1])
    expect(result.failedAttempts).toBe(2)
    expect(result.fastFailures).toBe(2)
    expect([...result.decisionsPerServer]).toEqual([2, 2])
    const poisson = runQueueing(
      { servers: 4, jobs: 2000, load: 0.7, classes: EXP1, speeds: constant(4), warmupMs: 500 },
      randomRouter,
      3,
    )
    expect(poisson.measuredJobs).toBeLessThan(2000)
    expect(poisson.measuredJobs).toBeGreaterThan(0)
    expect(poisson.completed).toBe(poisson.measuredJobs)
    expect(poisson.sojournMs.length).toBe(poisson.measuredJobs)
  })

  it('measures herding: about 1 for independent choices, well above for a shared stale view', () => {
    const base: QueueingConfig = {
      servers: 20,
      routers: 20,
      jobs: 20_000,
      load: 0.85,
      classes: EXP1,
      speeds: constant(20),
      gossipPeriodMs: 5,
      warmupMs: 100,
    }
    const random = runQueueing(base, randomRouter, 1).herding
    expect(random.index).toBeGreaterThan(0.95)
    expect(random.index).toBeLessThan(1.05)
    expect(random.topShare).toBeCloseTo(random.uniformTopShare, 1)
    // Every router picks the shortest reported queue (lowest id on ties): they pile up together.
    const shortest: RouterFactory = () => ({
      name: 'shortest-reported',
      choose(_job, candidates) {
        let best = 0
        for (let i = 1; i < candidates.length; i++) {
          const q = candidates[i]?.reportedQueue ?? 0
          if (q < (candidates[best]?.reportedQueue ?? 0)) best = i
        }
        return best
      },
      feedback() {},
    })
    const herd = runQueueing(base, shortest, 1).herding
    expect(herd.index).toBeGreaterThan(1.5)
    expect(herd.topShare).toBeGreaterThan(1.5 * random.topShare)
  })
})

/** Every feature on at once, for the determinism tests. */
const EVERYTHING: QueueingConfig = {
  servers: 8,
  routers: 3,
  jobs: 4000,
  load: 0.8,
  classes: [
    { weight: 2, size: { kind: 'exponential', mean: 10 } },
    { weight: 1, size: { kind: 'bounded-pareto', alpha: 1.2, lo: 2, hi: 500 } },
  ],
  speeds: [
    ...constant(3),
    { kind: 'periodic', speed: 2, factor: 0.2, periodMs: 300, duty: 0.4 },
    { kind: 'flip', low: 0.5, high: 3, periodMs: 20 },
    { kind: 'transient', speed: 1, factor: 0.1, fromMs: 500, toMs: 1500 },
    { kind: 'swap', before: 0.5, after: 2, atMs: 2000 },
    { kind: 'constant', speed: 1.5 },
  ],
  affinity: [{ server: 7, jobClass: 1, factor: 5 }],
  warmupMs: 200,
  gossipPeriodMs: 25,
  sizeHints: { kind: 'noisy', sigma: 0.3 },
  network: { rttMs: [1, 40], coordinateErrorSigma: 0.2 },
  churn: {
    meanUpMs: 1500,
    meanDownMs: 300,
    detectionTimeoutMs: 50,
    coldStartMs: 100,
    coldStartFactor: 0.3,
  },
  fastFail: { servers: [1], probability: 0.5, delayMs: 2 },
  maxAttempts: 4,
}

describe('runQueueing: determinism', () => {
  it('gives identical results for the same config, router and seed', () => {
    const a = runQueueing(EVERYTHING, randomRouter, 42)
    const b = runQueueing(EVERYTHING, randomRouter, 42)
    expect(a).toEqual(b)
    expect(a.churnFailures).toBeGreaterThan(0)
    expect(a.fastFailures).toBeGreaterThan(0)
    const c = runQueueing(EVERYTHING, randomRouter, 43)
    expect([...c.sojournMs]).not.toEqual([...a.sojournMs])
  })

  it('gives every policy the same workload for a seed (common random numbers)', () => {
    const config: QueueingConfig = { ...EVERYTHING, churn: undefined, fastFail: undefined }
    const first = newLog()
    const last = newLog()
    runQueueing(config, lowestId(first), 7)
    runQueueing(
      config,
      recording('highest-id', last, (c) => c.length - 1),
      7,
    )
    expect(last.decisions.map((d) => [d.job, d.now])).toEqual(
      first.decisions.map((d) => [d.job, d.now]),
    )
  })
})

describe('runQueueing: invariants', () => {
  const speedArb: fc.Arbitrary<SpeedProfile> = fc.oneof(
    fc.record({
      kind: fc.constant('constant' as const),
      speed: fc.double({ min: 0.2, max: 3, noNaN: true }),
    }),
    fc.record({
      kind: fc.constant('periodic' as const),
      speed: fc.double({ min: 0.2, max: 3, noNaN: true }),
      factor: fc.double({ min: 0.1, max: 1, noNaN: true }),
      periodMs: fc.double({ min: 1, max: 100, noNaN: true }),
      duty: fc.double({ min: 0.1, max: 0.9, noNaN: true }),
    }),
    fc.record({
      kind: fc.constant('flip' as const),
      low: fc.double({ min: 0.2, max: 1, noNaN: true }),
      high: fc.double({ min: 1, max: 6, noNaN: true }),
      periodMs: fc.double({ min: 0.5, max: 50, noNaN: true }),
    }),
  )
  const configArb = fc
    .record({
      servers: fc.integer({ min: 1, max: 6 }),
      routers: fc.integer({ min: 1, max: 3 }),
      jobs: fc.integer({ min: 20, max: 300 }),
      load: fc.double({ min: 0.2, max: 1.2, noNaN: true }),
      gossipPeriodMs: fc.oneof(fc.constant(0), fc.double({ min: 1, max: 50, noNaN: true })),
      rtt: fc.oneof(fc.constant(0), fc.double({ min: 1, max: 30, noNaN: true })),
      churn: fc.boolean(),
      failing: fc.boolean(),
      maxAttempts: fc.integer({ min: 1, max: 4 }),
      seed: fc.integer({ min: 0, max: 0xffffffff }),
    })
    .chain((c) =>
      fc.record({
        c: fc.constant(c),
        speeds: fc.array(speedArb, { minLength: c.servers, maxLength: c.servers }),
      }),
    )

  it('accounts for every job and every attempt, and keeps the routing contract', () => {
    fc.assert(
      fc.property(configArb, ({ c, speeds }) => {
        const config: QueueingConfig = {
          servers: c.servers,
          routers: c.routers,
          jobs: c.jobs,
          load: c.load,
          classes: EXP1,
          speeds,
          gossipPeriodMs: c.gossipPeriodMs,
          network: { rttMs: [c.rtt / 2, c.rtt] },
          churn: c.churn
            ? {
                meanUpMs: 20,
                meanDownMs: 10,
                detectionTimeoutMs: 3,
                coldStartMs: 2,
                coldStartFactor: 0.5,
              }
            : undefined,
          fastFail: c.failing ? { servers: [0], probability: 0.5, delayMs: 0.5 } : undefined,
          maxAttempts: c.maxAttempts,
        }
        let chooses = 0
        let feedbacks = 0
        let notOk = 0
        const checked: RouterFactory = (random) => ({
          name: 'checked',
          choose(_job, candidates, now) {
            chooses++
            expect(candidates.length).toBeGreaterThan(0)
            let prev = -1
            for (const v of candidates) {
              expect(v.id).toBeGreaterThan(prev)
              prev = v.id
              expect(v.inFlight).toBeGreaterThanOrEqual(0)
              const q = v.reportedQueue
              if (q !== null) {
                expect(q).toBeGreaterThanOrEqual(0)
                expect(v.reportAgeMs).toBeLessThanOrEqual(c.gossipPeriodMs)
                expect(now - v.reportAgeMs).toBeGreaterThanOrEqual(0)
              }
            }
            return Math.floor(random.next() * candidates.length)
          },
          feedback(outcome) {
            feedbacks++
            if (!outcome.ok) notOk++
            expect(outcome.latencyMs).toBeGreaterThanOrEqual(0)
          },
        })
        const r = runQueueing(config, checked, c.seed)
        expect(r.measuredJobs).toBe(c.jobs)
        expect(r.completed + r.dropped).toBe(c.jobs)
        expect(r.sojournMs.length).toBe(r.completed)
        expect(chooses).toBe(feedbacks)
        expect(notOk).toBe(r.failedAttempts)
        expect(r.failedAttempts).toBe(r.churnFailures + r.fastFailures)
        expect(r.dropped * c.maxAttempts).toBeLessThanOrEqual(r.failedAttempts)
        expect(r.decisionsPerServer.reduce((a, b) => a + b, 0)).toBe(chooses)
        if (!c.churn && !c.failing) expect(r.failedAttempts).toBe(0)
        for (const s of r.sojournMs) expect(s > 0 && Number.isFinite(s)).toBe(true)
      }),
      { seed: 7, numRuns: 150 },
    )
  })
})

describe('runQueueing: checks at the edge', () => {
  const good: QueueingConfig = {
    servers: 2,
    jobs: 10,
    load: 0.5,
    classes: EXP1,
    speeds: constant(2),
  }

  it('rejects configs that cannot describe a run, with QueueingConfigError', () => {
    const bad: unknown[] = [
      { ...good, servers: 0 },
      { ...good, servers: 1.5 },
      { ...good, jobs: 0 },
      { ...good, load: 0 },
      { ...good, load: Number.NaN },
      { ...good, routers: 0 },
      { ...good, classes: [] },
      { ...good, classes: [{ weight: 0, size: { kind: 'exponential', mean: 1 } }] },
      { ...good, speeds: constant(3) },
      {
        ...good,
        speeds: [
          { kind: 'constant', speed: 0 },
          { kind: 'constant', speed: 1 },
        ],
      },
      {
        ...good,
        speeds: [
          ...constant(1),
          { kind: 'periodic', speed: 1, factor: 0.5, periodMs: 10, duty: 1 },
        ],
      },
      {
        ...good,
        speeds: [...constant(1), { kind: 'transient', speed: 1, factor: 0.5, fromMs: 5, toMs: 5 }],
      },
      { ...good, affinity: [{ server: 2, jobClass: 0, factor: 2 }] },
      { ...good, affinity: [{ server: 0, jobClass: 1, factor: 2 }] },
      { ...good, warmupMs: -1 },
      { ...good, gossipPeriodMs: -1 },
      { ...good, sizeHints: { kind: 'noisy', sigma: -1 } },
      { ...good, network: { rttMs: [10, 5] } },
      { ...good, churn: { meanUpMs: 10, detectionTimeoutMs: 1 } },
      { ...good, churn: { meanUpMs: 10, meanDownMs: 5, detectionTimeoutMs: 1, script: [] } },
      {
        ...good,
        churn: { meanUpMs: 10, meanDownMs: 5, detectionTimeoutMs: 1, coldStartFactor: 0 },
      },
      { ...good, churn: { script: [{ atMs: 1, server: 5, up: true }], detectionTimeoutMs: 1 } },
      { ...good, fastFail: { servers: [2], probability: 0.5, delayMs: 1 } },
      { ...good, fastFail: { servers: [0], probability: 2, delayMs: 1 } },
      { ...good, maxAttempts: 0 },
      { ...good, trace: [{ timeMs: 0, size: 1 }] },
      {
        ...good,
        jobs: 2,
        trace: [
          { timeMs: 5, size: 1 },
          { timeMs: 4, size: 1 },
        ],
      },
      { ...good, jobs: 1, trace: [{ timeMs: 0, size: 1, router: 1 }] },
    ]
    for (const config of bad) {
      expect(() => runQueueing(config as QueueingConfig, randomRouter, 1)).toThrow(
        expect.objectContaining({ name: 'QueueingConfigError', code: 'ERR_QUEUEING_CONFIG' }),
      )
    }
    expect(() => runQueueing(good, randomRouter, -1)).toThrow(
      expect.objectContaining({ name: 'QueueingConfigError' }),
    )
    expect(runQueueing(good, randomRouter, 1).completed).toBe(10)
  })

  it('rejects a router that returns no valid index, with QueueingRouterError', () => {
    for (const index of [-1, 2, 0.5, Number.NaN]) {
      const broken: RouterFactory = () => ({ name: 'broken', choose: () => index, feedback() {} })
      expect(() => runQueueing(good, broken, 1)).toThrow(
        expect.objectContaining({ name: 'QueueingRouterError', code: 'ERR_QUEUEING_ROUTER' }),
      )
    }
  })
})
