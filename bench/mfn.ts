/**
 * MFN bench (DESIGN.md §6 and §10, "MFN routing"): every routing policy of lib/mfn in every
 * scenario of the queueing simulator (lib/sim/queueing), over a range of seeds, in this process.
 *
 * Per scenario and policy: p50 / p99 / p99.9 sojourn time, each the mean over seeds with its 95 %
 * confidence interval (Student t over the per-seed values), jobs dropped and the herding index.
 * Then MFN against P2C + peak-EWMA — Finagle's default decay time and, as the fair comparison, the
 * best of a small grid of decay times per scenario (a tuned baseline) — with the goal of each
 * scenario, the ablations, and the cost of one decision in µs against random routing's.
 *
 * The simulator is deterministic per seed, so the figures of a given seed range are reproducible;
 * only the decision cost is a wall-clock measurement.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname } from 'node:path'
import {
  QUEUEING_SCENARIOS,
  confidenceInterval95,
  runQueueing,
  summarizeSojourns,
  type ConfidenceInterval,
  type QueueingScenario,
} from '@/lib/sim/queueing'
import { ROUTERS, type RouterFactory, type CandidateView, type JobView } from '@/lib/mfn'
import { seededRandom } from '@/lib/ports'
import {
  checkOptions,
  intOption,
  progress,
  type BenchOptions,
  type BenchReport,
  type Table,
} from './lib'

/** DESIGN.md §10: MFN p99 ≤ 0.8 × P2C + peak-EWMA where learning should help… */
export const MFN_GOAL_HELP_RATIO = 0.8
/** …and within 10 % of it where it cannot. */
export const MFN_GOAL_TIE_RATIO = 1.1
/** …and one decision costs at most 20 µs. */
export const MFN_GOAL_DECISION_US = 20

/** Decay times (ms) of the P2C + peak-EWMA grid; 10 s is Finagle's default. */
const P2C_DECAY_GRID_MS = [300, 1_000, 3_000, 10_000] as const
const FINAGLE_DEFAULT_DECAY_MS = 10_000

/** Where the last full run is kept for the /mfn page. */
export const MFN_RESULTS_PATH = 'public/bench/mfn.json'

export const MFN_USAGE = [
  '  --seeds A..B        seeds of every scenario and policy (default 1..10)',
  '  --scenarios a,b     only these scenarios (default all)',
  '  --policies a,b      only these policies (default all; P2C always runs, as the comparison)',
  '  --jobs N            arrivals per run (default: the scenario default, 30,000)',
  '  --servers N         servers per run (default: the scenario default)',
  '  --candidates N      candidates per decision in the decision-cost measurement (default 32)',
  `  --no-save           do not write ${MFN_RESULTS_PATH} (written only by runs of all scenarios and policies)`,
].join('\n')

const KNOWN_OPTIONS = ['seeds', 'scenarios', 'policies', 'jobs', 'servers', 'candidates', 'no-save']

/** One policy of the bench: a registry entry with options, under a table name. */
interface Policy {
  name: string
  factory: RouterFactory
  /** A P2C + peak-EWMA variant of the decay grid. */
  p2cDecayMs?: number
  ablation?: boolean
}

function policies(): Policy[] {
  const p2c = P2C_DECAY_GRID_MS.map((decayTimeMs) => ({
    name: decayTimeMs === FINAGLE_DEFAULT_DECAY_MS ? 'p2c-pewma' : `p2c-pewma/τ=${decayTimeMs}ms`,
    factory: ROUTERS['p2c-pewma']({ decayTimeMs }),
    p2cDecayMs: decayTimeMs,
  }))
  return [
    { name: 'random', factory: ROUTERS.random() },
    { name: 'round-robin', factory: ROUTERS['round-robin']() },
    { name: 'least-loaded', factory: ROUTERS['least-loaded']() },
    ...p2c,
    { name: 'softmax', factory: ROUTERS.softmax() },
    { name: 'mfn', factory: ROUTERS.mfn() },
    ...(
      [
        'mfn/no-noise',
        'mfn/no-learning',
        'mfn/no-refractory',
        'mfn/no-coordinates',
        'mfn/no-adaptation',
        'mfn/argmax',
      ] as const
    ).map((name) => ({ name, factory: ROUTERS[name](), ablation: true })),
  ]
}

/** Figures of one policy in one scenario over the seeds. */
export interface PolicyResult {
  policy: string
  p50: ConfidenceInterval
  p99: ConfidenceInterval
  p999: ConfidenceInterval
  mean: ConfidenceInterval
  /** Mean over seeds of jobs dropped after every retry failed, and of failed attempts. */
  dropped: number
  failedAttempts: number
  /** Mean over seeds of the herding index (≈ 1: no herding; see lib/sim/queueing/README.md). */
  herding: number
  /** Wall time of all its runs, ms. */
  wallMs: number
}

