/**
 * The explorer's asset model on summaries of a real ledger state: rows, figures, the online
 * state, filters, sorting, the query string, the search box and the route segments.
 */
import { describe, expect, it } from 'vitest'
import { formatAssetId } from '@/lib/assets/asset-id'
import { peerIdOfPublicKey } from '@/lib/assets/global-address'
import { summarizeAsset } from '@/lib/chain/ledger-service'
import { createLedgerApp } from '@/lib/ledger/app'
import { allAssets, node } from '@/lib/ledger/queries'
import {
  CAPACITY,
  UNMEASURED,
  carol,
  dave,
  nextContext,
  nobleVerifier,
  registerAssetBody,
  stampFor,
  testAssetId,
  testGenesis,
  tx,
  type Who,
} from '@/lib/ledger/test-support'
import type { Coordinate } from '@/lib/mesh/types'
import {
  DEFAULT_ASSET_LIST_VIEW,
  assetCounts,
  assetProofFileName,
  capacityLines,
  assetListSearch,
  assetRoute,
  assetRows,
  assetTxOf,
  capacityFigure,
  filterAssetRows,
  formatCoordinate,
  formatSize,
  heardAt,
  heardNode,
  ledgerDown,
  nodeRoute,
  onlineOf,
  parseAssetListView,
  parseAssetSegment,
  parseExplorerSearch,
  parseNodeSegment,
  resolveExplorerSearch,
  shareFigure,
  shortAddress,
  sortAssetRows,
  toggleSort,
  type AssetRow,
  type AssetSummary,
  type SearchLookups,
} from './asset-explorer'
import { HEARD_WITHIN_MS } from './explorer-constants'
import type { TxSummary } from './chain-view'
import { INITIAL_SNAPSHOT } from './store'

// A ledger where carol offers memory (public-network) and cpu (full-public), dave storage
// (full-public, 8 h a day) and a GPU: four real records, summarised as the worker does.
const ledger = createLedgerApp({ genesis: testGenesis(), verifier: nobleVerifier })
const s0 = ledger.genesisState
const register = (w: Who) =>
  tx(s0, w, 'register-node', { stamp: stampFor(s0, w), cert: null }, { fee: 0n })
const s1 = ledger.app.executeBlock(s0, nextContext(s0), [register(carol), register(dave)])
const memoryId = testAssetId('memory', 'explorer-memory')
const cpuId = testAssetId('cpu', 'explorer-cpu')
const storageId = testAssetId('storage', 'explorer-storage')
const gpuId = testAssetId('gpu', 'explorer-gpu')
const s2 = ledger.app.executeBlock(s1, nextContext(s1), [
  tx(s1, carol, 'register-asset', registerAssetBody(memoryId, { port: 1 }), { fee: 0n }),
])
const s3 = ledger.app.executeBlock(s2, nextContext(s2), [
  tx(
    s2,
    carol,
    'register-asset',
    registerAssetBody(cpuId, { port: 0, level: 'full-public', capacity: UNMEASURED_CPU() }),
    { fee: 0n },
  ),
  tx(
    s2,
    dave,
    'register-asset',
    registerAssetBody(storageId, {
      port: 0,
      level: 'full-public',
      share: { amount: 10 ** 8, hours: 8 },
    }),
    { fee: 0n, nonce: 1 },
  ),
  tx(s2, dave, 'register-asset', registerAssetBody(gpuId, { port: 0 }), { fee: 0n, nonce: 2 }),
])

/** cpu measured (8 cores) but nothing else: other figures must read as unknown. */
function UNMEASURED_CPU() {
  return { ...UNMEASURED, cores: 8 }
}

const summaries: AssetSummary[] = allAssets(s3).map(({ uuid, record }) =>
  summarizeAsset(uuid, record, node(s3, record.owner), s3.height),
)
const byType = (type: string) => summaries.find((a) => a.type === type)!
const carolPeer = peerIdOfPublicKey(carol.publicKey)
const davePeer = peerIdOfPublicKey(dave.publicKey)
const NOW = s3.time + 5_000

