import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  RIGHT_READ,
  RIGHT_WRITE,
  capabilityAuthorizer,
  createRemoteMemoryServer,
  decodeResponse,
  encodeCapability,
  encodeGlobalAddress,
  encodePrivacySettings,
  encodeRead,
  encodeWrite,
  formatAssetId,
  formatGlobalAddress,
  formatHypermeshUri,
  globalAddressOf,
  issueCapability,
  newAssetId,
  peerIdOfPublicKey,
  unknownResources,
  validateLinks,
  type MeasuredCapacity,
  type PrivacyLevel,
  type PrivacySettings,
  type Resources,
} from '@/lib/assets'
import { verifyByRule } from '@/lib/crypto/ed25519-rule'
import { seededRandom, type SignatureVerifier } from '@/lib/ports'
import {
  MEMORY_SERVE_CAP_BYTES,
  NO_SERVICE_PORT,
  REMOTE_MEMORY_PORT,
  STORAGE_PORT,
} from './assets-constants'
import {
  AssetAccessError,
  assetAuthorizer,
  base64ToBytes,
  bytesToBase64,
  capacityFromResources,
  checkRange,
  defaultSettings,
  encodeStoredAssets,
  fitShare,
  formatCommitment,
  gateAccess,
  grantFor,
  grantedAssetOf,
  linkMeasurements,
  loadStoredAssets,
  measuredLines,
  ownAssetTypes,
  parseAudit,
  parseShareInput,
  planLedgerSync,
  relationOf,
  resolveTarget,
  shareControl,
  type LoadAssetsInit,
  type OwnAssetType,
} from './assets-model'

const verifier: SignatureVerifier = { verify: (k, m, s) => verifyByRule(k, m, s) }
const key = (seed: number) => {
  const secret = new Uint8Array(32).fill(seed)
  const publicKey = ed25519.getPublicKey(secret)
  return {
    publicKey,
    sign: (m: Uint8Array) => ed25519.sign(m, secret),
    peerId: peerIdOfPublicKey(publicKey),
  }
}
const alice = key(1) // owns the memory asset
const bob = key(2) // her direct peer, holds a capability
const carol = key(3) // not a direct peer
const NOW = 1_800_000_000_000
const GIB = 2 ** 30
const MIB = 2 ** 20

/** A browser measurement: 8 cores, 8 GiB, 10 GiB of quota with 1 GiB used, no GPU, one link. */
function measured(over: { gpu?: boolean; cores?: number | null } = {}): Resources {
  const r = unknownResources('browser')
  r.cpu.logicalCores = over.cores === undefined ? 8 : over.cores
  r.cpu.score = 900
  r.cpu.calibrationMs = 300
  r.memory.deviceMemoryGiB = 8
  r.memory.jsHeapLimitBytes = 4 * GIB
  r.storage.quotaBytes = 10 * GIB
  r.storage.usageBytes = GIB
  r.network.links = [{ peerId: bob.peerId, rttMs: 3.5, goodputBytesPerSecond: null }]
  if (over.gpu === true) {
    r.gpu = {
      vendor: 'google',
      architecture: 'swiftshader',
      device: null,
      description: null,
      fallbackAdapter: true,
      memoryBytes: null,
      limits: {
        maxBufferSize: 256 * MIB,
        maxStorageBufferBindingSize: null,
        maxComputeWorkgroupsPerDimension: null,
        maxComputeInvocationsPerWorkgroup: null,
      },
    }
  }
  return r
}

function initFor(r: Resources, seed = 1): LoadAssetsInit {
  const random = seededRandom(seed)
  const types = ownAssetTypes(r)
  return {
    types,
    capacities: Object.fromEntries(types.map((t) => [t, capacityFromResources(t, r)])),
    random16: () => Uint8Array.from({ length: 16 }, () => Math.floor(random.next() * 256)),
    nowUs: NOW * 1_000,
  }
}

