import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { chainTimeoutHeaders, chainTimeoutsFromHeaders } from './timeouts'

describe('chain timeout headers', () => {
  it('round-trips the deployment timeouts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        (commit, idle) => {
          const headers = chainTimeoutHeaders({ commit, idle })
          expect(chainTimeoutsFromHeaders((n) => headers[n] ?? null)).toEqual({ commit, idle })
        },
      ),
    )
  })

  it('leaves out missing, malformed and out-of-range values', () => {
    const read = (h: Record<string, string>) => chainTimeoutsFromHeaders((n) => h[n] ?? null)
    expect(read({})).toEqual({})
    expect(read({ 'x-block-interval-ms': '-1', 'x-idle-block-interval-ms': '1e4' })).toEqual({})
    expect(read({ 'x-block-interval-ms': '60001', 'x-idle-block-interval-ms': '600001' })).toEqual(
      {},
    )
    expect(read({ 'x-block-interval-ms': ' 5', 'x-idle-block-interval-ms': '0' })).toEqual({
      idle: 0,
    })
  })

  it('never throws on arbitrary header text', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), (a, b) => {
        const out = chainTimeoutsFromHeaders((n) => (n === 'x-block-interval-ms' ? a : b))
        for (const v of Object.values(out)) expect(Number.isSafeInteger(v) && v >= 0).toBe(true)
      }),
    )
  })
})
