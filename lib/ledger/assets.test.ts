/**
 * The asset kinds (register-asset, update-asset, retire-asset): what they write, every refusal
 * with its typed error, and their body decoders under fuzzing.
 */
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assetContentHash, encodeAssetId, type AssetType } from '../assets/asset-id'
import {
  encodeGlobalAddress,
  formatGlobalAddress,
  globalAddressOf,
  peerIdOfPublicKey,
  decodeGlobalAddress,
} from '../assets/global-address'
import { createLedgerApp } from './app'
import { toHex } from './codec'
import {
  MAX_ASSET_REGISTRATIONS_PER_NODE,
  MAX_LIVE_ASSETS_PER_NODE,
  MAX_ASSET_CREATED_FUTURE_US,
  TX_DOMAIN,
} from './constants'
import { LedgerDecodeError } from './errors'
import { registerAssetKind, retireAssetKind, updateAssetKind } from './kinds'
import { asset, assetsOf, checkSupply, supplyCounters } from './queries'
import type { LedgerState } from './state'
import { decodeTx } from './tx'
import {
  alice,
  CAPACITY,
  carol,
  dave,
  nextContext,
  nobleVerifier,
  nodeVerifier,
  registerAssetBody,
  SHARES,
  stampFor,
  testAssetId,
  testGenesis,
  thrown,
  tx,
  UNMEASURED,
  type Who,
} from './test-support'
import type { GenesisConfig } from './genesis'

function setup(overrides: Partial<GenesisConfig> = {}, verifier = nobleVerifier) {
  const ledger = createLedgerApp({ genesis: testGenesis(overrides), verifier })
  const s0 = ledger.genesisState
  const register = (w: Who) =>
    tx(s0, w, 'register-node', { stamp: stampFor(s0, w), cert: null }, { fee: 0n })
  // carol (funded) and dave (granted 100) become nodes; alice stays an account only.
  const s1 = ledger.app.executeBlock(s0, nextContext(s0), [register(carol), register(dave)])
  return { ledger, s1 }
}

type Ledger = ReturnType<typeof setup>['ledger']

function block(ledger: Ledger, s: LedgerState, txs: Uint8Array[]): LedgerState {
  return ledger.app.executeBlock(s, nextContext(s), txs)
}

function refused(ledger: Ledger, s: LedgerState, t: Uint8Array): Error {
  const before = toHex(s.root)
  const err = thrown(() => ledger.app.executeBlock(s, nextContext(s), [t]))
  expect(toHex(s.root)).toBe(before)
  // The mempool refuses it for the same reason.
  expect(thrown(() => ledger.app.checkTx(s, t)).name).toBe(err.name)
  return err
}

const cpu = testAssetId('cpu', 'cpu')
const gpu = testAssetId('gpu', 'gpu')

const updateBody = (id = cpu, overrides: Record<string, unknown> = {}) => ({
  id: encodeAssetId(id),
  level: 'full-public',
  share: { amount: 4, hours: 6 },
  capacity: { ...CAPACITY, cores: 16 },
  ...overrides,
})

