import { describe, expect, it } from 'vitest'
import { IdTable } from './id-table'

describe('IdTable', () => {
  it('creates fresh state for unknown ids and returns the same state for known ones', () => {
    const table = new IdTable(8, (id, now) => ({ id, born: now, lastSeen: now }))
    const a = table.get(5, 1)
    expect(a).toEqual({ id: 5, born: 1, lastSeen: 1 })
    expect(table.get(5, 3)).toBe(a)
    expect(a.lastSeen).toBe(3)
    expect(table.peek(6)).toBeUndefined()
  })

  it('stays bounded under endless churn, keeping the ids seen most recently', () => {
    const table = new IdTable(16, (id, now) => ({ id, lastSeen: now }))
    for (let i = 0; i < 1_000; i++) {
      table.get(i, i)
      table.get(-1, i) // one id that never leaves
      expect(table.size).toBeLessThanOrEqual(16)
    }
    expect(table.peek(-1)).toBeDefined()
    expect(table.peek(999)).toBeDefined()
    expect(table.peek(0)).toBeUndefined()
  })
})
