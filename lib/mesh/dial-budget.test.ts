import { describe, expect, it } from 'vitest'
import { ConnectionBudget, DialBackoff } from './dial-budget'

describe('ConnectionBudget', () => {
  it('stops outbound dials before the limit and keeps the reserve for inbound', () => {
    const budget = new ConnectionBudget(10, 3)
    for (let i = 0; i < 7; i++) {
      expect(budget.canDial()).toBe(true)
      budget.spend()
    }
    expect(budget.canDial()).toBe(false)
    expect(budget.canAccept()).toBe(true)
    for (let i = 0; i < 3; i++) budget.spend()
    expect(budget.spent).toBe(10)
    expect(budget.canAccept()).toBe(false)
  })

  it('refuses nonsensical limits', () => {
    expect(() => new ConnectionBudget(0)).toThrow(RangeError)
    expect(() => new ConnectionBudget(10, 11)).toThrow(RangeError)
    expect(() => new ConnectionBudget(1.5)).toThrow(RangeError)
  })
})

describe('DialBackoff', () => {
  it('doubles the wait after each failure up to the cap, and forgets on success', () => {
    const b = new DialBackoff(1_000, 4_000)
    expect(b.ready('alice', 0)).toBe(true)
    b.failed('alice', 0)
    expect(b.ready('alice', 999)).toBe(false)
    expect(b.ready('alice', 1_000)).toBe(true)
    b.failed('alice', 1_000)
    expect(b.ready('alice', 2_999)).toBe(false)
    expect(b.ready('alice', 3_000)).toBe(true)
    b.failed('alice', 3_000)
    b.failed('alice', 3_000)
    // Capped at 4 s however many failures.
    expect(b.ready('alice', 6_999)).toBe(false)
    expect(b.ready('alice', 7_000)).toBe(true)
    expect(b.ready('bob', 0)).toBe(true)
    b.succeeded('alice')
    expect(b.ready('alice', 0)).toBe(true)
  })
})
