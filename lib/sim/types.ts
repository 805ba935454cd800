/**
 * The contracts between the simulator and what runs inside it: processes (one protocol node each),
 * their context, scenarios (a protocol plus its invariants and metrics), invariants and liveness
 * checks. Everything a process sees comes through its context: time, randomness, the network and
 * its store. A process that holds to that is replayed byte for byte from a seed.
 */
import type { Clock } from '../ports'
import type { LinkConditions, Topology } from './network'
import type { RandomStreams, SimRandom } from './random'
import type { SimStore } from './store'

/**
 * An identity on the network (index of a validator or node: validators are 0..V-1, plain nodes
 * V..V+M-1). What a process addresses and what it sees as the sender. Twins share one NodeId.
 */
export type NodeId = number

/** A network endpoint: the thing that crashes, is partitioned and has a clock. One per process. */
export type HostId = number

/** Sender of messages injected by a scenario's workload (clients outside the simulated mesh). */
export const EXTERNAL: NodeId = -1

/** The role of a node. Byzantine nodes are always validators. */
export type NodeRole = 'validator' | 'node'

/** Who a process is, handed to its factory. */
export interface NodeInfo {
  /** The identity (shared by twins). */
  readonly node: NodeId
  /** The endpoint this process runs on (unique). */
  readonly host: HostId
  readonly role: NodeRole
  /** Byzantine behaviour of this host, or `null` for an honest one. */
  readonly byzantine: string | null
  /** 0 at the first start, +1 at every restart. */
  readonly incarnation: number
}

/**
 * What a process can do. One context per incarnation: after a crash the old context is inert
 * (its sends and timers are ignored). `O` is the scenario's output type (see `output`).
 */
export interface SimContext<O = unknown> {
  /** This process. */
  readonly self: NodeInfo
  /** Number of identities (validators + nodes); valid targets are 0..nodeCount-1. */
  readonly nodeCount: number
  /** Number of validators (identities 0..validatorCount-1). */
  readonly validatorCount: number
  /** This host's local clock: virtual time plus the host's skew, in integer ms since the epoch. */
  readonly clock: Clock
  /** This host's own random stream (twins get different ones). */
  readonly random: SimRandom
  /** This host's store; survives crashes as far as it was synced. */
  readonly store: SimStore
  /**
   * Sends `bytes` to every host of identity `to`. The bytes are shared, not copied: neither side
   * may mutate them afterwards. `kind` names the message in metrics (default: the scenario's
   * `messageKind`).
   */
  send(to: NodeId, bytes: Uint8Array, kind?: string): void
  /** Sends to every other identity (down hosts miss it, as they would on a real network). */
  broadcast(bytes: Uint8Array, kind?: string): void
  /** Sends to `fanout` distinct other identities chosen at random (gossip-style fan-out). */
  gossip(bytes: Uint8Array, fanout: number, kind?: string): void
  /**
   * Arms a one-shot timer `afterMs` of local time from now (a drifting clock fires it early or
   * late in virtual time). Returns its id, passed back to `onTimer`.
   */
  setTimer(afterMs: number): number
  /** Cancels a pending timer; unknown or fired ids are ignored. */
  cancelTimer(id: number): void
  /** Reports a fact to the invariants (e.g. "committed block h with hash x"). */
  output(value: O): void
  /** Adds a sample to the latency/size distribution `name` (reported with p50/p99). */
  observe(name: string, value: number): void
  /** Adds `by` (default 1) to counter `name` (reported with a per-virtual-second rate). */
  count(name: string, by?: number): void
}

/**
 * A protocol node. Handlers are synchronous and must take all time and randomness from `now` and
 * `ctx`: no Date.now, Math.random, setTimeout or promises. `now` is the host's local clock, the same
 * value as `ctx.clock.now()`. Work that takes time is modelled with a timer.
 */
export interface SimProcess<O = unknown> {
  /** Called once per incarnation, at virtual time 0 or at the restart; read the store here. */
  start(now: number, ctx: SimContext<O>): void
  /** A message from identity `from` (or `EXTERNAL`). */
  onMessage(from: NodeId, bytes: Uint8Array, now: number, ctx: SimContext<O>): void
  /** Timer `id` (from `ctx.setTimer`) fired. */
  onTimer(id: number, now: number, ctx: SimContext<O>): void
}

/** One host as invariants see it. Do not mutate; the object is reused across events. */
export interface HostState<P extends SimProcess<O>, O = unknown> {
  readonly info: NodeInfo
  readonly up: boolean
  /** The running process (Byzantine wrapper or not), `null` while down. */
  readonly process: SimProcess<O> | null
  /** The running process when the host is honest and up, else `null`: what invariants judge. */
  readonly honest: P | null
  readonly store: SimStore
  /** The host's local clock now. */
  localTime(): number
}

/** The state of the simulation, passed to invariants and liveness checks. */
export interface SimView<P extends SimProcess<O>, O = unknown> {
  /** Virtual time in ms since the start of the run. */
  readonly timeMs: number
  /** Index of the event being processed (0-based). */
  readonly eventIndex: number
  readonly validatorCount: number
  readonly nodeCount: number
  /** Every host, indexed by HostId. Twins come after the V+M regular hosts. */
  readonly hosts: readonly HostState<P, O>[]
  /** The hosts of identity `node` (two for a twin). */
  hostsOf(node: NodeId): readonly HostState<P, O>[]
}