export interface ScenarioResult {
  scenario: string
  description: string
  learning: 'should-help' | 'cannot-help'
  note: string | null
  policies: PolicyResult[]
  /** MFN p99 ÷ P2C + peak-EWMA p99 (Finagle's default decay time). */
  ratioToP2c: number | null
  /** MFN p99 ÷ the best P2C p99 of the decay grid, and which decay time that was. */
  ratioToBestP2c: number | null
  bestP2c: string | null
  goalRatio: number
  pass: boolean | null
}

export interface DecisionCost {
  policy: string
  candidates: number
  /** Median over 5 repetitions of the mean time of one choose + feedback, µs. */
  microseconds: number
  /** ÷ random routing's in the same run. */
  ratioToRandom: number
}

export interface MfnBenchData {
  at: string
  seeds: number[]
  machine: { cpu: string; cores: number; node: string }
  scenarios: ScenarioResult[]
  decisionCost: DecisionCost[]
  goals: { helpRatio: number; tieRatio: number; decisionUs: number }
}

function parseSeeds(raw: string | true | undefined): number[] {
  if (raw === undefined) return Array.from({ length: 10 }, (_, i) => i + 1)
  const m = typeof raw === 'string' ? /^(\d+)\.\.(\d+)$/.exec(raw) : null
  if (m === null) throw new Error('bench: --seeds must look like A..B, e.g. 1..10')
  const a = Number(m[1])
  const b = Number(m[2])
  if (b < a || b - a > 999 || b > 0xffffffff)
    throw new Error('bench: --seeds A..B needs A ≤ B, at most 1,000 seeds, below 2^32')
  return Array.from({ length: b - a + 1 }, (_, i) => a + i)
}

function listOption(raw: string | true | undefined, known: readonly string[], what: string) {
  if (raw === undefined) return null
  if (raw === true) throw new Error(`bench: --${what} needs a comma-separated list`)
  const names = raw.split(',').map((s) => s.trim())
  for (const n of names)
    if (!known.includes(n))
      throw new Error(`bench: unknown ${what} "${n}" (known: ${known.join(', ')})`)
  return new Set(names)
}

function runScenario(
  scenario: QueueingScenario,
  chosen: Policy[],
  seeds: number[],
  size: { jobs?: number; servers?: number },
): ScenarioResult {
  const config = scenario.build(size)
  const results: PolicyResult[] = []
  for (const policy of chosen) {
    const t0 = performance.now()
    const per = {
      p50: [] as number[],
      p99: [] as number[],
      p999: [] as number[],
      mean: [] as number[],
    }
    let dropped = 0
    let failed = 0
    let herding = 0
    for (const seed of seeds) {
      const r = runQueueing(config, policy.factory, seed)
      const s = summarizeSojourns(r.sojournMs)
      per.p50.push(s.p50)
      per.p99.push(s.p99)
      per.p999.push(s.p999)
      per.mean.push(s.mean)
      dropped += r.dropped
      failed += r.failedAttempts
      herding += r.herding.index
    }
    results.push({
      policy: policy.name,
      p50: confidenceInterval95(per.p50),
      p99: confidenceInterval95(per.p99),
      p999: confidenceInterval95(per.p999),
      mean: confidenceInterval95(per.mean),
      dropped: dropped / seeds.length,
      failedAttempts: failed / seeds.length,
      herding: herding / seeds.length,
      wallMs: performance.now() - t0,
    })
  }
  const byName = new Map(results.map((r) => [r.policy, r]))
  const mfnP99 = byName.get('mfn')?.p99.mean ?? null
  const p2cP99 = byName.get('p2c-pewma')?.p99.mean ?? null
  let best: PolicyResult | null = null
  for (const p of chosen) {
    if (p.p2cDecayMs === undefined) continue
    const r = byName.get(p.name)
    if (r !== undefined && (best === null || r.p99.mean < best.p99.mean)) best = r
  }
  const goalRatio = scenario.learning === 'should-help' ? MFN_GOAL_HELP_RATIO : MFN_GOAL_TIE_RATIO
  const ratioToBest = mfnP99 !== null && best !== null ? mfnP99 / best.p99.mean : null
  return {
    scenario: scenario.name,
    description: scenario.description,
    learning: scenario.learning,
    note: scenario.note ?? null,
    policies: results,
    ratioToP2c: mfnP99 !== null && p2cP99 !== null ? mfnP99 / p2cP99 : null,
    ratioToBestP2c: ratioToBest,
    bestP2c: best?.policy ?? null,
    goalRatio,
    pass: ratioToBest === null ? null : ratioToBest <= goalRatio,
  }
}