describe('register-asset', () => {
  const { ledger, s1 } = setup()

  it('stores the record and the index, derives the address from the peer ID, burns the fee', () => {
    const s2 = block(ledger, s1, [
      tx(s1, carol, 'register-asset', registerAssetBody(cpu, { port: 443 }), { fee: 3n }),
    ])
    const record = asset(s2, cpu.uuid)!
    const address = encodeGlobalAddress(
      globalAddressOf(peerIdOfPublicKey(carol.publicKey), cpu.uuid, 443),
    )
    expect(record).toEqual({
      type: 'cpu',
      owner: carol.publicKey,
      address,
      port: 443,
      level: 'public-network',
      share: SHARES.cpu,
      capacity: CAPACITY,
      createdUs: s1.genesis.genesisTime * 1000 - 5_000_000,
      contentHash: assetContentHash(cpu, s1.genesis.genesisTime * 1000 - 5_000_000),
      registeredAt: s2.time,
      registeredHeight: 2,
      updatedAt: s2.time,
      updatedHeight: 2,
      retiredAt: null,
      retiredHeight: null,
    })
    // The address is the public mesh's, and names carol's node and this asset.
    expect(formatGlobalAddress(decodeGlobalAddress(record.address))).toMatch(
      /^6879:7065:726d:7368:/,
    )
    expect(assetsOf(s2, carol.publicKey).map((e) => toHex(e.uuid))).toEqual([toHex(cpu.uuid)])
    expect(supplyCounters(s2).burned - supplyCounters(s1).burned).toBe(3n)
    expect(checkSupply(s2).ok).toBe(true)
  })

  it('accepts a share of every asset type within the capacity', () => {
    const types: AssetType[] = [
      'cpu',
      'gpu',
      'memory',
      'storage',
      'network',
      'container',
      'economic',
    ]
    const txs = types.map((type, i) =>
      tx(s1, dave, 'register-asset', registerAssetBody(testAssetId(type, `all-${type}`)), {
        nonce: 1 + i,
        fee: 0n,
      }),
    )
    const s2 = block(ledger, s1, txs)
    expect(assetsOf(s2, dave.publicKey).map((e) => e.record.type)).toEqual(types)
    expect(assetsOf(s2, dave.publicKey).map((e) => e.record.share)).toEqual(
      types.map((t) => SHARES[t]),
    )
  })

  it('refuses a sender that is not a registered node', () => {
    expect(
      refused(ledger, s1, tx(s1, alice, 'register-asset', registerAssetBody(cpu))),
    ).toMatchObject({ name: 'UnknownNodeError', code: 'ERR_UNKNOWN_NODE' })
  })

  it('refuses the levels the ledger does not publish', () => {
    for (const level of ['private', 'private-network', 'p2p']) {
      expect(
        refused(ledger, s1, tx(s1, carol, 'register-asset', registerAssetBody(cpu, { level }))),
      ).toMatchObject({ name: 'BadAssetError', code: 'ERR_BAD_ASSET', reason: 'level' })
    }
  })

  it('refuses a share above, or without, a measurement (checkShare)', () => {
    const cases: [Record<string, unknown>, string][] = [
      [registerAssetBody(cpu, { share: { amount: 9, hours: null } }), 'above-capacity'],
      [registerAssetBody(cpu, { capacity: UNMEASURED }), 'unmeasured'],
      [registerAssetBody(gpu, { capacity: { ...CAPACITY, gpu: null } }), 'above-capacity'],
      [
        registerAssetBody(testAssetId('memory', 'm'), {
          share: { amount: 8 * 2 ** 30 + 1, hours: null },
        }),
        'above-capacity',
      ],
      [registerAssetBody(testAssetId('storage', 's'), { capacity: UNMEASURED }), 'unmeasured'],
      [registerAssetBody(testAssetId('network', 'n'), { capacity: UNMEASURED }), 'unmeasured'],
    ]
    for (const [body, reason] of cases) {
      expect(refused(ledger, s1, tx(s1, carol, 'register-asset', body))).toMatchObject({
        name: 'BadAssetError',
        reason,
      })
    }
    // Container and economic assets have no measured quantity: nothing to exceed.
    block(ledger, s1, [
      tx(
        s1,
        carol,
        'register-asset',
        registerAssetBody(testAssetId('container', 'c'), {
          capacity: UNMEASURED,
        }),
      ),
    ])
  })

  it('refuses a creation time after the block time (beyond 300 s of skew)', () => {
    const time = nextContext(s1).time
    const at = (createdUs: number) =>
      tx(s1, carol, 'register-asset', registerAssetBody(cpu, { createdUs }))
    ledger.app.executeBlock(s1, nextContext(s1), [at(time * 1000 + MAX_ASSET_CREATED_FUTURE_US)])
    const err = thrown(() =>
      ledger.app.executeBlock(s1, nextContext(s1), [
        at(time * 1000 + MAX_ASSET_CREATED_FUTURE_US + 1),
      ]),
    )
    expect(err).toMatchObject({ name: 'BadAssetError', reason: 'future' })
  })

  it('refuses an asset ID already registered, in the same block or later, live or retired', () => {
    const first = tx(s1, carol, 'register-asset', registerAssetBody(cpu))
    const again = tx(s1, dave, 'register-asset', registerAssetBody(cpu))
    const err = thrown(() => ledger.app.executeBlock(s1, nextContext(s1), [first, again]))
    expect(err).toMatchObject({
      name: 'DuplicateAssetError',
      code: 'ERR_DUPLICATE_ASSET',
      txIndex: 1,
    })
    const s2 = block(ledger, s1, [first])
    expect(
      refused(ledger, s2, tx(s2, dave, 'register-asset', registerAssetBody(cpu))),
    ).toMatchObject({ name: 'DuplicateAssetError' })
    // The same UUID under another type is the same asset (addresses carry the UUID only).
    const sameUuid = { ...registerAssetBody(cpu), id: Uint8Array.from([4, ...cpu.uuid]) }
    expect(refused(ledger, s2, tx(s2, dave, 'register-asset', sameUuid))).toMatchObject({
      name: 'DuplicateAssetError',
    })
    const s3 = block(ledger, s2, [tx(s2, carol, 'retire-asset', { id: encodeAssetId(cpu) })])
    expect(
      refused(ledger, s3, tx(s3, carol, 'register-asset', registerAssetBody(cpu))),
    ).toMatchObject({ name: 'DuplicateAssetError' })
  })

  it(`caps a node at ${MAX_LIVE_ASSETS_PER_NODE} live assets; retiring one frees a place`, () => {
    const ids = Array.from({ length: MAX_LIVE_ASSETS_PER_NODE + 1 }, (_, i) =>
      testAssetId('cpu', `cap-${i}`),
    )
    const txs = ids
      .slice(0, MAX_LIVE_ASSETS_PER_NODE)
      .map((id, i) => tx(s1, carol, 'register-asset', registerAssetBody(id), { nonce: 1 + i }))
    const s2 = block(ledger, s1, txs)
    expect(assetsOf(s2, carol.publicKey)).toHaveLength(MAX_LIVE_ASSETS_PER_NODE)
    const extra = tx(s2, carol, 'register-asset', registerAssetBody(ids.at(-1)!))
    expect(refused(ledger, s2, extra)).toMatchObject({
      name: 'AssetLimitError',
      code: 'ERR_ASSET_LIMIT',
      reason: 'live',
    })
    const s3 = block(ledger, s2, [tx(s2, carol, 'retire-asset', { id: encodeAssetId(ids[0]!) })])
    const s4 = block(ledger, s3, [tx(s3, carol, 'register-asset', registerAssetBody(ids.at(-1)!))])
    expect(assetsOf(s4, carol.publicKey).map((e) => toHex(e.uuid))).toEqual(
      ids.slice(1).map((id) => toHex(id.uuid)),
    )
  })

  it(`caps a node at ${MAX_ASSET_REGISTRATIONS_PER_NODE} registrations ever`, () => {
    // node:crypto verification: this block holds hundreds of transactions.
    const fast = setup({}, nodeVerifier)
    const s = fast.s1
    const txs: Uint8Array[] = []
    let nonce = 1
    for (let i = 0; i < MAX_ASSET_REGISTRATIONS_PER_NODE; i++) {
      const id = testAssetId('container', `churn-${i}`)
      txs.push(tx(s, carol, 'register-asset', registerAssetBody(id), { nonce: nonce++ }))
      txs.push(tx(s, carol, 'retire-asset', { id: encodeAssetId(id) }, { nonce: nonce++ }))
    }
    const s2 = fast.ledger.app.executeBlock(s, nextContext(s), txs)
    expect(assetsOf(s2, carol.publicKey)).toEqual([])
    const last = tx(s2, carol, 'register-asset', registerAssetBody(testAssetId('cpu', 'one-more')))
    expect(refused(fast.ledger, s2, last)).toMatchObject({
      name: 'AssetLimitError',
      reason: 'total',
    })
  })

  it('needs a valid certificate on a chain with a TrustChain root (envelope rule)', () => {
    const rooted = createLedgerApp({
      genesis: testGenesis({ trustchainRoot: alice.publicKey }),
      verifier: nobleVerifier,
    })
    const s = rooted.genesisState
    expect(
      thrown(() => rooted.app.checkTx(s, tx(s, carol, 'register-asset', registerAssetBody(cpu)))),
    ).toMatchObject({ name: 'CertificateRequiredError' })
  })
})