function rows(ctx: Partial<Parameters<typeof assetRows>[1]> = {}): AssetRow[] {
  return assetRows(summaries, { selfPeerId: null, heard: new Map(), now: NOW, ...ctx })
}

describe('figures', () => {
  it('writes sizes in binary units', () => {
    expect(formatSize(512)).toBe('512 B')
    expect(formatSize(1536)).toBe('1.5 KiB')
    expect(formatSize(16 * 2 ** 20)).toBe('16 MiB')
    expect(formatSize(8 * 2 ** 30)).toBe('8 GiB')
    expect(formatSize(10 ** 9)).toBe('954 MiB')
    expect(formatSize(-1)).toBe('unknown')
  })

  it('says unknown for what the platform did not measure, and never estimates', () => {
    expect(capacityFigure('memory', UNMEASURED)).toEqual({
      text: 'unknown',
      value: null,
      known: false,
    })
    expect(capacityFigure('cpu', CAPACITY)).toEqual({ text: '8 cores', value: 8, known: true })
    expect(capacityFigure('storage', CAPACITY).text).toBe('954 MiB free')
    expect(capacityFigure('network', CAPACITY).text).toBe('1.2 MiB/s')
    expect(capacityFigure('gpu', CAPACITY).text).toBe('Apple M2')
    expect(capacityFigure('gpu', UNMEASURED).text).toBe('no adapter')
    expect(capacityFigure('container', CAPACITY)).toEqual({
      text: 'no quantity',
      value: null,
      known: true,
    })
  })

  it('lists every measured figure, those of the type first, unknown where not measured', () => {
    const cpu = capacityLines('cpu', UNMEASURED_CPU())
    expect(cpu.slice(0, 2)).toEqual([
      { label: 'logical cores', text: '8', known: true, primary: true },
      { label: 'CPU speed', text: 'unknown', known: false, primary: true },
    ])
    expect(cpu.find((l) => l.label === 'memory')).toMatchObject({ text: 'unknown', known: false })
    expect(cpu.find((l) => l.label === 'GPU')?.text).toBe('no WebGPU adapter')
    const gpu = capacityLines('gpu', CAPACITY)
    expect(gpu.filter((l) => l.primary).map((l) => l.text)).toEqual(['Apple M2', '256 MiB'])
    expect(gpu.find((l) => l.label === 'CPU speed')?.text).toBe('1,235 units/s, one thread')
  })

  it('writes shares with their hours', () => {
    expect(shareFigure({ type: 'cpu', cores: 1 }).text).toBe('1 core')
    expect(shareFigure({ type: 'memory', bytes: 2 ** 29 }).text).toBe('512 MiB')
    expect(shareFigure({ type: 'gpu', fraction: 0.25, hoursPerDay: 8 }).text).toBe(
      '25 % of its time · 8 h a day',
    )
    expect(shareFigure({ type: 'container', hoursPerDay: 12 })).toEqual({
      text: 'hours only · 12 h a day',
      value: null,
      known: true,
    })
  })

  it('shortens a GlobalAddress to its node, the end of its UUID and its port', () => {
    const a = byType('memory').address
    const g = a.split(':')
    expect(shortAddress(a)).toBe(`${g[4]}:${g[5]}:…:${g[15]}:0001`)
    expect(shortAddress('not an address')).toBe('not an address')
  })

  it('formats a coordinate on one line', () => {
    expect(formatCoordinate({ vec: [1, 2.25], height: 0.5, error: 0.2 })).toBe(
      '[1.0, 2.3] ms · height 0.5 ms · error 0.20',
    )
  })
})

