import { describe, expect, it } from 'vitest'
import { PendingDecisions } from './pending'
import type { JobView } from './types'

function store(capacity: number): PendingDecisions {
  return new PendingDecisions(capacity, 2)
}

function add(p: PendingDecisions, candidate: number, job: JobView, tag: number): number {
  const slot = p.add(candidate, job)
  p.vectors[slot * 2] = tag
  p.vectors[slot * 2 + 1] = -tag
  return slot
}

function tagOf(p: PendingDecisions, slot: number): number {
  return slot < 0 ? NaN : p.vectors[slot * 2]!
}

describe('PendingDecisions', () => {
  it('matches outcomes that come back in any order by the job object', () => {
    const p = store(16)
    const jobs: JobView[] = [0, 1, 2, 3].map(() => ({ jobClass: 0, sizeHint: null }))
    jobs.forEach((job, i) => add(p, 7, job, i + 1))
    expect(p.pending).toBe(4)
    expect(tagOf(p, p.take(7, jobs[2]!))).toBe(3)
    expect(tagOf(p, p.take(7, jobs[0]!))).toBe(1)
    expect(tagOf(p, p.take(7, jobs[3]!))).toBe(4)
    expect(tagOf(p, p.take(7, jobs[1]!))).toBe(2)
    expect(p.pending).toBe(0)
    expect(p.take(7, jobs[1]!)).toBe(-1)
  })

  it('falls back to the oldest with the same class and size hint, then to the oldest on that candidate', () => {
    const p = store(16)
    add(p, 1, { jobClass: 0, sizeHint: null }, 1)
    add(p, 1, { jobClass: 1, sizeHint: 5 }, 2)
    add(p, 1, { jobClass: 1, sizeHint: 5 }, 3)
    add(p, 2, { jobClass: 1, sizeHint: 5 }, 4)
    expect(tagOf(p, p.take(1, { jobClass: 1, sizeHint: 5 }))).toBe(2)
    expect(tagOf(p, p.take(1, { jobClass: 9, sizeHint: null }))).toBe(1)
    expect(tagOf(p, p.take(1, { jobClass: 1, sizeHint: null }))).toBe(3)
    expect(p.take(1, { jobClass: 1, sizeHint: 5 })).toBe(-1)
    expect(tagOf(p, p.take(2, { jobClass: 1, sizeHint: 5 }))).toBe(4)
  })

  it('stays bounded: the oldest pending decision is overwritten when full', () => {
    const p = store(4)
    const jobs: JobView[] = []
    for (let i = 0; i < 50; i++) {
      const job = { jobClass: 0, sizeHint: null }
      jobs.push(job)
      add(p, i % 3, job, i)
      expect(p.pending).toBeLessThanOrEqual(4)
    }
    // jobs[0]'s decision was overwritten long ago: the oldest similar one on candidate 0 answers.
    expect(tagOf(p, p.take(0, jobs[0]!))).toBe(48)
    expect(tagOf(p, p.take(1, jobs[49]!))).toBe(49)
    expect(tagOf(p, p.take(2, jobs[47]!))).toBe(47)
    expect(p.pending).toBe(1)
    expect(p.take(0, jobs[45]!)).toBe(-1)
    expect(tagOf(p, p.take(1, jobs[3]!))).toBe(46)
    expect(p.pending).toBe(0)
  })
})