describe('what a measurement offers', () => {
  it('has a GPU asset only when WebGPU gave an adapter', () => {
    expect(ownAssetTypes(measured())).toEqual(['cpu', 'memory', 'storage', 'network'])
    expect(ownAssetTypes(measured({ gpu: true }))).toEqual([
      'cpu',
      'memory',
      'storage',
      'gpu',
      'network',
    ])
  })

  it('checks shares against the figures the ledger registers, unknown staying unknown', () => {
    const r = measured()
    expect(capacityFromResources('cpu', r)).toEqual({ type: 'cpu', cores: 8 })
    expect(capacityFromResources('memory', r)).toEqual({ type: 'memory', bytes: 8 * GIB })
    expect(capacityFromResources('storage', r)).toEqual({ type: 'storage', bytes: 9 * GIB })
    expect(capacityFromResources('network', r)).toEqual({ type: 'network', bytesPerSecond: null })
    expect(capacityFromResources('gpu', r)).toEqual({ type: 'gpu', available: false })
  })

  it('shows every figure it could not get as unknown, with the reason, never a number', () => {
    const r = measured({ gpu: true })
    const gpu = measuredLines('gpu', r, {})
    expect(gpu.find((l) => l.label === 'GPU memory')).toEqual({
      label: 'GPU memory',
      value: 'unknown (WebGPU does not expose it)',
      known: false,
    })
    const memory = measuredLines('memory', r, { 'memory.totalBytes': 'a browser does not tell' })
    expect(memory.find((l) => l.label === 'Physical memory')?.value).toBe(
      'unknown (a browser does not tell)',
    )
    const network = measuredLines('network', r, {})
    expect(network.find((l) => l.label === 'Throughput')?.known).toBe(false)
    for (const type of ownAssetTypes(r)) {
      for (const l of measuredLines(type, r, {})) {
        expect(l.known || l.value.startsWith('unknown (')).toBe(true)
      }
    }
  })

  it('hands the measurement one link per direct peer, in the bounds the model accepts', () => {
    const links = linkMeasurements([
      { peerId: bob.peerId, transport: 'webrtc', rttMs: 4 },
      { peerId: bob.peerId, transport: 'webrtc', rttMs: 5 },
      { peerId: carol.peerId, transport: 'relay', rttMs: 40 },
      { peerId: alice.peerId, transport: 'webrtc', rttMs: 1e9 },
    ])
    expect(links).toEqual([
      { peerId: bob.peerId, rttMs: 4, goodputBytesPerSecond: null },
      { peerId: alice.peerId, rttMs: null, goodputBytesPerSecond: null },
    ])
    expect(validateLinks(links)).toEqual(links)
  })

  it('carries the goodput a probe measured, and only a plausible one', () => {
    const links = linkMeasurements(
      [
        { peerId: bob.peerId, transport: 'webrtc', rttMs: 4 },
        { peerId: carol.peerId, transport: 'webrtc', rttMs: 6 },
        { peerId: alice.peerId, transport: 'webrtc', rttMs: 8 },
      ],
      new Map([
        [bob.peerId, 12.5e6],
        [carol.peerId, Number.NaN],
        ['someone-else', 1e6],
      ]),
    )
    expect(links.map((l) => l.goodputBytesPerSecond)).toEqual([12.5e6, null, null])
    expect(validateLinks(links)).toEqual(links)
  })
})

