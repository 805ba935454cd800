/**
 * The queueing simulator's event loop: `runQueueing(config, routerFactory, seed)`.
 *
 * Speed: job and server state live in typed arrays indexed by job slot and server; events are
 * pooled objects in the shared `EventHeap` dispatched by a numeric kind (no closure per event);
 * the Poisson arrival stream stays outside the heap; with zero latency, hand-offs between router
 * and server happen inline instead of as events. Candidate views are created once per
 * (router, server) and read the live state through getters, so a decision costs what the router
 * reads, not O(n) copies.
 *
 * Determinism: every draw comes from a named `RandomStreams` stream of the seed. The workload
 * (arrival times, routers, classes, sizes, hints) has streams of its own, drawn in arrival order,
 * so every policy faces the same jobs for a given seed (common random numbers), and equal-time
 * events run in scheduling order (the heap breaks ties by sequence number).
 */
import type { CandidateView, JobView, Router, RouterFactory, RoutingOutcome } from '../../mfn/types'
import { EventHeap } from '../heap'
import { RandomStreams, type SimRandom } from '../random'
import {
  resolveQueueingConfig,
  type JobClassConfig,
  type QueueingConfig,
  type ResolvedQueueingConfig,
} from './config'
import { exponential, normal, sampleSize } from './distributions'
import { QueueingConfigError, QueueingRouterError } from './errors'
import { advertisedSpeed, SpeedTimeline } from './speed-profiles'

/**
 * The herding measure (README.md "Herding"). Decisions made after warm-up are binned in windows
 * of `windowMs`; in each window the server chosen most often takes the "top" share.
 */
export interface HerdingStats {
  readonly windowMs: number
  /** Windows holding at least one decision. */
  readonly windows: number
  /** Σ over windows of the top server's decisions / all decisions after warm-up. */
  readonly topShare: number
  /**
   * The same statistic for decisions drawn independently from this run's own overall per-server
   * shares, window by window with the same counts (sampled): what top share looks like with no
   * burstiness at all.
   */
  readonly referenceTopShare: number
  /** `topShare / referenceTopShare`: 1 = no herding; 2 = twice as bunched as independent choices. */
  readonly index: number
  /** The same statistic for uniformly random choices among the servers up (random routing). */
  readonly uniformTopShare: number
  /**
   * Coefficient of variation (sd / mean) of queue lengths over the servers up, sampled at the
   * first decision of each window and averaged over windows with a non-zero mean queue.
   */
  readonly queueCv: number
}

/** What one run measured. Counts and samples cover measured jobs (arrived at or after warm-up). */
export interface QueueingResult {
  /** `Router.name` of the policy. */
  readonly router: string
  readonly seed: number
  /** λ, jobs per ms, from the target load. */
  readonly arrivalRatePerMs: number
  /** All arrivals, warm-up included. */
  readonly jobs: number
  /** Arrivals at or after `warmupMs`. */
  readonly measuredJobs: number
  /**
   * Sojourn time (arrival at the router → successful result back at the router, retries and
   * network included), ms, of each measured job that succeeded, in order of completion.
   */
  readonly sojournMs: Float64Array
  /** Measured jobs that succeeded (= `sojournMs.length`). */
  readonly completed: number
  /** Measured jobs given up after `maxAttempts` failed attempts. */
  readonly dropped: number
  /** Failed attempts of measured jobs (each reached its router as `ok: false`). */
  readonly failedAttempts: number
  /** Of `failedAttempts`: lost to a leaving server. */
  readonly churnFailures: number
  /** Of `failedAttempts`: failed fast by a failing peer. */
  readonly fastFailures: number
  /** Decisions per server made at or after `warmupMs` (retries included). */
  readonly decisionsPerServer: Float64Array
  readonly herding: HerdingStats
  /** Virtual time when the last job was resolved, ms. */
  readonly endTimeMs: number
  /** Events processed (arrivals included). */
  readonly events: number
}

const EV_AT_SERVER = 0
const EV_COMPLETION = 1
const EV_RESULT = 2
const EV_FAIL = 3
const EV_SPEED = 4
const EV_COLD_END = 5
const EV_LEAVE = 6
const EV_JOIN = 7
const EV_GOSSIP = 8