describe('rows and the online state', () => {
  it('builds one row per asset from the ledger summary', () => {
    const r = rows({ selfPeerId: carolPeer })
    expect(r.map((x) => x.id).sort()).toEqual(
      [memoryId, cpuId, storageId, gpuId].map((id) => formatAssetId(id)).sort(),
    )
    const memory = r.find((x) => x.type === 'memory')!
    expect(memory).toMatchObject({
      address: byType('memory').address,
      peerId: carolPeer,
      self: true,
      level: 'public-network',
      registeredHeight: 2,
      share: { text: '512 MiB', known: true },
      capacity: { text: '8 GiB', known: true },
      online: { state: 'heard', text: 'online' },
    })
    const cpu = r.find((x) => x.type === 'cpu')!
    expect(cpu.capacity.text).toBe('8 cores')
    const storage = r.find((x) => x.type === 'storage')!
    expect(storage.self).toBe(false)
    expect(storage.share.text).toBe('95.4 MiB · 8 h a day')
  })

  it('is online when the owner was heard within the window, else on chain, else offline', () => {
    const a = byType('storage')
    expect(onlineOf(a, NOW - 3_000, false, NOW)).toMatchObject({ state: 'heard' })
    expect(onlineOf(a, NOW - 3_000, false, NOW).why).toContain('3 s ago')
    // Registered two blocks ago: the chain's half says online.
    expect(a.online).toBe(true)
    expect(onlineOf(a, NOW - HEARD_WITHIN_MS - 1, false, NOW).state).toBe('chain')
    expect(onlineOf(a, null, false, NOW).why).toContain(`height ${a.lastSeenHeight}`)
    expect(onlineOf({ ...a, online: false }, null, false, NOW)).toMatchObject({
      state: 'offline',
      text: 'offline',
    })
    expect(onlineOf({ ...a, retiredHeight: 9 }, NOW, true, NOW)).toMatchObject({
      state: 'retired',
    })
    expect(onlineOf({ ...a, online: false }, null, true, NOW).state).toBe('heard')
  })

  it('keeps the newest heartbeat per node', () => {
    const m = heardAt([
      { peerId: 'a', lastSeen: 5 },
      { peerId: 'a', lastSeen: 9 },
      { peerId: 'b', lastSeen: 1 },
    ])
    expect([...m]).toEqual([
      ['a', 9],
      ['b', 1],
    ])
  })
})