describe('update-asset', () => {
  const { ledger, s1 } = setup()
  const s2 = block(ledger, s1, [tx(s1, carol, 'register-asset', registerAssetBody(cpu))])

  it('changes level, share, capacity and the update time; keeps the rest', () => {
    const s3 = block(ledger, s2, [tx(s2, carol, 'update-asset', updateBody())])
    const before = asset(s2, cpu.uuid)!
    expect(asset(s3, cpu.uuid)).toEqual({
      ...before,
      level: 'full-public',
      share: { amount: 4, hours: 6 },
      capacity: { ...CAPACITY, cores: 16 },
      updatedAt: s3.time,
      updatedHeight: 3,
    })
  })

  it('refuses another sender, an unknown asset, a wrong type, a bad level or share', () => {
    expect(refused(ledger, s2, tx(s2, dave, 'update-asset', updateBody()))).toMatchObject({
      name: 'NotAssetOwnerError',
      code: 'ERR_NOT_ASSET_OWNER',
    })
    expect(
      refused(
        ledger,
        s2,
        tx(s2, carol, 'update-asset', updateBody(gpu, { share: { amount: 1, hours: null } })),
      ),
    ).toMatchObject({
      name: 'UnknownAssetError',
      code: 'ERR_UNKNOWN_ASSET',
    })
    const asStorage = { ...updateBody(), id: Uint8Array.from([4, ...cpu.uuid]) }
    expect(refused(ledger, s2, tx(s2, carol, 'update-asset', asStorage))).toMatchObject({
      name: 'UnknownAssetError',
    })
    expect(
      refused(ledger, s2, tx(s2, carol, 'update-asset', updateBody(cpu, { level: 'p2p' }))),
    ).toMatchObject({ name: 'BadAssetError', reason: 'level' })
    expect(
      refused(
        ledger,
        s2,
        tx(s2, carol, 'update-asset', updateBody(cpu, { share: { amount: 17, hours: null } })),
      ),
    ).toMatchObject({ name: 'BadAssetError', reason: 'above-capacity' })
    expect(
      refused(ledger, s2, tx(s2, carol, 'update-asset', updateBody(cpu, { capacity: UNMEASURED }))),
    ).toMatchObject({ name: 'BadAssetError', reason: 'unmeasured' })
  })

  it('refuses a retired asset', () => {
    const s3 = block(ledger, s2, [tx(s2, carol, 'retire-asset', { id: encodeAssetId(cpu) })])
    expect(refused(ledger, s3, tx(s3, carol, 'update-asset', updateBody()))).toMatchObject({
      name: 'AssetRetiredError',
      code: 'ERR_ASSET_RETIRED',
    })
  })
})