const CAUSE_CHURN = 0
const CAUSE_FAST = 1

/** A scheduled event: `kind` says what `a` and `b` are (job slot, server, version, cause). */
interface SimEvent {
  time: number
  seq: number
  kind: number
  a: number
  b: number
}

/**
 * A candidate as a router sees it: created once per (router, server), reading live state. Valid
 * during the `choose` call that receives it; a router keeps ids, not views.
 */
class LiveCandidate implements CandidateView {
  constructor(
    private readonly sim: Simulation,
    private readonly pair: number,
    readonly id: number,
  ) {}

  get predictedRttMs(): number | null {
    const v = this.sim.predictedRtt[this.pair] as number
    return v < 0 ? null : v
  }

  get inFlight(): number {
    return this.sim.inFlight[this.pair] as number
  }

  get reportedQueue(): number | null {
    const sim = this.sim
    if (sim.freshInfo) return sim.queueLen[this.id] as number
    const q = sim.announced[this.id] as number
    return q < 0 ? null : q
  }

  get reportAgeMs(): number {
    const sim = this.sim
    if (sim.freshInfo) return 0
    return (sim.announced[this.id] as number) < 0
      ? 0
      : sim.now - (sim.announcedAt[this.id] as number)
  }

  get capacity(): number | null {
    const v = this.sim.capacity[this.id] as number
    return v < 0 ? null : v
  }
}

function growF64(a: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(size)
  b.set(a)
  return b
}

function growI32(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size)
  b.set(a)
  return b
}

/** One run. Fields are package-visible for `LiveCandidate`; nothing here is exported. */
class Simulation {
  readonly cfg: ResolvedQueueingConfig
  readonly n: number
  readonly classCount: number
  readonly routers: Router[] = []
  readonly routerName: string

  // Random streams.
  readonly rArrivals: SimRandom
  readonly rJobs: SimRandom
  readonly rHints: SimRandom
  readonly rChurn: SimRandom
  readonly rFaults: SimRandom
  readonly rHerding: SimRandom

  // Time and events.
  now = 0
  seqNo = 0
  events = 0
  readonly heap = new EventHeap<SimEvent>()
  readonly pool: SimEvent[] = []

  // Workload.
  readonly classCdf: Float64Array
  nextArrivalTime = Infinity
  arrived = 0
  resolved = 0

  // Job slots (growable; freed slots are reused).
  jobCap = 0
  jArrival = new Float64Array(0)
  jSize = new Float64Array(0)
  jDispatch = new Float64Array(0)
  jClass = new Int32Array(0)
  jRouter = new Int32Array(0)
  jAttempts = new Int32Array(0)
  jServer = new Int32Array(0)
  jEpoch = new Int32Array(0)
  jNext = new Int32Array(0)
  jMeasured = new Uint8Array(0)
  jView: JobView[] = []
  freeSlots: number[] = []
  parked: number[] = []

  // Servers.
  readonly timelines: SpeedTimeline[]
  readonly segment: Int32Array
  readonly baseSpeed: Float64Array
  readonly coldFactor: Float64Array
  readonly up: Uint8Array
  readonly epoch: Int32Array
  readonly queueLen: Int32Array
  readonly head: Int32Array
  readonly tail: Int32Array
  readonly inService: Int32Array
  readonly remaining: Float64Array
  readonly rate: Float64Array
  readonly lastUpdate: Float64Array
  readonly version: Int32Array
  readonly capacity: Float64Array
  readonly fastFailP: Float64Array
  readonly announced: Float64Array
  readonly announcedAt: Float64Array
  readonly freshInfo: boolean
  upCount: number
  membership = 0
  pendingJoins = 0

  // Routers × servers.
  readonly oneWay: Float64Array
  readonly predictedRtt: Float64Array
  readonly inFlight: Int32Array
  readonly views: LiveCandidate[]
  readonly candidates: LiveCandidate[][] = []
  readonly candidatesAt: Int32Array

