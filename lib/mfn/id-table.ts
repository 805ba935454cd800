/**
 * Per-candidate state keyed by `CandidateView.id`, bounded. Candidates come and go (churn, cold
 * starts): an unknown id gets fresh state, and once more than `capacity` ids are held the quarter
 * seen longest ago is forgotten, so a long run with endless churn keeps constant memory. Eviction
 * sorts the table, but runs once per `capacity / 4` new ids: amortised O(log n) per new id, and
 * nothing at all on the common path where every id is known.
 */

/** What the table needs of an entry: when its id was last looked up. */
export interface Seen {
  lastSeen: number
}

/** A bounded map from candidate id to state. */
export class IdTable<T extends Seen> {
  private readonly map = new Map<number, T>()

  /**
   * @param capacity - most ids held before the oldest quarter is evicted (≥ 4)
   * @param create - fresh state for an id first seen at `now`
   */
  constructor(
    private readonly capacity: number,
    private readonly create: (id: number, now: number) => T,
  ) {}

  /** The state of `id`, created if unknown; marks it seen at `now`. */
  get(id: number, now: number): T {
    let entry = this.map.get(id)
    if (entry === undefined) {
      entry = this.create(id, now)
      this.map.set(id, entry)
      if (this.map.size > this.capacity) this.evict(id)
    }
    if (now > entry.lastSeen) entry.lastSeen = now
    return entry
  }

  /** The state of `id` if held, without creating or touching it. */
  peek(id: number): T | undefined {
    return this.map.get(id)
  }

  /** Number of ids held. */
  get size(): number {
    return this.map.size
  }

  /** Every held id with its state, in insertion order (for snapshots, not the hot path). */
  entries(): IterableIterator<[number, T]> {
    return this.map.entries()
  }

  /** Forgets the quarter of ids seen longest ago, never `keep` (the id being created). */
  private evict(keep: number): void {
    const seen: number[] = []
    for (const entry of this.map.values()) seen.push(entry.lastSeen)
    seen.sort((a, b) => a - b)
    const target = this.map.size - Math.floor((this.capacity * 3) / 4)
    const cutoff = seen[Math.max(0, target - 1)] ?? -Infinity
    let removed = 0
    for (const [id, entry] of this.map) {
      if (removed >= target) break
      if (id !== keep && entry.lastSeen <= cutoff) {
        this.map.delete(id)
        removed++
      }
    }
  }
}
