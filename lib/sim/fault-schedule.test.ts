import { describe, expect, it } from 'vitest'
import { SimConfigError, FaultSpecError } from './errors'
import { compileFaults, type CompileFaultsInit } from './fault-schedule'
import { parseFaultSpec } from './fault-spec'
import { DEFAULT_CONDITIONS } from './network'
import { RandomStreams } from './random'

const init = (over: Partial<CompileFaultsInit> = {}): CompileFaultsInit => ({
  validators: 4,
  nodes: 3,
  byzantine: 0,
  durationMs: 10_000,
  behaviours: ['equivocate', 'withhold'],
  base: DEFAULT_CONDITIONS,
  ...over,
})

const compile = (text: string, over: Partial<CompileFaultsInit> = {}, seed = 1) =>
  compileFaults(parseFaultSpec(text), init(over), new RandomStreams(seed).stream('faults'))

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  return undefined
}

describe('compileFaults', () => {
  it('ends every disruptive schedule with a heal, after which nothing is scheduled', () => {
    for (let seed = 0; seed < 50; seed++) {
      const s = compile(
        'loss=0.2,partition:times=2,crash=2:lose=some,restart,churn=2,jitter',
        {},
        seed,
      )
      expect(s.healAtMs).toBe(6000)
      const last = s.events.at(-1)
      expect(last).toEqual({ atMs: 6000, action: { kind: 'heal' } })
      expect(s.events.every((e) => e.atMs <= 6000)).toBe(true)
      expect(s.events.map((e) => e.atMs)).toEqual(
        [...s.events.map((e) => e.atMs)].sort((a, b) => a - b),
      )
    }
  })

  it('has no heal without disruptive faults, and honours an explicit heal', () => {
    expect(compile('skew=100').healAtMs).toBeNull()
    expect(compile('none').events).toEqual([])
    expect(compile('loss,heal=2s').healAtMs).toBe(2000)
  })

  it('windows network conditions and restores the base when a window closes early', () => {
    const s = compile('loss=0.3:at=1s:until=2s')
    expect(s.events.slice(0, 2)).toEqual([
      { atMs: 1000, action: { kind: 'conditions', change: { loss: 0.3 } } },
      { atMs: 2000, action: { kind: 'conditions', change: { loss: 0 } } },
    ])
  })

  it('crashes honest hosts of the requested role and restarts them after the downtime', () => {
    const s = compile('crash=2:who=nodes:at=1s,restart=500ms')
    const crashes = s.events.filter((e) => e.action.kind === 'crash')
    const restarts = s.events.filter((e) => e.action.kind === 'restart')
    expect(crashes).toHaveLength(2)
    expect(restarts.map((e) => e.atMs)).toEqual([1500, 1500])
    for (const c of crashes)
      if (c.action.kind === 'crash') expect(c.action.host).toBeGreaterThanOrEqual(4)
  })

  it('uses an explicit split and refuses hosts that do not exist', () => {
    const s = compile('partition:split=0-1/2-3:at=1s:for=2s')
    expect(s.events.slice(0, 2)).toEqual([
      {
        atMs: 1000,
        action: {
          kind: 'partition',
          groups: [
            [0, 1],
            [2, 3],
          ],
        },
      },
      { atMs: 3000, action: { kind: 'heal-partition' } },
    ])
    const e = thrown(() => compile('partition:split=0/9'))
    expect(e).toBeInstanceOf(FaultSpecError)
  })

  it('refuses times after the heal or the end of the run', () => {
    expect((thrown(() => compile('loss:at=7s')) as FaultSpecError).code).toBe('ERR_SIM_FAULT_SPEC')
    expect((thrown(() => compile('heal=20s')) as FaultSpecError).code).toBe('ERR_SIM_FAULT_SPEC')
  })

  it('assigns Byzantine behaviours round-robin and adds a host per twin', () => {
    const s = compile('equivocate,twins', { byzantine: 2 })
    expect([...s.byzantine.values()].sort()).toEqual(['equivocate', 'twins'])
    expect(s.hosts).toHaveLength(8)
    const twinNode = [...s.byzantine].find(([, b]) => b === 'twins')?.[0]
    expect(s.hosts.filter((h) => h.node === twinNode)).toHaveLength(2)
    // Without Byzantine items, the scenario's behaviours are used.
    expect([...compile('none', { byzantine: 2 }).byzantine.values()].sort()).toEqual([
      'equivocate',
      'withhold',
    ])
  })

  it('refuses Byzantine settings the run or scenario cannot honour', () => {
    for (const [text, over] of [
      ['equivocate', {}],
      ['byz=mute', { byzantine: 1 }],
      ['none', { byzantine: 5 }],
    ] as const) {
      const e = thrown(() => compile(text, over))
      expect(e).toBeInstanceOf(SimConfigError)
      expect((e as SimConfigError).code).toBe('ERR_SIM_CONFIG')
    }
  })

  it('draws the same schedule from the same seed', () => {
    const text = 'partition=3,crash=2:lose=some,restart,skew=300:drift=100,churn'
    expect(compile(text, {}, 9)).toEqual(compile(text, {}, 9))
    expect(compile(text, {}, 9)).not.toEqual(compile(text, {}, 10))
  })
})