describe('shares', () => {
  const cpu: MeasuredCapacity = { type: 'cpu', cores: 4 }

  it('keeps a share that fits, lowers one above a capacity that shrank', () => {
    expect(fitShare('cpu', { type: 'cpu', cores: 2 }, cpu)).toEqual({
      share: { type: 'cpu', cores: 2 },
      offerable: true,
      why: null,
    })
    const fitted = fitShare('cpu', { type: 'cpu', cores: 6, hoursPerDay: 8 }, cpu)
    expect(fitted.share).toEqual({ type: 'cpu', cores: 4, hoursPerDay: 8 })
    expect(fitted.offerable).toBe(true)
  })

  it('cannot offer a capacity that was not measured', () => {
    const fitted = fitShare(
      'network',
      { type: 'network', bytesPerSecond: MIB },
      { type: 'network', bytesPerSecond: null },
    )
    expect(fitted.offerable).toBe(false)
    expect(fitted.why).not.toBeNull()
    expect(
      shareControl({
        type: 'network',
        share: fitted.share,
        capacity: { type: 'network', bytesPerSecond: null },
      }),
    ).toBeNull()
  })

  it('reads the card input in whole units within what was measured', () => {
    const memory = { type: 'memory' as const, share: { type: 'memory' as const, bytes: 64 * MIB } }
    const control = shareControl({ ...memory, capacity: { type: 'memory', bytes: 8 * GIB } })
    expect(control).toEqual({ unit: 'MiB', min: 1, max: 8192, step: 1, value: 64 })
    expect(parseShareInput('memory', ' 512 ', control!, memory.share)).toEqual({
      ok: true,
      share: { type: 'memory', bytes: 512 * MIB },
    })
    for (const bad of ['0', '8193', '1.5', '-3', 'lots', '']) {
      expect(parseShareInput('memory', bad, control!, memory.share).ok).toBe(false)
    }
    const gpu = shareControl({
      type: 'gpu',
      share: { type: 'gpu', fraction: 0.25 },
      capacity: { type: 'gpu', available: true },
    })
    expect(gpu?.value).toBe(25)
    expect(parseShareInput('gpu', '50', gpu!, { type: 'gpu', fraction: 0.25 })).toEqual({
      ok: true,
      share: { type: 'gpu', fraction: 0.5 },
    })
  })
})

