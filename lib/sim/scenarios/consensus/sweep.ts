/**
 * The seed sweep of the consensus scenario (for the sweep tests): families of seeds, each seed
 * run on 4 validators + 1 plain node for 3 virtual seconds with a fault list drawn from the seed
 * (`randomFaultSpec`: loss, duplication, reordering, jitter, partitions, crashes losing none /
 * all / some unsynced writes with or without restart, clock skew, churn of plain nodes), healed at
 * 1.8 s, then watched until the liveness deadline. A family fixes the Byzantine behaviour (or
 * draws it from the seed) and the timeouts. Every failure carries the command that replays it.
 */
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { SimConfigError } from '../../errors'
import { formatFaultSpec, randomFaultSpec, type FaultItem, type FaultSpec } from '../../fault-spec'
import { summarize } from '../../metrics'
import { RandomStreams } from '../../random'
import { runSeed } from '../../run'
import type { Violation } from '../../engine'
import { SWEEP_TIMEOUTS, consensusScenario, type ConsensusScenarioInit } from '../consensus'

/** Virtual length of one sweep run, ms (the heal comes at 60 %). */
export const SWEEP_DURATION_MS = 3_000
/** Transfers per virtual second during a sweep run. */
export const SWEEP_TPS = 3
/** Validators and plain nodes of a sweep run (one node: it follows, syncs, churns, reports). */
export const SWEEP_VALIDATORS = 4
export const SWEEP_NODES = 1

/** A family of seeds. */
export interface SweepFamily {
  readonly name: string
  readonly from: number
  readonly to: number
  /** Byzantine validators (0 or 1 of the 4: at most f). */
  readonly byzantine: 0 | 1
  /** The Byzantine behaviour; drawn from the seed when absent. */
  readonly behaviour?: 'equivocate' | 'withhold' | 'invalid' | 'lie-time' | 'twins'
  /** `deployment`: the core's default round timeouts; `sweep` (default): SWEEP_TIMEOUTS. */
  readonly timeouts?: 'sweep' | 'deployment'
}

/** A failed seed. */
export interface SweepFailure {
  seed: number
  violation: Violation
  replay: string
}

/** What a family's seeds gave. */
export interface FamilyResult {
  name: string
  seeds: number
  failures: SweepFailure[]
  /** Recovery after the heal (ms), over seeds with a heal. */
  recoveries: number[]
}

const PROFILES: Record<'sweep' | 'deployment', ConsensusScenarioInit> = {
  sweep: { tps: SWEEP_TPS, timeouts: SWEEP_TIMEOUTS, deadlineMs: 7_000 },
  // The core's default round timeouts with the deployment's 1 s blocks: slower to recover.
  deployment: { tps: SWEEP_TPS, timeouts: { commit: 1_000 }, deadlineMs: 12_000 },
}

const OPTION_NAMES: Record<string, string> = {
  proposeBase: 'propose',
  proposeDelta: 'propose-delta',
  prevoteBase: 'prevote',
  prevoteDelta: 'prevote-delta',
  precommitBase: 'precommit',
  precommitDelta: 'precommit-delta',
  commit: 'commit',
  idle: 'idle',
  rebroadcast: 'rebroadcast',
  syncRetry: 'sync-retry',
}

/** The `--opt` flags that give the CLI a profile. */
function profileFlags(init: ConsensusScenarioInit): string {
  const flags = [`--opt tps=${init.tps}`, `--opt deadline=${init.deadlineMs}`]
  for (const [k, v] of Object.entries(init.timeouts ?? {}))
    flags.push(`--opt ${OPTION_NAMES[k]}=${v}`)
  return flags.join(' ')
}

/** The fault list of `seed` in `family`. */
export function familyFaults(family: SweepFamily, seed: number): FaultSpec {
  const random = new RandomStreams(seed).stream('fault-spec')
  const drawn = randomFaultSpec(random, {
    validators: SWEEP_VALIDATORS,
    nodes: SWEEP_NODES,
    byzantine: family.behaviour === undefined ? family.byzantine : 0,
    behaviours: ['equivocate', 'invalid', 'lie-time', 'withhold'],
  })
  if (family.behaviour === undefined) return drawn
  const item: FaultItem = { name: family.behaviour, params: {} }
  return [...drawn, item]
}

