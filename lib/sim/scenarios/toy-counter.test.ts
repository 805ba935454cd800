import { describe, expect, it } from 'vitest'
import { runSeed, sweep, type RunOptions } from '../run'
import { toyCounter, toyCounterScenario } from './toy-counter'

describe('toy counter (infrastructure self-test)', () => {
  it('commits and keeps its invariants under every fault kind', () => {
    const opts: RunOptions = {
      validators: 7,
      nodes: 6,
      byzantine: 2,
      durationMs: 6000,
      faults:
        'loss=0.05,dup=0.05,reorder=0.2,jitter=30,partition=2,crash=2:lose=some,restart,skew=200,churn=2,equivocate,twins',
    }
    const r = runSeed(toyCounter, 21, opts)
    expect(r.violations).toEqual([])
    expect(r.summary.maxCommittedSlots).toBeGreaterThan(5)
    expect(r.liveness?.recoveredAfterMs).not.toBeNull()
    expect(r.counters['requests-committed']?.total).toBeGreaterThan(0)
    expect(r.distributions['request-latency-ms']?.count).toBeGreaterThan(0)
    expect(Object.keys(r.messages.byKind)).toEqual(['proposal', 'request', 'vote'])
    expect(JSON.parse(JSON.stringify(r))).toEqual(r)
  })

  it('passes a sweep of random fault schedules with a Byzantine validator', () => {
    const result = sweep(toyCounter, 1, 60, {
      validators: 4,
      nodes: 2,
      byzantine: 1,
      durationMs: 3000,
      faults: 'random',
    })
    expect(result.failures).toEqual([])
    expect(result.runs).toBe(60)
  })

  it('catches a quorum too small for a partition (agreement)', () => {
    const r = runSeed(toyCounterScenario({ bug: 'small-quorum' }), 1, {
      validators: 4,
      faults: 'partition:split=0-1/2-3:at=1s:for=3s',
    })
    expect(r.violations.map((v) => v.invariant)).toEqual(['agreement'])
    const v = r.violations[0]!
    expect(v.timeMs).toBeGreaterThan(1000)
    expect(v.timeMs).toBeLessThan(4000)
    // The correct protocol keeps agreement under the same faults.
    expect(
      runSeed(toyCounter, 1, { validators: 4, faults: 'partition:split=0-1/2-3:at=1s:for=3s' }).ok,
    ).toBe(true)
  })

  it('catches acting on unsynced writes when a crash loses them (durability)', () => {
    const faults = 'crash:lose=all,restart'
    const r = runSeed(toyCounterScenario({ bug: 'no-sync' }), 1, { validators: 4, faults })
    expect(r.violations.map((v) => v.invariant)).toEqual(['durability'])
    // A crash that keeps unsynced writes hides the bug; the correct protocol survives either way.
    expect(
      runSeed(toyCounterScenario({ bug: 'no-sync' }), 1, {
        validators: 4,
        faults: 'crash:lose=none,restart',
      }).ok,
    ).toBe(true)
    expect(runSeed(toyCounter, 1, { validators: 4, faults }).ok).toBe(true)
  })

  it('catches a missing validity check against an invalid Byzantine leader (validity)', () => {
    const opts: RunOptions = { validators: 4, byzantine: 1, faults: 'invalid' }
    expect(
      runSeed(toyCounterScenario({ bug: 'no-validation' }), 1, opts).violations.map(
        (v) => v.invariant,
      ),
    ).toEqual(['validity'])
    expect(runSeed(toyCounter, 1, opts).ok).toBe(true)
  })

  it('reports a liveness failure when a partition never lets a quorum form', () => {
    // Neither side of a 2/2 split has a quorum until the heal at 1.8 s; progress cannot resume
    // within 10 ms of it (a slot is 500 ms), so the liveness check must fire.
    const r = runSeed(toyCounter, 1, {
      validators: 4,
      durationMs: 3000,
      faults: 'partition:split=0-1/2-3',
      options: { deadline: '10' },
    })
    expect(r.violations.map((v) => v.invariant)).toEqual(['liveness:value-commits'])
  })

  it('handles 31 validators and 100 nodes', () => {
    const r = runSeed(toyCounter, 5, {
      validators: 31,
      nodes: 100,
      durationMs: 2000,
      faults: 'loss=0.02,crash=3,churn',
    })
    expect(r.ok).toBe(true)
    expect(r.hosts).toBe(131)
    expect(r.messages.deliveredPerSecond).toBeGreaterThan(1000)
  })

  it('refuses unknown options', () => {
    expect(() => runSeed(toyCounter, 1, { options: { colour: 'red' } })).toThrow(
      expect.objectContaining({ code: 'ERR_SIM_CONFIG' }),
    )
    expect(() => runSeed(toyCounter, 1, { options: { bug: 'all' } })).toThrow(
      expect.objectContaining({ code: 'ERR_SIM_CONFIG' }),
    )
  })
})