describe('persisted assets', () => {
  it('creates one private asset per measured type the first time, memory and storage on their ports', () => {
    const loaded = loadStoredAssets(undefined, initFor(measured()))
    expect(loaded.changed).toBe(true)
    expect(loaded.records.map((r) => r.id.type)).toEqual(['cpu', 'memory', 'storage', 'network'])
    for (const r of loaded.records) {
      expect(r.settings.level).toBe('private')
      expect(r.settings.paused).toBe(false)
      expect(r.port).toBe(
        r.id.type === 'memory'
          ? REMOTE_MEMORY_PORT
          : r.id.type === 'storage'
            ? STORAGE_PORT
            : NO_SERVICE_PORT,
      )
      expect(r.createdUs).toBe(NOW * 1_000)
    }
  })

  it('moves a storage asset saved before storage was served (port 0) to the storage port', () => {
    const first = loadStoredAssets(undefined, initFor(measured())).records
    const old = encodeStoredAssets(
      first.map((r) => (r.id.type === 'storage' ? { ...r, port: NO_SERVICE_PORT } : r)),
    )
    const loaded = loadStoredAssets(old, initFor(measured(), 7))
    expect(loaded.changed).toBe(true)
    expect(loaded.dropped + loaded.reset).toBe(0)
    const storage = loaded.records.find((r) => r.id.type === 'storage')!
    expect(storage.id).toEqual(first.find((r) => r.id.type === 'storage')!.id)
    expect(storage.port).toBe(STORAGE_PORT)
  })

  it('gives back the same assets and settings after a round trip, with nothing to write', () => {
    const first = loadStoredAssets(undefined, initFor(measured())).records
    const chosen = first.map((r) =>
      r.id.type === 'memory'
        ? {
            ...r,
            settings: {
              level: 'full-public' as const,
              paused: true,
              share: { type: 'memory' as const, bytes: 32 * MIB },
            },
          }
        : r,
    )
    const stored = JSON.parse(JSON.stringify(encodeStoredAssets(chosen))) as unknown
    const again = loadStoredAssets(stored, initFor(measured(), 99))
    expect(again.changed).toBe(false)
    expect(again.records.map((r) => formatAssetId(r.id))).toEqual(
      chosen.map((r) => formatAssetId(r.id)),
    )
    expect(again.records.map((r) => r.settings)).toEqual(chosen.map((r) => r.settings))
  })

  it('keeps a stored GPU asset while the GPU is away, so its ID comes back with it', () => {
    const withGpu = loadStoredAssets(undefined, initFor(measured({ gpu: true }))).records
    const stored = encodeStoredAssets(withGpu)
    const without = loadStoredAssets(stored, initFor(measured()))
    expect(without.changed).toBe(false)
    expect(without.records.find((r) => r.id.type === 'gpu')?.id).toEqual(
      withGpu.find((r) => r.id.type === 'gpu')?.id,
    )
  })

  it('keeps the ID of an entry whose settings are damaged, with default (private) settings', () => {
    const first = loadStoredAssets(undefined, initFor(measured())).records
    const stored = encodeStoredAssets(first) as unknown as { assets: Record<string, unknown>[] }
    stored.assets[1]!.settings = { v: 1, level: 'everyone', paused: false, share: {} }
    const loaded = loadStoredAssets(stored, initFor(measured(), 5))
    expect(loaded.reset).toBe(1)
    expect(loaded.dropped).toBe(0)
    expect(loaded.changed).toBe(true)
    expect(loaded.records[1]!.id).toEqual(first[1]!.id)
    expect(loaded.records[1]!.settings.level).toBe('private')
  })

  it('drops malformed, unknown and duplicate entries and replaces them with new assets', () => {
    const first = loadStoredAssets(undefined, initFor(measured())).records
    const good = encodeStoredAssets(first).assets
    const stored = {
      v: 1,
      assets: [
        good[0],
        good[0],
        { ...good[1], id: 'memory:not-a-uuid' },
        { ...good[2], port: 70_000 },
        { ...good[3], extra: true },
        { ...good[0], id: formatAssetId(newAssetId('economic', new Uint8Array(16))) },
      ],
    }
    const loaded = loadStoredAssets(stored, initFor(measured(), 7))
    expect(loaded.dropped).toBe(5)
    expect(loaded.records[0]!.id).toEqual(first[0]!.id)
    expect(loaded.records.map((r) => r.id.type)).toEqual(['cpu', 'memory', 'storage', 'network'])
    expect(loaded.records[1]!.id).not.toEqual(first[1]!.id)
  })

  it('never throws on anything stored, and always gives one valid asset per measured type', () => {
    const r = measured()
    const good = encodeStoredAssets(loadStoredAssets(undefined, initFor(r)).records)
    const anything = fc.oneof(
      fc.jsonValue(),
      fc.constant(good as unknown),
      fc.record({ v: fc.constant(1), assets: fc.array(fc.jsonValue(), { maxLength: 6 }) }),
      fc.tuple(fc.nat(3), fc.nat(3), fc.jsonValue()).map(([i, k, v]) => {
        const copy = JSON.parse(JSON.stringify(good)) as { assets: Record<string, unknown>[] }
        copy.assets[i]![['id', 'createdUs', 'port', 'settings'][k]!] = v
        return copy as unknown
      }),
    )
    fc.assert(
      fc.property(anything, (stored) => {
        const loaded = loadStoredAssets(stored, initFor(r))
        expect(loaded.records.map((x) => x.id.type)).toEqual(ownAssetTypes(r))
        for (const rec of loaded.records)
          expect(() => encodePrivacySettings(rec.settings)).not.toThrow()
        expect(() => encodeStoredAssets(loaded.records)).not.toThrow()
      }),
      { numRuns: 300 },
    )
  })
})