/** Runs the seeds of `family`. */
export function sweepFamily(family: SweepFamily): FamilyResult {
  if (family.byzantine === 0 && family.behaviour !== undefined) {
    throw new SimConfigError(`sweep family ${family.name}: a behaviour needs a Byzantine validator`)
  }
  const init = PROFILES[family.timeouts ?? 'sweep']
  const scenario = consensusScenario(init)
  const failures: SweepFailure[] = []
  const recoveries: number[] = []
  for (let seed = family.from; seed <= family.to; seed++) {
    const faults = familyFaults(family, seed)
    const r = runSeed(scenario, seed, {
      validators: SWEEP_VALIDATORS,
      nodes: SWEEP_NODES,
      byzantine: family.byzantine,
      faults,
      durationMs: SWEEP_DURATION_MS,
    })
    const rec = r.liveness?.recoveredAfterMs
    if (r.liveness !== null && r.liveness.windowStartMs > 0 && rec !== null && rec !== undefined) {
      recoveries.push(rec)
    }
    const first = r.violations[0]
    if (first !== undefined) {
      failures.push({
        seed,
        violation: first,
        replay:
          `npx tsx bin/sim.ts --scenario consensus --validators ${SWEEP_VALIDATORS} --nodes ${SWEEP_NODES} --byzantine ${family.byzantine} ` +
          `--faults '${formatFaultSpec(faults)}' --seed ${seed} --duration ${SWEEP_DURATION_MS / 1000} ${profileFlags(init)}`,
      })
    }
  }
  return { name: family.name, seeds: family.to - family.from + 1, failures, recoveries }
}

/** One line: seeds, violations, recovery after the heal. */
export function sweepSummary(label: string, results: readonly FamilyResult[]): string {
  const seeds = results.reduce((n, r) => n + r.seeds, 0)
  const violations = results.reduce((n, r) => n + r.failures.length, 0)
  const rec = summarize(results.flatMap((r) => r.recoveries))
  return (
    `consensus sweep${label === '' ? '' : ` ${label}`}: ${seeds} seeds, ${violations} violations, ` +
    `recovery after heal p50 ${Math.round(rec.p50)} ms, max ${Math.round(rec.max)} ms (${rec.count} healed runs)`
  )
}

/** Relative CPU cost of a family's seed (the deployment timeouts run twice as long). */
function cost(family: SweepFamily): number {
  return (family.to - family.from + 1) * (family.timeouts === 'deployment' ? 2 : 1)
}

/**
 * Runs `families` on up to `workers` cores: the families go to child processes
 * (sweep-worker.ts under `node --import tsx`, the way bin/sim.ts runs), balanced by cost; with
 * one core they run here. Results come back in the order of `families`. Seeds are independent
 * and each run is a pure function of its inputs, so where a family runs changes nothing.
 */
export async function sweepInParallel(
  families: readonly SweepFamily[],
  workers = Math.min(2, availableParallelism()),
): Promise<FamilyResult[]> {
  if (workers <= 1) return families.map(sweepFamily)
  const shares: { indices: number[]; cost: number }[] = Array.from({ length: workers }, () => ({
    indices: [],
    cost: 0,
  }))
  const order = families.map((f, i) => ({ i, c: cost(f) })).sort((a, b) => b.c - a.c || a.i - b.i)
  for (const { i, c } of order) {
    const share = shares.reduce((a, b) => (b.cost < a.cost ? b : a))
    share.indices.push(i)
    share.cost += c
  }
  const script = fileURLToPath(new URL('./sweep-worker.ts', import.meta.url))
  const results = new Array<FamilyResult>(families.length)
  await Promise.all(
    shares
      .filter((s) => s.indices.length > 0)
      .map(
        (share) =>
          new Promise<void>((resolve, reject) => {
            const arg = JSON.stringify(share.indices.map((i) => families[i]))
            const child = spawn(process.execPath, ['--import', 'tsx', script, arg], {
              stdio: ['ignore', 'pipe', 'pipe'],
            })
            let out = ''
            let err = ''
            child.stdout.on('data', (d: Buffer) => (out += d.toString()))
            child.stderr.on('data', (d: Buffer) => (err += d.toString()))
            child.on('error', reject)
            child.on('close', (code) => {
              if (code !== 0) {
                reject(new Error(`sweep worker exited with ${code}: ${err.slice(-2_000)}`))
                return
              }
              const got = JSON.parse(out) as FamilyResult[]
              share.indices.forEach((i, k) => (results[i] = got[k] as FamilyResult))
              resolve()
            })
          }),
      ),
  )
  return results
}
