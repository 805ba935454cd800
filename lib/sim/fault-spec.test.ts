import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FaultSpecError } from './errors'
import { formatFaultSpec, parseFaultSpec, randomFaultSpec } from './fault-spec'
import { RandomStreams } from './random'
import { faultItemArb, onceItemsArb } from './test-support'

function errorOf(text: string): FaultSpecError {
  try {
    parseFaultSpec(text)
  } catch (e) {
    if (e instanceof FaultSpecError) return e
    throw e
  }
  throw new Error(`"${text}" parsed`)
}

describe('parseFaultSpec', () => {
  it('parses primary values, parameters, times and splits', () => {
    expect(
      parseFaultSpec(
        'loss=0.1, crash:n=2:lose=some:at=1.5s ,partition:split=0-1+4/2-3:for=2s,restart=250ms,twins,byz=mute',
      ),
    ).toEqual([
      { name: 'loss', params: { p: 0.1 } },
      { name: 'crash', params: { n: 2, lose: 'some', at: 1500 } },
      { name: 'partition', params: { split: '0-1+4/2-3', for: 2000 } },
      { name: 'restart', params: { after: 250 } },
      { name: 'twins', params: {} },
      { name: 'byz', params: { as: 'mute' } },
    ])
    expect(parseFaultSpec('')).toEqual([])
    expect(parseFaultSpec('none')).toEqual([])
    expect(parseFaultSpec('skew=1m')).toEqual([{ name: 'skew', params: { ms: 60_000 } }])
  })

  it('refuses bad lists with FaultSpecError', () => {
    for (const bad of [
      'lose=0.1',
      'loss=2',
      'loss:q=1',
      'loss=0.1:p=0.2',
      'crash=0',
      'crash:who=everyone',
      'crash:lose=half',
      'partition:split=0-1/1-2',
      'partition:split=a',
      'jitter=fast',
      'heal=1s,heal=2s',
      'twins=3',
      'byz',
      'loss:at',
    ]) {
      const e = errorOf(bad)
      expect(e.name).toBe('FaultSpecError')
      expect(e.code).toBe('ERR_SIM_FAULT_SPEC')
      expect(e.toJSON()).toMatchObject({ name: 'FaultSpecError', code: 'ERR_SIM_FAULT_SPEC' })
    }
  })

  it('round-trips through the canonical text', () => {
    fc.assert(
      fc.property(fc.array(faultItemArb, { maxLength: 6 }), onceItemsArb, (items, once) => {
        const spec = [...items, ...once]
        const text = formatFaultSpec(spec)
        expect(parseFaultSpec(text)).toEqual(spec)
        expect(formatFaultSpec(parseFaultSpec(text))).toBe(text)
      }),
    )
  })

  it('draws random lists that are valid and canonical', () => {
    for (let seed = 0; seed < 200; seed++) {
      const spec = randomFaultSpec(new RandomStreams(seed).stream('fault-spec'), {
        validators: 4,
        nodes: 3,
        byzantine: seed % 2,
        behaviours: ['equivocate', 'withhold'],
      })
      expect(parseFaultSpec(formatFaultSpec(spec))).toEqual(spec)
      if (seed % 2 === 0)
        expect(spec.some((i) => ['equivocate', 'withhold', 'twins'].includes(i.name))).toBe(false)
    }
  })
})
