/**
 * The `consensus` scenario: HyperMesh's real consensus core (lib/consensus) replicating the real
 * ledger (lib/ledger) on the simulated network. V validators are the anchors of a genesis with
 * equal stake (no TrustChain root); M plain nodes follow the chain without voting; workload
 * clients submit signed transfers. Every process is the chain node's wiring of the core
 * (scenarios/consensus/process.ts): persist-and-sync before acting on later outputs, restart from
 * the stored tip and signing log, block sync from peers, evidence reported as slash transactions.
 *
 * Byzantine behaviours (scenarios/consensus/byzantine.ts): `equivocate`, `withhold`, `invalid`,
 * `lie-time`, and `twins` (two hosts, one key). Invariants (scenarios/consensus/checks.ts):
 * agreement, certificate, bft-time, state (state root + supply), no-double-spend,
 * honest-evidence, slashing. Liveness: the highest height committed by an honest validator grows
 * within the deadline after the final heal. docs/consensus.md, section "Simulator".
 *
 * Options (`--opt key=value`, or {@link ConsensusScenarioInit}):
 *
 * | option | default | meaning |
 * | --- | --- | --- |
 * | `tps` | 20 | transfers per virtual second submitted by the clients |
 * | `clients` | max(2, ⌈tps/20⌉) | workload client accounts |
 * | `rtt` | — | uniform round-trip time in ms between all hosts (default: random plane, 10–240 ms) |
 * | `propose`, `propose-delta`, `prevote`, `prevote-delta`, `precommit`, `precommit-delta`, `commit`, `rebroadcast`, `sync-retry` | core defaults | consensus timeouts, ms |
 * | `deadline` | 12000 | liveness deadline after the final heal, ms (the core's default timeouts need up to ~9 s after long partitions) |
 * | `slash-window` | 10 | an equivocation reported at agreed height H must be slashed once the chain reaches H + this |
 * | `epoch` | 100000 | blocks per epoch (committee re-elected by stake × uptime at each epoch end) |
 * | `snapshot` | 16 | a node stores a state snapshot every this many blocks |
 * | `max-block-txs` | 4096 | chain limit of transactions per block |
 * | `stall` | 8 | a client renumbers from its committed nonce after this many blocks without its nonce moving |
 */
import { type TimeoutConfig } from '@/lib/consensus/core'
import { SimConfigError } from '../errors'
import type { Topology } from '../network'
import type { LivenessCheck, Scenario, ScenarioWorld, SimView } from '../types'
import { buildSimChain } from './consensus/chain'
import { consensusByzantine } from './consensus/byzantine'
import { ChainRecord, consensusInvariants } from './consensus/checks'
import { ConsensusNode, type ConsensusFact } from './consensus/process'
import { frameKind } from './consensus/wire'
import { startWorkload } from './consensus/workload'

export { ConsensusNode, type ConsensusFact } from './consensus/process'
export { ChainRecord } from './consensus/checks'

/**
 * The timeouts of the seed sweeps: round timeouts shorter than the core's defaults (propose
 * 1000 + 500·r, prevote and precommit 500 + 250·r ms), so that after a heal the proposer
 * rotation a lock may need comes round within a few virtual seconds, and a 1.5 s block interval
 * (the deployment's `CHAIN_BLOCK_INTERVAL_MS` is 1 s): a run's healthy tail after the heal
 * is what costs most CPU, and the sweep buys seeds with it. On the command line: `--opt
 * propose=400 --opt propose-delta=100 --opt prevote=200 --opt prevote-delta=50 --opt
 * precommit=200 --opt precommit-delta=50 --opt commit=1500 --opt rebroadcast=500 --opt
 * sync-retry=500`.
 */
export const SWEEP_TIMEOUTS: Readonly<Partial<TimeoutConfig>> = {
  proposeBase: 400,
  proposeDelta: 100,
  prevoteBase: 200,
  prevoteDelta: 50,
  precommitBase: 200,
  precommitDelta: 50,
  commit: 1_500,
  rebroadcast: 500,
  syncRetry: 500,
}

/** Options of {@link consensusScenario}; `--opt` values override them per run. */
export interface ConsensusScenarioInit {
  tps?: number
  clients?: number
  /** Uniform RTT between all hosts, ms (one-way = rtt / 2 plus the network's jitter). */
  rttMs?: number
  timeouts?: Partial<TimeoutConfig>
  deadlineMs?: number
  slashWindowHeights?: number
  epochLength?: number
  snapshotEvery?: number
  maxBlockTxs?: number
  stallHeights?: number
  /** Scenario name (default `consensus`). */
  name?: string
}

const TIMEOUT_OPTIONS: Record<string, keyof TimeoutConfig> = {
  propose: 'proposeBase',
  'propose-delta': 'proposeDelta',
  prevote: 'prevoteBase',
  'prevote-delta': 'prevoteDelta',
  precommit: 'precommitBase',
  'precommit-delta': 'precommitDelta',
  commit: 'commit',
  idle: 'idle',
  rebroadcast: 'rebroadcast',
  'sync-retry': 'syncRetry',
}

const OTHER_OPTIONS = [
  'tps',
  'clients',
  'rtt',
  'deadline',
  'slash-window',
  'epoch',
  'snapshot',
  'max-block-txs',
  'stall',
]

/** Largest committee the ledger's genesis accepts. */
const MAX_VALIDATORS = 128