/**
 * Time of one decision and its feedback, with `n` candidates whose views change a little every
 * call (as a live mesh's would). Median of 5 repetitions of `calls` decisions after a warm-up.
 */
function decisionCost(factory: RouterFactory, n: number): number {
  const router = factory(seededRandom(7))
  const views: CandidateView[] = Array.from({ length: n }, (_, i) => ({
    id: i,
    predictedRttMs: 5 + ((i * 37) % 200),
    inFlight: i % 3,
    reportedQueue: (i * 7) % 5,
    reportAgeMs: 100,
    capacity: 0.5 + (i % 4) * 0.5,
  }))
  const jobs: JobView[] = [
    { jobClass: 0, sizeHint: 100 },
    { jobClass: 1, sizeHint: null },
  ]
  let now = 0
  const step = (k: number): void => {
    now += 1
    const job = jobs[k & 1]!
    const i = router.choose(job, views, now)
    router.feedback({
      candidate: views[i]!.id,
      job,
      latencyMs: 50 + (k % 97),
      ok: k % 50 !== 0,
      now,
    })
  }
  const calls = 20_000
  for (let k = 0; k < calls; k++) step(k)
  const reps: number[] = []
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint()
    for (let k = 0; k < calls; k++) step(k)
    reps.push(Number(process.hrtime.bigint() - t0) / calls / 1_000)
  }
  reps.sort((a, b) => a - b)
  return reps[2]!
}

const ci = (c: ConfidenceInterval): string =>
  Number.isFinite(c.halfWidth) ? `${fmt(c.mean)} ±${fmt(c.halfWidth)}` : fmt(c.mean)

function fmt(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'n/a' : '∞'
  const a = Math.abs(x)
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2)
}

