/**
 * Runs: `runSeed(scenario, seed, options)` sets up a scenario, compiles its faults, runs the
 * engine and returns a JSON-serialisable report; `sweep` does that for a range of seeds. A report
 * is a pure function of (scenario, seed, options): same inputs, same report, same trace hash.
 */
import {
  DEFAULT_DURATION_MS,
  DEFAULT_MAX_EVENTS,
  MAX_HOSTS,
  MAX_RECORDED_VIOLATIONS,
} from './constants'
import {
  Engine,
  type KindStats,
  type LivenessResult,
  type MessageTotals,
  type TraceLine,
  type Violation,
} from './engine'
import { SimConfigError } from './errors'
import { compileFaults, describeFault } from './fault-schedule'
import { formatFaultSpec, parseFaultSpec, randomFaultSpec, type FaultSpec } from './fault-spec'
import { summarize, type CounterSummary, type DistributionSummary } from './metrics'
import { DEFAULT_CONDITIONS, planeTopology, type LinkConditions } from './network'
import { RandomStreams } from './random'
import type { Scenario, SimProcess } from './types'

/** How to run a scenario. Every field has a default. */
export interface RunOptions {
  /** Validators (default 4). */
  validators?: number
  /** Plain, non-validator nodes (default 0). */
  nodes?: number
  /** Byzantine validators (default 0). */
  byzantine?: number
  /** Virtual length of the run in ms (default 10 s); extended to the liveness deadline if needed. */
  durationMs?: number
  /**
   * Faults: a list in the fault-spec grammar, a parsed list, or `'random'` for a list drawn from
   * the seed (stream `fault-spec`). Default: none.
   */
  faults?: string | FaultSpec
  /** Scenario options (`--opt key=value`). */
  options?: Readonly<Record<string, string>>
  /** Overrides of the scenario's network conditions. */
  network?: Partial<LinkConditions>
  /** Stop at the first violation (default true). */
  stopOnViolation?: boolean
  /** Event budget (default 50 M): beyond it the run stops with an `event-budget` violation. */
  maxEvents?: number
  /** Called for every processed event (slow: for `--trace` and debugging only). */
  trace?: (line: TraceLine) => void
}

/** Message figures of a report. */
export interface MessageReport extends MessageTotals {
  /** Delivered messages per virtual second. */
  deliveredPerSecond: number
  byKind: Record<string, KindStats>
}

/** The result of one run. Plain data: `JSON.stringify` gives the same text for the same run. */
export interface SimReport {
  scenario: string
  seed: number
  validators: number
  nodes: number
  byzantine: number
  durationMs: number
  /** Virtual time the run ended at (later than durationMs if the liveness deadline asked). */
  endMs: number
  /** Canonical fault list (replays the run with `--faults`). */
  faults: string
  byzantineNodes: { node: number; behaviour: string }[]
  /** Hosts of the run (more than validators + nodes with twins). */
  hosts: number
  schedule: { atMs: number; fault: string }[]
  ok: boolean
  violations: Violation[]
  stoppedEarly: boolean
  /** SHA-256 over every processed event, hex. */
  traceHash: string
  events: number
  timersFired: number
  messages: MessageReport
  distributions: Record<string, DistributionSummary>
  counters: Record<string, CounterSummary>
  liveness: LivenessResult | null
  /** The scenario's own figures. */
  summary: Record<string, number | string | boolean>
}

function whole(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SimConfigError(`${name} must be a whole number in [${min}, ${max}], got ${value}.`)
  }
  return value
}

/**
 * Runs `scenario` once with `seed` and returns its report. Throws `SimConfigError` or
 * `FaultSpecError` for options that cannot describe a run; a failing protocol is not an exception
 * but a report with `ok: false` and its violations.
 *
 * @example
 * const report = runSeed(toyCounterScenario, 7, { validators: 4, faults: 'loss=0.1,crash' })
 * report.ok // true
 * report.traceHash // same hex string every time for seed 7
 */
