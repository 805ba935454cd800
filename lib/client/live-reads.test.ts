import { describe, expect, it } from 'vitest'
import { IDLE_LIVE, LiveReads } from './live-reads'

/** A fetch whose answers the test releases one by one. */
function controlled<T>() {
  const waiting: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = []
  let calls = 0
  return {
    fetch: () =>
      new Promise<T>((resolve, reject) => {
        calls++
        waiting.push({ resolve, reject })
      }),
    answer: (v: T) => waiting.shift()!.resolve(v),
    fail: (e: unknown) => waiting.shift()!.reject(e),
    get calls() {
      return calls
    },
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0))

describe('LiveReads', () => {
  it('asks once per version and keeps the answer on show while a newer one is asked', async () => {
    const r = new LiveReads()
    const f = controlled<string>()
    expect(r.read('k')).toBe(IDLE_LIVE)
    const first = r.follow('k', 5, f.fetch)
    expect(r.read('k').status).toBe('loading')
    f.answer('at 5')
    await first
    expect(r.read('k')).toEqual({ status: 'done', data: 'at 5', version: 5, problem: null })
    // The same or an older version: nothing to ask.
    await r.follow('k', 5, f.fetch)
    await r.follow('k', 4, f.fetch)
    expect(f.calls).toBe(1)
    const second = r.follow('k', 6, f.fetch)
    expect(r.read('k')).toMatchObject({ status: 'loading', data: 'at 5', version: 5 })
    f.answer('at 6')
    await second
    expect(r.read('k')).toMatchObject({ status: 'done', data: 'at 6', version: 6 })
    expect(f.calls).toBe(2)
  })

  it('asks again right after for a version that came while an ask ran', async () => {
    const r = new LiveReads()
    const f = controlled<number>()
    const running = r.follow('k', 1, f.fetch)
    void r.follow('k', 2, f.fetch)
    void r.follow('k', 3, f.fetch)
    expect(f.calls).toBe(1)
    f.answer(1)
    await tick()
    expect(f.calls).toBe(2)
    f.answer(3)
    await running
    expect(r.read('k')).toMatchObject({ status: 'done', data: 3, version: 3 })
    expect(f.calls).toBe(2)
  })

  it('keeps the last answer after a failure, says why, and asks again next time', async () => {
    const r = new LiveReads()
    const f = controlled<string>()
    const one = r.follow('k', 1, f.fetch)
    f.answer('one')
    await one
    const two = r.follow('k', 2, f.fetch)
    f.fail(Object.assign(new Error('the worker stopped'), { name: 'ChainRequestError' }))
    await two
    expect(r.read('k')).toEqual({
      status: 'error',
      data: 'one',
      version: 1,
      problem: 'The worker stopped.',
    })
    const again = r.follow('k', 2, f.fetch)
    f.answer('two')
    await again
    expect(r.read('k')).toMatchObject({ status: 'done', data: 'two', problem: null })
  })

  it('notifies subscribers and forgets the entries used least recently beyond its size', async () => {
    const r = new LiveReads({ max: 2 })
    let changes = 0
    const off = r.subscribe(() => changes++)
    for (const k of ['a', 'b', 'c']) await r.follow(k, 1, async () => k)
    expect(changes).toBe(6)
    expect(r.read('a')).toBe(IDLE_LIVE)
    expect(r.read('c').data).toBe('c')
    off()
    await r.follow('d', 1, async () => 'd')
    expect(changes).toBe(6)
  })
})
