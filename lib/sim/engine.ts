/**
 * The discrete-event engine: one priority queue of events (messages, timers, faults, workload
 * calls, checks) on (virtual time, insertion sequence), hosts running SimProcesses, the network
 * model, the fault schedule, invariants after every event, the liveness window, metrics and the
 * trace hash. Nothing here reads the wall clock or Math.random: a run is a function of its inputs.
 *
 * Per event the engine does a heap pop, a handler call, the invariants' afterEvent hooks and one
 * hash update; sends cost a route computation and a heap push per destination host. Events are
 * plain objects of one shape (monomorphic), and nothing is copied per event.
 */
import { SIM_EPOCH_MS } from './constants'
import { SimUsageError } from './errors'
import {
  describeFault,
  type FaultSchedule,
  type HostPlan,
  type ScheduledFault,
} from './fault-schedule'
import { EventHeap } from './heap'
import { MetricsRecorder } from './metrics'
import { NetworkModel, ROUTE_LOST, ROUTE_OK, type LinkConditions, type Topology } from './network'
import type { RandomStreams, SimRandom } from './random'
import { MemorySimStore } from './store'
import { TraceHasher } from './trace'
import {
  EXTERNAL,
  type HostId,
  type HostState,
  type Invariant,
  type LivenessCheck,
  type NodeId,
  type NodeInfo,
  type ScenarioWorld,
  type SimContext,
  type SimProcess,
  type SimView,
  type StepInfo,
  type StepType,
  type WorkloadApi,
} from './types'

const EV_START = 0
const EV_MESSAGE = 1
const EV_TIMER = 2
const EV_FAULT = 3
const EV_WORKLOAD = 4
const EV_CHECK = 5

const STEP_TYPES: readonly StepType[] = ['start', 'message', 'timer', 'fault', 'workload', 'check']

/** A queued event. One class for every type keeps the engine's hot paths monomorphic. */
class SimEvent {
  cancelled = false
  constructor(
    readonly time: number,
    readonly seq: number,
    readonly type: number,
    /** Target host, or -1. */
    readonly host: number,
    /** The target host's epoch when scheduled: a crash in between voids the event. */
    readonly epoch: number,
    /** Sender NodeId (message), timer id (timer), fault index (fault), else -1. */
    readonly from: number,
    /** Sender host (message; -1 for workload), else -1. */
    readonly fromHost: number,
    readonly bytes: Uint8Array | null,
    readonly stats: KindStats | null,
    readonly sentAt: number,
    readonly call: (() => void) | null,
  ) {}
}

/** Message counters of one kind. */
export interface KindStats {
  sent: number
  delivered: number
  dropped: number
  bytesSent: number
  bytesDelivered: number
}

/** Message totals of a run. */
export interface MessageTotals {
  sent: number
  delivered: number
  duplicated: number
  bytesSent: number
  bytesDelivered: number
  dropped: { loss: number; partition: number; down: number }
}

/** A broken invariant (or a process that threw, or a missed liveness deadline). */
export interface Violation {
  /** Name of the invariant; `exception`, `liveness:NAME` or `event-budget` for the built-ins. */
  invariant: string
  eventIndex: number
  timeMs: number
  /** The host concerned, or -1. */
  host: number
  message: string
  /** For `exception`: the thrown error's name and code. */
  error?: { name: string; code?: string }
}

/** One processed event, for `--trace`. */
export interface TraceLine {
  index: number
  timeMs: number
  type: StepType
  host: number
  from: number
  /** Message kind and size, timer id, or fault description. */
  detail: string
}

/** Outcome of the liveness window. */
export interface LivenessResult {
  name: string
  /** Start of the window: the final heal, or 0 without one. */
  windowStartMs: number
  deadlineMs: number
  progressAtStart: number
  progressAtEnd: number
  /** Virtual ms from the window's start to the first progress, or `null` if none came. */
  recoveredAfterMs: number | null
}

/** Inputs of an engine run. */
export interface EngineInit<P extends SimProcess<O>, O> {
  readonly world: ScenarioWorld<P, O>
  readonly schedule: FaultSchedule
  readonly validators: number
  readonly nodes: number
  readonly durationMs: number
  readonly conditions: LinkConditions
  readonly topology: Topology
  readonly random: RandomStreams
  readonly stopOnViolation: boolean
  readonly maxViolations: number
  readonly maxEvents: number
  readonly trace?: (line: TraceLine) => void
}