  // Measurements.
  sojourn = new Float64Array(1024)
  completed = 0
  dropped = 0
  measuredJobs = 0
  failedAttempts = 0
  churnFailures = 0
  fastFailures = 0
  readonly decisions: Float64Array
  windowCounts = new Int32Array(0)
  windowUp = new Int32Array(0)
  lastWindow = -1
  cvSum = 0
  cvWindows = 0

  constructor(
    config: QueueingConfig,
    routerFactory: RouterFactory,
    readonly seed: number,
  ) {
    const cfg = resolveQueueingConfig(config)
    this.cfg = cfg
    const n = cfg.servers
    const R = cfg.routers
    this.n = n
    this.classCount = cfg.classes.length
    const streams = new RandomStreams(seed)
    this.rArrivals = streams.stream('queueing/arrivals')
    this.rJobs = streams.stream('queueing/jobs')
    this.rHints = streams.stream('queueing/hints')
    this.rChurn = streams.stream('queueing/churn')
    this.rFaults = streams.stream('queueing/faults')
    this.rHerding = streams.stream('queueing/herding')
    const rSpeeds = streams.stream('queueing/speeds')
    const rNetwork = streams.stream('queueing/network')
    const rCoordinates = streams.stream('queueing/coordinates')
    const rGossip = streams.stream('queueing/gossip')

    let w = 0
    this.classCdf = new Float64Array(this.classCount)
    cfg.classes.forEach((c, i) => {
      w += c.weight
      this.classCdf[i] = w
    })

    this.timelines = cfg.speeds.map((p) => new SpeedTimeline(p, rSpeeds))
    this.segment = new Int32Array(n)
    this.baseSpeed = new Float64Array(n)
    this.coldFactor = new Float64Array(n).fill(1)
    this.up = new Uint8Array(n).fill(1)
    this.epoch = new Int32Array(n)
    this.queueLen = new Int32Array(n)
    this.head = new Int32Array(n).fill(-1)
    this.tail = new Int32Array(n).fill(-1)
    this.inService = new Int32Array(n).fill(-1)
    this.remaining = new Float64Array(n)
    this.rate = new Float64Array(n)
    this.lastUpdate = new Float64Array(n)
    this.version = new Int32Array(n)
    this.capacity = new Float64Array(n).fill(-1)
    this.fastFailP = new Float64Array(n)
    this.announced = new Float64Array(n).fill(-1)
    this.announcedAt = new Float64Array(n)
    this.freshInfo = cfg.gossipPeriodMs === 0
    this.upCount = n
    this.decisions = new Float64Array(n)

    for (let s = 0; s < n; s++) {
      const tl = this.timelines[s] as SpeedTimeline
      const k = tl.segmentAt(0)
      this.segment[s] = k
      this.baseSpeed[s] = tl.speed(k)
      const next = tl.start(k + 1)
      if (next !== Infinity) this.schedule(next, EV_SPEED, s, 0)
      if (cfg.advertiseCapacity) this.capacity[s] = advertisedSpeed(tl.profile)
    }
    if (cfg.fastFail !== null) {
      for (const s of cfg.fastFail.servers) this.fastFailP[s] = cfg.fastFail.probability
    }

    this.oneWay = new Float64Array(R * n)
    this.predictedRtt = new Float64Array(R * n).fill(-1)
    this.inFlight = new Int32Array(R * n)
    const [rttLo, rttHi] = cfg.rttMs
    for (let i = 0; i < R * n; i++) {
      const rtt = rttHi > rttLo ? rNetwork.range(rttLo, rttHi) : rttLo
      this.oneWay[i] = rtt / 2
      if (cfg.coordinates) {
        const err =
          cfg.coordinateErrorSigma > 0
            ? Math.exp(cfg.coordinateErrorSigma * normal(rCoordinates))
            : 1
        this.predictedRtt[i] = rtt * err
      }
    }
    this.views = []
    for (let r = 0; r < R; r++) {
      for (let s = 0; s < n; s++) this.views.push(new LiveCandidate(this, r * n + s, s))
      this.candidates.push([])
    }
    this.candidatesAt = new Int32Array(R).fill(-1)

    if (!this.freshInfo) {
      for (let s = 0; s < n; s++) {
        this.schedule(rGossip.next() * cfg.gossipPeriodMs, EV_GOSSIP, s, 0)
      }
    }

    const churn = cfg.churn
    if (churn !== null) {
      if (churn.meanUpMs !== undefined) {
        for (let s = 0; s < n; s++) {
          this.schedule(exponential(this.rChurn, churn.meanUpMs), EV_LEAVE, s, 0)
        }
      } else {
        for (const e of churn.script ?? []) {
          if (e.up) this.pendingJoins++
          this.schedule(e.atMs, e.up ? EV_JOIN : EV_LEAVE, e.server, 0)
        }
      }
    }

    for (let r = 0; r < R; r++) {
      const router = routerFactory(streams.stream(`queueing/router/${r}`))
      this.routers.push(router)
    }
    this.routerName = this.routers[0]?.name ?? ''

    this.growJobs(256)
    this.nextArrivalTime = this.arrivalTime(0)
  }

