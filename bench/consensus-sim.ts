/**
 * The simulated part of the consensus bench (DESIGN.md §10): the real consensus core and ledger
 * in lib/sim's `consensus` scenario, `validators` validators at a uniform round-trip time
 * (one-way = RTT / 2, plus the simulator's default 0–5 ms jitter; bandwidth unlimited unless
 * `uplinkMbps` is given), no faults, workload clients offering `tps` signed transfers per
 * virtual second. Goals: finality p50 ≤ 0.5 s and ≥ 2,000 committed transfers/s with 31
 * validators at 50 ms RTT.
 *
 * Figures are virtual time, so they do not depend on the machine; only the wall time of the run
 * does. The simulator charges no CPU time: signature checks and block execution take no virtual
 * time (docs/consensus.md, "Simulator", says what that leaves out). Timeouts: see
 * {@link BENCH_TIMEOUTS}.
 */
import type { TimeoutConfig } from '@/lib/consensus/core'
import { runSeed } from '@/lib/sim/run'
import { consensusScenario } from '@/lib/sim/scenarios/consensus'

/** Options of {@link runConsensusSim}. */
export interface ConsensusSimOptions {
  /** Validators (default 31). */
  validators?: number
  /** Round-trip time between every pair of hosts, ms (default 50). */
  rttMs?: number
  /** Virtual seconds per seed (default 10). */
  durationS?: number
  /** Transfers per virtual second offered by the clients (default 3,000). */
  tps?: number
  /** Seeds 1..seeds (default 3). */
  seeds?: number
  /** Uplink bandwidth of every host, Mbit/s (messages queue behind each other); 0 = unlimited (default). */
  uplinkMbps?: number
  /** Consensus timeouts (default {@link BENCH_TIMEOUTS}). */
  timeouts?: Partial<TimeoutConfig>
  /** Called after each seed (progress). */
  onSeed?: (seed: number, report: ConsensusSimSeed) => void
}

/** Figures of one seed. */
export interface ConsensusSimSeed {
  seed: number
  ok: boolean
  heights: number
  roundsAboveZero: number
  transfersPerSecond: number
  submitToCommitP50Ms: number
  submitToCommitP99Ms: number
  proposeToCommitP50Ms: number
  proposeToCommitP99Ms: number
  wallMs: number
}

/** Result of {@link runConsensusSim}: medians over the seeds of each seed's figure. */
export interface ConsensusSimResult {
  seeds: number
  validators: number
  rttMs: number
  durationS: number
  offeredTps: number
  uplinkMbps: number
  timeouts: Partial<TimeoutConfig>
  /** Seeds whose run violated an invariant (must be 0). */
  failedSeeds: number
  transfersPerSecond: number
  submitToCommitP50Ms: number
  submitToCommitP99Ms: number
  proposeToCommitP50Ms: number
  proposeToCommitP99Ms: number
  heights: number
  roundsAboveZero: number
  perSeed: ConsensusSimSeed[]
}

/**
 * Timeouts for a WAN-like committee at ~50 ms RTT: a proposal reaches everyone in ~30 ms and a
 * vote round in ~30 ms more, so 400 ms for a proposal and 200 ms per vote step leave room for a
 * slow proposer without stalling a round on a lost message; 50 ms between heights; re-broadcast
 * after 500 ms.
 */
export const BENCH_TIMEOUTS: Partial<TimeoutConfig> = {
  proposeBase: 400,
  proposeDelta: 200,
  prevoteBase: 200,
  prevoteDelta: 100,
  precommitBase: 200,
  precommitDelta: 100,
  commit: 50,
  rebroadcast: 500,
  syncRetry: 500,
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  if (s.length === 0) return 0
  const mid = s.length >> 1
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/**
 * Runs the scenario for seeds 1..`seeds` and returns the median of each figure over the seeds.
 * Synchronous (the simulator is); takes wall time roughly proportional to validators × tps ×
 * duration.
 *
 * @example
 * const r = runConsensusSim({ validators: 31, rttMs: 50, durationS: 10, tps: 3000, seeds: 3 })
 * r.submitToCommitP50Ms // virtual ms
 */
export function runConsensusSim(options: ConsensusSimOptions = {}): ConsensusSimResult {
  const validators = options.validators ?? 31
  const rttMs = options.rttMs ?? 50
  const durationS = options.durationS ?? 10
  const tps = options.tps ?? 3_000
  const seeds = options.seeds ?? 3
  const uplinkMbps = options.uplinkMbps ?? 0
  const timeouts = options.timeouts ?? BENCH_TIMEOUTS
  // No faults, so no heal: a short liveness window keeps the run at `durationS`.
  const scenario = consensusScenario({
    rttMs,
    tps,
    timeouts,
    deadlineMs: 1_000,
    name: 'consensus-bench',
  })
  const perSeed: ConsensusSimSeed[] = []
  for (let seed = 1; seed <= seeds; seed++) {
    const started = performance.now()
    const r = runSeed(scenario, seed, {
      validators,
      nodes: 0,
      durationMs: durationS * 1000,
      ...(uplinkMbps > 0 ? { network: { bandwidthBps: uplinkMbps * 1e6 } } : {}),
    })
    const s = r.summary
    const figure = (name: string): number => (typeof s[name] === 'number' ? (s[name] as number) : 0)
    const one: ConsensusSimSeed = {
      seed,
      ok: r.ok,
      heights: figure('heights'),
      roundsAboveZero: figure('roundsAboveZero'),
      transfersPerSecond: figure('transfersPerSecond'),
      submitToCommitP50Ms: figure('submitToCommitP50Ms'),
      submitToCommitP99Ms: figure('submitToCommitP99Ms'),
      proposeToCommitP50Ms: figure('proposeToCommitP50Ms'),
      proposeToCommitP99Ms: figure('proposeToCommitP99Ms'),
      wallMs: Math.round(performance.now() - started),
    }
    perSeed.push(one)
    options.onSeed?.(seed, one)
  }
  const med = (k: keyof ConsensusSimSeed): number =>
    Math.round(median(perSeed.map((p) => p[k] as number)) * 10) / 10
  return {
    seeds,
    validators,
    rttMs,
    durationS,
    offeredTps: tps,
    uplinkMbps,
    timeouts,
    failedSeeds: perSeed.filter((p) => !p.ok).length,
    transfersPerSecond: med('transfersPerSecond'),
    submitToCommitP50Ms: med('submitToCommitP50Ms'),
    submitToCommitP99Ms: med('submitToCommitP99Ms'),
    proposeToCommitP50Ms: med('proposeToCommitP50Ms'),
    proposeToCommitP99Ms: med('proposeToCommitP99Ms'),
    heights: med('heights'),
    roundsAboveZero: med('roundsAboveZero'),
    perSeed,
  }
}