/** Raw outcome of an engine run; run.ts turns it into a report. */
export interface EngineResult {
  endMs: number
  events: number
  timersFired: number
  stoppedEarly: boolean
  violations: Violation[]
  traceHash: string
  messages: MessageTotals
  byKind: Map<string, KindStats>
  metrics: MetricsRecorder
  liveness: LivenessResult | null
  summary: Record<string, number | string | boolean>
}

/** A host during the run. Implements the read-only HostState that invariants see. */
class Host<P extends SimProcess<O>, O> implements HostState<P, O> {
  info: NodeInfo
  up = true
  /** Bumped at every crash and restart; events and contexts of another epoch are void. */
  epoch = 0
  process: SimProcess<O> | null = null
  honest: P | null = null
  ctx: HostContext<P, O> | null = null
  offsetMs = 0
  drift = 0
  readonly store = new MemorySimStore()

  constructor(
    plan: HostPlan,
    readonly random: SimRandom,
    private readonly engine: Engine<P, O>,
  ) {
    this.info = {
      node: plan.node,
      host: plan.host,
      role: plan.role,
      byzantine: plan.byzantine,
      incarnation: 0,
    }
  }

  localTime(): number {
    const t = this.engine.now
    return Math.floor(SIM_EPOCH_MS + t + this.offsetMs + this.drift * t)
  }
}

/** The context of one host incarnation. Inert once its host crashes. */
class HostContext<P extends SimProcess<O>, O> implements SimContext<O> {
  readonly clock: { now(): number }
  readonly nodeCount: number
  readonly validatorCount: number

  constructor(
    private readonly engine: Engine<P, O>,
    private readonly host: Host<P, O>,
    private readonly epoch: number,
  ) {
    this.clock = { now: () => host.localTime() }
    this.nodeCount = engine.nodeCount
    this.validatorCount = engine.validatorCount
  }

  get self(): NodeInfo {
    return this.host.info
  }
  get random(): SimRandom {
    return this.host.random
  }
  get store(): MemorySimStore {
    return this.host.store
  }

  private live(): boolean {
    return this.host.up && this.host.epoch === this.epoch
  }

  send(to: NodeId, bytes: Uint8Array, kind?: string): void {
    if (!Number.isInteger(to) || to < 0 || to >= this.nodeCount) {
      throw new SimUsageError(`send: no node ${to} (nodes are 0..${this.nodeCount - 1})`)
    }
    if (!this.live()) return
    const e = this.engine
    const stats = e.kindStats(kind, bytes)
    const targets = e.hostsByNode[to] as readonly HostId[]
    for (const h of targets) e.transmit(this.host, h, bytes, stats)
  }

  broadcast(bytes: Uint8Array, kind?: string): void {
    if (!this.live()) return
    const e = this.engine
    const stats = e.kindStats(kind, bytes)
    const self = this.host.info.node
    const hosts = e.hosts
    for (let h = 0; h < hosts.length; h++) {
      if ((hosts[h] as Host<P, O>).info.node !== self) e.transmit(this.host, h, bytes, stats)
    }
  }

  gossip(bytes: Uint8Array, fanout: number, kind?: string): void {
    if (!Number.isInteger(fanout) || fanout < 0) {
      throw new SimUsageError(`gossip: fan-out must be a whole number, got ${fanout}`)
    }
    if (!this.live()) return
    const others = this.nodeCount - 1
    const k = Math.min(fanout, others)
    const random = this.engine.gossipRandom
    const self = this.host.info.node
    // Floyd's sampling: k distinct draws from the other identities, k random numbers.
    const chosen = new Set<number>()
    for (let j = others - k; j < others; j++) {
      const t = random.int(j + 1)
      chosen.add(chosen.has(t) ? j : t)
    }
    const stats = this.engine.kindStats(kind, bytes)
    for (const i of [...chosen].sort((a, b) => a - b)) {
      const node = i >= self ? i + 1 : i
      for (const h of this.engine.hostsByNode[node] as readonly HostId[]) {
        this.engine.transmit(this.host, h, bytes, stats)
      }
    }
  }

  setTimer(afterMs: number): number {
    if (!(afterMs >= 0) || !Number.isFinite(afterMs)) {
      throw new SimUsageError(`setTimer: delay must be a finite number ≥ 0, got ${afterMs}`)
    }
    return this.engine.armTimer(this.host, this.epoch, afterMs)
  }

  cancelTimer(id: number): void {
    this.engine.cancelTimer(this.host, id)
  }