describe('retire-asset', () => {
  const { ledger, s1 } = setup()
  const s2 = block(ledger, s1, [
    tx(s1, carol, 'register-asset', registerAssetBody(cpu)),
    tx(s1, carol, 'register-asset', registerAssetBody(gpu), { nonce: 2 }),
  ])

  it('marks the record retired, keeps it, and takes it off the live list', () => {
    const s3 = block(ledger, s2, [tx(s2, carol, 'retire-asset', { id: encodeAssetId(cpu) })])
    expect(asset(s3, cpu.uuid)).toEqual({
      ...asset(s2, cpu.uuid)!,
      retiredAt: s3.time,
      retiredHeight: 3,
    })
    expect(assetsOf(s3, carol.publicKey).map((e) => e.record.type)).toEqual(['gpu'])
    expect(
      assetsOf(s3, carol.publicKey, { includeRetired: true })
        .map((e) => e.record.type)
        .sort(),
    ).toEqual(['cpu', 'gpu'])
  })

  it('refuses another sender, an unknown asset and a second retirement', () => {
    const retire = (w: Who, s: LedgerState, id = cpu) =>
      tx(s, w, 'retire-asset', { id: encodeAssetId(id) })
    expect(refused(ledger, s2, retire(dave, s2))).toMatchObject({ name: 'NotAssetOwnerError' })
    expect(refused(ledger, s2, retire(carol, s2, testAssetId('cpu', 'nope')))).toMatchObject({
      name: 'UnknownAssetError',
    })
    const s3 = block(ledger, s2, [retire(carol, s2)])
    expect(refused(ledger, s3, retire(carol, s3))).toMatchObject({ name: 'AssetRetiredError' })
  })
})

