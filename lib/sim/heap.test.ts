import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EventHeap } from './heap'

describe('EventHeap', () => {
  it('pops by time, then by insertion sequence', () => {
    const heap = new EventHeap<{ time: number; seq: number; name: string }>()
    const items = [
      { time: 10, seq: 0, name: 'late' },
      { time: 5, seq: 1, name: 'b' },
      { time: 5, seq: 2, name: 'c' },
      { time: 0, seq: 3, name: 'first' },
      { time: 5, seq: 4, name: 'd' },
    ]
    for (const i of items) heap.push(i)
    const order: string[] = []
    for (let i = heap.pop(); i !== undefined; i = heap.pop()) order.push(i.name)
    expect(order).toEqual(['first', 'b', 'c', 'd', 'late'])
    expect(heap.size).toBe(0)
    expect(heap.peek()).toBeUndefined()
  })

  it('agrees with a stable sort on (time, seq) for any pushes and pops', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(-1)), { maxLength: 200 }),
        (ops) => {
          const heap = new EventHeap<{ time: number; seq: number }>()
          const model: { time: number; seq: number }[] = []
          let seq = 0
          for (const op of ops) {
            if (op < 0) {
              model.sort((a, b) => a.time - b.time || a.seq - b.seq)
              expect(heap.pop()).toEqual(model.shift())
            } else {
              const item = { time: op, seq: seq++ }
              heap.push(item)
              model.push(item)
            }
          }
          expect(heap.size).toBe(model.length)
        },
      ),
    )
  })
})