  schedule(time: number, kind: number, a: number, b: number): void {
    const e = this.pool.pop() ?? { time: 0, seq: 0, kind: 0, a: 0, b: 0 }
    e.time = time
    e.seq = this.seqNo++
    e.kind = kind
    e.a = a
    e.b = b
    this.heap.push(e)
  }

  growJobs(cap: number): void {
    const old = this.jobCap
    this.jArrival = growF64(this.jArrival, cap)
    this.jSize = growF64(this.jSize, cap)
    this.jDispatch = growF64(this.jDispatch, cap)
    this.jClass = growI32(this.jClass, cap)
    this.jRouter = growI32(this.jRouter, cap)
    this.jAttempts = growI32(this.jAttempts, cap)
    this.jServer = growI32(this.jServer, cap)
    this.jEpoch = growI32(this.jEpoch, cap)
    this.jNext = growI32(this.jNext, cap)
    const m = new Uint8Array(cap)
    m.set(this.jMeasured)
    this.jMeasured = m
    // Hand out low slots first (pop from the end).
    for (let i = cap - 1; i >= old; i--) this.freeSlots.push(i)
    this.jobCap = cap
  }

  /** Time of arrival `i` (trace or Poisson). Poisson times must be asked for in order. */
  arrivalTime(i: number): number {
    const trace = this.cfg.trace
    if (trace !== null) return (trace[i] as { timeMs: number }).timeMs
    const prev = i === 0 ? 0 : this.nextArrivalTime
    return prev + exponential(this.rArrivals, 1 / this.cfg.arrivalRatePerMs)
  }

  run(): QueueingResult {
    const total = this.cfg.jobs
    const heap = this.heap
    while (this.resolved < total) {
      const top = heap.peek()
      if (this.arrived < total && (top === undefined || this.nextArrivalTime <= top.time)) {
        this.now = this.nextArrivalTime
        this.events++
        this.arrive()
        continue
      }
      // Unreachable: a job in the system always has an event (or a pending join) ahead of it.
      if (top === undefined) throw new Error('runQueueing: no event left while jobs are pending')
      heap.pop()
      this.events++
      this.now = top.time
      const { kind, a, b } = top
      this.pool.push(top)
      switch (kind) {
        case EV_AT_SERVER:
          this.atServer(a)
          break
        case EV_COMPLETION:
          if (this.version[a] === b) this.complete(a)
          break
        case EV_RESULT:
          this.result(a)
          break
        case EV_FAIL:
          this.failed(a, b)
          break
        case EV_SPEED:
          this.speedBreak(a)
          break
        case EV_COLD_END:
          if (this.epoch[a] === b && this.up[a] === 1) {
            this.coldFactor[a] = 1
            this.replan(a)
          }
          break
        case EV_LEAVE:
          this.leave(a)
          break
        case EV_JOIN:
          this.pendingJoins--
          this.join(a)
          break
        case EV_GOSSIP:
          if (this.up[a] === 1) {
            this.announced[a] = this.queueLen[a] as number
            this.announcedAt[a] = this.now
          }
          this.schedule(this.now + this.cfg.gossipPeriodMs, EV_GOSSIP, a, 0)
          break
      }
    }
    return this.finish()
  }