describe('the privacy gate', () => {
  const share = { type: 'memory' as const, bytes: MIB }
  const at = (
    level: PrivacyLevel,
    paused = false,
  ): { settings: PrivacySettings; offerable: boolean } => ({
    settings: { level, paused, share },
    offerable: true,
  })

  it('refuses everything while paused, at every level', () => {
    for (const level of ['private', 'p2p', 'full-public'] as const) {
      for (const peer of ['self', 'direct-peer', 'other'] as const) {
        expect(gateAccess(at(level, true), peer)).toMatchObject({ ok: false, code: 'ASSET_PAUSED' })
      }
    }
  })

  it('lets a level reach what it allows and no further', () => {
    const code = (level: PrivacyLevel, peer: 'direct-peer' | 'other') => {
      const v = gateAccess(at(level), peer)
      return v.ok ? 'ok' : v.code
    }
    expect(code('private', 'direct-peer')).toBe('ASSET_NOT_SHARED')
    expect(code('private-network', 'direct-peer')).toBe('ASSET_NOT_SHARED')
    expect(code('p2p', 'direct-peer')).toBe('ok')
    expect(code('p2p', 'other')).toBe('ASSET_NOT_SHARED')
    expect(code('public-network', 'other')).toBe('ok')
    expect(code('full-public', 'other')).toBe('ok')
    expect(gateAccess({ ...at('full-public'), offerable: false }, 'other')).toMatchObject({
      ok: false,
      code: 'ASSET_NOT_SHARED',
    })
  })

  it('refuses an asset the tab cannot serve now, after the level check', () => {
    const unavailable = { ...at('p2p'), available: false }
    expect(gateAccess(unavailable, 'direct-peer')).toMatchObject({
      ok: false,
      code: 'ASSET_UNAVAILABLE',
    })
    // A peer the level does not reach learns nothing more than that.
    expect(gateAccess(unavailable, 'other')).toMatchObject({ code: 'ASSET_NOT_SHARED' })
    expect(gateAccess({ ...at('p2p'), available: true }, 'direct-peer')).toEqual({ ok: true })
  })

  it('knows a direct peer from any other node', () => {
    const direct = new Set([bob.peerId])
    expect(relationOf(alice.peerId, alice.peerId, direct)).toBe('self')
    expect(relationOf(bob.peerId, alice.peerId, direct)).toBe('direct-peer')
    expect(relationOf(carol.peerId, alice.peerId, direct)).toBe('other')
  })
})

