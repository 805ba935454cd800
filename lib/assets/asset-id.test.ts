import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ASSET_ID_BYTES,
  ASSET_TYPES,
  ASSET_TYPE_CODES,
  AssetArgumentError,
  type AssetType,
  InvalidAssetIdError,
  assetContentHash,
  assetIdEquals,
  assetIdOf,
  assetTypeCode,
  assetTypeFromCode,
  decodeAssetId,
  encodeAssetId,
  formatAssetId,
  formatAssetUuid,
  newAssetId,
  parseAssetId,
  parseAssetUuid,
} from './asset-id'

const assetType = fc.constantFrom(...ASSET_TYPES)
const random16 = fc.uint8Array({ minLength: 16, maxLength: 16 })
const assetId = fc.tuple(assetType, random16).map(([t, r]) => newAssetId(t, r))

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

/** Runs `f`; if it throws, the error must be an InvalidAssetIdError with its stable code. */
function onlyInvalidAssetId(f: () => unknown): void {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidAssetIdError)
    expect((e as InvalidAssetIdError).code).toBe('ERR_INVALID_ASSET_ID')
  }
}

describe('asset types', () => {
  it('have stable one-byte codes (part of the binary form and the content hash)', () => {
    expect(ASSET_TYPE_CODES).toEqual({
      cpu: 1,
      gpu: 2,
      memory: 3,
      storage: 4,
      network: 5,
      container: 6,
      economic: 7,
    })
    expect(ASSET_TYPES).toEqual([
      'cpu',
      'gpu',
      'memory',
      'storage',
      'network',
      'container',
      'economic',
    ])
    for (const t of ASSET_TYPES) expect(assetTypeFromCode(assetTypeCode(t))).toBe(t)
  })

  it('refuse unknown codes and names', () => {
    for (const code of [0, 8, 255, -1, 1.5]) {
      expect(() => assetTypeFromCode(code)).toThrow(
        expect.objectContaining({ name: 'InvalidAssetIdError', reason: 'type' }),
      )
    }
    expect(() => assetTypeCode('disk' as AssetType)).toThrow(AssetArgumentError)
  })
})

describe('newAssetId', () => {
  it('sets the UUID v4 version and variant bits and keeps the other 122 bits', () => {
    fc.assert(
      fc.property(assetType, random16, (t, r) => {
        const before = Uint8Array.from(r)
        const id = newAssetId(t, r)
        expect(r).toEqual(before)
        expect(id.type).toBe(t)
        expect(id.uuid[6]! >> 4).toBe(4)
        expect(id.uuid[8]! >> 6).toBe(0b10)
        for (let i = 0; i < 16; i++) {
          const mask = i === 6 ? 0x0f : i === 8 ? 0x3f : 0xff
          expect(id.uuid[i]! & mask).toBe(r[i]! & mask)
        }
      }),
    )
  })

  it('refuses bad arguments with AssetArgumentError', () => {
    expect(() => newAssetId('cpu', new Uint8Array(15))).toThrow(
      expect.objectContaining({ name: 'AssetArgumentError', code: 'ERR_ASSET_ARGUMENT' }),
    )
    expect(() => newAssetId('disk' as AssetType, new Uint8Array(16))).toThrow(AssetArgumentError)
  })
})

describe('binary form', () => {
  it('round-trips every identifier in 17 bytes', () => {
    fc.assert(
      fc.property(assetId, (id) => {
        const bytes = encodeAssetId(id)
        expect(bytes.length).toBe(ASSET_ID_BYTES)
        expect(bytes[0]).toBe(ASSET_TYPE_CODES[id.type])
        expect(bytes.subarray(1)).toEqual(id.uuid)
        const back = decodeAssetId(bytes)
        expect(assetIdEquals(back, id)).toBe(true)
        expect(Object.isFrozen(back)).toBe(true)
      }),
    )
  })

  it('decodes arbitrary bytes to an identifier that re-encodes to them, or a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        onlyInvalidAssetId(() => expect(encodeAssetId(decodeAssetId(bytes))).toEqual(bytes))
      }),
      { numRuns: 500 },
    )
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 17, maxLength: 17 }), (bytes) => {
        onlyInvalidAssetId(() => expect(encodeAssetId(decodeAssetId(bytes))).toEqual(bytes))
      }),
      { numRuns: 500 },
    )
  })

  it('names the rule a refused encoding breaks', () => {
    const good = encodeAssetId(newAssetId('memory', new Uint8Array(16).fill(0xff)))
    const reason = (b: Uint8Array): string | undefined => {
      try {
        decodeAssetId(b)
        return undefined
      } catch (e) {
        return (e as InvalidAssetIdError).reason
      }
    }
    expect(reason(good)).toBeUndefined()
    expect(reason(good.subarray(1))).toBe('length')
    expect(reason(Uint8Array.from([0, ...good.subarray(1)]))).toBe('type')
    const v1 = Uint8Array.from(good)
    v1[7] = 0x1f // byte 6 of the UUID: version 1
    expect(reason(v1)).toBe('version')
    const ncs = Uint8Array.from(good)
    ncs[9] = 0x3f // byte 8 of the UUID: NCS variant
    expect(reason(ncs)).toBe('variant')
  })
})