  arrive(): void {
    const cfg = this.cfg
    const i = this.arrived++
    if (this.freeSlots.length === 0) this.growJobs(this.jobCap * 2)
    const j = this.freeSlots.pop() as number
    const now = this.now
    let cls: number
    let size: number
    let router: number
    const trace = cfg.trace
    if (trace !== null) {
      const t = trace[i] as { size: number; jobClass?: number; router?: number }
      cls = t.jobClass ?? 0
      size = t.size
      router = t.router ?? 0
    } else {
      router = cfg.routers > 1 ? this.rArrivals.int(cfg.routers) : 0
      cls = 0
      if (this.classCount > 1) {
        const u = this.rJobs.next() * (this.classCdf[this.classCount - 1] as number)
        while (cls < this.classCount - 1 && u >= (this.classCdf[cls] as number)) cls++
      }
      size = sampleSize(this.rJobs, (cfg.classes[cls] as JobClassConfig).size)
    }
    let hint: number | null = null
    const hints = cfg.sizeHints
    if (hints.kind === 'exact') hint = size
    else if (hints.kind === 'noisy') hint = size * Math.exp(hints.sigma * normal(this.rHints))
    this.jArrival[j] = now
    this.jSize[j] = size
    this.jClass[j] = cls
    this.jRouter[j] = router
    this.jAttempts[j] = 0
    this.jMeasured[j] = now >= cfg.warmupMs ? 1 : 0
    if (now >= cfg.warmupMs) this.measuredJobs++
    this.jView[j] = { jobClass: cls, sizeHint: hint }
    if (this.arrived < cfg.jobs) this.nextArrivalTime = this.arrivalTime(this.arrived)
    this.dispatch(j)
  }

  candidatesOf(r: number): LiveCandidate[] {
    const list = this.candidates[r] as LiveCandidate[]
    if (this.candidatesAt[r] !== this.membership) {
      list.length = 0
      const base = r * this.n
      for (let s = 0; s < this.n; s++) {
        if (this.up[s] === 1) list.push(this.views[base + s] as LiveCandidate)
      }
      this.candidatesAt[r] = this.membership
    }
    return list
  }

  /** Routes job `j` (a new arrival or a retry) with its router. */
  dispatch(j: number): void {
    const r = this.jRouter[j] as number
    const list = this.candidatesOf(r)
    if (list.length === 0) {
      if (this.pendingJoins === 0) {
        throw new QueueingConfigError(
          'runQueueing: every server is down for good while jobs wait (check churn.script)',
        )
      }
      this.parked.push(j)
      return
    }
    const now = this.now
    const router = this.routers[r] as Router
    const idx = router.choose(this.jView[j] as JobView, list, now)
    if (!(Number.isInteger(idx) && idx >= 0 && idx < list.length)) {
      throw new QueueingRouterError(
        `runQueueing: router "${router.name}" chose ${String(idx)} among ${list.length} candidates`,
      )
    }
    const s = (list[idx] as LiveCandidate).id
    const n = this.n
    this.jAttempts[j] = (this.jAttempts[j] as number) + 1
    this.jServer[j] = s
    this.jEpoch[j] = this.epoch[s] as number
    this.jDispatch[j] = now
    this.inFlight[r * n + s] = (this.inFlight[r * n + s] as number) + 1
    if (now >= this.cfg.warmupMs) this.recordDecision(s, now)
    const lat = this.oneWay[r * n + s] as number
    if (lat > 0) this.schedule(now + lat, EV_AT_SERVER, j, 0)
    else this.atServer(j)
  }

