import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RandomStreams, streamSeed } from './random'

const draw = (streams: RandomStreams, name: string, n: number): number[] =>
  Array.from({ length: n }, () => streams.stream(name).next())

describe('RandomStreams', () => {
  it('replays the same numbers for the same seed and name', () => {
    expect(draw(new RandomStreams(42), 'network', 5)).toEqual(
      draw(new RandomStreams(42), 'network', 5),
    )
    expect(draw(new RandomStreams(42), 'network', 5)).not.toEqual(
      draw(new RandomStreams(43), 'network', 5),
    )
  })

  it('keeps streams independent: drawing from one does not shift another', () => {
    const a = new RandomStreams(7)
    const b = new RandomStreams(7)
    draw(a, 'workload', 1000)
    expect(draw(a, 'network', 10)).toEqual(draw(b, 'network', 10))
  })

  it('gives different names and neighbouring seeds unrelated stream seeds', () => {
    expect(streamSeed(1, 'network')).not.toBe(streamSeed(1, 'faults'))
    expect(streamSeed(1, 'network')).not.toBe(streamSeed(2, 'network'))
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => streamSeed(i, 'x')))
    expect(seeds.size).toBe(1000)
  })

  it('keeps helpers in range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 1000 }),
        (seed, n) => {
          const r = new RandomStreams(seed).stream('t')
          const i = r.int(n)
          expect(Number.isInteger(i) && i >= 0 && i < n).toBe(true)
          const x = r.range(-3, 5)
          expect(x >= -3 && x < 5).toBe(true)
          expect(r.chance(0)).toBe(false)
          expect(r.chance(1)).toBe(true)
          const items = Array.from({ length: n % 20 }, (_, k) => k)
          expect([...r.shuffle([...items])].sort((p, q) => p - q)).toEqual(items)
          if (items.length > 0) expect(items).toContain(r.pick(items))
        },
      ),
    )
  })
})