/** The kinds of event the engine processes. */
export type StepType = 'start' | 'message' | 'timer' | 'fault' | 'workload' | 'check'

/** The event just processed. One object is reused for every event: read it, do not keep it. */
export interface StepInfo {
  readonly index: number
  readonly timeMs: number
  readonly type: StepType
  /** The host that handled it, or -1 (workload, check, global faults). */
  readonly host: HostId
  /** Sender of a message (`EXTERNAL` for workload messages), else -1. */
  readonly from: NodeId
  /** For faults: the fault's kind (`crash`, `restart`, `partition`, `heal`…), else ''. */
  readonly fault: string
}

/**
 * A safety property. Hooks return a message when violated, `undefined` when it holds. Keep them
 * O(what changed): they run after every event of runs with hundreds of thousands of events.
 */
export interface Invariant<P extends SimProcess<O>, O = unknown> {
  readonly name: string
  /** After every processed event. */
  afterEvent?(view: SimView<P, O>, step: StepInfo): string | undefined
  /** On every `ctx.output` of any host (honest or not: check `host.honest`). */
  onOutput?(host: HostState<P, O>, value: O, view: SimView<P, O>): string | undefined
  /** Once when the run ends normally (not after an early stop). */
  atEnd?(view: SimView<P, O>): string | undefined
}

/**
 * "Progress resumes within `deadlineMs` after the last heal": `progress` must grow past its value
 * at the heal before the deadline. Without a heal in the schedule the window starts at time 0.
 */
export interface LivenessCheck<P extends SimProcess<O>, O = unknown> {
  readonly name: string
  /** A number that grows when the system makes progress (e.g. highest committed height). */
  progress(view: SimView<P, O>): number
  /** How long after the heal progress must have resumed, in virtual ms. */
  readonly deadlineMs: number
}

/**
 * Builds a Byzantine process for a host. `honest()` builds the honest process of the same host,
 * for wrappers (see byzantine.ts) that alter what it sends, receives or reads from its clock.
 */
export type ByzantineFactory<O = unknown> = (
  info: NodeInfo,
  honest: () => SimProcess<O>,
) => SimProcess<O>

/** API for a scenario's workload: clients that inject requests from outside the mesh. */
export interface WorkloadApi {
  /** Virtual time now, in ms since the start. */
  now(): number
  /** The run's `workload` random stream. */
  readonly random: SimRandom
  /** Runs `fn` at virtual time `timeMs` (not before now). */
  at(timeMs: number, fn: () => void): void
  /** Delivers `bytes` now to every up host of `to`, sender `EXTERNAL`, bypassing the network. */
  submit(to: NodeId, bytes: Uint8Array, kind?: string): void
}

/** What a scenario is set up from. */
export interface ScenarioSetup {
  readonly seed: number
  readonly validators: number
  readonly nodes: number
  /** Number of Byzantine validators requested. */
  readonly byzantine: number
  /** Length of the run, virtual ms. */
  readonly durationMs: number
  /** Scenario-specific options (`--opt key=value`). */
  readonly options: Readonly<Record<string, string>>
  /** The run's random streams (use a stream named after the purpose, e.g. `keys`). */
  readonly random: RandomStreams
}

/** One run's worth of a scenario: process factories, checks and metrics. */
export interface ScenarioWorld<P extends SimProcess<O>, O = unknown> {
  /** Builds the honest process of a host (at start and at every restart). */
  createProcess(info: NodeInfo): P
  /**
   * Byzantine behaviours this scenario implements, by fault name (`equivocate`, `withhold`,
   * `invalid`, `lie-time`, or custom names used with `byz=NAME`). `twins` needs no entry: the
   * engine runs two honest processes under one identity.
   */
  readonly byzantine?: Readonly<Record<string, ByzantineFactory<O>>>
  readonly invariants?: readonly Invariant<P, O>[]
  readonly liveness?: LivenessCheck<P, O>
  /** Message kind for metrics when `send` gives none (e.g. from a tag byte). */
  messageKind?(bytes: Uint8Array): string
  /** Network conditions outside faults (defaults: constants.ts). */
  readonly network?: Partial<LinkConditions>
  /** Latency model (default: hosts at random points of a plane, `planeTopology`). */
  topology?(hosts: readonly NodeInfo[], random: SimRandom): Topology
  /** Starts external clients; called once before the first event. */
  workload?(api: WorkloadApi): void
  /** Scenario figures for the report (e.g. committed height, final counter). */
  summary?(view: SimView<P, O>): Record<string, number | string | boolean>
}

/** A protocol the simulator can run: a name and a factory of worlds. */
export interface Scenario<P extends SimProcess<O> = SimProcess, O = unknown> {
  readonly name: string
  /** One line for `--list`. */
  readonly description: string
  /** Builds the world of one run; throws `SimConfigError` for options it cannot honour. */
  setup(setup: ScenarioSetup): ScenarioWorld<P, O>
}