describe('filters and sorting', () => {
  const all = rows({ heard: new Map([[davePeer, NOW - 1_000]]) })
  const offline = all.map((r) =>
    r.peerId === carolPeer ? { ...r, online: { ...r.online, state: 'offline' as const } } : r,
  )

  it('filters by type, level and online state', () => {
    const v = DEFAULT_ASSET_LIST_VIEW.filter
    expect(filterAssetRows(all, v)).toHaveLength(4)
    expect(filterAssetRows(all, { ...v, type: 'cpu' }).map((r) => r.type)).toEqual(['cpu'])
    expect(
      filterAssetRows(all, { ...v, level: 'full-public' })
        .map((r) => r.type)
        .sort(),
    ).toEqual(['cpu', 'storage'])
    expect(
      filterAssetRows(offline, { ...v, online: 'offline' })
        .map((r) => r.type)
        .sort(),
    ).toEqual(['cpu', 'memory'])
    expect(
      filterAssetRows(offline, { ...v, online: 'online' })
        .map((r) => r.type)
        .sort(),
    ).toEqual(['gpu', 'storage'])
    expect(filterAssetRows(all, { type: 'network', level: 'all', online: 'all' })).toEqual([])
    expect(assetCounts(offline)).toEqual({
      type: { memory: 1, cpu: 1, storage: 1, gpu: 1 },
      level: { 'public-network': 2, 'full-public': 2 },
      online: 2,
      offline: 2,
    })
  })

  it('sorts by a column, unknown figures last in both directions, ties newest first', () => {
    const byCapacity = sortAssetRows(all, { key: 'capacity', dir: 'desc' }).map((r) => r.type)
    // memory 8 GiB, gpu 256 MiB buffers, storage 954 MiB, cpu 8 cores: values compare as numbers.
    expect(byCapacity).toEqual(['memory', 'storage', 'gpu', 'cpu'])
    const byType = sortAssetRows(all, { key: 'type', dir: 'asc' }).map((r) => r.type)
    expect(byType).toEqual(['cpu', 'gpu', 'memory', 'storage'])
    expect(sortAssetRows(all, { key: 'type', dir: 'desc' }).map((r) => r.type)).toEqual(
      [...byType].reverse(),
    )
    const unknown = all.map((r) =>
      r.type === 'storage' ? { ...r, share: { text: 'unknown', value: null, known: false } } : r,
    )
    for (const dir of ['asc', 'desc'] as const) {
      expect(sortAssetRows(unknown, { key: 'share', dir }).at(-1)?.type).toBe('storage')
    }
    // Same level: newest registration first, then by ID.
    const byLevel = sortAssetRows(all, { key: 'level', dir: 'asc' })
    expect(byLevel.map((r) => r.level)).toEqual([
      'public-network',
      'public-network',
      'full-public',
      'full-public',
    ])
    expect(byLevel[0]!.registeredHeight).toBeGreaterThanOrEqual(byLevel[1]!.registeredHeight)
    expect(sortAssetRows(all, { key: 'online', dir: 'desc' })[0]!.peerId).toBe(davePeer)
    // Sorting never changes its input.
    expect(sortAssetRows(all, { key: 'owner', dir: 'asc' })).toHaveLength(all.length)
  })

  it('flips the direction on the same column and starts afresh on another', () => {
    expect(toggleSort({ key: 'type', dir: 'asc' }, 'type')).toEqual({ key: 'type', dir: 'desc' })
    expect(toggleSort({ key: 'type', dir: 'desc' }, 'capacity')).toEqual({
      key: 'capacity',
      dir: 'desc',
    })
    expect(toggleSort({ key: 'capacity', dir: 'desc' }, 'owner')).toEqual({
      key: 'owner',
      dir: 'asc',
    })
  })

  it('keeps the view in the query string and ignores what it does not know, saying so', () => {
    const view = {
      filter: { type: 'cpu', level: 'full-public', online: 'online' },
      sort: { key: 'share', dir: 'asc' },
    } as const
    const search = assetListSearch(view)
    expect(search).toBe('?type=cpu&level=full-public&online=online&sort=share&dir=asc')
    const parsed = parseAssetListView(Object.fromEntries(new URLSearchParams(search)))
    expect(parsed).toEqual({ view, problems: [] })
    expect(assetListSearch(DEFAULT_ASSET_LIST_VIEW)).toBe('')
    expect(parseAssetListView({})).toEqual({ view: DEFAULT_ASSET_LIST_VIEW, problems: [] })

    const bad = parseAssetListView({
      type: 'quantum',
      level: 'private',
      online: 'maybe',
      sort: 'colour',
      dir: 'up',
    })
    expect(bad.view).toEqual(DEFAULT_ASSET_LIST_VIEW)
    expect(bad.problems).toHaveLength(5)
    expect(bad.problems[1]).toContain('public-network and full-public')
    expect(parseAssetListView({ type: ['gpu', 'cpu'] }).view.filter.type).toBe('gpu')
  })
})