describe('the remote memory server behind the gate (alice serves, bob holds a capability)', () => {
  const asset = newAssetId('memory', new Uint8Array(16).fill(0x5a))
  const address = globalAddressOf(alice.peerId, asset, REMOTE_MEMORY_PORT)
  const addressBytes = encodeGlobalAddress(address)
  const SIZE = 256
  const memory = new Uint8Array(SIZE).fill(0xee)
  let settings: PrivacySettings = {
    level: 'p2p',
    paused: false,
    share: { type: 'memory', bytes: SIZE },
  }
  const server = createRemoteMemoryServer({
    assets: (a) =>
      a.every((b, i) => b === addressBytes[i])
        ? {
            size: SIZE,
            read: (o, l) => memory.subarray(o, o + l),
            write: (o, bytes) => memory.set(bytes, o),
          }
        : null,
    authorize: assetAuthorizer({
      capability: capabilityAuthorizer({ owner: alice.publicKey, verifier }),
      lookup: (a) =>
        a.every((b, i) => b === addressBytes[i]) ? { settings, offerable: true } : null,
      relationOf: (peer) => relationOf(peer, alice.peerId, new Set([bob.peerId])),
    }),
    clock: { now: () => NOW },
  })
  /** A token alice issues; `expired` gives one whose expiry is exactly now (already expired). */
  const token = async (grantee: typeof bob, over: { expired?: boolean } = {}) =>
    encodeCapability(
      await issueCapability(
        grantFor(
          grantee.peerId,
          { offset: 0, length: 64, rights: 'rw', ttlMs: over.expired === true ? 10_000 : 60_000 },
          {
            address,
            servedBytes: SIZE,
            now: over.expired === true ? NOW - 10_000 : NOW - 1_000,
            nonce: new Uint8Array(16).fill(9),
          },
        ),
        alice,
      ),
    )
  const write = (peer: string, tokenBytes: Uint8Array, offset: number, bytes: number[]) =>
    decodeResponse(
      server.handle(
        encodeWrite({
          requestId: 1,
          address: addressBytes,
          offset,
          payload: Uint8Array.from(bytes),
          token: tokenBytes,
        }),
        peer,
      ) as Uint8Array,
    )
  const read = (peer: string, tokenBytes: Uint8Array, offset: number, length: number) =>
    decodeResponse(
      server.handle(
        encodeRead({ requestId: 2, address: addressBytes, offset, length, token: tokenBytes }),
        peer,
      ) as Uint8Array,
    )
  const codeOf = (r: ReturnType<typeof decodeResponse>) => (r.ok ? 'ok' : r.code)

  it('serves a direct peer with a capability at p2p, and refuses the rest without a change', async () => {
    settings = { ...settings, level: 'p2p', paused: false }
    const bobs = await token(bob)
    expect(codeOf(write(bob.peerId, bobs, 8, [1, 2, 3]))).toBe('ok')
    const back = read(bob.peerId, bobs, 8, 3)
    expect(back.ok && [...back.payload]).toEqual([1, 2, 3])
    const before = memory.slice()

    expect(codeOf(write(bob.peerId, new Uint8Array(0), 8, [9]))).toBe('NO_CAPABILITY')
    expect(codeOf(write(bob.peerId, bobs, 100, [9]))).toBe('CAPABILITY_OUT_OF_RANGE')
    expect(codeOf(write(bob.peerId, await token(bob, { expired: true }), 8, [9]))).toBe(
      'CAPABILITY_EXPIRED',
    )
    expect(codeOf(write(carol.peerId, bobs, 8, [9]))).toBe('CAPABILITY_WRONG_GRANTEE')
    // Carol holds a capability of her own but is not a direct peer: p2p does not reach her.
    expect(codeOf(write(carol.peerId, await token(carol), 8, [9]))).toBe('ASSET_NOT_SHARED')
    expect(memory).toEqual(before)
  })

  it('refuses a capability holder while paused or private, and changes nothing', async () => {
    const bobs = await token(bob)
    const before = memory.slice()
    settings = { ...settings, level: 'full-public', paused: true }
    expect(codeOf(write(bob.peerId, bobs, 0, [7]))).toBe('ASSET_PAUSED')
    expect(codeOf(read(bob.peerId, bobs, 0, 1))).toBe('ASSET_PAUSED')
    settings = { ...settings, level: 'private', paused: false }
    expect(codeOf(write(bob.peerId, bobs, 0, [7]))).toBe('ASSET_NOT_SHARED')
    expect(memory).toEqual(before)
    settings = { ...settings, level: 'public-network' }
    expect(codeOf(write(carol.peerId, await token(carol), 0, [7]))).toBe('ok')
  })

  it('tells a peer without a valid capability nothing about the pause', async () => {
    settings = { ...settings, level: 'p2p', paused: true }
    expect(codeOf(read(carol.peerId, new Uint8Array(0), 0, 1))).toBe('NO_CAPABILITY')
    expect(codeOf(read(bob.peerId, await token(bob, { expired: true }), 0, 1))).toBe(
      'CAPABILITY_EXPIRED',
    )
  })
})

describe('grants', () => {
  const address = globalAddressOf(alice.peerId, newAssetId('memory', new Uint8Array(16)), 1)
  const context = { address, servedBytes: 1024, now: NOW, nonce: new Uint8Array(16) }

  it('grants a range inside what is served, for a lifetime from now', () => {
    const g = grantFor(bob.peerId, { offset: 16, length: 32, rights: 'r', ttlMs: 5_000 }, context)
    expect(g.grantee).toEqual(bob.publicKey)
    expect(g.rights).toBe(RIGHT_READ)
    expect([g.offset, g.length, g.notBefore, g.expiry]).toEqual([16, 32, NOW, NOW + 5_000])
    expect(
      grantFor(bob.peerId, { offset: 0, length: 1, rights: 'rw', ttlMs: 1 }, context).rights,
    ).toBe(RIGHT_READ | RIGHT_WRITE)
  })

  it('refuses a bad grantee, range, right or lifetime with BAD_GRANT', () => {
    const bad = [
      () =>
        grantFor('12D3KooWnot-a-peer', { offset: 0, length: 1, rights: 'r', ttlMs: 1 }, context),
      () => grantFor(bob.peerId, { offset: 1000, length: 25, rights: 'r', ttlMs: 1 }, context),
      () => grantFor(bob.peerId, { offset: 0, length: 0, rights: 'r', ttlMs: 1 }, context),
      () => grantFor(bob.peerId, { offset: 0, length: 1, rights: 'x' as 'r', ttlMs: 1 }, context),
      () => grantFor(bob.peerId, { offset: 0, length: 1, rights: 'r', ttlMs: 0 }, context),
      () =>
        grantFor(
          bob.peerId,
          { offset: 0, length: 1, rights: 'r', ttlMs: 31 * 86_400_000 },
          context,
        ),
    ]
    for (const f of bad) {
      expect(f).toThrow(AssetAccessError)
      try {
        f()
      } catch (err) {
        expect((err as AssetAccessError).code).toBe('BAD_GRANT')
      }
    }
  })
})

