import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  HASHCASH_MAX_LENGTH,
  HASHCASH_MAX_RESOURCE_LENGTH,
  HashcashError,
  InvalidHashcashOptionError,
  checkHashcash,
  isValidHashcashResource,
  leadingZeroBits,
  mintHashcash,
  parseHashcash,
  type CheckHashcashInit,
  type HashcashFailure,
  type HashcashStamp,
  type MintHashcashInit,
} from './hashcash'

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

function reasonOf(fn: () => unknown): HashcashFailure {
  const err = thrown(fn)
  expect(err).toBeInstanceOf(HashcashError)
  expect(err).toMatchObject({ name: 'HashcashError', code: 'ERR_HASHCASH' })
  return (err as HashcashError).reason
}

/** Leading zero bits computed independently, with Node's SHA-256 and a bit string. */
function nodeZeroBits(stamp: string): number {
  const bitsText = [...createHash('sha256').update(stamp, 'utf8').digest()]
    .map((b) => b.toString(2).padStart(8, '0'))
    .join('')
  const first = bitsText.indexOf('1')
  return first < 0 ? bitsText.length : first
}

const T = 1_750_000_000
const PEER = '12D3KooWBmwXN3rsVfnLsZKbXeBrSLfczHxZHwVjPrbKwpLfYm3t'
const CHECK: CheckHashcashInit = {
  resource: PEER,
  bits: 8,
  nowSeconds: T,
  maxAgeSeconds: 300,
  maxFutureSeconds: 60,
}

function mint(init: Partial<MintHashcashInit> = {}): string {
  const stamp = mintHashcash({
    resource: PEER,
    bits: 8,
    nowSeconds: T,
    maxIterations: 1 << 20,
    ...init,
  })
  if (stamp === null) throw new Error('no stamp found')
  return stamp
}

/** A stamp claiming `bits` whose hash does not have them (the first such nonce from 0). */
function unworkedStamp(bits: number, resource = PEER, time = T): string {
  for (let nonce = 0; ; nonce++) {
    const stamp = `v1:${bits}:${time}:${resource}:${nonce.toString(16)}`
    if (nodeZeroBits(stamp) < bits) return stamp
  }
}

const resourceArb = fc
  .string({
    minLength: 1,
    maxLength: 40,
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  })
  .filter((s) => !s.includes(':'))

describe('leadingZeroBits', () => {
  it.each<[number[], number]>([
    [[], 0],
    [[0x80], 0],
    [[0x40], 1],
    [[0x01], 7],
    [[0x00], 8],
    [[0x00, 0x0f], 12],
    [[0x00, 0x00, 0xff], 16],
    [Array.from({ length: 32 }, () => 0), 256],
  ])('%j → %i', (bytes, bits) => {
    expect(leadingZeroBits(new Uint8Array(bytes))).toBe(bits)
  })

  it('agrees with counting the bit string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), (bytes) => {
        const text = [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('')
        const first = text.indexOf('1')
        expect(leadingZeroBits(bytes)).toBe(first < 0 ? text.length : first)
      }),
    )
  })

  it('refuses what is not bytes', () => {
    expect(thrown(() => leadingZeroBits([0, 0] as never))).toBeInstanceOf(
      InvalidHashcashOptionError,
    )
  })
})

