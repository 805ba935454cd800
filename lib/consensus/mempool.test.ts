import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DuplicateTxError, MempoolFullError, OversizedTxError } from './errors'
import { Mempool } from './mempool'

const ok = () => {}
const tx = (i: number, size = 4) => {
  const b = new Uint8Array(size)
  new DataView(b.buffer).setUint32(0, i)
  return b
}

describe('mempool', () => {
  it('keeps arrival order and refuses duplicates, oversized transactions and overflow', () => {
    const m = new Mempool({ maxTxs: 3, maxBytes: 100, maxTxBytes: 50 })
    m.add(tx(1), ok)
    m.add(tx(2), ok)
    expect(() => m.add(tx(1), ok)).toThrow(DuplicateTxError)
    expect(() => m.add(tx(3, 51), ok)).toThrow(OversizedTxError)
    m.add(tx(3), ok)
    expect(() => m.add(tx(4), ok)).toThrow(MempoolFullError)
    expect(m.reap(10, 1_000).map((e) => e.tx)).toEqual([tx(1), tx(2), tx(3)])
    const bytesCap = new Mempool({ maxTxs: 10, maxBytes: 60, maxTxBytes: 50 })
    bytesCap.add(tx(1, 40), ok)
    expect(() => bytesCap.add(tx(2, 40), ok)).toThrow(MempoolFullError)
  })

  it('admits only what the check admits', () => {
    const m = new Mempool({ maxTxs: 10, maxBytes: 100, maxTxBytes: 50 })
    expect(() =>
      m.add(tx(1), () => {
        throw new Error('no')
      }),
    ).toThrow('no')
    expect(m.size).toBe(0)
  })

  it('reaps within the count and byte limits, removes and rechecks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 200 }),
        (sizes, maxTxs, maxBytes) => {
          const m = new Mempool({ maxTxs: 100, maxBytes: 10_000, maxTxBytes: 50 })
          sizes.forEach((s, i) => m.add(tx(i, s + 4), ok))
          const reaped = m.reap(maxTxs, maxBytes)
          expect(reaped.length).toBeLessThanOrEqual(maxTxs)
          expect(reaped.reduce((s, e) => s + e.tx.length, 0)).toBeLessThanOrEqual(maxBytes)
          m.remove(reaped.map((e) => e.key))
          expect(m.size).toBe(sizes.length - reaped.length)
          const before = m.bytes
          const dropped = m.recheck((t) => t.length % 2 === 0)
          expect(m.size).toBe(sizes.length - reaped.length - dropped)
          expect(m.bytes).toBeLessThanOrEqual(before)
          for (const e of m.reap(1_000, 1e9)) expect(e.tx.length % 2).toBe(0)
        },
      ),
    )
  })
})
