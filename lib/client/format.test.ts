import { describe, expect, it } from 'vitest'
import { formatRtt } from './format'

describe('formatRtt', () => {
  it('shows one decimal below 10 ms and whole ms above, never a raw float', () => {
    expect(formatRtt(8.100000000558794)).toBe('8.1 ms')
    expect(formatRtt(0.04)).toBe('0.0 ms')
    expect(formatRtt(10.4)).toBe('10 ms')
    expect(formatRtt(123.6)).toBe('124 ms')
  })

  it('says unknown when there is no figure', () => {
    expect(formatRtt(null)).toBe('unknown')
    expect(formatRtt(Number.NaN)).toBe('unknown')
  })
})