  recordDecision(s: number, now: number): void {
    const n = this.n
    this.decisions[s] = (this.decisions[s] as number) + 1
    const w = Math.floor((now - this.cfg.warmupMs) / this.cfg.herdingWindowMs)
    if ((w + 1) * n > this.windowCounts.length) {
      this.windowCounts = growI32(
        this.windowCounts,
        Math.max((w + 1) * n, this.windowCounts.length * 2),
      )
    }
    if (w + 1 > this.windowUp.length) {
      this.windowUp = growI32(this.windowUp, Math.max(w + 1, this.windowUp.length * 2))
    }
    this.windowCounts[w * n + s] = (this.windowCounts[w * n + s] as number) + 1
    if (w > this.lastWindow) {
      this.lastWindow = w
      this.windowUp[w] = this.upCount
      let sum = 0
      let sumSq = 0
      let m = 0
      for (let i = 0; i < n; i++) {
        if (this.up[i] !== 1) continue
        const q = this.queueLen[i] as number
        sum += q
        sumSq += q * q
        m++
      }
      if (m > 0 && sum > 0) {
        const mean = sum / m
        const variance = Math.max(0, sumSq / m - mean * mean)
        this.cvSum += Math.sqrt(variance) / mean
        this.cvWindows++
      }
    }
  }

  /** Job `j` reaches its server. */
  atServer(j: number): void {
    const s = this.jServer[j] as number
    const now = this.now
    if (this.up[s] !== 1 || this.epoch[s] !== this.jEpoch[j]) {
      const churn = this.cfg.churn as { detectionTimeoutMs: number }
      this.schedule(now + churn.detectionTimeoutMs, EV_FAIL, j, CAUSE_CHURN)
      return
    }
    const p = this.fastFailP[s] as number
    if (p > 0 && this.rFaults.chance(p)) {
      const ff = this.cfg.fastFail as { delayMs: number }
      const back = this.oneWay[(this.jRouter[j] as number) * this.n + s] as number
      this.schedule(now + ff.delayMs + back, EV_FAIL, j, CAUSE_FAST)
      return
    }
    this.queueLen[s] = (this.queueLen[s] as number) + 1
    if (this.inService[s] === -1) {
      this.startService(s, j)
    } else {
      this.jNext[j] = -1
      if (this.tail[s] === -1) this.head[s] = j
      else this.jNext[this.tail[s] as number] = j
      this.tail[s] = j
    }
  }

  serviceRate(s: number, j: number): number {
    return (
      (this.baseSpeed[s] as number) *
      (this.coldFactor[s] as number) *
      (this.cfg.affinity[s * this.classCount + (this.jClass[j] as number)] as number)
    )
  }

  startService(s: number, j: number): void {
    const rate = this.serviceRate(s, j)
    const work = this.jSize[j] as number
    this.inService[s] = j
    this.remaining[s] = work
    this.rate[s] = rate
    this.lastUpdate[s] = this.now
    const v = (this.version[s] as number) + 1
    this.version[s] = v
    this.schedule(this.now + work / rate, EV_COMPLETION, s, v)
  }

  /** The service rate of server `s` changed: re-plan the job in service from its remaining work. */
  replan(s: number): void {
    const j = this.inService[s] as number
    if (j === -1) return
    const now = this.now
    const done = (now - (this.lastUpdate[s] as number)) * (this.rate[s] as number)
    const left = Math.max(0, (this.remaining[s] as number) - done)
    const rate = this.serviceRate(s, j)
    this.remaining[s] = left
    this.rate[s] = rate
    this.lastUpdate[s] = now
    const v = (this.version[s] as number) + 1
    this.version[s] = v
    this.schedule(now + left / rate, EV_COMPLETION, s, v)
  }

  speedBreak(s: number): void {
    const tl = this.timelines[s] as SpeedTimeline
    const k = (this.segment[s] as number) + 1
    this.segment[s] = k
    this.baseSpeed[s] = tl.speed(k)
    const next = tl.start(k + 1)
    if (next !== Infinity) this.schedule(next, EV_SPEED, s, 0)
    this.replan(s)
  }

  complete(s: number): void {
    const j = this.inService[s] as number
    this.inService[s] = -1
    this.queueLen[s] = (this.queueLen[s] as number) - 1
    const h = this.head[s] as number
    if (h !== -1) {
      const next = this.jNext[h] as number
      this.head[s] = next
      if (next === -1) this.tail[s] = -1
      this.startService(s, h)
    }
    const back = this.oneWay[(this.jRouter[j] as number) * this.n + s] as number
    if (back > 0) this.schedule(this.now + back, EV_RESULT, j, 0)
    else this.result(j)
  }