function numberOption(
  options: Readonly<Record<string, string>>,
  key: string,
  min: number,
): number | undefined {
  const raw = options[key]
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (raw === '' || !Number.isFinite(n) || n < min) {
    throw new SimConfigError(`consensus: option ${key} must be a number ≥ ${min}, got "${raw}".`)
  }
  return n
}

function uniformTopology(oneWayMs: number): Topology {
  return { latencyMs: (from, to) => (from === to ? 0 : oneWayMs) }
}

function progress(view: SimView<ConsensusNode, ConsensusFact>): number {
  let best = 0
  for (const h of view.hosts) {
    if (h.honest !== null && h.info.role === 'validator' && h.honest.committedHeight > best) {
      best = h.honest.committedHeight
    }
  }
  return best
}

/** The consensus scenario with fixed defaults (see the module comment for the options). */
export function consensusScenario(
  init: ConsensusScenarioInit = {},
): Scenario<ConsensusNode, ConsensusFact> {
  return {
    name: init.name ?? 'consensus',
    description:
      'HyperMesh consensus (lib/consensus) over the ledger (lib/ledger): validators, plain nodes, transfer workload; agreement, certificates, BFT time, supply, no double spend, slashing, liveness.',
    setup(setup): ScenarioWorld<ConsensusNode, ConsensusFact> {
      const o = setup.options
      for (const key of Object.keys(o)) {
        if (!(key in TIMEOUT_OPTIONS) && !OTHER_OPTIONS.includes(key)) {
          throw new SimConfigError(
            `consensus: unknown option "${key}" (${[...OTHER_OPTIONS, ...Object.keys(TIMEOUT_OPTIONS)].join(', ')}).`,
          )
        }
      }
      if (setup.validators > MAX_VALIDATORS) {
        throw new SimConfigError(
          `consensus: at most ${MAX_VALIDATORS} validators (a ledger committee).`,
        )
      }
      const timeouts: Partial<TimeoutConfig> = { ...init.timeouts }
      for (const [name, field] of Object.entries(TIMEOUT_OPTIONS)) {
        const v = numberOption(o, name, 0)
        if (v !== undefined) timeouts[field] = Math.round(v)
      }
      const tps = numberOption(o, 'tps', 0) ?? init.tps ?? 20
      const clients = Math.round(
        numberOption(o, 'clients', 0) ?? init.clients ?? Math.max(2, Math.ceil(tps / 20)),
      )
      const rttMs = numberOption(o, 'rtt', 0) ?? init.rttMs
      const deadlineMs = numberOption(o, 'deadline', 1) ?? init.deadlineMs ?? 12_000
      const slashWindow = Math.round(
        numberOption(o, 'slash-window', 1) ?? init.slashWindowHeights ?? 10,
      )
      const epochLength = Math.round(numberOption(o, 'epoch', 2) ?? init.epochLength ?? 100_000)
      const snapshotEvery = Math.round(numberOption(o, 'snapshot', 1) ?? init.snapshotEvery ?? 16)
      const maxBlockTxs = Math.round(
        numberOption(o, 'max-block-txs', 1) ?? init.maxBlockTxs ?? 4_096,
      )
      const stallHeights = Math.round(numberOption(o, 'stall', 1) ?? init.stallHeights ?? 8)
      if (maxBlockTxs > 65_536) throw new SimConfigError('consensus: max-block-txs ≤ 65536.')

      const chain = buildSimChain({
        validators: setup.validators,
        nodes: setup.nodes,
        clients,
        epochLength,
        maxBlockTxs,
        timeouts,
      })
      const record = new ChainRecord(chain)
      const liveness: LivenessCheck<ConsensusNode, ConsensusFact> = {
        name: 'honest-validator-height',
        deadlineMs,
        progress,
      }
      return {
        createProcess: (info) => new ConsensusNode(info, { chain, snapshotEvery }),
        byzantine: consensusByzantine(chain),
        invariants: consensusInvariants(record, slashWindow),
        liveness,
        messageKind: frameKind,
        ...(rttMs === undefined ? {} : { topology: () => uniformTopology(rttMs / 2) }),
        workload: (api) =>
          startWorkload(api, { chain, record, tps, untilMs: setup.durationMs, stallHeights }),
        summary(view) {
          let minHeight = Infinity
          // What the honest cores refused, summed (shows a Byzantine behaviour had an effect).
          const seen = {
            'invalid-block': 0,
            'bad-signature': 0,
            'future-block': 0,
            equivocation: 0,
          }
          for (const h of view.hosts) {
            if (h.honest === null) continue
            if (h.info.role === 'validator') {
              minHeight = Math.min(minHeight, h.honest.committedHeight)
            }
            const stats = h.honest.stats()
            for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k] += stats[k] ?? 0
          }
          return {
            ...record.figures(setup.durationMs),
            minHonestValidatorHeight: minHeight === Infinity ? 0 : minHeight,
            invalidBlocksSeen: seen['invalid-block'],
            badSignaturesSeen: seen['bad-signature'],
            futureBlocksSeen: seen['future-block'],
            equivocatingVotesSeen: seen.equivocation,
            tps,
            clients,
          }
        },
      }
    },
  }
}

/** The consensus scenario as registered (`--scenario consensus`). */
export const consensus: Scenario<ConsensusNode, ConsensusFact> = consensusScenario()
