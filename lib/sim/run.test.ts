import { describe, expect, it } from 'vitest'
import { DuplicateScenarioError, UnknownScenarioError } from './errors'
import { ScenarioRegistry } from './registry'
import { runSeed, sweep } from './run'
import { toyCounter } from './scenarios/toy-counter'
import { defaultScenarios } from './scenarios'

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (e) {
    return (e as { code?: string }).code
  }
  return undefined
}

describe('runSeed', () => {
  it('refuses options that cannot describe a run', () => {
    expect(code(() => runSeed(toyCounter, -1))).toBe('ERR_SIM_CONFIG')
    expect(code(() => runSeed(toyCounter, 1, { validators: 0 }))).toBe('ERR_SIM_CONFIG')
    expect(code(() => runSeed(toyCounter, 1, { validators: 2, byzantine: 3 }))).toBe(
      'ERR_SIM_CONFIG',
    )
    expect(code(() => runSeed(toyCounter, 1, { durationMs: 0 }))).toBe('ERR_SIM_CONFIG')
    expect(code(() => runSeed(toyCounter, 1, { faults: 'meteor' }))).toBe('ERR_SIM_FAULT_SPEC')
  })

  it('draws random faults from the seed and reports them canonically for replay', () => {
    const a = runSeed(toyCounter, 8, { durationMs: 2000, faults: 'random', byzantine: 1 })
    const replay = runSeed(toyCounter, 8, { durationMs: 2000, faults: a.faults, byzantine: 1 })
    expect(replay.traceHash).toBe(a.traceHash)
    expect(a.schedule.length).toBeGreaterThanOrEqual(0)
  })

  it('ends a run at the liveness deadline when it falls after the duration', () => {
    const r = runSeed(toyCounter, 1, {
      durationMs: 1000,
      faults: 'loss',
      options: { deadline: '5000' },
    })
    expect(r.endMs).toBe(600 + 5000)
  })
})

describe('sweep', () => {
  it('aggregates seeds and keeps the failures', () => {
    const seen: number[] = []
    const s = sweep(
      toyCounter,
      3,
      6,
      { durationMs: 1500, options: { bug: 'small-quorum' }, faults: 'partition:split=0-1/2-3' },
      (r) => seen.push(r.seed),
    )
    expect(seen).toEqual([3, 4, 5, 6])
    expect(s.runs).toBe(4)
    expect(s.passed + s.failed).toBe(4)
    expect(s.failures.every((f) => f.violation.invariant === 'agreement')).toBe(true)
    expect(code(() => sweep(toyCounter, 5, 4))).toBe('ERR_SIM_CONFIG')
  })
})

describe('ScenarioRegistry', () => {
  it('finds scenarios by name and refuses duplicates and unknown names', () => {
    const r = defaultScenarios()
    expect(r.names()).toContain('toy')
    expect(r.get('toy')).toBe(toyCounter)
    expect(() => r.register(toyCounter)).toThrow(DuplicateScenarioError)
    expect(r.names()).toContain('consensus')
    expect(() => r.get('no-such-scenario')).toThrow(UnknownScenarioError)
    expect(new ScenarioRegistry().names()).toEqual([])
  })
})
