import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { seededRandom } from '../ports'
import { ROUTERS, ROUTER_NAMES, routerFactory } from './registry'
import type { CandidateView, JobView, Router } from './types'

/** One scripted step: which ids are candidates now, and which pending decisions report back. */
interface Step {
  ids: number[]
  fields: Omit<CandidateView, 'id'>[]
  job: JobView
  reports: number[]
  ok: boolean
  latencyMs: number
}

const step: fc.Arbitrary<Step> = fc
  .uniqueArray(fc.nat({ max: 40 }), { minLength: 1, maxLength: 12 })
  .chain((ids) =>
    fc.record({
      ids: fc.constant(ids),
      fields: fc.array(
        fc.record({
          predictedRttMs: fc.option(fc.double({ min: 0, max: 400, noNaN: true })),
          inFlight: fc.nat({ max: 6 }),
          reportedQueue: fc.option(fc.nat({ max: 30 })),
          reportAgeMs: fc.double({ min: 0, max: 10_000, noNaN: true }),
          capacity: fc.option(fc.double({ min: 0.05, max: 20, noNaN: true })),
        }),
        { minLength: ids.length, maxLength: ids.length },
      ),
      job: fc.record({
        jobClass: fc.integer({ min: 0, max: 300 }),
        sizeHint: fc.option(fc.double({ min: 0.001, max: 1e6, noNaN: true })),
      }),
      reports: fc.array(fc.nat({ max: 50 }), { maxLength: 3 }),
      ok: fc.boolean(),
      latencyMs: fc.double({ min: 0, max: 20_000, noNaN: true }),
    }),
  )

/** Plays `steps` against `router`; returns the choices. Outcomes come back in a scrambled order. */
function play(router: Router, steps: readonly Step[]): number[] {
  const out: number[] = []
  const pending: { id: number; job: JobView }[] = []
  let now = 0
  for (const s of steps) {
    now += 7
    const views = s.ids.map((id, i) => ({ id, ...s.fields[i]! }))
    const k = router.choose(s.job, views, now)
    out.push(k)
    expect(Number.isInteger(k) && k >= 0 && k < views.length).toBe(true)
    pending.push({ id: views[k]!.id, job: s.job })
    for (const r of s.reports) {
      if (pending.length === 0) break
      const [done] = pending.splice(r % pending.length, 1)
      router.feedback({
        candidate: done!.id,
        job: done!.job,
        latencyMs: s.latencyMs,
        ok: s.ok,
        now,
      })
    }
  }
  return out
}

describe('every registered router', () => {
  it.each(ROUTER_NAMES)(
    '%s: an index in range, whatever comes and goes, and the same choices per seed',
    (name) => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.nat(), (steps, seed) => {
          const a = play(ROUTERS[name]()(seededRandom(seed)), steps)
          const b = play(ROUTERS[name]()(seededRandom(seed)), steps)
          expect(b).toEqual(a)
        }),
        { numRuns: 60 },
      )
    },
  )

  it.each(ROUTER_NAMES)('%s: with one candidate, always 0', (name) => {
    const router = ROUTERS[name]()(seededRandom(1))
    const job = { jobClass: 0, sizeHint: null }
    for (let i = 0; i < 20; i++) {
      const only = [
        {
          id: i % 3,
          predictedRttMs: 10,
          inFlight: 0,
          reportedQueue: null,
          reportAgeMs: 0,
          capacity: 1,
        },
      ]
      expect(router.choose(job, only, i)).toBe(0)
      router.feedback({ candidate: i % 3, job, latencyMs: 5, ok: i % 2 === 0, now: i + 0.5 })
    }
  })

  it.each(ROUTER_NAMES)('%s: refuses an empty candidate list with MfnInputError', (name) => {
    const router = ROUTERS[name]()(seededRandom(1))
    expect(() => router.choose({ jobClass: 0, sizeHint: null }, [], 0)).toThrowError(
      expect.objectContaining({ name: 'MfnInputError', code: 'ERR_MFN_INPUT' }),
    )
  })

  it('is named as registered', () => {
    for (const name of ROUTER_NAMES) expect(ROUTERS[name]()(seededRandom(1)).name).toBe(name)
  })
})

describe('routerFactory', () => {
  it('builds by name and refuses unknown names and unknown options', () => {
    expect(routerFactory('p2c-pewma', { decayTimeMs: 500 })(seededRandom(1)).name).toBe(
      'p2c-pewma/500ms',
    )
    expect(() => routerFactory('p2c')).toThrowError(
      expect.objectContaining({ name: 'UnknownRouterError', code: 'ERR_MFN_UNKNOWN_ROUTER' }),
    )
    expect(() => routerFactory('random', { decayTimeMs: 5 })).toThrowError(
      expect.objectContaining({ name: 'MfnOptionsError', option: 'decayTimeMs' }),
    )
    expect(() => routerFactory('softmax', { temperature: 0 })).toThrowError(
      expect.objectContaining({ name: 'MfnOptionsError', option: 'temperature' }),
    )
  })

  it('lets an ablation keep its switch over the caller’s options', () => {
    const router = routerFactory('mfn/no-noise', { noise: true, noiseStd: 0.5 })(seededRandom(1))
    expect(router.name).toBe('mfn/no-noise')
  })
})