  outcome(j: number, ok: boolean): void {
    const r = this.jRouter[j] as number
    const s = this.jServer[j] as number
    this.inFlight[r * this.n + s] = (this.inFlight[r * this.n + s] as number) - 1
    const outcome: RoutingOutcome = {
      candidate: s,
      job: this.jView[j] as JobView,
      latencyMs: this.now - (this.jDispatch[j] as number),
      ok,
      now: this.now,
    }
    ;(this.routers[r] as Router).feedback(outcome)
  }

  /** Success: the result of job `j` is back at its router. */
  result(j: number): void {
    this.outcome(j, true)
    if (this.jMeasured[j] === 1) {
      if (this.completed === this.sojourn.length) {
        this.sojourn = growF64(this.sojourn, this.sojourn.length * 2)
      }
      this.sojourn[this.completed++] = this.now - (this.jArrival[j] as number)
    }
    this.release(j)
  }

  /** Failure of one attempt of job `j` reached its router: retry or drop. */
  failed(j: number, cause: number): void {
    this.outcome(j, false)
    const measured = this.jMeasured[j] === 1
    if (measured) {
      this.failedAttempts++
      if (cause === CAUSE_CHURN) this.churnFailures++
      else this.fastFailures++
    }
    if ((this.jAttempts[j] as number) < this.cfg.maxAttempts) {
      this.dispatch(j)
      return
    }
    if (measured) this.dropped++
    this.release(j)
  }

  release(j: number): void {
    this.resolved++
    this.jView[j] = undefined as unknown as JobView
    this.freeSlots.push(j)
  }

  leave(s: number): void {
    if (this.up[s] !== 1) return
    const churn = this.cfg.churn as {
      detectionTimeoutMs: number
      meanUpMs?: number
      meanDownMs?: number
    }
    const notice = this.now + churn.detectionTimeoutMs
    this.up[s] = 0
    this.upCount--
    this.epoch[s] = (this.epoch[s] as number) + 1
    this.version[s] = (this.version[s] as number) + 1
    this.membership++
    const running = this.inService[s] as number
    if (running !== -1) this.schedule(notice, EV_FAIL, running, CAUSE_CHURN)
    for (let j = this.head[s] as number; j !== -1; j = this.jNext[j] as number) {
      this.schedule(notice, EV_FAIL, j, CAUSE_CHURN)
    }
    this.inService[s] = -1
    this.head[s] = -1
    this.tail[s] = -1
    this.queueLen[s] = 0
    this.announced[s] = -1
    this.coldFactor[s] = 1
    if (churn.meanDownMs !== undefined) {
      this.pendingJoins++
      this.schedule(this.now + exponential(this.rChurn, churn.meanDownMs), EV_JOIN, s, 0)
    }
  }

  join(s: number): void {
    if (this.up[s] === 1) return
    const churn = this.cfg.churn as {
      meanUpMs?: number
      coldStartMs?: number
      coldStartFactor?: number
    }
    this.up[s] = 1
    this.upCount++
    this.membership++
    const coldMs = churn.coldStartMs ?? 0
    if (coldMs > 0 && (churn.coldStartFactor ?? 1) < 1) {
      this.coldFactor[s] = churn.coldStartFactor ?? 1
      this.schedule(this.now + coldMs, EV_COLD_END, s, this.epoch[s] as number)
    }
    if (churn.meanUpMs !== undefined) {
      this.schedule(this.now + exponential(this.rChurn, churn.meanUpMs), EV_LEAVE, s, 0)
    }
    if (this.parked.length > 0) {
      const waiting = this.parked
      this.parked = []
      for (const j of waiting) this.dispatch(j)
    }
  }

