import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ASSET_TYPES, AssetArgumentError, type AssetType } from './asset-id'
import {
  type AssetShare,
  InvalidShareError,
  type MeasuredCapacity,
  PRIVACY_LEVELS,
  type PeerRelation,
  type PrivacyLevel,
  type PrivacySettings,
  PrivacySettingsDecodeError,
  REWARD_MULTIPLIERS,
  checkShare,
  decodePrivacySettings,
  encodePrivacySettings,
  isListed,
  isRegistered,
  mayReach,
  rewardMultiplier,
} from './privacy'

const GiB = 2 ** 30
const cpuShare: AssetShare = { type: 'cpu', cores: 2 }

function settings(level: PrivacyLevel, paused = false): PrivacySettings {
  return { level, share: cpuShare, paused }
}

function reasonOf(f: () => unknown): string | undefined {
  try {
    f()
    return undefined
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidShareError)
    expect((e as InvalidShareError).code).toBe('ERR_INVALID_SHARE')
    return (e as InvalidShareError).reason
  }
}

describe('levels', () => {
  it('have the reward multipliers 0, 0.25, 0.5, 0.75, 1, narrowest first', () => {
    expect(PRIVACY_LEVELS).toEqual([
      'private',
      'private-network',
      'p2p',
      'public-network',
      'full-public',
    ])
    expect(PRIVACY_LEVELS.map(rewardMultiplier)).toEqual([0, 0.25, 0.5, 0.75, 1])
    expect(REWARD_MULTIPLIERS['full-public']).toBe(1)
    expect(() => rewardMultiplier('public' as PrivacyLevel)).toThrow(AssetArgumentError)
  })

  it('decide registration and listing (only the public levels; the pause hides the listing)', () => {
    const table: [PrivacyLevel, boolean, boolean, boolean][] = [
      // level, paused, registered, listed
      ['private', false, false, false],
      ['private', true, false, false],
      ['private-network', false, false, false],
      ['private-network', true, false, false],
      ['p2p', false, false, false],
      ['p2p', true, false, false],
      ['public-network', false, true, true],
      ['public-network', true, true, false],
      ['full-public', false, true, true],
      ['full-public', true, true, false],
    ]
    for (const [level, paused, registered, listed] of table) {
      expect(isRegistered(settings(level, paused)), `${level} ${paused}`).toBe(registered)
      expect(isListed(settings(level, paused)), `${level} ${paused}`).toBe(listed)
    }
  })

  it('decide who may reach the asset', () => {
    // Rows: level; columns: self, same-owner, direct-peer, other — with a capability token.
    const withToken: Record<PrivacyLevel, [boolean, boolean, boolean, boolean]> = {
      private: [true, false, false, false],
      'private-network': [true, true, false, false],
      p2p: [true, true, true, false],
      'public-network': [true, true, true, true],
      'full-public': [true, true, true, true],
    }
    const relations: PeerRelation[] = ['self', 'same-owner', 'direct-peer', 'other']
    for (const level of PRIVACY_LEVELS) {
      relations.forEach((peer, i) => {
        const label = `${level} ${peer}`
        expect(mayReach(settings(level), { peer, capability: true }), label).toBe(
          withToken[level][i],
        )
        // Without a token only the owning node itself reaches the asset.
        expect(mayReach(settings(level), { peer, capability: false }), label).toBe(peer === 'self')
        // Paused: nobody, not even the owning node.
        for (const capability of [true, false]) {
          expect(mayReach(settings(level, true), { peer, capability }), label).toBe(false)
        }
      })
    }
  })

  it('refuse malformed settings and relations with AssetArgumentError', () => {
    const bad = { level: 'public', share: cpuShare, paused: false } as unknown as PrivacySettings
    expect(() => isListed(bad)).toThrow(AssetArgumentError)
    expect(() => isRegistered({ ...settings('p2p'), paused: 1 as unknown as boolean })).toThrow(
      AssetArgumentError,
    )
    expect(() =>
      mayReach(settings('p2p'), { peer: 'friend' as PeerRelation, capability: true }),
    ).toThrow(AssetArgumentError)
  })
})

