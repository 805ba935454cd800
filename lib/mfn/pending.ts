/**
 * Decisions whose outcome has not come back yet, with what the router needs to learn from them:
 * the features of the chosen candidate at decision time (a vector per decision) and what its
 * prediction assumed (RTT, service time).
 *
 * Outcomes come back in any order and carry no decision id, only the candidate and the job. A
 * decision is matched, among those still pending for that candidate, by (1) the very same `JobView`
 * object, (2) else the oldest with the same job class and size hint, (3) else the oldest. Callers
 * that hand back the object they passed to `choose` (the simulator does) get exact matching.
 *
 * Memory is bounded: a ring of `capacity` slots, the oldest pending decision overwritten when it
 * is full (its outcome is then observed without learning). Per-candidate lists of slot sequence
 * numbers make a match O(pending for that candidate); entries of overwritten slots are dropped
 * lazily, and all lists are swept once per full turn of the ring, so they stay bounded too.
 */
import type { JobView } from './types'

/** A bounded store of pending decisions, one vector of `width` numbers each. */
export class PendingDecisions {
  /** Vectors, `width` per slot. Read a taken slot's vector at `slot * width`. */
  readonly vectors: Float64Array
  /** RTT the prediction assumed, per slot, ms. */
  readonly rtt: Float64Array
  /** Service time the prediction assumed, per slot, ms. */
  readonly service: Float64Array
  private readonly seq: Float64Array
  private readonly candidate: Float64Array
  private readonly jobClass: Float64Array
  private readonly sizeHint: Float64Array
  private readonly jobs: (JobView | undefined)[]
  private readonly byCandidate = new Map<number, number[]>()
  private next = 1
  private live = 0

  /**
   * @param capacity - most decisions remembered
   * @param width - numbers stored per decision
   */
  constructor(
    readonly capacity: number,
    readonly width: number,
  ) {
    this.vectors = new Float64Array(capacity * width)
    this.rtt = new Float64Array(capacity)
    this.service = new Float64Array(capacity)
    this.seq = new Float64Array(capacity)
    this.candidate = new Float64Array(capacity)
    this.jobClass = new Float64Array(capacity)
    this.sizeHint = new Float64Array(capacity)
    this.jobs = new Array<JobView | undefined>(capacity).fill(undefined)
  }

  /** Decisions currently pending. */
  get pending(): number {
    return this.live
  }

  /**
   * Reserves a slot for a new decision on `candidate` and returns it; the caller writes the
   * vector at `slot * width` and the assumptions into `rtt[slot]` and `service[slot]`.
   */
  add(candidate: number, job: JobView): number {
    const s = this.next++
    const slot = s % this.capacity
    if (this.seq[slot] !== 0) this.live--
    this.seq[slot] = s
    this.candidate[slot] = candidate
    this.jobClass[slot] = job.jobClass
    this.sizeHint[slot] = job.sizeHint ?? NaN
    this.jobs[slot] = job
    this.live++
    let list = this.byCandidate.get(candidate)
    if (list === undefined) {
      list = []
      this.byCandidate.set(candidate, list)
    }
    list.push(s)
    if (slot === 0) this.sweep()
    return slot
  }

  /**
   * Finds and removes the pending decision that `job`'s outcome on `candidate` answers; returns
   * its slot (valid until the next `add`), or −1 when none is pending.
   */
  take(candidate: number, job: JobView): number {
    const list = this.byCandidate.get(candidate)
    if (list === undefined) return -1
    let exact = -1
    let similar = -1
    let oldest = -1
    let write = 0
    for (let read = 0; read < list.length; read++) {
      const s = list[read]!
      const slot = s % this.capacity
      if (this.seq[slot] !== s) continue // overwritten: drop from the list
      list[write] = s
      if (oldest < 0) oldest = write
      if (exact < 0 && this.jobs[slot] === job) exact = write
      if (
        similar < 0 &&
        this.jobClass[slot] === job.jobClass &&
        sameSize(this.sizeHint[slot]!, job)
      ) {
        similar = write
      }
      write++
    }
    list.length = write
    const at = exact >= 0 ? exact : similar >= 0 ? similar : oldest
    if (at < 0) {
      this.byCandidate.delete(candidate)
      return -1
    }
    const s = list[at]!
    list.splice(at, 1)
    if (list.length === 0) this.byCandidate.delete(candidate)
    const slot = s % this.capacity
    this.seq[slot] = 0
    this.jobs[slot] = undefined
    this.live--
    return slot
  }

  /** Drops list entries of overwritten or taken slots, and empty lists. */
  private sweep(): void {
    for (const [candidate, list] of this.byCandidate) {
      let write = 0
      for (const s of list) if (this.seq[s % this.capacity] === s) list[write++] = s
      list.length = write
      if (write === 0) this.byCandidate.delete(candidate)
    }
  }
}

function sameSize(stored: number, job: JobView): boolean {
  const h = job.sizeHint
  return h === null ? stored !== stored : stored === h
}