export function runSeed<P extends SimProcess<O>, O>(
  scenario: Scenario<P, O>,
  seed: number,
  options: RunOptions = {},
): SimReport {
  whole('seed', seed, 0, 0xffff_ffff)
  const validators = whole('validators', options.validators ?? 4, 1, MAX_HOSTS)
  const nodes = whole('nodes', options.nodes ?? 0, 0, MAX_HOSTS - validators)
  const byzantine = whole('byzantine', options.byzantine ?? 0, 0, validators)
  const durationMs = options.durationMs ?? DEFAULT_DURATION_MS
  if (!(durationMs > 0) || !Number.isFinite(durationMs)) {
    throw new SimConfigError(`duration must be a positive number of ms, got ${durationMs}.`)
  }
  const random = new RandomStreams(seed)
  const world = scenario.setup({
    seed,
    validators,
    nodes,
    byzantine,
    durationMs,
    options: options.options ?? {},
    random,
  })
  const behaviours = Object.keys(world.byzantine ?? {}).sort()
  const faults = options.faults ?? []
  const spec: FaultSpec =
    typeof faults !== 'string'
      ? faults
      : faults.trim() === 'random'
        ? randomFaultSpec(random.stream('fault-spec'), { validators, nodes, byzantine, behaviours })
        : parseFaultSpec(faults)
  const conditions: LinkConditions = { ...DEFAULT_CONDITIONS, ...world.network, ...options.network }
  const schedule = compileFaults(
    spec,
    { validators, nodes, byzantine, durationMs, behaviours, base: conditions },
    random.stream('faults'),
  )
  const hostInfos = schedule.hosts.map((h) => ({ ...h, incarnation: 0 }))
  const topologyRandom = random.stream('topology')
  const topology =
    world.topology?.(hostInfos, topologyRandom) ?? planeTopology(hostInfos, topologyRandom)
  const engine = new Engine<P, O>({
    world,
    schedule,
    validators,
    nodes,
    durationMs,
    conditions,
    topology,
    random,
    stopOnViolation: options.stopOnViolation ?? true,
    maxViolations: MAX_RECORDED_VIOLATIONS,
    maxEvents: options.maxEvents ?? DEFAULT_MAX_EVENTS,
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  })
  const r = engine.run()
  const seconds = r.endMs / 1000
  const byKind: Record<string, KindStats> = {}
  for (const name of [...r.byKind.keys()].sort())
    byKind[name] = { ...(r.byKind.get(name) as KindStats) }
  return {
    scenario: scenario.name,
    seed,
    validators,
    nodes,
    byzantine,
    durationMs,
    endMs: r.endMs,
    faults: formatFaultSpec(spec),
    byzantineNodes: [...schedule.byzantine].map(([node, behaviour]) => ({ node, behaviour })),
    hosts: schedule.hosts.length,
    schedule: schedule.events.map((e) => ({ atMs: e.atMs, fault: describeFault(e.action) })),
    ok: r.violations.length === 0,
    violations: r.violations,
    stoppedEarly: r.stoppedEarly,
    traceHash: r.traceHash,
    events: r.events,
    timersFired: r.timersFired,
    messages: {
      ...r.messages,
      dropped: { ...r.messages.dropped },
      deliveredPerSecond:
        seconds > 0 ? Math.round((r.messages.delivered / seconds) * 1000) / 1000 : 0,
      byKind,
    },
    distributions: r.metrics.distributions(),
    counters: r.metrics.counterSummaries(seconds),
    liveness: r.liveness,
    summary: r.summary,
  }
}

/** A failed seed of a sweep. */
export interface SweepFailure {
  seed: number
  faults: string
  violation: Violation
}

/** Result of a sweep over seeds. */
export interface SweepReport {
  scenario: string
  fromSeed: number
  toSeed: number
  runs: number
  passed: number
  failed: number
  failures: SweepFailure[]
  events: number
  messagesDelivered: number
  /** Over seeds with a liveness window: ms from the heal to the first progress. */
  recoveryMs: DistributionSummary
}

/**
 * Runs seeds `from..to` (inclusive) one after another. `onReport` sees each report as it comes
 * (e.g. to print a row); the sweep keeps only aggregates and the failures.
 */
export function sweep<P extends SimProcess<O>, O>(
  scenario: Scenario<P, O>,
  from: number,
  to: number,
  options: RunOptions = {},
  onReport?: (report: SimReport) => void,
): SweepReport {
  whole('first seed', from, 0, 0xffff_ffff)
  whole('last seed', to, from, 0xffff_ffff)
  const failures: SweepFailure[] = []
  const recovery: number[] = []
  let events = 0
  let delivered = 0
  for (let seed = from; seed <= to; seed++) {
    const report = runSeed(scenario, seed, options)
    events += report.events
    delivered += report.messages.delivered
    const rec = report.liveness?.recoveredAfterMs
    if (rec !== undefined && rec !== null) recovery.push(rec)
    const first = report.violations[0]
    if (first !== undefined) failures.push({ seed, faults: report.faults, violation: first })
    onReport?.(report)
  }
  const runs = to - from + 1
  return {
    scenario: scenario.name,
    fromSeed: from,
    toSeed: to,
    runs,
    passed: runs - failures.length,
    failed: failures.length,
    failures,
    events,
    messagesDelivered: delivered,
    recoveryMs: summarize(recovery),
  }
}