describe('mintHashcash', () => {
  it('writes v1:<bits>:<time>:<resource>:<hex nonce> with the work done', () => {
    const stamp = mint({ bits: 12 })
    expect(stamp).toMatch(new RegExp(`^v1:12:${T}:${PEER}:(0|[1-9a-f][0-9a-f]*)$`))
    expect(nodeZeroBits(stamp)).toBeGreaterThanOrEqual(12)
  })

  it('with 0 bits takes the first nonce', () => {
    expect(mintHashcash({ resource: 'alice', bits: 0, nowSeconds: 7 })).toBe('v1:0:7:alice:0')
    expect(mintHashcash({ resource: 'alice', bits: 0, nowSeconds: 7, startNonce: 255 })).toBe(
      'v1:0:7:alice:ff',
    )
  })

  it('returns null when the slice holds no stamp, and 0 iterations try nothing', () => {
    expect(mintHashcash({ resource: 'alice', bits: 0, nowSeconds: 7, maxIterations: 0 })).toBeNull()
    // 256 bits: no nonce of a small slice will do.
    expect(
      mintHashcash({ resource: 'alice', bits: 256, nowSeconds: 7, maxIterations: 64 }),
    ).toBeNull()
  })

  it('finds the same stamp in slices as in one call', () => {
    fc.assert(
      fc.property(
        resourceArb,
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 50 }),
        (resource, bits, slice) => {
          const whole = mintHashcash({ resource, bits, nowSeconds: T, maxIterations: 1 << 16 })
          let sliced: string | null = null
          for (let start = 0; sliced === null && start < 1 << 16; start += slice) {
            sliced = mintHashcash({
              resource,
              bits,
              nowSeconds: T,
              startNonce: start,
              maxIterations: slice,
            })
          }
          expect(sliced).toBe(whole)
        },
      ),
      { numRuns: 30 },
    )
  })

  it.each<[string, Partial<MintHashcashInit>]>([
    ['a resource with ":"', { resource: 'a:b' }],
    ['a resource with a space', { resource: 'a b' }],
    ['an empty resource', { resource: '' }],
    ['a non-ASCII resource', { resource: 'pé' }],
    ['a resource too long', { resource: 'a'.repeat(HASHCASH_MAX_RESOURCE_LENGTH + 1) }],
    ['negative bits', { bits: -1 }],
    ['257 bits', { bits: 257 }],
    ['fractional bits', { bits: 1.5 }],
    ['a negative time', { nowSeconds: -1 }],
    ['a fractional time', { nowSeconds: 1.5 }],
    ['a negative start nonce', { startNonce: -1 }],
    ['NaN iterations', { maxIterations: Number.NaN }],
  ])('refuses %s', (_, init) => {
    const err = thrown(() => mintHashcash({ resource: PEER, bits: 8, nowSeconds: T, ...init }))
    expect(err).toBeInstanceOf(InvalidHashcashOptionError)
    expect(err).toMatchObject({ code: 'ERR_HASHCASH_INVALID_OPTION' })
  })
})