  finish(): QueueingResult {
    const cfg = this.cfg
    return {
      router: this.routerName,
      seed: this.seed,
      arrivalRatePerMs: cfg.arrivalRatePerMs,
      jobs: cfg.jobs,
      measuredJobs: this.measuredJobs,
      sojournMs: this.sojourn.slice(0, this.completed),
      completed: this.completed,
      dropped: this.dropped,
      failedAttempts: this.failedAttempts,
      churnFailures: this.churnFailures,
      fastFailures: this.fastFailures,
      decisionsPerServer: this.decisions,
      herding: this.herding(),
      endTimeMs: this.now,
      events: this.events,
    }
  }

  herding(): HerdingStats {
    const n = this.n
    const windows = this.lastWindow + 1
    let total = 0
    for (let s = 0; s < n; s++) total += this.decisions[s] as number
    const windowMs = this.cfg.herdingWindowMs
    if (total === 0) {
      return {
        windowMs,
        windows: 0,
        topShare: NaN,
        referenceTopShare: NaN,
        index: NaN,
        uniformTopShare: NaN,
        queueCv: NaN,
      }
    }
    const cdf = new Float64Array(n)
    let acc = 0
    for (let s = 0; s < n; s++) {
      acc += this.decisions[s] as number
      cdf[s] = acc / total
    }
    const counts = new Int32Array(n)
    const rnd = this.rHerding
    let top = 0
    let refTop = 0
    let uniTop = 0
    let used = 0
    for (let w = 0; w < windows; w++) {
      let d = 0
      let max = 0
      for (let s = 0; s < n; s++) {
        const c = this.windowCounts[w * n + s] as number
        d += c
        if (c > max) max = c
      }
      if (d === 0) continue
      used++
      top += max
      // Reference: the same number of independent draws from the run's own shares.
      counts.fill(0)
      let refMax = 0
      for (let i = 0; i < d; i++) {
        const u = rnd.next()
        let lo = 0
        let hi = n - 1
        while (lo < hi) {
          const mid = (lo + hi) >> 1
          if ((cdf[mid] as number) > u) hi = mid
          else lo = mid + 1
        }
        const c = (counts[lo] as number) + 1
        counts[lo] = c
        if (c > refMax) refMax = c
      }
      refTop += refMax
      // Uniform: random routing over the servers up at the window's start.
      const m = Math.max(1, this.windowUp[w] as number)
      counts.fill(0)
      let uniMax = 0
      for (let i = 0; i < d; i++) {
        const k = rnd.int(m)
        const c = (counts[k] as number) + 1
        counts[k] = c
        if (c > uniMax) uniMax = c
      }
      uniTop += uniMax
    }
    return {
      windowMs,
      windows: used,
      topShare: top / total,
      referenceTopShare: refTop / total,
      index: top / refTop,
      uniformTopShare: uniTop / total,
      queueCv: this.cvWindows > 0 ? this.cvSum / this.cvWindows : NaN,
    }
  }
}

/**
 * Runs one queueing simulation: `config.jobs` arrivals routed by `config.routers` routers, each
 * built by `routerFactory` from its own random stream, until every job has succeeded or been
 * dropped. Same config, router and seed ⇒ the same result, bit for bit.
 *
 * The candidate views handed to `Router.choose` are live and reused between calls: read them
 * during the call, keep ids (not the views) across calls. Routers are offered only the servers
 * that are up. A failed attempt comes back as `ok: false` and the same router routes the job
 * again, up to `maxAttempts` attempts.
 *
 * @throws QueueingConfigError - `config` is invalid (checked before anything runs)
 * @throws QueueingRouterError - a router's `choose` returned no valid index
 * @example
 * const result = runQueueing(queueingScenario('homogeneous').build(), randomRouter, 1)
 * summarizeSojourns(result.sojournMs).p99
 */
export function runQueueing(
  config: QueueingConfig,
  routerFactory: RouterFactory,
  seed: number,
): QueueingResult {
  if (typeof routerFactory !== 'function') {
    throw new QueueingConfigError('runQueueing: routerFactory must be a function')
  }
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
    throw new QueueingConfigError('runQueueing: seed must be an unsigned 32-bit integer')
  }
  return new Simulation(config, routerFactory, seed).run()
}