describe('search box', () => {
  const memory = byType('memory')

  it('reads asset IDs, UUIDs, GlobalAddresses, URIs and peer IDs', () => {
    expect(parseExplorerSearch(` ${memory.id} `)).toEqual({
      kind: 'asset',
      form: 'asset-id',
      query: memory.id,
    })
    expect(parseExplorerSearch(memory.uuid)).toMatchObject({ kind: 'asset', form: 'asset-uuid' })
    expect(parseExplorerSearch(memory.address)).toMatchObject({
      kind: 'asset',
      form: 'global-address',
    })
    // Hex forms copied in upper case are read in canonical form.
    expect(parseExplorerSearch(memory.address.toUpperCase())).toEqual({
      kind: 'asset',
      form: 'global-address',
      query: memory.address,
    })
    expect(parseExplorerSearch(memory.uri)).toMatchObject({ kind: 'asset', form: 'uri' })
    expect(parseExplorerSearch(carolPeer)).toEqual({ kind: 'node', peerId: carolPeer })
  })

  it('still reads blocks, hashes and keys', () => {
    expect(parseExplorerSearch('#42')).toEqual({ kind: 'block', height: 42 })
    expect(parseExplorerSearch('a'.repeat(64))).toEqual({
      kind: 'hash-or-key',
      hex: 'a'.repeat(64),
    })
    expect(parseExplorerSearch('   ')).toEqual({ kind: 'empty' })
  })

  it('says what is wrong with text that is none of them', () => {
    const message = (t: string) => {
      const q = parseExplorerSearch(t)
      if (q.kind !== 'invalid') throw new Error(`${t} was read as ${q.kind}`)
      return q.message
    }
    expect(message(`hypermesh://${carolPeer}/not-a-uuid:1`)).toMatch(
      /^That hypermesh:\/\/ URI does not read\. .+ It is written hypermesh:\/\/<peer ID>/,
    )
    expect(message('6879:7065::1')).toContain('never shortened')
    expect(message(memory.address.replace(/:0001$/, ':00001'))).toContain('not a GlobalAddress')
    expect(message(`quantum:${memory.uuid}`)).toContain('not an asset type')
    expect(message(memory.uuid.replace(/^(.{14})./, '$13'))).toContain('not an asset UUID')
    expect(message('hello world')).toContain('GlobalAddress')
    expect(message('12D3KooWnotapeer')).toContain('peer ID')
  })

  const lookups = (found: string | null, tx = false): SearchLookups => ({
    findTx: async () => tx,
    findAsset: async () => found,
  })

  it('goes to the asset page of a registered asset, or says there is none', async () => {
    expect(await resolveExplorerSearch(memory.address, lookups(memory.id))).toEqual({
      route: `/explorer/asset/${memory.id}`,
    })
    const none = await resolveExplorerSearch(memory.address, lookups(null))
    expect(none).toEqual({
      message: expect.stringContaining('No registered asset has that GlobalAddress'),
    })
    expect(await resolveExplorerSearch(carolPeer, lookups(null))).toEqual({
      route: nodeRoute(carolPeer),
    })
    expect(await resolveExplorerSearch('f'.repeat(64), lookups(null, true))).toEqual({
      route: `/explorer/tx/${'f'.repeat(64)}`,
    })
    expect(await resolveExplorerSearch('f'.repeat(64), lookups(null, false))).toEqual({
      route: `/explorer/account/${'f'.repeat(64)}`,
    })
    expect(await resolveExplorerSearch('7', lookups(null))).toEqual({
      route: '/explorer/block/7',
    })
    expect(await resolveExplorerSearch('', lookups(null))).toEqual({
      message: 'Type something to look for.',
    })
  })

  it('reads the route segments of the asset and node pages', () => {
    expect(assetRoute(memory.id)).toBe(`/explorer/asset/${memory.id}`)
    expect(assetRoute('odd/id')).toBe('/explorer/asset/odd%2Fid')
    expect(assetProofFileName(memory.id)).toBe(`proof-asset-memory-${memory.uuid}.cbor`)
    expect(parseAssetSegment(encodeURIComponent(memory.id))).toEqual({
      ok: true,
      query: memory.id,
      form: 'asset-id',
    })
    expect(parseAssetSegment(encodeURIComponent(memory.uri))).toMatchObject({
      ok: true,
      form: 'uri',
    })
    expect(parseAssetSegment('%E0%A4%A')).toMatchObject({ ok: false })
    const bad = parseAssetSegment(encodeURIComponent(carolPeer))
    expect(bad).toMatchObject({
      ok: false,
      message: expect.stringContaining('does not name an asset'),
    })

    const keyHex = Buffer.from(carol.publicKey).toString('hex')
    expect(parseNodeSegment(carolPeer)).toEqual({ peerId: carolPeer, keyHex })
    expect(parseNodeSegment(keyHex.toUpperCase())).toEqual({ peerId: carolPeer, keyHex })
    expect(parseNodeSegment('nobody')).toBeNull()
  })

  it('finds the transaction of a block that registered or updated an asset', () => {
    const tx = (hash: string, kind: string, id: string): TxSummary => ({
      hash,
      kind,
      from: '',
      nonce: 0,
      fee: '0',
      fields: { id },
    })
    const txs = [
      tx('1', 'register-asset', memory.id),
      tx('2', 'update-asset', memory.id),
      tx('3', 'update-asset', memory.id),
      tx('4', 'update-asset', 'cpu:other'),
    ]
    expect(assetTxOf(txs, memory.id, ['register-asset'])?.hash).toBe('1')
    expect(assetTxOf(txs, memory.id, ['update-asset'])?.hash).toBe('3')
    expect(assetTxOf(txs, 'gpu:none', ['register-asset', 'update-asset'])).toBeNull()
  })
})

