/**
 * Helpers for the lib/mfn tests: candidate builders and a small self-contained fake environment
 * (the queueing simulator lives in lib/sim/queueing; these tests do not depend on it).
 */
import { seededRandom, type Random } from '../ports'
import type { CandidateView, JobView, Router } from './types'

/** A candidate view with neutral defaults, overridden by `fields`. */
export function candidate(id: number, fields: Partial<CandidateView> = {}): CandidateView {
  return {
    id,
    predictedRttMs: 20,
    inFlight: 0,
    reportedQueue: null,
    reportAgeMs: 0,
    capacity: 1,
    ...fields,
  }
}

/** `n` neutral candidates with ids `first`, `first + 1`, … */
export function candidates(
  n: number,
  first = 0,
  fields: Partial<CandidateView> = {},
): CandidateView[] {
  return Array.from({ length: n }, (_, i) => candidate(first + i, fields))
}

/** How one fake executor answers a job. */
export interface FakeExecutor {
  /** Median latency, ms, of a job of `jobClass`. */
  latencyMs(jobClass: number): number
  /** Probability that a job fails (then it fails after `failAfterMs`). Default 0. */
  readonly failure?: number
  /** Time until a failure is known, ms. Default 1. */
  readonly failAfterMs?: number
}

/** What a fake run produced. */
export interface FakeRun {
  /** Per decision: the executor index chosen, and the job class. */
  readonly chosen: number[]
  readonly classes: number[]
  readonly failures: number
}

/**
 * Runs `router` for `steps` decisions against `executors` (ids 100, 101, …), one job at a time:
 * class 0 or 1 with equal probability, latency = median × lognormal noise (σ 0.2), the outcome
 * reported when it ends, the next job `gapMs` later (so in-flight is always 0). Deterministic per
 * `seed`.
 */
export function runFake(
  router: Router,
  executors: readonly FakeExecutor[],
  steps: number,
  seed: number,
  gapMs = 10,
): FakeRun {
  const random: Random = seededRandom(seed)
  const views = executors.map((_, i) => candidate(100 + i))
  const chosen: number[] = []
  const classes: number[] = []
  let failures = 0
  let now = 0
  for (let step = 0; step < steps; step++) {
    now += gapMs
    const job: JobView = { jobClass: random.next() < 0.5 ? 0 : 1, sizeHint: null }
    const k = router.choose(job, views, now)
    const ex = executors[k]!
    chosen.push(k)
    classes.push(job.jobClass)
    const fails = random.next() < (ex.failure ?? 0)
    if (fails) failures++
    const u1 = 1 - random.next()
    const u2 = random.next()
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
    const latencyMs = fails ? (ex.failAfterMs ?? 1) : ex.latencyMs(job.jobClass) * Math.exp(0.2 * z)
    now += latencyMs
    router.feedback({ candidate: views[k]!.id, job, latencyMs, ok: !fails, now })
  }
  return { chosen, classes, failures }
}

/** Share of the decisions in [from, to) with class `jobClass` that went to executor `k`. */
export function shareOf(
  run: FakeRun,
  k: number,
  from: number,
  to: number,
  jobClass?: number,
): number {
  let hits = 0
  let total = 0
  for (let i = from; i < to; i++) {
    if (jobClass !== undefined && run.classes[i] !== jobClass) continue
    total++
    if (run.chosen[i] === k) hits++
  }
  return total === 0 ? 0 : hits / total
}