describe('checkShare', () => {
  const measured: Record<AssetType, MeasuredCapacity> = {
    cpu: { type: 'cpu', cores: 8 },
    gpu: { type: 'gpu', available: true },
    memory: { type: 'memory', bytes: 8 * GiB },
    storage: { type: 'storage', bytes: 100 * GiB },
    network: { type: 'network', bytesPerSecond: 12_500_000 },
    container: { type: 'container' },
    economic: { type: 'economic' },
  }

  it('accepts shares up to and including what was measured, refuses one unit more', () => {
    const cases: [AssetShare, AssetShare | null][] = [
      [
        { type: 'cpu', cores: 8 },
        { type: 'cpu', cores: 9 },
      ],
      [{ type: 'cpu', cores: 1, hoursPerDay: 24 }, null],
      [
        { type: 'memory', bytes: 8 * GiB },
        { type: 'memory', bytes: 8 * GiB + 1 },
      ],
      [
        { type: 'storage', bytes: 100 * GiB },
        { type: 'storage', bytes: 100 * GiB + 1 },
      ],
      [
        { type: 'network', bytesPerSecond: 12_500_000 },
        { type: 'network', bytesPerSecond: 12_500_001 },
      ],
      [{ type: 'gpu', fraction: 1 }, null],
      [{ type: 'gpu', fraction: 0.25, hoursPerDay: 0.5 }, null],
      [{ type: 'container', hoursPerDay: 8 }, null],
      [{ type: 'economic' }, null],
    ]
    for (const [ok, over] of cases) {
      expect(
        reasonOf(() => checkShare(ok.type, ok, measured[ok.type])),
        ok.type,
      ).toBeUndefined()
      if (over !== null) {
        expect(reasonOf(() => checkShare(over.type, over, measured[over.type]))).toBe(
          'above-capacity',
        )
      }
    }
    expect(
      reasonOf(() =>
        checkShare('gpu', { type: 'gpu', fraction: 0.5 }, { type: 'gpu', available: false }),
      ),
    ).toBe('above-capacity')
  })

  it('refuses shares of capacities the platform did not measure', () => {
    const unknown: [AssetShare, MeasuredCapacity][] = [
      [
        { type: 'cpu', cores: 1 },
        { type: 'cpu', cores: null },
      ],
      [
        { type: 'memory', bytes: 1 },
        { type: 'memory', bytes: null },
      ],
      [
        { type: 'storage', bytes: 1 },
        { type: 'storage', bytes: null },
      ],
      [
        { type: 'network', bytesPerSecond: 1 },
        { type: 'network', bytesPerSecond: null },
      ],
      [
        { type: 'gpu', fraction: 0.1 },
        { type: 'gpu', available: null },
      ],
    ]
    for (const [share, m] of unknown) {
      expect(
        reasonOf(() => checkShare(share.type, share, m)),
        share.type,
      ).toBe('unmeasured')
    }
  })

  it('refuses values that are not a quantity, hours outside (0, 24], and mixed-up types', () => {
    const cases: [AssetType, unknown, MeasuredCapacity, string][] = [
      ['cpu', { type: 'cpu', cores: 0 }, measured.cpu, 'value'],
      ['cpu', { type: 'cpu', cores: 1.5 }, measured.cpu, 'value'],
      ['cpu', { type: 'cpu', cores: -1 }, measured.cpu, 'value'],
      ['cpu', { type: 'cpu' }, measured.cpu, 'value'],
      ['memory', { type: 'memory', bytes: Number.NaN }, measured.memory, 'value'],
      ['memory', { type: 'memory', bytes: '1024' }, measured.memory, 'value'],
      ['gpu', { type: 'gpu', fraction: 0 }, measured.gpu, 'value'],
      ['gpu', { type: 'gpu', fraction: 1.01 }, measured.gpu, 'value'],
      ['gpu', { type: 'gpu', fraction: true }, measured.gpu, 'value'],
      ['cpu', { type: 'cpu', cores: 1, hoursPerDay: 0 }, measured.cpu, 'hours'],
      ['cpu', { type: 'cpu', cores: 1, hoursPerDay: 24.5 }, measured.cpu, 'hours'],
      ['container', { type: 'container', hoursPerDay: -1 }, measured.container, 'hours'],
      ['memory', { type: 'cpu', cores: 1 }, measured.memory, 'type'],
      ['cpu', { type: 'cpu', cores: 1 }, measured.memory, 'type'],
      ['cpu', { type: 'disk', bytes: 1 }, measured.cpu, 'type'],
      ['cpu', null, measured.cpu, 'type'],
    ]
    for (const [type, share, m, reason] of cases) {
      expect(
        reasonOf(() => checkShare(type, share as AssetShare, m)),
        JSON.stringify(share),
      ).toBe(reason)
    }
  })
})

// ---------------------------------------------------------------------------------------------

const hours = fc.option(
  fc.double({ min: Number.MIN_VALUE, max: 24, noNaN: true, noDefaultInfinity: true }),
  { nil: undefined },
)
const withHours = <T extends object>(share: T, h: number | undefined): T =>
  h === undefined ? share : { ...share, hoursPerDay: h }
const positive = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })
const shareArb: fc.Arbitrary<AssetShare> = fc.oneof(
  fc.tuple(positive, hours).map(([cores, h]) => withHours({ type: 'cpu' as const, cores }, h)),
  fc
    .tuple(fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }), hours)
    .map(([fraction, h]) => withHours({ type: 'gpu' as const, fraction }, h)),
  fc.tuple(positive, hours).map(([bytes, h]) => withHours({ type: 'memory' as const, bytes }, h)),
  fc.tuple(positive, hours).map(([bytes, h]) => withHours({ type: 'storage' as const, bytes }, h)),
  fc
    .tuple(positive, hours)
    .map(([bytesPerSecond, h]) => withHours({ type: 'network' as const, bytesPerSecond }, h)),
  hours.map((h) => withHours({ type: 'container' as const }, h)),
  hours.map((h) => withHours({ type: 'economic' as const }, h)),
)
const settingsArb: fc.Arbitrary<PrivacySettings> = fc.record({
  level: fc.constantFrom(...PRIVACY_LEVELS),
  share: shareArb,
  paused: fc.boolean(),
})