describe('the ledger’s state', () => {
  it('is down only when it will not answer, not while it starts', () => {
    expect(ledgerDown({ status: 'unavailable' })).toBe(true)
    expect(ledgerDown({ status: 'failed' })).toBe(true)
    for (const status of ['off', 'starting', 'live'] as const) {
      expect(ledgerDown({ status })).toBe(false)
    }
  })
})

describe('what this tab heard of a node', () => {
  const coord = (x: number): Coordinate => ({
    vec: [x, 0, 0, 0, 0, 0, 0, 0],
    height: 1,
    error: 0.2,
    adjustment: 0,
  })
  const snapshot = {
    ...INITIAL_SNAPSHOT,
    peerId: carolPeer,
    coordinate: coord(0),
    connections: [
      {
        id: 'c1',
        peerId: davePeer,
        transport: 'webrtc' as const,
        rttMs: 12,
        openedAt: 0,
        direction: 'outbound' as const,
      },
      {
        id: 'c2',
        peerId: davePeer,
        transport: 'webrtc' as const,
        rttMs: 9,
        openedAt: 0,
        direction: 'inbound' as const,
      },
    ],
    nodes: [
      {
        peerId: davePeer,
        lastSeen: NOW - 2_000,
        coordinate: coord(30),
        neighbours: [{ peerId: carolPeer, rttMs: 11 }],
        capabilities: { cores: 4, memoryGiB: 8, platform: 'browser' as const },
        appVersion: '0.1.0',
        seq: 3,
      },
    ],
  }

  it('gives a peer’s heartbeat, the RTT of the link to it and the RTT coordinates predict', () => {
    const d = heardNode(snapshot, davePeer, NOW)!
    expect(d).toMatchObject({
      self: false,
      lastSeen: NOW - 2_000,
      recent: true,
      linkRttMs: 9,
      appVersion: '0.1.0',
      neighbours: [{ peerId: carolPeer, rttMs: 11 }],
      capabilities: { cores: 4 },
    })
    // |30 − 0| + both heights.
    expect(d.predictedRttMs).toBeCloseTo(32)
    expect(heardNode(snapshot, davePeer, NOW + HEARD_WITHIN_MS)?.recent).toBe(false)
  })

  it('gives this tab its own links and coordinate, and nothing for a node never heard', () => {
    const self = heardNode(snapshot, carolPeer, NOW)!
    expect(self).toMatchObject({ self: true, lastSeen: NOW, recent: true, linkRttMs: null })
    expect(self.neighbours).toEqual([{ peerId: davePeer, rttMs: 9 }])
    expect(self.coordinate?.vec[0]).toBe(0)
    expect(heardNode(snapshot, 'someone-else', NOW)).toBeNull()
    const noCoord = { ...snapshot, coordinate: null }
    expect(heardNode(noCoord, davePeer, NOW)?.predictedRttMs).toBeNull()
  })
})