describe('text form', () => {
  it('is <type>:<lower-case uuid> and round-trips', () => {
    fc.assert(
      fc.property(assetId, (id) => {
        const text = formatAssetId(id)
        expect(text).toMatch(
          /^[a-z]+:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        )
        expect(text.startsWith(`${id.type}:`)).toBe(true)
        expect(assetIdEquals(parseAssetId(text), id)).toBe(true)
      }),
    )
  })

  it('matches the usual UUID spelling', () => {
    const uuid = parseAssetUuid('0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f')
    expect(hex(uuid)).toBe('0f8e3a521c7d4b9ea0f15d2c3b4a6e7f')
    expect(formatAssetUuid(uuid)).toBe('0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f')
    expect(formatAssetId(assetIdOf('storage', uuid))).toBe(
      'storage:0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f',
    )
  })

  it('accepts only the canonical text', () => {
    const canonical = 'memory:0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f'
    expect(formatAssetId(parseAssetId(canonical))).toBe(canonical)
    const refused: [string, string][] = [
      ['MEMORY:0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f', 'type'],
      ['memory:0F8E3A52-1C7D-4B9E-A0F1-5D2C3B4A6E7F', 'syntax'],
      ['memory:0f8e3a521c7d4b9ea0f15d2c3b4a6e7f', 'syntax'],
      ['memory:{0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f}', 'syntax'],
      [' memory:0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f', 'type'],
      ['memory:0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f ', 'syntax'],
      ['memory:0f8e3a52-1c7d-1b9e-a0f1-5d2c3b4a6e7f', 'syntax'], // version 1
      ['memory:0f8e3a52-1c7d-4b9e-c0f1-5d2c3b4a6e7f', 'syntax'], // variant 110
      ['memory:urn:uuid:0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f', 'syntax'],
      ['disk:0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f', 'type'],
      ['0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f', 'syntax'],
      ['', 'syntax'],
    ]
    for (const [text, reason] of refused) {
      expect(() => parseAssetId(text), text).toThrow(
        expect.objectContaining({ name: 'InvalidAssetIdError', reason }),
      )
    }
  })

  it('has one text per identifier: whatever parses is what format writes', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF-:{} memorycpugXx4'.split(''))
    const near = fc.tuple(assetId, fc.nat(60), alphabet).map(([id, i, c]) => {
      const t = formatAssetId(id)
      const k = i % t.length
      return t.slice(0, k) + c + t.slice(k + 1)
    })
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), near), (text) => {
        onlyInvalidAssetId(() => expect(formatAssetId(parseAssetId(text))).toBe(text))
      }),
      { numRuns: 1000 },
    )
  })
})

describe('assetContentHash', () => {
  it('is SHA-256("HYPERMESH_V1" ‖ type ‖ uuid ‖ created_us big-endian)', () => {
    fc.assert(
      fc.property(assetId, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (id, t) => {
        const time = Buffer.alloc(8)
        time.writeBigUInt64BE(t)
        const expected = createHash('sha256')
          .update('HYPERMESH_V1')
          .update(Uint8Array.of(ASSET_TYPE_CODES[id.type]))
          .update(id.uuid)
          .update(time)
          .digest()
        expect(hex(assetContentHash(id, t))).toBe(expected.toString('hex'))
      }),
    )
  })

  it('gives the same hash for a time as number or bigint, and another for another time', () => {
    const id = newAssetId('cpu', new Uint8Array(16))
    const us = 1_767_225_600_000_000
    expect(assetContentHash(id, us)).toEqual(assetContentHash(id, BigInt(us)))
    expect(assetContentHash(id, us)).not.toEqual(assetContentHash(id, us + 1))
    expect(assetContentHash(id, us)).not.toEqual(assetContentHash(assetIdOf('gpu', id.uuid), us))
  })

  it('refuses times that are not a u64', () => {
    const id = newAssetId('cpu', new Uint8Array(16))
    for (const t of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, -1n, 2n ** 64n]) {
      expect(() => assetContentHash(id, t)).toThrow(
        expect.objectContaining({ name: 'AssetArgumentError', code: 'ERR_ASSET_ARGUMENT' }),
      )
    }
  })
})

describe('errors', () => {
  it('serialise as { name, code, message, reason }', () => {
    let caught: unknown
    try {
      parseAssetId('nope')
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(InvalidAssetIdError)
    const json = (caught as InvalidAssetIdError).toJSON()
    expect(json).toMatchObject({ name: 'InvalidAssetIdError', code: 'ERR_INVALID_ASSET_ID' })
    expect(json.reason).toBe('syntax')
    expect(typeof json.message).toBe('string')
  })
})
