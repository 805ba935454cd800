/**
 * Reading assets: the queries, the on-chain online rule, proofs of asset facts (which verify
 * offline and fail when tampered), strict decoding of asset values, snapshots holding assets, and
 * the bridges to lib/assets' shares and measurements.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { encodeAssetId, type AssetType } from '../assets/asset-id'
import { checkShare, type AssetShare } from '../assets/privacy'
import { unknownResources, type Resources } from '../assets/resources'
import { createLedgerApp } from './app'
import {
  assetCapacityOf,
  assetShareOf,
  ledgerShareOf,
  measuredCapacityOf,
  type AssetRecord,
} from './assets'
import { toHex } from './codec'
import { ASSET_ONLINE_WINDOW_BLOCKS } from './constants'
import {
  allAssets,
  asset,
  assetLastSeen,
  assetOnline,
  assetsOf,
  node,
  proveAsset,
  proveFact,
  verifyFact,
} from './queries'
import { decodeLedgerState, encodeLedgerState } from './snapshot'
import type { LedgerState } from './state'
import {
  CAPACITY,
  carol,
  dave,
  nextContext,
  nobleVerifier,
  registerAssetBody,
  SHARES,
  stampFor,
  testAssetId,
  testGenesis,
  thrown,
  tx,
  type Who,
} from './test-support'
import { assetKey, decodeFactValue, isStateKey, nodeAssetsKey, nodeKey } from './values'

const ledger = createLedgerApp({ genesis: testGenesis(), verifier: nobleVerifier })
const next = (s: LedgerState, txs: Uint8Array[] = []) =>
  ledger.app.executeBlock(s, nextContext(s), txs)
const s0 = ledger.genesisState
const register = (w: Who) =>
  tx(s0, w, 'register-node', { stamp: stampFor(s0, w), cert: null }, { fee: 0n })
const s1 = next(s0, [register(carol), register(dave)])

const cpu = testAssetId('cpu', 'q-cpu')
const memory = testAssetId('memory', 'q-memory')
const storage = testAssetId('storage', 'q-storage')
const coord = { vec: [1, 2, 3, 4, 5, 6, 7, 8], height: 0.5, error: 0.25 }

// Block 2: carol registers cpu and memory; block 3: dave registers storage and attests carol
// (carol is measured at height 2); block 4: carol retires memory.
const s2 = next(s1, [
  tx(s1, carol, 'register-asset', registerAssetBody(cpu)),
  tx(s1, carol, 'register-asset', registerAssetBody(memory), { nonce: 2 }),
])
const s3 = next(s2, [
  tx(s2, dave, 'register-asset', registerAssetBody(storage), { fee: 0n }),
  tx(
    s2,
    dave,
    'attest',
    { subject: carol.publicKey, rttMs: 25, height: 2, coord },
    {
      nonce: 2,
      fee: 0n,
    },
  ),
])
const s4 = next(s3, [tx(s3, carol, 'retire-asset', { id: encodeAssetId(memory) })])

describe('asset queries', () => {
  it('find an asset by UUID, live or retired', () => {
    expect(asset(s4, cpu.uuid)?.owner).toEqual(carol.publicKey)
    expect(asset(s4, memory.uuid)?.retiredHeight).toBe(4)
    expect(asset(s4, testAssetId('cpu', 'none').uuid)).toBeUndefined()
    expect(thrown(() => asset(s4, new Uint8Array(17)))).toMatchObject({
      name: 'LedgerArgumentError',
    })
  })

  it("list a node's assets from its index, or with the retired ones by a walk", () => {
    const uuids = (entries: { uuid: Uint8Array }[]) => entries.map((e) => toHex(e.uuid))
    expect(uuids(assetsOf(s2, carol.publicKey))).toEqual([toHex(cpu.uuid), toHex(memory.uuid)])
    expect(uuids(assetsOf(s4, carol.publicKey))).toEqual([toHex(cpu.uuid)])
    expect(uuids(assetsOf(s4, carol.publicKey, { includeRetired: true })).sort()).toEqual(
      [toHex(cpu.uuid), toHex(memory.uuid)].sort(),
    )
    expect(assetsOf(s4, carol.publicKey, { includeRetired: true, limit: 1 })).toHaveLength(1)
    expect(assetsOf(s0, carol.publicKey)).toEqual([])
    expect(thrown(() => assetsOf(s4, carol.publicKey, { limit: -1 }))).toMatchObject({
      name: 'LedgerArgumentError',
    })
  })

  it('list every asset, newest registration first', () => {
    expect(allAssets(s4).map((e) => e.record.type)).toEqual(['storage', 'cpu'])
    const all = allAssets(s4, { includeRetired: true }).map((e) => e.record.type)
    expect(all[0]).toBe('storage')
    expect(all.slice(1).sort()).toEqual(['cpu', 'memory'])
    expect(allAssets(s4, { limit: 1 }).map((e) => e.record.type)).toEqual(['storage'])
    expect(allAssets(s0)).toEqual([])
  })
})

describe('assetOnline', () => {
  const record = (over: Partial<AssetRecord> = {}): AssetRecord => ({
    ...asset(s2, cpu.uuid)!,
    updatedHeight: 10,
    ...over,
  })
  const quiet = { ...node(s1, carol.publicKey)!, coordHeight: null, attestation: null }

  it('is fresh for the window after a registration or update', () => {
    const w = ASSET_ONLINE_WINDOW_BLOCKS
    expect(assetOnline(record(), quiet, 10)).toBe(true)
    expect(assetOnline(record(), quiet, 10 + w)).toBe(true)
    expect(assetOnline(record(), quiet, 11 + w)).toBe(false)
    expect(assetOnline(record(), quiet, 20, { windowBlocks: 9 })).toBe(false)
    expect(assetOnline(record(), undefined, 15, { windowBlocks: 5 })).toBe(true)
  })

  it("counts its node's latest attestation, as subject or as witness", () => {
    const measured = {
      ...quiet,
      attestation: { witness: dave.publicKey, rttMs: 3, height: 500, coord },
    }
    expect(assetLastSeen(record(), measured)).toBe(500)
    expect(assetOnline(record(), measured, 500 + ASSET_ONLINE_WINDOW_BLOCKS)).toBe(true)
    expect(assetOnline(record(), measured, 501 + ASSET_ONLINE_WINDOW_BLOCKS)).toBe(false)
    const witness = { ...quiet, coord, coordHeight: 700 }
    expect(assetLastSeen(record(), witness)).toBe(700)
    expect(assetOnline(record(), witness, 800)).toBe(true)
    // On the chain: dave's attestation at height 2 is carol's latest sign of life; dave's own
    // attesting (block 3) is his.
    expect(assetLastSeen(asset(s4, cpu.uuid)!, node(s4, carol.publicKey))).toBe(2)
    expect(assetLastSeen(asset(s4, storage.uuid)!, node(s4, dave.publicKey))).toBe(3)
  })

  it('is never online once retired; refuses bad arguments', () => {
    expect(assetOnline(asset(s4, memory.uuid)!, node(s4, carol.publicKey), 4)).toBe(false)
    expect(thrown(() => assetOnline(record(), quiet, -1))).toMatchObject({
      name: 'LedgerArgumentError',
    })
    expect(thrown(() => assetOnline(record(), quiet, 1, { windowBlocks: 1.5 }))).toMatchObject({
      name: 'LedgerArgumentError',
    })
  })
})

describe('proofs of asset facts', () => {
  it('prove the asset and its owner node (position) against the state root, offline', () => {
    const facts = proveAsset(s4, cpu.uuid)
    expect(facts.map((f) => f.key)).toEqual([assetKey(cpu.uuid), nodeKey(carol.publicKey)])
    for (const f of facts) expect(verifyFact(s4.root, f.key, f.value, f.proof)).toBe(true)
    const a = decodeFactValue(facts[0]!.key, facts[0]!.value)
    const n = decodeFactValue(facts[1]!.key, facts[1]!.value)
    expect(a.type === 'asset' && a.value).toEqual(asset(s4, cpu.uuid))
    expect(n.type === 'node' && n.value.attestation?.coord).toEqual(coord)
    // A retired asset still has its fact (history).
    const retired = proveAsset(s4, memory.uuid)[0]!
    expect(verifyFact(s4.root, retired.key, retired.value, retired.proof)).toBe(true)
    expect(thrown(() => proveAsset(s4, testAssetId('cpu', 'none').uuid))).toMatchObject({
      name: 'UnknownFactError',
    })
  })

  it('do not verify when the value, the key, the proof or the root is changed', () => {
    const [fact] = proveAsset(s4, cpu.uuid)
    const record = asset(s4, cpu.uuid)!
    const forged = dagCbor.encode({ ...record, level: 'public-network', port: 1 })
    expect(verifyFact(s4.root, fact!.key, forged, fact!.proof)).toBe(false)
    const flipped = fact!.value.slice()
    flipped[flipped.length - 1]! ^= 1
    expect(verifyFact(s4.root, fact!.key, flipped, fact!.proof)).toBe(false)
    expect(verifyFact(s4.root, assetKey(memory.uuid), fact!.value, fact!.proof)).toBe(false)
    const siblings = fact!.proof.siblings.map((s) => s.slice())
    siblings[0]![0]! ^= 1
    expect(verifyFact(s4.root, fact!.key, fact!.value, { siblings })).toBe(false)
    expect(verifyFact(s3.root, fact!.key, fact!.value, fact!.proof)).toBe(false)
  })
})

describe('asset state values', () => {
  it('are state keys and decode strictly', () => {
    expect(isStateKey(assetKey(cpu.uuid))).toBe(true)
    expect(isStateKey(nodeAssetsKey(carol.publicKey))).toBe(true)
    expect(isStateKey(`asset/${toHex(cpu.uuid)}00`)).toBe(false)
    expect(isStateKey('asset/XYZ')).toBe(false)
    const index = proveFact(s4, nodeAssetsKey(carol.publicKey))
    const decoded = decodeFactValue(index.key, index.value)
    expect(decoded).toEqual({ type: 'node-assets', value: { live: [cpu.uuid], total: 2 } })
    expect(thrown(() => assetKey(new Uint8Array(32)))).toMatchObject({
      name: 'LedgerArgumentError',
    })
  })

  it('refuse a record the ledger could not have written', () => {
    const record = asset(s4, cpu.uuid)!
    const key = assetKey(cpu.uuid)
    const bad: [Record<string, unknown>, string][] = [
      [{ ...record, port: 8 }, 'asset.address'],
      [{ ...record, owner: dave.publicKey }, 'asset.address'],
      [{ ...record, createdUs: record.createdUs + 1 }, 'asset.contentHash'],
      [{ ...record, type: 'storage' }, 'asset.contentHash'],
      [{ ...record, type: 'ram' }, 'asset.type'],
      [{ ...record, level: 'p2p' }, 'asset.level'],
      [{ ...record, updatedHeight: 1 }, 'asset.updatedHeight'],
      [{ ...record, retiredAt: 5 }, 'asset.retiredHeight'],
      [{ ...record, retiredAt: 5, retiredHeight: 1 }, 'asset.retiredHeight'],
    ]
    for (const [value, field] of bad) {
      expect(
        thrown(() => decodeFactValue(key, dagCbor.encode(value))),
        field,
      ).toMatchObject({
        name: 'LedgerDecodeError',
        field,
      })
    }
    // The same record under another asset's key has the wrong address.
    expect(
      thrown(() => decodeFactValue(assetKey(memory.uuid), dagCbor.encode(record))),
    ).toMatchObject({ name: 'LedgerDecodeError', field: 'asset.address' })
    const twice = { live: [cpu.uuid, cpu.uuid], total: 2 }
    expect(
      thrown(() => decodeFactValue(nodeAssetsKey(carol.publicKey), dagCbor.encode(twice))),
    ).toMatchObject({ name: 'LedgerDecodeError' })
    expect(
      thrown(() =>
        decodeFactValue(
          nodeAssetsKey(carol.publicKey),
          dagCbor.encode({ live: [cpu.uuid], total: 0 }),
        ),
      ),
    ).toMatchObject({ name: 'LedgerDecodeError', field: 'nodeAssets.total' })
  })

  it('survive a snapshot: the rebuilt state has the same root and assets', () => {
    const again = decodeLedgerState(encodeLedgerState(s4))
    expect(toHex(again.root)).toBe(toHex(s4.root))
    expect(allAssets(again, { includeRetired: true })).toEqual(
      allAssets(s4, { includeRetired: true }),
    )
  })
})

describe('bridges to lib/assets', () => {
  it('convert shares both ways, for every type', () => {
    const shares: AssetShare[] = [
      { type: 'cpu', cores: 2 },
      { type: 'gpu', fraction: 0.5, hoursPerDay: 8 },
      { type: 'memory', bytes: 2 ** 29 },
      { type: 'storage', bytes: 10 ** 8, hoursPerDay: 23.5 },
      { type: 'network', bytesPerSecond: 10 ** 6 },
      { type: 'container', hoursPerDay: 12 },
      { type: 'economic' },
    ]
    for (const share of shares) {
      const wire = ledgerShareOf(share)
      expect(wire).toEqual(SHARES[share.type])
      expect(assetShareOf(share.type, wire)).toEqual(share)
      // The test shares fit the test capacity by lib/assets' own rule.
      checkShare(share.type, share, measuredCapacityOf(share.type, CAPACITY))
    }
    const noGpu = measuredCapacityOf('gpu', { ...CAPACITY, gpu: null })
    expect(noGpu).toEqual({ type: 'gpu', available: false })
  })

  it('take a measurement as it is: known figures kept, unknown ones null, label cut', () => {
    const r: Resources = unknownResources('browser')
    expect(assetCapacityOf(r)).toEqual({
      platform: 'browser',
      cores: null,
      cpuScore: null,
      memoryBytes: null,
      storageBytes: null,
      writeBytesPerSecond: null,
      goodputBytesPerSecond: null,
      gpu: null,
    })
    const measured: Resources = {
      ...r,
      cpu: { logicalCores: 8, score: 900.5, calibrationMs: 300 },
      memory: { ...r.memory, deviceMemoryGiB: 0.5 },
      storage: {
        ...r.storage,
        quotaBytes: 10 ** 9,
        usageBytes: 10 ** 6,
        writeBytesPerSecond: 2e7,
        writeProbe: 'indexeddb',
      },
      gpu: {
        vendor: 'v'.repeat(100),
        architecture: 'a'.repeat(100),
        device: 'd',
        description: null,
        fallbackAdapter: false,
        memoryBytes: null,
        limits: {
          maxBufferSize: 2 ** 28,
          maxStorageBufferBindingSize: null,
          maxComputeWorkgroupsPerDimension: 65_535,
          maxComputeInvocationsPerWorkgroup: 256,
        },
      },
      network: {
        links: [
          { peerId: 'a', rttMs: 10, goodputBytesPerSecond: 100 },
          { peerId: 'b', rttMs: 20, goodputBytesPerSecond: 300 },
        ],
      },
    }
    const c = assetCapacityOf(measured)
    expect(c).toMatchObject({
      cores: 8,
      cpuScore: 900.5,
      memoryBytes: 2 ** 29,
      storageBytes: 10 ** 9 - 10 ** 6,
      writeBytesPerSecond: 2e7,
      goodputBytesPerSecond: 200,
    })
    expect(c.gpu?.label).toBe(`${'v'.repeat(100)} ${'a'.repeat(27)}`)
    expect(c.gpu?.maxStorageBufferBindingSize).toBeNull()
    // It is a capacity a registration carries.
    const id = testAssetId('cpu', 'measured')
    const s = next(s1, [tx(s1, carol, 'register-asset', registerAssetBody(id, { capacity: c }))])
    expect(asset(s, id.uuid)?.capacity).toEqual(c)
    expect(
      thrown(() => assetCapacityOf({ ...r, version: 2 } as unknown as Resources)),
    ).toMatchObject({ name: 'LedgerArgumentError' })
  })

  it('every asset type has its measured figure', () => {
    const types: AssetType[] = [
      'cpu',
      'gpu',
      'memory',
      'storage',
      'network',
      'container',
      'economic',
    ]
    expect(types.map((t) => measuredCapacityOf(t, CAPACITY))).toEqual([
      { type: 'cpu', cores: 8 },
      { type: 'gpu', available: true },
      { type: 'memory', bytes: 8 * 2 ** 30 },
      { type: 'storage', bytes: 10 ** 9 },
      { type: 'network', bytesPerSecond: 1.25e6 },
      { type: 'container' },
      { type: 'economic' },
    ])
  })
})