describe('grants name their asset; audits take a commitment', () => {
  it('grants memory unless storage is named, and nothing else', () => {
    const base = { offset: 0, length: 1, rights: 'r' as const, ttlMs: 1 }
    expect(grantedAssetOf(base)).toBe('memory')
    expect(grantedAssetOf({ ...base, asset: 'storage' })).toBe('storage')
    expect(() => grantedAssetOf({ ...base, asset: 'cpu' as 'memory' })).toThrow(
      expect.objectContaining({ name: 'AssetAccessError', code: 'BAD_GRANT' }),
    )
  })

  it('reads back the commitment it formats, and refuses anything else with BAD_AUDIT', () => {
    const root = Uint8Array.from({ length: 32 }, (_, i) => i * 7)
    const c = formatCommitment(root, 300 * 1024)
    expect(c.root).toMatch(/^[0-9a-f]{64}$/)
    expect(parseAudit(JSON.parse(JSON.stringify(c)), 32)).toEqual({ root, size: 300 * 1024 })
    const bad: Array<[unknown, unknown]> = [
      [null, 1],
      [{ root: c.root.toUpperCase(), size: 1 }, 1],
      [{ root: c.root.slice(2), size: 1 }, 1],
      [{ root: c.root, size: 0 }, 1],
      [{ root: c.root, size: 1.5 }, 1],
      [{ root: c.root, size: 2 ** 60 }, 1],
      [c, 0],
      [c, 129],
      [c, 2.5],
    ]
    for (const [commitment, k] of bad) {
      expect(() => parseAudit(commitment, k)).toThrow(
        expect.objectContaining({ name: 'AssetAccessError', code: 'BAD_AUDIT' }),
      )
    }
  })
})

describe('addresses, tokens and ranges typed by a user', () => {
  const asset = newAssetId('memory', new Uint8Array(16).fill(3))
  const address = globalAddressOf(bob.peerId, asset, 1)

  it('finds the peer of a URI, and of a global address among the peers it knows', () => {
    const uri = formatHypermeshUri({ peerId: bob.peerId, assetUuid: asset.uuid, port: 1 })
    expect(resolveTarget(uri, []).peerId).toBe(bob.peerId)
    const text = formatGlobalAddress(address)
    const found = resolveTarget(` ${text} `, [alice.peerId, 'garbage', bob.peerId])
    expect(found.peerId).toBe(bob.peerId)
    expect(encodeGlobalAddress(found.address)).toEqual(encodeGlobalAddress(address))
  })

  it('says which: an unknown node, or not an address at all', () => {
    const code = (f: () => unknown) => {
      try {
        f()
        return 'ok'
      } catch (err) {
        return (err as AssetAccessError).code
      }
    }
    expect(code(() => resolveTarget(formatGlobalAddress(address), [alice.peerId]))).toBe(
      'UNKNOWN_NODE',
    )
    expect(code(() => resolveTarget('memory:nothing', [bob.peerId]))).toBe('BAD_ADDRESS')
    expect(code(() => resolveTarget(bob.peerId, [bob.peerId]))).toBe('BAD_ADDRESS')
    expect(code(() => base64ToBytes('not base64!', 'BAD_TOKEN'))).toBe('BAD_TOKEN')
    expect(code(() => checkRange(-1, 4))).toBe('BAD_RANGE')
    expect(code(() => checkRange(0, 2 ** 20 + 1))).toBe('BAD_RANGE')
    expect(code(() => checkRange(0, 2 ** 20))).toBe('ok')
  })

  it('reads back the base64 it writes, white space ignored', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = bytesToBase64(bytes)
        expect(base64ToBytes(text, 'BAD_BYTES')).toEqual(bytes)
        expect(base64ToBytes(` ${text.replace(/(.{8})/g, '$1\n')} `, 'BAD_BYTES')).toEqual(bytes)
      }),
    )
  })
})

