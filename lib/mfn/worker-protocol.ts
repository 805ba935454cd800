/**
 * Messages between a tab and its MFN worker (workers/mfn.worker.ts): the page side asks for routing
 * decisions and reports their outcomes; the worker owns the router. Plain structured-clone data.
 * The worker checks every message's shape (`parseMfnRequest`): a bad one is answered with an
 * error and changes nothing.
 */
import type { DecisionSnapshot, MfnSnapshot } from './router'
import type { CandidateView, JobView, RoutingOutcome } from './types'

/** Page → worker. */
export type MfnRequest =
  | { type: 'route'; id: number; job: JobView; candidates: CandidateView[]; now: number }
  | { type: 'feedback'; outcome: RoutingOutcome }
  | { type: 'snapshot'; id: number; now: number }

/** Worker → page. */
export type MfnResponse =
  | {
      type: 'routed'
      id: number
      index: number
      /** Time of `choose` in the worker, µs. */
      micros: number
      /** The race behind it: winner and runner-up spike times. */
      decision: DecisionSnapshot | null
    }
  | { type: 'snapshot'; id: number; snapshot: MfnSnapshot }
  | { type: 'error'; id: number | null; error: { name: string; message: string } }

/** A message to the MFN worker that is not one of `MfnRequest`. */
export class MfnRequestError extends Error {
  override readonly name = 'MfnRequestError'
  readonly code = 'ERR_MFN_REQUEST'
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null
const isId = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0
const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0
const isNullableNonNeg = (x: unknown): boolean => x === null || isTime(x)

function parseJob(x: unknown): JobView {
  if (!isObject(x) || !isId(x.jobClass) || !isNullableNonNeg(x.sizeHint))
    throw new MfnRequestError('job: expected { jobClass, sizeHint }')
  return { jobClass: x.jobClass, sizeHint: x.sizeHint as number | null }
}

function parseCandidate(x: unknown): CandidateView {
  if (
    !isObject(x) ||
    !isId(x.id) ||
    !isNullableNonNeg(x.predictedRttMs) ||
    !isId(x.inFlight) ||
    !(x.reportedQueue === null || isId(x.reportedQueue)) ||
    !isTime(x.reportAgeMs) ||
    !isNullableNonNeg(x.capacity)
  )
    throw new MfnRequestError('candidate: expected a CandidateView')
  return {
    id: x.id,
    predictedRttMs: x.predictedRttMs as number | null,
    inFlight: x.inFlight,
    reportedQueue: x.reportedQueue as number | null,
    reportAgeMs: x.reportAgeMs,
    capacity: x.capacity as number | null,
  }
}

/** Most candidates one decision may offer: a tab keeps at most 64 direct peers. */
export const MFN_MAX_CANDIDATES = 256

/**
 * Check a message received by the worker.
 *
 * @throws MfnRequestError - not a well-formed `MfnRequest`
 */
export function parseMfnRequest(x: unknown): MfnRequest {
  if (!isObject(x)) throw new MfnRequestError('expected an object')
  switch (x.type) {
    case 'route': {
      if (!isId(x.id) || !isTime(x.now) || !Array.isArray(x.candidates))
        throw new MfnRequestError('route: expected { id, job, candidates, now }')
      if (x.candidates.length === 0 || x.candidates.length > MFN_MAX_CANDIDATES)
        throw new MfnRequestError(`route: 1 to ${MFN_MAX_CANDIDATES} candidates`)
      return {
        type: 'route',
        id: x.id,
        job: parseJob(x.job),
        candidates: x.candidates.map(parseCandidate),
        now: x.now,
      }
    }
    case 'feedback': {
      const o = x.outcome
      if (
        !isObject(o) ||
        !isId(o.candidate) ||
        !isTime(o.latencyMs) ||
        typeof o.ok !== 'boolean' ||
        !isTime(o.now)
      )
        throw new MfnRequestError('feedback: expected { outcome: RoutingOutcome }')
      return {
        type: 'feedback',
        outcome: {
          candidate: o.candidate,
          job: parseJob(o.job),
          latencyMs: o.latencyMs,
          ok: o.ok,
          now: o.now,
        },
      }
    }
    case 'snapshot':
      if (!isId(x.id) || !isTime(x.now)) throw new MfnRequestError('snapshot: expected { id, now }')
      return { type: 'snapshot', id: x.id, now: x.now }
    default:
      throw new MfnRequestError('unknown message type')
  }
}