  output(value: O): void {
    if (!this.live()) return
    this.engine.emitOutput(this.host, value)
  }

  observe(name: string, value: number): void {
    if (this.live()) this.engine.metrics.observe(name, value)
  }

  count(name: string, by = 1): void {
    if (this.live()) this.engine.metrics.count(name, by)
  }
}

/** One run of the simulation. Create, call `run()` once. */
export class Engine<P extends SimProcess<O>, O> implements SimView<P, O> {
  now = 0
  eventIndex = -1
  readonly hosts: Host<P, O>[]
  readonly hostsByNode: HostId[][]
  private readonly hostStatesByNode: readonly (readonly Host<P, O>[])[]
  readonly nodeCount: number
  readonly validatorCount: number
  readonly metrics = new MetricsRecorder()
  readonly gossipRandom: SimRandom

  private readonly heap = new EventHeap<SimEvent>()
  private seq = 0
  private nextTimerId = 1
  private readonly timers = new Map<number, SimEvent>()
  private readonly network: NetworkModel
  private readonly hasher = new TraceHasher()
  private readonly arrivals: number[] = []
  private readonly kinds = new Map<string, KindStats>()
  private readonly violations: Violation[] = []
  private stopped = false
  private timersFired = 0
  private readonly totals: MessageTotals = {
    sent: 0,
    delivered: 0,
    duplicated: 0,
    bytesSent: 0,
    bytesDelivered: 0,
    dropped: { loss: 0, partition: 0, down: 0 },
  }
  /** The one StepInfo object, rewritten for every event (invariants must not keep it). */
  private readonly step: { -readonly [K in keyof StepInfo]: StepInfo[K] } = {
    index: 0,
    timeMs: 0,
    type: 'start',
    host: -1,
    from: -1,
    fault: '',
  }
  private readonly invariants: readonly Invariant<P, O>[]
  private readonly afterEventChecks: readonly Invariant<P, O>[]
  private readonly outputChecks: readonly Invariant<P, O>[]
  private readonly liveness: LivenessCheck<P, O> | null
  private livenessResult: LivenessResult | null = null
  private watching = false
  private readonly endMs: number

  constructor(private readonly init: EngineInit<P, O>) {
    this.nodeCount = init.validators + init.nodes
    this.validatorCount = init.validators
    this.hosts = init.schedule.hosts.map(
      (plan) => new Host<P, O>(plan, init.random.stream(`host:${plan.host}`), this),
    )
    this.hostsByNode = Array.from({ length: this.nodeCount }, () => [])
    for (const h of this.hosts) (this.hostsByNode[h.info.node] as HostId[]).push(h.info.host)
    this.hostStatesByNode = this.hostsByNode.map((hs) => hs.map((h) => this.hosts[h] as Host<P, O>))
    this.gossipRandom = init.random.stream('gossip')
    this.network = new NetworkModel(
      this.hosts.length,
      init.topology,
      init.conditions,
      init.random.stream('network'),
    )
    this.invariants = init.world.invariants ?? []
    this.afterEventChecks = this.invariants.filter((i) => i.afterEvent !== undefined)
    this.outputChecks = this.invariants.filter((i) => i.onOutput !== undefined)
    this.liveness = init.world.liveness ?? null
    const windowStart = init.schedule.healAtMs ?? 0
    this.endMs = Math.max(
      init.durationMs,
      this.liveness === null ? 0 : windowStart + this.liveness.deadlineMs,
    )
  }

  /** The hosts of identity `node`. */
  hostsOf(node: NodeId): readonly HostState<P, O>[] {
    return this.hostStatesByNode[node] ?? []
  }

  get timeMs(): number {
    return this.now
  }

  private push(
    time: number,
    type: number,
    host: number,
    epoch: number,
    from: number,
    fromHost: number,
    bytes: Uint8Array | null,
    stats: KindStats | null,
    call: (() => void) | null,
  ): SimEvent {
    const ev = new SimEvent(
      time,
      this.seq++,
      type,
      host,
      epoch,
      from,
      fromHost,
      bytes,
      stats,
      this.now,
      call,
    )
    this.heap.push(ev)
    return ev
  }

  /** @internal Stats record of a message kind. */
  kindStats(kind: string | undefined, bytes: Uint8Array): KindStats {
    const name = kind ?? this.init.world.messageKind?.(bytes) ?? 'message'
    let s = this.kinds.get(name)
    if (s === undefined) {
      s = { sent: 0, delivered: 0, dropped: 0, bytesSent: 0, bytesDelivered: 0 }
      this.kinds.set(name, s)
    }
    return s
  }