describe('ledger registration plan', () => {
  const share = { type: 'cpu' as const, cores: 2 }
  const asset = (id: string, level: PrivacyLevel, offerable = true) => ({
    id,
    settings: { level, paused: false, share },
    offerable,
  })
  const chain = (id: string, level: string, retiredAt: number | null = null, cores = 2) => ({
    id,
    level,
    share: { type: 'cpu' as const, cores },
    retiredAt,
  })

  it('registers public assets, updates changed ones and leaves the rest', () => {
    expect(
      planLedgerSync(
        [
          asset('a', 'full-public'),
          asset('b', 'public-network'),
          asset('c', 'full-public'),
          asset('d', 'p2p'),
          asset('e', 'full-public', false),
        ],
        [chain('b', 'full-public'), chain('c', 'full-public')],
      ),
    ).toEqual([
      { kind: 'register', id: 'a' },
      { kind: 'update', id: 'b' },
    ])
    expect(
      planLedgerSync([asset('c', 'full-public')], [chain('c', 'full-public', null, 3)]),
    ).toEqual([{ kind: 'update', id: 'c' }])
  })

  it('retires what was made narrower or is gone, ignores pause, renews a retired ID', () => {
    expect(
      planLedgerSync(
        [
          asset('a', 'p2p'),
          { ...asset('b', 'full-public'), settings: { level: 'full-public', paused: true, share } },
        ],
        [
          chain('a', 'full-public'),
          chain('b', 'full-public'),
          chain('z', 'full-public'),
          chain('y', 'full-public', 5),
        ],
      ),
    ).toEqual([
      { kind: 'retire', id: 'a' },
      { kind: 'retire', id: 'z' },
    ])
    expect(planLedgerSync([asset('a', 'full-public')], [chain('a', 'full-public', 5)])).toEqual([
      { kind: 'renew', id: 'a' },
    ])
  })

  it('retires a registration at another port (the ledger cannot move it), then renews', () => {
    const moved = { ...asset('s', 'full-public'), port: STORAGE_PORT }
    expect(planLedgerSync([moved], [{ ...chain('s', 'full-public'), port: 0 }])).toEqual([
      { kind: 'retire', id: 's' },
    ])
    expect(planLedgerSync([moved], [{ ...chain('s', 'full-public', 5), port: 0 }])).toEqual([
      { kind: 'renew', id: 's' },
    ])
    expect(planLedgerSync([moved], [{ ...chain('s', 'full-public'), port: STORAGE_PORT }])).toEqual(
      [],
    )
  })
})

describe('defaults', () => {
  it('start private, with a share within what was measured', () => {
    const r = measured({ cores: 1 })
    for (const type of ownAssetTypes(r) as OwnAssetType[]) {
      const s = defaultSettings(type, capacityFromResources(type, r))
      expect(s.level).toBe('private')
      expect(s.paused).toBe(false)
    }
    expect(defaultSettings('cpu', { type: 'cpu', cores: 1 }).share).toEqual({
      type: 'cpu',
      cores: 1,
    })
    expect(defaultSettings('memory', { type: 'memory', bytes: 8 * GIB }).share).toEqual({
      type: 'memory',
      bytes: MEMORY_SERVE_CAP_BYTES,
    })
  })
})