/** Runs `f`; if it throws, the error must be a PrivacySettingsDecodeError. */
function onlyDecodeErrors(f: () => unknown): void {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(PrivacySettingsDecodeError)
    expect((e as PrivacySettingsDecodeError).code).toBe('ERR_PRIVACY_SETTINGS_DECODE')
  }
}

describe('persisted settings', () => {
  it('round-trip as an object and as JSON text', () => {
    fc.assert(
      fc.property(settingsArb, (s) => {
        const persisted = encodePrivacySettings(s)
        expect(decodePrivacySettings(persisted)).toEqual(s)
        const text = JSON.stringify(persisted)
        expect(decodePrivacySettings(text)).toEqual(s)
        expect(decodePrivacySettings(JSON.parse(text), s.share.type)).toEqual(s)
      }),
      { numRuns: 500 },
    )
  })

  it('are versioned and hold exactly the settings', () => {
    expect(
      encodePrivacySettings({ level: 'p2p', share: { type: 'memory', bytes: GiB }, paused: true }),
    ).toEqual({ v: 1, level: 'p2p', paused: true, share: { type: 'memory', bytes: GiB } })
  })

  it('are not written when invalid', () => {
    expect(() =>
      encodePrivacySettings({ level: 'p2p', share: { type: 'cpu', cores: 0 }, paused: false }),
    ).toThrow(AssetArgumentError)
    expect(() =>
      encodePrivacySettings({ level: 'open' as PrivacyLevel, share: cpuShare, paused: false }),
    ).toThrow(AssetArgumentError)
  })

  it('refuse bad input with a typed error naming the field, and leave the input alone', () => {
    const good = encodePrivacySettings(settings('full-public'))
    const cases: [unknown, string][] = [
      ['{', 'value'],
      ['x'.repeat(5000), 'value'],
      [null, 'value'],
      [[good], 'value'],
      [{ ...good, v: 2 }, 'v'],
      [{ ...good, extra: 1 }, 'extra'],
      [{ level: 'p2p', paused: false, share: cpuShare }, 'v'],
      [{ ...good, level: 'open' }, 'level'],
      [{ ...good, paused: 'no' }, 'paused'],
      [{ ...good, share: 4 }, 'share'],
      [{ ...good, share: { type: 'disk', bytes: 1 } }, 'share.type'],
      [{ ...good, share: { type: 'cpu', bytes: 1 } }, 'share.cores'],
      [{ ...good, share: { type: 'cpu', cores: 2, bytes: 1 } }, 'share.bytes'],
      [{ ...good, share: { type: 'cpu', cores: 0 } }, 'share.cores'],
      [{ ...good, share: { type: 'cpu', cores: 2, hoursPerDay: 25 } }, 'share.hoursPerDay'],
      [{ ...good, share: { type: 'gpu', fraction: 2 } }, 'share.fraction'],
      [{ ...good, share: { type: 'container', cores: 1 } }, 'share.cores'],
      [
        '{"v":1,"level":"p2p","paused":false,"share":{"type":"cpu","cores":1},"__proto__":{}}',
        '__proto__',
      ],
    ]
    for (const [value, field] of cases) {
      const before = JSON.stringify(value)
      let caught: unknown
      try {
        decodePrivacySettings(value)
      } catch (e) {
        caught = e
      }
      expect(caught, field).toBeInstanceOf(PrivacySettingsDecodeError)
      expect((caught as PrivacySettingsDecodeError).field, before.slice(0, 60)).toBe(field)
      expect(JSON.stringify(value)).toBe(before)
    }
    expect(() => decodePrivacySettings(good, 'memory')).toThrow(
      expect.objectContaining({ name: 'PrivacySettingsDecodeError', field: 'share.type' }),
    )
  })

  it('throw only the typed error on arbitrary input', () => {
    const types = fc.constantFrom(...ASSET_TYPES)
    const nearly = fc
      .tuple(settingsArb, fc.constantFrom('v', 'level', 'paused', 'share'), fc.jsonValue())
      .map(([s, k, v]) => ({ ...encodePrivacySettings(s), [k]: v }))
    fc.assert(
      fc.property(
        fc.oneof(fc.anything(), fc.jsonValue(), fc.json(), fc.string(), nearly),
        fc.option(types, { nil: undefined }),
        (value, type) => {
          onlyDecodeErrors(() => {
            const s = decodePrivacySettings(value, type)
            expect(encodePrivacySettings(s)).toBeDefined()
          })
        },
      ),
      { numRuns: 1000 },
    )
  })
})