  /** @internal One message from `from` to host `to` through the network. */
  transmit(from: Host<P, O>, to: HostId, bytes: Uint8Array, stats: KindStats): void {
    const t = this.totals
    t.sent++
    t.bytesSent += bytes.length
    stats.sent++
    stats.bytesSent += bytes.length
    const target = this.hosts[to] as Host<P, O>
    if (!target.up) {
      t.dropped.down++
      stats.dropped++
      return
    }
    const fromHost = from.info.host
    if (to === fromHost) {
      this.push(
        this.now,
        EV_MESSAGE,
        to,
        target.epoch,
        from.info.node,
        fromHost,
        bytes,
        stats,
        null,
      )
      return
    }
    const arrivals = this.arrivals
    const status = this.network.route(fromHost, to, bytes.length, this.now, arrivals)
    if (status !== ROUTE_OK) {
      if (status === ROUTE_LOST) t.dropped.loss++
      else t.dropped.partition++
      stats.dropped++
      return
    }
    for (let i = 0; i < arrivals.length; i++) {
      this.push(
        arrivals[i] as number,
        EV_MESSAGE,
        to,
        target.epoch,
        from.info.node,
        fromHost,
        bytes,
        stats,
        null,
      )
    }
    if (arrivals.length > 1) t.duplicated++
  }

  /** @internal Arms a timer of `afterMs` local time for `host`. */
  armTimer(host: Host<P, O>, epoch: number, afterMs: number): number {
    const id = this.nextTimerId++
    if (!host.up || host.epoch !== epoch) return id
    const delay = host.drift === 0 ? afterMs : afterMs / (1 + host.drift)
    const ev = this.push(
      this.now + delay,
      EV_TIMER,
      host.info.host,
      epoch,
      id,
      -1,
      null,
      null,
      null,
    )
    this.timers.set(id, ev)
    return id
  }

  /** @internal */
  cancelTimer(host: Host<P, O>, id: number): void {
    const ev = this.timers.get(id)
    if (ev !== undefined && ev.host === host.info.host) {
      ev.cancelled = true
      this.timers.delete(id)
    }
  }

  /** @internal */
  emitOutput(host: Host<P, O>, value: O): void {
    for (const inv of this.outputChecks) {
      const message = inv.onOutput?.(host, value, this)
      if (message !== undefined) this.violate(inv.name, host.info.host, message)
    }
  }

  private violate(invariant: string, host: number, message: string, error?: unknown): void {
    if (this.violations.length < this.init.maxViolations) {
      const v: Violation = {
        invariant,
        eventIndex: this.eventIndex,
        timeMs: this.now,
        host,
        message,
      }
      if (error instanceof Error) {
        const code = (error as { code?: unknown }).code
        v.error = typeof code === 'string' ? { name: error.name, code } : { name: error.name }
      }
      this.violations.push(v)
    }
    if (this.init.stopOnViolation) this.stopped = true
  }

  private boot(host: Host<P, O>): void {
    const world = this.init.world
    const info = host.info
    const ctx = new HostContext(this, host, host.epoch)
    host.ctx = ctx
    // The factory runs under the guard too: a factory that throws on a corrupt store is a
    // protocol failure to report, not a simulator crash.
    this.guard(host, () => {
      const honest = (): P => world.createProcess(info)
      const behaviour = info.byzantine
      let process: SimProcess<O>
      if (behaviour === null || behaviour === 'twins') process = honest()
      else {
        const factory = world.byzantine?.[behaviour]
        if (factory === undefined) throw new SimUsageError(`no Byzantine factory "${behaviour}"`)
        process = factory(info, honest)
      }
      host.process = process
      host.honest = behaviour === null ? (process as P) : null
      process.start(host.localTime(), ctx)
    })
  }

  private crash(host: Host<P, O>, lose: 'none' | 'all' | 'some'): void {
    if (!host.up) return
    host.up = false
    host.epoch++
    host.process = null
    host.honest = null
    host.ctx = null
    host.store.crash(lose, this.init.random.stream('storage'))
  }

  private restart(host: Host<P, O>): void {
    if (host.up) return
    host.up = true
    host.epoch++
    host.info = { ...host.info, incarnation: host.info.incarnation + 1 }
    this.boot(host)
  }