describe('checkHashcash', () => {
  it('accepts what mintHashcash mints, for any resource, difficulty and time', () => {
    fc.assert(
      fc.property(
        resourceArb,
        fc.integer({ min: 0, max: 10 }),
        fc.nat({ max: 4_000_000_000 }),
        (resource, bits, now) => {
          const stamp = mint({ resource, bits, nowSeconds: now })
          expect(nodeZeroBits(stamp)).toBeGreaterThanOrEqual(bits)
          expect(parseHashcash(stamp)).toMatchObject({ bits, timestamp: now, resource })
          checkHashcash(stamp, { ...CHECK, resource, bits, nowSeconds: now })
        },
      ),
      { numRuns: 60 },
    )
  })

  it('accepts a stamp with more bits than asked, and at both ends of the time window', () => {
    const stamp = mint({ bits: 10 })
    checkHashcash(stamp, { ...CHECK, bits: 4 })
    checkHashcash(stamp, { ...CHECK, nowSeconds: T + CHECK.maxAgeSeconds })
    checkHashcash(stamp, { ...CHECK, nowSeconds: T - CHECK.maxFutureSeconds })
    expect(isValidHashcashResource(PEER)).toBe(true)
  })

  it('refuses a stamp for another resource', () => {
    expect(reasonOf(() => checkHashcash(mint(), { ...CHECK, resource: 'someone-else' }))).toBe(
      'resource',
    )
  })

  it('refuses a stamp claiming fewer bits than required', () => {
    expect(reasonOf(() => checkHashcash(mint({ bits: 4 }), { ...CHECK, bits: 8 }))).toBe('bits')
  })

  it('refuses a stamp older than maxAgeSeconds or later than maxFutureSeconds', () => {
    const stamp = mint()
    const late = { ...CHECK, nowSeconds: T + CHECK.maxAgeSeconds + 1 }
    const early = { ...CHECK, nowSeconds: T - CHECK.maxFutureSeconds - 1 }
    expect(reasonOf(() => checkHashcash(stamp, late))).toBe('expired')
    expect(reasonOf(() => checkHashcash(stamp, early))).toBe('future')
  })

  it('refuses a stamp without the work it claims, even above the required bits', () => {
    expect(reasonOf(() => checkHashcash(unworkedStamp(8), CHECK))).toBe('work')
    // Claims 20, has fewer: the claim must hold, not just the 8 asked for.
    const overstated = unworkedStamp(20)
    expect(reasonOf(() => checkHashcash(overstated, CHECK))).toBe('work')
  })

  it.each([
    ['an empty string', ''],
    ['another version', `v2:8:${T}:${PEER}:0`],
    ['four fields', `v1:8:${T}:${PEER}`],
    ['six fields', `v1:8:${T}:${PEER}:0:0`],
    ['bits with a leading zero', `v1:08:${T}:${PEER}:0`],
    ['257 bits', `v1:257:${T}:${PEER}:0`],
    ['empty bits', `v1::${T}:${PEER}:0`],
    ['a negative time', `v1:8:-1:${PEER}:0`],
    ['a time with a leading zero', `v1:8:0${T}:${PEER}:0`],
    ['a time beyond 2^53', `v1:8:9007199254740992:${PEER}:0`],
    ['an empty resource', `v1:8:${T}::0`],
    ['a resource with a space', `v1:8:${T}:a b:0`],
    ['an upper-case nonce', `v1:8:${T}:${PEER}:AB`],
    ['a nonce with a leading zero', `v1:8:${T}:${PEER}:0a`],
    ['an empty nonce', `v1:8:${T}:${PEER}:`],
    ['a 17-digit nonce', `v1:8:${T}:${PEER}:1${'0'.repeat(16)}`],
    ['a trailing newline', `v1:8:${T}:${PEER}:0\n`],
    ['too many characters', `v1:8:${T}:${'a'.repeat(HASHCASH_MAX_LENGTH)}:0`],
  ])('refuses %s as format', (_, stamp) => {
    expect(reasonOf(() => checkHashcash(stamp, CHECK))).toBe('format')
  })

  it('refuses a stamp that is not a string as format', () => {
    expect(reasonOf(() => checkHashcash(42 as never, CHECK))).toBe('format')
  })

  it.each<[string, Partial<CheckHashcashInit>]>([
    ['a resource with ":"', { resource: 'a:b' }],
    ['negative bits', { bits: -1 }],
    ['257 bits', { bits: 257 }],
    ['a fractional time', { nowSeconds: 0.5 }],
    ['a negative max age', { maxAgeSeconds: -1 }],
    ['an infinite future window', { maxFutureSeconds: Number.POSITIVE_INFINITY }],
  ])('refuses the option %s', (_, init) => {
    const err = thrown(() => checkHashcash(mint(), { ...CHECK, ...init }))
    expect(err).toBeInstanceOf(InvalidHashcashOptionError)
  })

  it('fails only with HashcashError on arbitrary and mutated stamps; what parses is canonical', () => {
    const stamp = mint()
    const mutated = fc
      .tuple(
        fc.nat({ max: stamp.length }),
        fc.nat({ max: 3 }),
        fc.string({ maxLength: 3, unit: 'binary' }),
      )
      .map(([at, deleted, inserted]) => stamp.slice(0, at) + inserted + stamp.slice(at + deleted))
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ unit: 'binary', maxLength: 120 })), (text) => {
        let parsed: HashcashStamp | undefined
        try {
          parsed = parseHashcash(text)
        } catch (err) {
          expect(err).toBeInstanceOf(HashcashError)
          expect((err as HashcashError).reason).toBe('format')
        }
        if (parsed !== undefined) {
          const { bits, timestamp, resource, nonce } = parsed
          expect(`v1:${bits}:${timestamp}:${resource}:${nonce}`).toBe(text)
        }
        let accepted = true
        try {
          checkHashcash(text, CHECK)
        } catch (err) {
          expect(err).toBeInstanceOf(HashcashError)
          accepted = false
        }
        if (accepted) {
          expect(parsed?.resource).toBe(PEER)
          expect(nodeZeroBits(text)).toBeGreaterThanOrEqual(CHECK.bits)
        }
      }),
      { numRuns: 3000 },
    )
  })
})