describe('asset body decoders', () => {
  const { s1 } = setup()
  const build = (kind: string, body: unknown) => () => tx(s1, carol, kind, body)

  it('refuse malformed bodies with LedgerDecodeError naming the field', () => {
    const bad: [string, Record<string, unknown>, string][] = [
      ['register-asset', { ...registerAssetBody(cpu), id: cpu.uuid }, 'body.id'],
      [
        'register-asset',
        { ...registerAssetBody(cpu), id: Uint8Array.from([9, ...cpu.uuid]) },
        'body.id',
      ],
      [
        'register-asset',
        {
          ...registerAssetBody(cpu),
          id: Uint8Array.from([1, ...cpu.uuid.map((b, i) => (i === 6 ? 0x14 : b))]),
        },
        'body.id',
      ],
      ['register-asset', registerAssetBody(cpu, { port: 65_536 }), 'body.port'],
      ['register-asset', registerAssetBody(cpu, { level: 'secret' }), 'body.level'],
      [
        'register-asset',
        registerAssetBody(cpu, { share: { amount: 1.5, hours: null } }),
        'body.share.amount',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { share: { amount: 0, hours: null } }),
        'body.share.amount',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { share: { amount: 1, hours: 0 } }),
        'body.share.hours',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { share: { amount: 1, hours: 24.5 } }),
        'body.share.hours',
      ],
      ['register-asset', registerAssetBody(cpu, { share: { amount: 1 } }), 'body.share'],
      [
        'register-asset',
        registerAssetBody(gpu, { share: { amount: 0, hours: null } }),
        'body.share.amount',
      ],
      [
        'register-asset',
        registerAssetBody(gpu, { share: { amount: 1.5, hours: null } }),
        'body.share.amount',
      ],
      [
        'register-asset',
        registerAssetBody(testAssetId('container', 'c'), { share: { amount: 1, hours: null } }),
        'body.share.amount',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { capacity: { ...CAPACITY, cores: 0 } }),
        'body.capacity.cores',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { capacity: { ...CAPACITY, cores: 1_025 } }),
        'body.capacity.cores',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { capacity: { ...CAPACITY, cpuScore: 0 } }),
        'body.capacity.cpuScore',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { capacity: { ...CAPACITY, cpuScore: 100_001 } }),
        'body.capacity.cpuScore',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { capacity: { ...CAPACITY, memoryBytes: 1_000 } }),
        'body.capacity.memoryBytes',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { capacity: { ...CAPACITY, storageBytes: 2 ** 50 + 1 } }),
        'body.capacity.storageBytes',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { capacity: { ...CAPACITY, writeBytesPerSecond: -1 } }),
        'body.capacity.writeBytesPerSecond',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { capacity: { ...CAPACITY, platform: 'phone' } }),
        'body.capacity.platform',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, { capacity: { ...CAPACITY, extra: 1 } }),
        'body.capacity',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, {
          capacity: { ...CAPACITY, gpu: { ...CAPACITY.gpu, label: 'a\nb' } },
        }),
        'body.capacity.gpu.label',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, {
          capacity: { ...CAPACITY, gpu: { ...CAPACITY.gpu, label: 'x'.repeat(129) } },
        }),
        'body.capacity.gpu.label',
      ],
      [
        'register-asset',
        registerAssetBody(cpu, {
          capacity: { ...CAPACITY, gpu: { ...CAPACITY.gpu, maxBufferSize: 0 } },
        }),
        'body.capacity.gpu.maxBufferSize',
      ],
      ['register-asset', registerAssetBody(cpu, { createdUs: -1 }), 'body.createdUs'],
      ['register-asset', { ...registerAssetBody(cpu), extra: 1 }, 'body'],
      ['update-asset', { ...updateBody(), port: 1 }, 'body'],
      ['update-asset', updateBody(cpu, { level: 7 }), 'body.level'],
      ['retire-asset', { id: encodeAssetId(cpu).slice(0, 16) }, 'body.id'],
      ['retire-asset', {}, 'body'],
    ]
    for (const [kind, body, field] of bad) {
      expect(thrown(build(kind, body)), `${kind} ${field}`).toMatchObject({
        name: 'LedgerDecodeError',
        field,
      })
    }
  })

  it('sign the wire body: the decoded body encodes to the bytes that were sent', () => {
    for (const id of [cpu, gpu, testAssetId('container', 'wire')]) {
      const bytes = tx(s1, carol, 'register-asset', registerAssetBody(id))
      const { sig: _sig, ...unsigned } = dagCbor.decode(bytes) as Record<string, unknown>
      const prefix = new TextEncoder().encode(`${TX_DOMAIN}\0`)
      expect(decodeTx(bytes).signBytes).toEqual(
        Uint8Array.from([...prefix, ...dagCbor.encode(unsigned)]),
      )
    }
  })

  const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null })
  const real = (min: number, max: number) =>
    fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => x + 0)
  const positive = (max: number) => real(0, max).filter((x) => x > 0)
  const capacity = fc.record({
    platform: fc.constantFrom('browser', 'node'),
    cores: nullable(fc.integer({ min: 1, max: 1_024 })),
    cpuScore: nullable(positive(100_000)),
    memoryBytes: nullable(fc.integer({ min: 2 ** 20, max: 2 ** 46 })),
    storageBytes: nullable(fc.integer({ min: 0, max: 2 ** 50 })),
    writeBytesPerSecond: nullable(positive(2 ** 40)),
    goodputBytesPerSecond: nullable(positive(2 ** 40)),
    gpu: nullable(
      fc.record({
        label: nullable(
          fc
            .string({ minLength: 1, maxLength: 128 })
            // eslint-disable-next-line no-control-regex
            .filter((s) => !/[\u0000-\u001f\u007f]/.test(s)),
        ),
        fallback: nullable(fc.boolean()),
        maxBufferSize: nullable(fc.integer({ min: 1, max: 2 ** 50 })),
        maxStorageBufferBindingSize: nullable(fc.integer({ min: 1, max: 2 ** 50 })),
        maxComputeWorkgroupsPerDimension: nullable(fc.integer({ min: 1, max: 2 ** 50 })),
        maxComputeInvocationsPerWorkgroup: nullable(fc.integer({ min: 1, max: 2 ** 50 })),
      }),
    ),
  })
  const assetType = fc.constantFrom<AssetType>(
    'cpu',
    'gpu',
    'memory',
    'storage',
    'network',
    'container',
    'economic',
  )
  const idOf = (type: AssetType, seed: number) => testAssetId(type, `fuzz-${seed}`)
  const share = (type: AssetType) =>
    fc.record({
      amount:
        type === 'container' || type === 'economic'
          ? fc.constant(null)
          : type === 'gpu'
            ? positive(1)
            : fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      hours: nullable(positive(24)),
    })
  const registerBody = fc.tuple(assetType, fc.nat()).chain(([type, seed]) =>
    fc.record({
      id: fc.constant(encodeAssetId(idOf(type, seed))),
      port: fc.integer({ min: 0, max: 65_535 }),
      level: fc.constantFrom('private', 'private-network', 'p2p', 'public-network', 'full-public'),
      share: share(type),
      capacity,
      createdUs: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    }),
  )

  it('round-trip every valid body: the decoded body is the wire body (fuzz)', () => {
    fc.assert(
      fc.property(registerBody, (body) => {
        const raw = dagCbor.decode(dagCbor.encode(body))
        expect(registerAssetKind.decodeBody(raw)).toEqual(body)
        const { port: _p, createdUs: _c, ...update } = body
        expect(updateAssetKind.decodeBody(dagCbor.decode(dagCbor.encode(update)))).toEqual(update)
        expect(retireAssetKind.decodeBody({ id: body.id })).toEqual({ id: body.id })
      }),
    )
  })

  it('throw nothing but LedgerDecodeError on arbitrary or mutated CBOR (fuzz)', () => {
    const onlyTyped = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        expect(err).toBeInstanceOf(LedgerDecodeError)
      }
    }
    const kinds = [registerAssetKind, updateAssetKind, retireAssetKind]
    const anyValue = fc.oneof(
      fc.jsonValue(),
      fc.uint8Array({ maxLength: 40 }),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
      fc.constant(null),
      fc.double(),
    )
    fc.assert(
      fc.property(anyValue, (v) => {
        let raw: unknown
        try {
          raw = dagCbor.decode(dagCbor.encode(v))
        } catch {
          return
        }
        for (const k of kinds) onlyTyped(() => k.decodeBody(raw))
      }),
    )
    // A valid body with one field, or one nested field, replaced by anything.
    fc.assert(
      fc.property(registerBody, fc.nat(), fc.nat(), anyValue, (body, which, inner, value) => {
        const b = dagCbor.decode(dagCbor.encode(body)) as Record<string, unknown>
        const keys = Object.keys(b)
        const key = keys[which % keys.length]!
        const field = b[key]
        if (typeof field === 'object' && field !== null && !(field instanceof Uint8Array)) {
          const f = field as Record<string, unknown>
          const innerKeys = Object.keys(f)
          if (innerKeys.length > 0) f[innerKeys[inner % innerKeys.length]!] = value
        } else {
          b[key] = value
        }
        let raw: unknown
        try {
          raw = dagCbor.decode(dagCbor.encode(b))
        } catch {
          return
        }
        for (const k of kinds) onlyTyped(() => k.decodeBody(raw))
      }),
    )
  })
})