/** Run the bench. */
export async function runMfnBench(options: BenchOptions): Promise<BenchReport> {
  checkOptions(options, KNOWN_OPTIONS)
  const seeds = parseSeeds(options.get('seeds'))
  const all = policies()
  const scenarioNames = QUEUEING_SCENARIOS.map((s) => s.name)
  const onlyScenarios = listOption(options.get('scenarios'), scenarioNames, 'scenarios')
  const onlyPolicies = listOption(
    options.get('policies'),
    all.map((p) => p.name),
    'policies',
  )
  const chosen = all.filter(
    (p) => onlyPolicies === null || onlyPolicies.has(p.name) || p.p2cDecayMs !== undefined,
  )
  const size = {
    ...(options.has('jobs') ? { jobs: intOption(options, 'jobs', 30_000, 10, 10_000_000) } : {}),
    ...(options.has('servers') ? { servers: intOption(options, 'servers', 30, 2, 10_000) } : {}),
  }
  const candidates = intOption(options, 'candidates', 32, 1, 10_000)

  const scenarios: ScenarioResult[] = []
  for (const scenario of QUEUEING_SCENARIOS) {
    if (onlyScenarios !== null && !onlyScenarios.has(scenario.name)) continue
    const t0 = performance.now()
    scenarios.push(runScenario(scenario, chosen, seeds, size))
    progress(
      'mfn',
      `${scenario.name}: ${chosen.length} policies × ${seeds.length} seeds in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    )
    // Let the event loop breathe between scenarios (progress output, signals).
    await new Promise((r) => setImmediate(r))
  }

  const costPolicies = all.filter((p) =>
    ['random', 'p2c-pewma', 'least-loaded', 'softmax', 'mfn'].includes(p.name),
  )
  const rawCost = costPolicies.map((p) => ({
    policy: p.name,
    us: decisionCost(p.factory, candidates),
  }))
  const randomUs = rawCost.find((c) => c.policy === 'random')?.us ?? Number.NaN
  const decision: DecisionCost[] = rawCost.map((c) => ({
    policy: c.policy,
    candidates,
    microseconds: c.us,
    ratioToRandom: c.us / randomUs,
  }))

  const data: MfnBenchData = {
    at: new Date().toISOString(),
    seeds,
    machine: {
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
      cores: os.cpus().length,
      node: process.version,
    },
    scenarios,
    decisionCost: decision,
    goals: {
      helpRatio: MFN_GOAL_HELP_RATIO,
      tieRatio: MFN_GOAL_TIE_RATIO,
      decisionUs: MFN_GOAL_DECISION_US,
    },
  }
  const complete =
    onlyScenarios === null &&
    onlyPolicies === null &&
    size.jobs === undefined &&
    size.servers === undefined
  if (complete && options.get('no-save') === undefined) {
    mkdirSync(dirname(MFN_RESULTS_PATH), { recursive: true })
    writeFileSync(MFN_RESULTS_PATH, `${JSON.stringify(data, null, 1)}\n`)
    progress('mfn', `results written to ${MFN_RESULTS_PATH} (shown on /mfn)`)
  }
  return { data: { ...data }, tables: tables(data), notes: notes(data) }
}

function tables(d: MfnBenchData): Table[] {
  const out: Table[] = []
  for (const s of d.scenarios) {
    out.push({
      title: `${s.scenario} (${s.learning === 'should-help' ? 'learning should help' : 'learning cannot help'}): ${s.description} — sojourn ms, mean over ${d.seeds.length} seeds ±95 % CI`,
      headers: ['policy', 'p50', 'p99', 'p99.9', 'mean', 'dropped', 'herding'],
      rows: s.policies.map((p) => [
        p.policy,
        ci(p.p50),
        ci(p.p99),
        ci(p.p999),
        ci(p.mean),
        Number(p.dropped.toFixed(1)),
        Number(p.herding.toFixed(2)),
      ]),
    })
  }
  out.push({
    title: `MFN against P2C + peak-EWMA: p99 ratio (goal: ≤ ${MFN_GOAL_HELP_RATIO} where learning should help, ≤ ${MFN_GOAL_TIE_RATIO} where it cannot; against the best decay time of the grid)`,
    headers: [
      'scenario',
      'learning',
      'mfn p99',
      'p2c p99 (τ 10 s)',
      'best p2c',
      'best p99',
      '÷ p2c',
      '÷ best',
      'goal',
      'verdict',
    ],
    rows: d.scenarios.map((s) => {
      const get = (n: string | null) => s.policies.find((p) => p.policy === n)
      return [
        s.scenario,
        s.learning,
        ci(get('mfn')!.p99),
        ci(get('p2c-pewma')!.p99),
        s.bestP2c ?? 'n/a',
        get(s.bestP2c) ? ci(get(s.bestP2c)!.p99) : 'n/a',
        s.ratioToP2c === null ? 'n/a' : s.ratioToP2c.toFixed(2),
        s.ratioToBestP2c === null ? 'n/a' : s.ratioToBestP2c.toFixed(2),
        `≤ ${s.goalRatio}`,
        s.pass === null
          ? 'n/a'
          : s.pass
            ? 'pass'
            : `MISS by ${(s.ratioToBestP2c! - s.goalRatio).toFixed(2)}`,
      ]
    }),
  })
  const ablations = [
    'mfn/no-noise',
    'mfn/no-learning',
    'mfn/no-refractory',
    'mfn/no-coordinates',
    'mfn/no-adaptation',
    'mfn/argmax',
  ]
  out.push({
    title: 'Ablations: p99 ÷ full MFN p99 in the same scenario (> 1: the mechanism helped)',
    headers: ['scenario', ...ablations.map((a) => a.replace('mfn/', ''))],
    rows: d.scenarios.map((s) => {
      const m = s.policies.find((p) => p.policy === 'mfn')?.p99.mean
      return [
        s.scenario,
        ...ablations.map((a) => {
          const v = s.policies.find((p) => p.policy === a)?.p99.mean
          return v === undefined || m === undefined ? 'n/a' : (v / m).toFixed(2)
        }),
      ]
    }),
  })
  out.push({
    title: `Decision cost: one choose + feedback with ${d.decisionCost[0]?.candidates ?? '?'} candidates (goal: MFN ≤ ${MFN_GOAL_DECISION_US} µs)`,
    headers: ['policy', 'µs per decision', '÷ random'],
    rows: d.decisionCost.map((c) => [
      c.policy,
      Number(c.microseconds.toFixed(2)),
      Number(c.ratioToRandom.toFixed(1)),
    ]),
  })
  return out
}

function notes(d: MfnBenchData): string[] {
  const out = [
    'Sojourn = arrival at the router → successful result back at it, retries and network included; dropped = jobs given up after every retry failed (they have no sojourn time, so read them with the percentiles).',
    'herding = each window’s top-server share of decisions ÷ the same for independent choices (≈ 1: no herding); see lib/sim/queueing/README.md.',
    `The comparison is against the best P2C + peak-EWMA decay time of ${P2C_DECAY_GRID_MS.map((x) => `${x} ms`).join(', ')} per scenario: a tuned baseline (Finagle’s default is 10 s).`,
  ]
  for (const s of d.scenarios) if (s.note !== null) out.push(`${s.scenario}: ${s.note}`)
  return out
}