  private guard(host: Host<P, O>, fn: () => void): void {
    try {
      fn()
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error))
      this.violate('exception', host.info.host, `${e.name}: ${e.message}`, e)
      // A process that threw is in an unknown state: the run cannot go on meaningfully.
      this.stopped = true
    }
  }

  private applyFault(index: number): string {
    const fault = this.init.schedule.events[index] as ScheduledFault
    const a = fault.action
    switch (a.kind) {
      case 'conditions':
        this.network.setConditions(a.change)
        break
      case 'partition':
        this.network.partition(a.groups)
        break
      case 'heal-partition':
        this.network.healPartition()
        break
      case 'crash':
        this.crash(this.hosts[a.host] as Host<P, O>, a.lose)
        break
      case 'restart':
        this.restart(this.hosts[a.host] as Host<P, O>)
        break
      case 'skew': {
        const h = this.hosts[a.host] as Host<P, O>
        h.offsetMs = a.offsetMs
        h.drift = a.drift
        break
      }
      case 'heal':
        this.network.healAll()
        for (const h of this.hosts) if (!h.up) this.restart(h)
        break
    }
    return a.kind
  }

  private workloadApi(): WorkloadApi {
    const random = this.init.random.stream('workload')
    return {
      now: () => this.now,
      random,
      at: (timeMs, fn) => {
        if (!Number.isFinite(timeMs)) throw new SimUsageError(`workload.at: bad time ${timeMs}`)
        this.push(Math.max(timeMs, this.now), EV_WORKLOAD, -1, 0, -1, -1, null, null, fn)
      },
      submit: (to, bytes, kind) => {
        if (!Number.isInteger(to) || to < 0 || to >= this.nodeCount) {
          throw new SimUsageError(`workload.submit: no node ${to}`)
        }
        const stats = this.kindStats(kind, bytes)
        for (const h of this.hostsByNode[to] as HostId[]) {
          const host = this.hosts[h] as Host<P, O>
          this.totals.sent++
          this.totals.bytesSent += bytes.length
          stats.sent++
          stats.bytesSent += bytes.length
          if (!host.up) {
            this.totals.dropped.down++
            stats.dropped++
            continue
          }
          this.push(this.now, EV_MESSAGE, h, host.epoch, EXTERNAL, -1, bytes, stats, null)
        }
      },
    }
  }

  /** Runs the simulation to its end (or first violation) and returns the raw result. */
  run(): EngineResult {
    const schedule = this.init.schedule
    schedule.events.forEach((f, i) => {
      this.push(f.atMs, EV_FAULT, -1, 0, i, -1, null, null, null)
    })
    const liveness = this.liveness
    const windowStart = schedule.healAtMs ?? 0
    if (liveness !== null) {
      this.push(windowStart, EV_CHECK, -1, 0, 0, -1, null, null, () => {
        const p = liveness.progress(this)
        this.livenessResult = {
          name: liveness.name,
          windowStartMs: windowStart,
          deadlineMs: liveness.deadlineMs,
          progressAtStart: p,
          progressAtEnd: p,
          recoveredAfterMs: null,
        }
        this.watching = true
      })
      this.push(windowStart + liveness.deadlineMs, EV_CHECK, -1, 0, 1, -1, null, null, () => {
        const r = this.livenessResult
        if (r !== null && r.recoveredAfterMs === null) {
          this.violate(
            `liveness:${liveness.name}`,
            -1,
            `no progress within ${liveness.deadlineMs} ms after ${
              schedule.healAtMs === null ? 'the start' : `the heal at ${windowStart} ms`
            } (progress stayed at ${r.progressAtStart})`,
          )
        }
      })
    }
    for (const h of this.hosts) this.push(0, EV_START, h.info.host, 0, -1, -1, null, null, null)
    this.init.world.workload?.(this.workloadApi())

    const heap = this.heap
    const step = this.step
    const trace = this.init.trace
    const maxEvents = this.init.maxEvents
    const endMs = this.endMs
    for (;;) {
      const next = heap.peek()
      if (next === undefined || next.time > endMs || this.stopped) break
      const ev = heap.pop() as SimEvent
      const type = ev.type
      let host: Host<P, O> | null = null
      if (ev.host >= 0) {
        host = this.hosts[ev.host] as Host<P, O>
        if (type === EV_TIMER) {
          if (ev.cancelled) continue
          this.timers.delete(ev.from)
        }
        if (!host.up || host.epoch !== ev.epoch) {
          if (type === EV_MESSAGE) this.dropAtDelivery(ev, 'down')
          continue
        }
        if (
          type === EV_MESSAGE &&
          ev.fromHost >= 0 &&
          !this.network.connected(ev.fromHost, ev.host)
        ) {
          this.dropAtDelivery(ev, 'partition')
          continue
        }
      }
      this.now = ev.time
      if (this.eventIndex + 1 >= maxEvents) {
        this.violate(
          'event-budget',
          -1,
          `more than ${maxEvents} events: a livelock or a timer loop?`,
        )
        this.stopped = true
        break
      }
      this.eventIndex++
      step.index = this.eventIndex
      step.timeMs = ev.time
      step.type = STEP_TYPES[type] as StepType
      step.host = ev.host
      step.from = type === EV_MESSAGE ? ev.from : -1
      step.fault = ''
      let detail = ''
      switch (type) {
        case EV_MESSAGE: {
          const h = host as Host<P, O>
          const bytes = ev.bytes as Uint8Array
          const stats = ev.stats as KindStats
          this.hasher.event(type, ev.time, ev.host, ev.from, 0, bytes)
          this.totals.delivered++
          this.totals.bytesDelivered += bytes.length
          stats.delivered++
          stats.bytesDelivered += bytes.length
          if (ev.fromHost >= 0) this.metrics.observe('message-delay-ms', ev.time - ev.sentAt)
          if (trace !== undefined) detail = `${this.kindName(stats)} ${bytes.length}B`
          const process = h.process as SimProcess<O>
          const ctx = h.ctx as HostContext<P, O>
          this.guard(h, () => process.onMessage(ev.from, bytes, h.localTime(), ctx))
          break
        }
        case EV_TIMER: {
          const h = host as Host<P, O>
          this.hasher.event(type, ev.time, ev.host, -1, ev.from)
          this.timersFired++
          if (trace !== undefined) detail = `timer ${ev.from}`
          const process = h.process as SimProcess<O>
          const ctx = h.ctx as HostContext<P, O>
          this.guard(h, () => process.onTimer(ev.from, h.localTime(), ctx))
          break
        }
        case EV_START: {
          this.hasher.event(type, ev.time, ev.host, -1, 0)
          this.boot(host as Host<P, O>)
          break
        }
        case EV_FAULT: {
          this.hasher.event(type, ev.time, -1, -1, ev.from)
          const fault = this.init.schedule.events[ev.from] as ScheduledFault
          step.fault = this.applyFault(ev.from)
          const a = fault.action
          step.host = 'host' in a ? a.host : -1
          if (trace !== undefined) detail = describeFault(a)
          break
        }
        default: {
          this.hasher.event(type, ev.time, -1, -1, ev.from)
          if (trace !== undefined) detail = type === EV_CHECK ? 'liveness check' : 'workload'
          ;(ev.call as () => void)()
        }
      }
      if (trace !== undefined) {
        trace({
          index: step.index,
          timeMs: ev.time,
          type: step.type,
          host: step.host,
          from: step.from,
          detail,
        })
      }
      for (const inv of this.afterEventChecks) {
        const message = inv.afterEvent?.(this, step)
        if (message !== undefined) this.violate(inv.name, step.host, message)
      }
      if (this.watching && liveness !== null) {
        const p = liveness.progress(this)
        const r = this.livenessResult as LivenessResult
        if (p > r.progressAtStart) {
          r.recoveredAfterMs = Math.round((this.now - r.windowStartMs) * 1000) / 1000
          this.watching = false
        }
      }
    }
    const stoppedEarly = this.stopped
    if (!stoppedEarly) {
      this.now = endMs
      for (const inv of this.invariants) {
        const message = inv.atEnd?.(this)
        if (message !== undefined) this.violate(inv.name, -1, message)
      }
    }
    if (this.livenessResult !== null && liveness !== null) {
      this.livenessResult.progressAtEnd = liveness.progress(this)
    }
    return {
      endMs: this.now,
      events: this.eventIndex + 1,
      timersFired: this.timersFired,
      stoppedEarly,
      violations: this.violations,
      traceHash: this.hasher.digestHex(),
      messages: this.totals,
      byKind: this.kinds,
      metrics: this.metrics,
      liveness: this.livenessResult,
      summary: this.init.world.summary?.(this) ?? {},
    }
  }

  private dropAtDelivery(ev: SimEvent, why: 'down' | 'partition'): void {
    this.totals.dropped[why]++
    ;(ev.stats as KindStats).dropped++
  }

  private kindName(stats: KindStats): string {
    for (const [name, s] of this.kinds) if (s === stats) return name
    return 'message'
  }
}
