/**
 * A binary min-heap of scheduled events ordered by (time, seq). `seq` is the insertion number, so
 * two events at the same virtual time run in the order they were scheduled: the tie-break is
 * deterministic and independent of the heap's internal layout.
 */

/** What the heap orders. */
export interface HeapItem {
  /** Virtual time in ms. */
  readonly time: number
  /** Insertion sequence number, unique per heap. */
  readonly seq: number
}

function before(a: HeapItem, b: HeapItem): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}

/**
 * Min-heap on (time, seq). Push and pop are O(log n) with no allocation beyond the backing array.
 *
 * @example
 * const heap = new EventHeap<{ time: number; seq: number }>()
 * heap.push({ time: 5, seq: 0 })
 * heap.pop() // { time: 5, seq: 0 }
 */
export class EventHeap<T extends HeapItem> {
  private readonly items: T[] = []

  /** Number of queued items. */
  get size(): number {
    return this.items.length
  }

  /** The earliest item without removing it, or `undefined` when empty. */
  peek(): T | undefined {
    return this.items[0]
  }

  /** Adds an item. */
  push(item: T): void {
    const items = this.items
    let i = items.length
    items.push(item)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = items[parent] as T
      if (!before(item, p)) break
      items[i] = p
      i = parent
    }
    items[i] = item
  }

  /** Removes and returns the earliest item, or `undefined` when empty. */
  pop(): T | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    const n = items.length
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      let c = l
      let child = items[l] as T
      if (r < n) {
        const right = items[r] as T
        if (before(right, child)) {
          c = r
          child = right
        }
      }
      if (!before(child, last)) break
      items[i] = child
      i = c
    }
    items[i] = last
    return top
  }
}
