import { describe, expect, it } from 'vitest'
import { RandomStreams } from './random'
import { MemorySimStore } from './store'

const bytes = (n: number): Uint8Array => Uint8Array.of(n)

describe('MemorySimStore', () => {
  it('reads its own unsynced writes, deletes and lists sorted keys by prefix', () => {
    const s = new MemorySimStore()
    s.put('vote/2', bytes(2))
    s.put('vote/1', bytes(1))
    s.put('other', bytes(9))
    s.sync()
    s.delete('vote/2')
    s.put('vote/3', bytes(3))
    expect(s.get('vote/2')).toBeUndefined()
    expect(s.get('vote/3')).toEqual(bytes(3))
    expect(s.keys('vote/')).toEqual(['vote/1', 'vote/3'])
    expect(s.keys()).toEqual(['other', 'vote/1', 'vote/3'])
  })

  it('copies values on put', () => {
    const s = new MemorySimStore()
    const v = bytes(1)
    s.put('k', v)
    v[0] = 99
    expect(s.get('k')).toEqual(bytes(1))
  })

  it('loses unsynced writes on a crash only when asked', () => {
    const setup = (): MemorySimStore => {
      const s = new MemorySimStore()
      s.put('synced', bytes(1))
      s.sync()
      s.put('unsynced', bytes(2))
      s.delete('synced')
      return s
    }
    const all = setup()
    all.crash('all')
    expect(all.keys()).toEqual(['synced'])
    expect(all.unsynced).toBe(0)
    const none = setup()
    none.crash('none')
    expect(none.keys()).toEqual(['unsynced'])
  })

  it('keeps a prefix of the pending writes in write order on a partial loss', () => {
    const random = new RandomStreams(1).stream('storage')
    for (let round = 0; round < 50; round++) {
      const s = new MemorySimStore()
      for (let i = 0; i < 10; i++) s.put(`k${i}`, bytes(i))
      s.crash('some', random)
      const kept = s
        .keys()
        .map((k) => Number(k.slice(1)))
        .sort((a, b) => a - b)
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i))
    }
  })
})
