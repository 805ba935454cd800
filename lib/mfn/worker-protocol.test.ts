import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { MFN_MAX_CANDIDATES, parseMfnRequest, type MfnRequest } from './worker-protocol'

const candidate = fc.record({
  id: fc.nat(1000),
  predictedRttMs: fc.option(fc.double({ min: 0, max: 1e4, noNaN: true })),
  inFlight: fc.nat(50),
  reportedQueue: fc.option(fc.nat(100)),
  reportAgeMs: fc.double({ min: 0, max: 1e5, noNaN: true }),
  capacity: fc.option(fc.double({ min: 0, max: 100, noNaN: true })),
})
const job = fc.record({
  jobClass: fc.nat(10),
  sizeHint: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })),
})
const request: fc.Arbitrary<MfnRequest> = fc.oneof(
  fc.record({
    type: fc.constant('route' as const),
    id: fc.nat(),
    job,
    candidates: fc.array(candidate, { minLength: 1, maxLength: 20 }),
    now: fc.nat(),
  }),
  fc.record({
    type: fc.constant('feedback' as const),
    outcome: fc.record({
      candidate: fc.nat(1000),
      job,
      latencyMs: fc.double({ min: 0, max: 1e5, noNaN: true }),
      ok: fc.boolean(),
      now: fc.nat(),
    }),
  }),
  fc.record({ type: fc.constant('snapshot' as const), id: fc.nat(), now: fc.nat() }),
)

describe('MFN worker protocol', () => {
  it('accepts every well-formed request unchanged', () => {
    fc.assert(
      fc.property(request, (r) => {
        expect(parseMfnRequest(r)).toEqual(r)
      }),
    )
  })

  it('refuses anything else with MfnRequestError, never another exception', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        try {
          parseMfnRequest(x)
        } catch (e) {
          expect((e as Error).name).toBe('MfnRequestError')
        }
      }),
    )
    const refuse = (x: unknown) =>
      expect(() => parseMfnRequest(x)).toThrow(expect.objectContaining({ name: 'MfnRequestError' }))
    refuse({ type: 'route', id: 1, job: { jobClass: 0, sizeHint: null }, candidates: [], now: 0 })
    refuse({
      type: 'route',
      id: 1,
      job: { jobClass: 0, sizeHint: null },
      candidates: Array.from({ length: MFN_MAX_CANDIDATES + 1 }, (_, id) => ({
        id,
        predictedRttMs: null,
        inFlight: 0,
        reportedQueue: null,
        reportAgeMs: 0,
        capacity: null,
      })),
      now: 0,
    })
    refuse({
      type: 'feedback',
      outcome: {
        candidate: -1,
        job: { jobClass: 0, sizeHint: null },
        latencyMs: 1,
        ok: true,
        now: 0,
      },
    })
    refuse({ type: 'snapshot', id: 1, now: Number.NaN })
    refuse({ type: 'shutdown' })
  })
})
