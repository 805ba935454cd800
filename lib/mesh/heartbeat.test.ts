import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey, PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import fc from 'fast-check'
import { concat } from 'uint8arrays/concat'
import { fromString } from 'uint8arrays/from-string'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Clock } from '../ports'
import {
  HEARTBEAT_DOMAIN_PREFIX,
  HEARTBEAT_MAX_AGE_MS,
  HEARTBEAT_MAX_FUTURE_MS,
  HEARTBEAT_MAX_MULTIADDR_LENGTH,
  HEARTBEAT_MAX_NEIGHBOURS,
  HEARTBEAT_MAX_RTT_MS,
  HEARTBEAT_SEQ_PER_MS,
  MAX_HEARTBEAT_BYTES,
} from './constants'
import {
  BadHeartbeatSignatureError,
  HeartbeatKeyMismatchError,
  HeartbeatTooLargeError,
  InvalidMeshOptionError,
  MalformedHeartbeatError,
} from './errors'
import {
  HEARTBEAT_DROP_REASONS,
  HeartbeatSequencer,
  HeartbeatValidator,
  decodeHeartbeat,
  encodeHeartbeat,
  type DropReason,
  type HeartbeatBody,
} from './heartbeat'

/** A fixed epoch for every test: nothing here reads the wall clock. */
const T0 = 1_750_000_000_000

interface ManualClock extends Clock {
  set(ms: number): void
  advance(ms: number): void
}

function manualClock(start = T0): ManualClock {
  let t = start
  return {
    now: () => t,
    set: (ms) => {
      t = ms
    },
    advance: (ms) => {
      t += ms
    },
  }
}

interface Identity {
  key: Ed25519PrivateKey
  id: string
}

async function identity(): Promise<Identity> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

let alice: Identity
let bob: Identity
/** Extra identities for neighbour lists and the memory bound. */
let others: Identity[]

beforeAll(async () => {
  alice = await identity()
  bob = await identity()
  others = await Promise.all(Array.from({ length: HEARTBEAT_MAX_NEIGHBOURS + 2 }, identity))
})

const CIRCUIT = (relay: string, self: string): string =>
  `/dns4/relay.hypermesh.example/tcp/443/wss/p2p/${relay}/p2p-circuit/webrtc/p2p/${self}`

function bodyOf(who: Identity, overrides: Partial<HeartbeatBody> = {}): HeartbeatBody {
  return {
    peerId: who.id,
    seq: 1,
    timestamp: T0,
    coordinate: {
      vec: [1.5, -2.25, 0, 0, 3, 0, 0, 0.125],
      height: 4.5,
      error: 0.75,
      adjustment: -0.5,
    },
    neighbours: [{ peerId: (who === bob ? alice : bob).id, rttMs: 42 }],
    capabilities: { cores: 8, memoryGiB: 16, platform: 'browser' },
    appVersion: '0.1.0',
    addrs: ['/ip4/127.0.0.1/tcp/4001/ws'],
    ...overrides,
  }
}

function encodeFor(who: Identity, overrides: Partial<HeartbeatBody> = {}): Promise<Uint8Array> {
  return encodeHeartbeat(bodyOf(who, overrides), who.key)
}

/** The body as it travels (neighbours as multihash tuples), for hand-built heartbeats. */
function wireOf(body: HeartbeatBody): Record<string, unknown> {
  return {
    version: 1,
    ...body,
    neighbours: body.neighbours.map((n) => [
      peerIdFromString(n.peerId).toMultihash().bytes,
      n.rttMs,
    ]),
  }
}

/** Signs an arbitrary wire body the way the encoder does, with any key, skipping every check. */
async function handBuilt(wire: Record<string, unknown>, signer: PrivateKey): Promise<Uint8Array> {
  const body = dagCbor.encode(wire)
  const sig = await signer.sign(concat([fromString(HEARTBEAT_DOMAIN_PREFIX), body]))
  return dagCbor.encode({ body, sig })
}

/** Resolves to the rejection reason, or fails the test if the promise resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

function isTypedDecodeError(err: unknown): boolean {
  return (
    err instanceof HeartbeatTooLargeError ||
    err instanceof MalformedHeartbeatError ||
    err instanceof BadHeartbeatSignatureError
  )
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice()
  out[bit >> 3] = (out[bit >> 3] ?? 0) ^ (1 << (bit & 7))
  return out
}

/**
 * Index of a bit inside the signature. Canonical dag-cbor sorts "sig" before "body" (shorter key
 * first), so the envelope is a2 63 's' 'i' 'g' 58 40 <64 signature bytes> 64 'b' 'o' 'd' 'y' ….
 */
function signatureBit(bytes: Uint8Array, bit: number): number {
  const { sig } = dagCbor.decode(bytes) as { sig: Uint8Array }
  expect(bytes.subarray(7, 71)).toEqual(sig)
  return 7 * 8 + (bit % 512)
}

function noDrops(): Record<DropReason, number> {
  return Object.fromEntries(HEARTBEAT_DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>
}

describe('encodeHeartbeat / decodeHeartbeat', () => {
  it('round-trips a heartbeat and adds the version', async () => {
    const body = bodyOf(alice, { seq: 7, neighbours: [{ peerId: bob.id, rttMs: null }] })
    const heartbeat = await decodeHeartbeat(await encodeHeartbeat(body, alice.key))
    expect(heartbeat).toEqual({ ...body, version: 1, signature: expect.any(Uint8Array) })
    expect(heartbeat.signature).toHaveLength(64)
  })

  it('encodes deterministically', async () => {
    const body = bodyOf(alice)
    expect(await encodeHeartbeat(body, alice.key)).toEqual(await encodeHeartbeat(body, alice.key))
  })

  it('signs the domain prefix followed by the body bytes, not the body alone', async () => {
    const envelope = dagCbor.decode(await encodeFor(alice)) as Record<string, Uint8Array>
    expect(Object.keys(envelope).sort()).toEqual(['body', 'sig'])
    const body = envelope.body!
    const sig = envelope.sig!
    const publicKey = alice.key.publicKey
    expect(await publicKey.verify(concat([fromString('hypermesh/heartbeat/1\n'), body]), sig)).toBe(
      true,
    )
    expect(await publicKey.verify(body, sig)).toBe(false)
    expect(Object.keys(dagCbor.decode(body) as object).sort()).toEqual([
      'addrs',
      'appVersion',
      'capabilities',
      'coordinate',
      'neighbours',
      'peerId',
      'seq',
      'timestamp',
      'version',
    ])
  })

  it('normalises undefined, non-finite, fractional RTT, -0 and repeats', async () => {
    const body = {
      ...bodyOf(alice),
      coordinate: undefined,
      neighbours: [
        { peerId: bob.id, rttMs: 12.6 },
        { peerId: others[0]!.id, rttMs: Number.NaN },
        { peerId: others[1]!.id, rttMs: undefined },
        { peerId: others[2]!.id, rttMs: 10 * HEARTBEAT_MAX_RTT_MS },
        { peerId: others[3]!.id, rttMs: -0 },
        { peerId: bob.id, rttMs: 99 },
      ],
      capabilities: { cores: undefined, memoryGiB: Number.POSITIVE_INFINITY, platform: 'node' },
      addrs: ['/ip4/10.0.0.1/tcp/1/ws', '/ip4/10.0.0.1/tcp/1/ws'],
    } as unknown as HeartbeatBody
    const heartbeat = await decodeHeartbeat(await encodeHeartbeat(body, alice.key))
    expect(heartbeat.coordinate).toBeNull()
    expect(heartbeat.neighbours).toEqual([
      { peerId: bob.id, rttMs: 13 },
      { peerId: others[0]!.id, rttMs: null },
      { peerId: others[1]!.id, rttMs: null },
      { peerId: others[2]!.id, rttMs: HEARTBEAT_MAX_RTT_MS },
      { peerId: others[3]!.id, rttMs: 0 },
    ])
    expect(Object.is(heartbeat.neighbours[4]?.rttMs, 0)).toBe(true)
    expect(heartbeat.capabilities).toEqual({ cores: null, memoryGiB: null, platform: 'node' })
    expect(heartbeat.addrs).toEqual(['/ip4/10.0.0.1/tcp/1/ws'])
  })

  it('refuses to sign with a key that is not the body peer ID', async () => {
    const err = await rejection(encodeHeartbeat(bodyOf(alice), bob.key))
    expect(err).toBeInstanceOf(HeartbeatKeyMismatchError)
    expect(err).toMatchObject({
      name: 'HeartbeatKeyMismatchError',
      code: 'ERR_HEARTBEAT_KEY_MISMATCH',
    })
  })

  const invalidBodies: Array<[string, () => Partial<HeartbeatBody>, string]> = [
    ['seq 0', () => ({ seq: 0 }), 'body.seq'],
    ['fractional seq', () => ({ seq: 1.5 }), 'body.seq'],
    ['unsafe seq', () => ({ seq: 2 ** 53 }), 'body.seq'],
    ['negative timestamp', () => ({ timestamp: -1 }), 'body.timestamp'],
    ['empty app version', () => ({ appVersion: '' }), 'body.appVersion'],
    ['33-character app version', () => ({ appVersion: 'x'.repeat(33) }), 'body.appVersion'],
    ['non-ASCII app version', () => ({ appVersion: '1.0\u202e' }), 'body.appVersion'],
    [
      '7-dimensional coordinate',
      () => ({ coordinate: { vec: [0, 0, 0, 0, 0, 0, 0], height: 1, error: 1, adjustment: 0 } }),
      'body.coordinate',
    ],
    [
      'coordinate error above 1.5',
      () => ({ coordinate: { vec: Array(8).fill(0), height: 1, error: 1.6, adjustment: 0 } }),
      'body.coordinate',
    ],
    [
      'coordinate component beyond 1e6',
      () => ({
        coordinate: { vec: [1e6 + 1, 0, 0, 0, 0, 0, 0, 0], height: 1, error: 1, adjustment: 0 },
      }),
      'body.coordinate',
    ],
    [
      'negative coordinate height',
      () => ({ coordinate: { vec: Array(8).fill(0), height: -1, error: 1, adjustment: 0 } }),
      'body.coordinate',
    ],
    [
      'coordinate height beyond 1e6',
      () => ({ coordinate: { vec: Array(8).fill(0), height: 1e6 + 1, error: 1, adjustment: 0 } }),
      'body.coordinate',
    ],
    [
      'coordinate adjustment beyond -1e6',
      () => ({ coordinate: { vec: Array(8).fill(0), height: 1, error: 1, adjustment: -1e6 - 1 } }),
      'body.coordinate',
    ],
    [
      'infinite coordinate adjustment',
      () => ({ coordinate: { vec: Array(8).fill(0), height: 1, error: 1, adjustment: Infinity } }),
      'body.coordinate',
    ],
    [
      '65 neighbours',
      () => ({
        neighbours: others.slice(0, HEARTBEAT_MAX_NEIGHBOURS + 1).map((o) => ({
          peerId: o.id,
          rttMs: 1,
        })),
      }),
      'body.neighbours',
    ],
    [
      'itself as neighbour',
      () => ({ neighbours: [{ peerId: alice.id, rttMs: 1 }] }),
      'body.neighbours[0].peerId',
    ],
    [
      'garbage neighbour',
      () => ({ neighbours: [{ peerId: 'not-a-peer', rttMs: 1 }] }),
      'body.neighbours[0].peerId',
    ],
    [
      'negative RTT',
      () => ({ neighbours: [{ peerId: bob.id, rttMs: -1 }] }),
      'body.neighbours[0].rttMs',
    ],
    [
      '0 cores',
      () => ({ capabilities: { cores: 0, memoryGiB: 1, platform: 'node' } }),
      'body.capabilities.cores',
    ],
    [
      'negative memory',
      () => ({ capabilities: { cores: 1, memoryGiB: -1, platform: 'node' } }),
      'body.capabilities.memoryGiB',
    ],
    [
      'unknown platform',
      () => ({ capabilities: { cores: 1, memoryGiB: 1, platform: 'toaster' as 'node' } }),
      'body.capabilities.platform',
    ],
    [
      '9 addresses',
      () => ({ addrs: Array.from({ length: 9 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`) }),
      'body.addrs',
    ],
    [
      'address over the length limit',
      () => ({ addrs: [`/dns4/${'a'.repeat(HEARTBEAT_MAX_MULTIADDR_LENGTH)}/tcp/1`] }),
      'body.addrs[0]',
    ],
    ['address that is not a multiaddr', () => ({ addrs: ['/nope/1'] }), 'body.addrs[0]'],
    ['address without a leading slash', () => ({ addrs: ['ip4/1.2.3.4'] }), 'body.addrs[0]'],
  ]

  it.each(invalidBodies)('refuses to encode a body with %s', async (_, overrides, field) => {
    const err = await rejection(encodeFor(alice, overrides()))
    expect(err).toBeInstanceOf(MalformedHeartbeatError)
    expect(err).toMatchObject({
      name: 'MalformedHeartbeatError',
      code: 'ERR_HEARTBEAT_MALFORMED',
      field,
    })
  })

  it('fits 64 neighbours and two relay addresses in the size limit', async () => {
    const neighbours = others
      .slice(0, HEARTBEAT_MAX_NEIGHBOURS)
      .map((o) => ({ peerId: o.id, rttMs: 1234.5 }))
    const addrs = [CIRCUIT(bob.id, alice.id), CIRCUIT(others[64]!.id, alice.id)]
    const bytes = await encodeFor(alice, { neighbours, addrs })
    expect(bytes.byteLength).toBeLessThanOrEqual(MAX_HEARTBEAT_BYTES)
    expect((await decodeHeartbeat(bytes)).neighbours).toHaveLength(HEARTBEAT_MAX_NEIGHBOURS)
  })

  it('refuses to encode a body that does not fit, with HeartbeatTooLargeError', async () => {
    const neighbours = others
      .slice(0, HEARTBEAT_MAX_NEIGHBOURS)
      .map((o) => ({ peerId: o.id, rttMs: 1 }))
    const addrs = Array.from(
      { length: 8 },
      (_, i) => `/dns4/${'a'.repeat(220)}${i}.example/tcp/443/wss`,
    )
    const err = await rejection(encodeFor(alice, { neighbours, addrs }))
    expect(err).toBeInstanceOf(HeartbeatTooLargeError)
    expect(err).toMatchObject({ code: 'ERR_HEARTBEAT_TOO_LARGE', limit: MAX_HEARTBEAT_BYTES })
    expect((err as HeartbeatTooLargeError).size).toBeGreaterThan(MAX_HEARTBEAT_BYTES)
  })

  it('rejects a body signed by bob that claims to be alice', async () => {
    const forged = await handBuilt(wireOf(bodyOf(alice)), bob.key)
    const err = await rejection(decodeHeartbeat(forged))
    expect(err).toBeInstanceOf(BadHeartbeatSignatureError)
    expect(err).toMatchObject({
      name: 'BadHeartbeatSignatureError',
      code: 'ERR_HEARTBEAT_BAD_SIGNATURE',
      peerId: alice.id,
    })
  })

  it('rejects a signature with one flipped bit', async () => {
    const bytes = await encodeFor(alice)
    const err = await rejection(decodeHeartbeat(flipBit(bytes, signatureBit(bytes, 123))))
    expect(err).toBeInstanceOf(BadHeartbeatSignatureError)
  })

  it('rejects oversize input before parsing it', async () => {
    const err = await rejection(decodeHeartbeat(new Uint8Array(MAX_HEARTBEAT_BYTES + 1).fill(0xff)))
    expect(err).toBeInstanceOf(HeartbeatTooLargeError)
    expect(err).toMatchObject({ name: 'HeartbeatTooLargeError', size: MAX_HEARTBEAT_BYTES + 1 })
  })

  it.each(['secp256k1', 'RSA'] as const)('refuses a %s peer ID as malformed', async (type) => {
    // 1024-bit RSA only to keep the test fast: the peer ID type is refused whatever the size.
    const key = type === 'RSA' ? await generateKeyPair('RSA', 1024) : await generateKeyPair(type)
    const wire = wireOf(bodyOf(alice, { peerId: peerIdFromPrivateKey(key).toString() }))
    // A well-formed 64-byte signature, so the refusal can only come from the peer ID type.
    const bytes = dagCbor.encode({ body: dagCbor.encode(wire), sig: new Uint8Array(64) })
    const err = await rejection(decodeHeartbeat(bytes))
    expect(err).toBeInstanceOf(MalformedHeartbeatError)
    expect(err).toMatchObject({ code: 'ERR_HEARTBEAT_MALFORMED', field: 'body.peerId' })
  })

  const malformedWire: Array<
    [string, (wire: Record<string, unknown>) => Record<string, unknown>, string]
  > = [
    ['version 2', (w) => ({ ...w, version: 2 }), 'body.version'],
    ['an extra field', (w) => ({ ...w, extra: 1 }), 'body'],
    ['a missing field', ({ addrs: _, ...w }) => w, 'body'],
    [
      'a CID-encoded peer ID',
      (w) => ({ ...w, peerId: peerIdFromString(alice.id).toCID().toString() }),
      'body.peerId',
    ],
    [
      'a neighbour as a string',
      (w) => ({ ...w, neighbours: [[bob.id, 1]] }),
      'body.neighbours[0].peerId',
    ],
    [
      'a duplicate neighbour',
      (w) => ({
        ...w,
        neighbours: [...(w.neighbours as unknown[]), ...(w.neighbours as unknown[])],
      }),
      'body.neighbours[1].peerId',
    ],
    [
      'a fractional RTT',
      (w) => ({ ...w, neighbours: [[peerIdFromString(bob.id).toMultihash().bytes, 1.5]] }),
      'body.neighbours[0].rttMs',
    ],
    [
      'a duplicate address',
      (w) => ({ ...w, addrs: ['/ip4/1.2.3.4/tcp/1', '/ip4/1.2.3.4/tcp/1'] }),
      'body.addrs[1]',
    ],
    [
      'a coordinate with an extra key',
      (w) => ({ ...w, coordinate: { ...(w.coordinate as object), x: 1 } }),
      'body.coordinate',
    ],
    ['a seq beyond 2^53', (w) => ({ ...w, seq: 2n ** 60n }), 'body.seq'],
  ]

  it.each(malformedWire)('rejects a signed body with %s', async (_, mutate, field) => {
    const bytes = await handBuilt(mutate(wireOf(bodyOf(alice))), alice.key)
    const err = await rejection(decodeHeartbeat(bytes))
    expect(err).toBeInstanceOf(MalformedHeartbeatError)
    expect(err).toMatchObject({ field })
  })

  it('rejects non-canonical encodings of a valid heartbeat', async () => {
    const bytes = await encodeFor(alice)
    const { body, sig } = dagCbor.decode(bytes) as { body: Uint8Array; sig: Uint8Array }
    // Same map with the keys in non-canonical order: dag-cbor sorts shorter keys first.
    const reordered = concat([
      Uint8Array.of(0xa2, 0x64),
      fromString('body'),
      Uint8Array.of(0x59, body.length >> 8, body.length & 0xff),
      body,
      Uint8Array.of(0x63),
      fromString('sig'),
      Uint8Array.of(0x58, 0x40),
      sig,
    ])
    expect(dagCbor.decode(reordered)).toEqual({ body, sig })
    await expect(decodeHeartbeat(reordered)).rejects.toMatchObject({ field: 'bytes' })
    await expect(decodeHeartbeat(concat([bytes, Uint8Array.of(0)]))).rejects.toBeInstanceOf(
      MalformedHeartbeatError,
    )
  })

  it('reports non-bytes input as malformed', async () => {
    for (const input of [null, 'heartbeat', [1, 2, 3], { length: 4 }]) {
      await expect(decodeHeartbeat(input as unknown as Uint8Array)).rejects.toBeInstanceOf(
        MalformedHeartbeatError,
      )
    }
  })

  it('errors serialise as { name, code, message }', () => {
    const err = new MalformedHeartbeatError('body.seq', 'not a positive safe integer')
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: 'MalformedHeartbeatError',
      code: 'ERR_HEARTBEAT_MALFORMED',
      message: err.message,
    })
  })
})

describe('encodeHeartbeat / decodeHeartbeat properties', () => {
  const printable = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 32,
  })
  const finite = (min: number, max: number) =>
    fc.double({ min, max, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x))
  const coordinate = fc.record({
    vec: fc.array(finite(-1e6, 1e6), { minLength: 8, maxLength: 8 }),
    height: finite(0, 1e6),
    error: finite(0, 1.5),
    adjustment: finite(-1e6, 1e6),
  })
  const addrPool = [
    '/ip4/127.0.0.1/tcp/4001/ws',
    '/ip6/::1/tcp/4001/ws',
    '/dns4/example.com/tcp/443/wss',
    '/ip4/192.168.1.2/udp/4001/quic-v1/webtransport',
    '/dns6/relay.example/tcp/443/wss/p2p-circuit/webrtc',
  ]
  const body = (neighbourPool: string[]) =>
    fc.record({
      seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      coordinate: fc.option(coordinate, { nil: null }),
      neighbours: fc.subarray(neighbourPool, { maxLength: 8 }).chain((ids) =>
        fc.tuple(
          ...ids.map((peerId) =>
            fc.record({
              peerId: fc.constant(peerId),
              rttMs: fc.option(fc.integer({ min: 0, max: HEARTBEAT_MAX_RTT_MS }), { nil: null }),
            }),
          ),
        ),
      ),
      capabilities: fc.record({
        cores: fc.option(fc.integer({ min: 1, max: 1024 }), { nil: null }),
        memoryGiB: fc.option(finite(Number.MIN_VALUE, 65_536), { nil: null }),
        platform: fc.constantFrom('browser' as const, 'node' as const),
      }),
      appVersion: printable,
      addrs: fc.subarray(addrPool, { maxLength: 5 }),
    })

  it('round-trips every valid body', async () => {
    const pool = others.slice(0, 12).map((o) => o.id)
    await fc.assert(
      fc.asyncProperty(body(pool), async (fields) => {
        const b: HeartbeatBody = { peerId: alice.id, ...fields }
        const decoded = await decodeHeartbeat(await encodeHeartbeat(b, alice.key))
        expect(decoded).toEqual({ ...b, version: 1, signature: expect.any(Uint8Array) })
      }),
      { numRuns: 60 },
    )
  })

  it('decoding arbitrary bytes only ever fails with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: MAX_HEARTBEAT_BYTES + 64 }), async (bytes) => {
        const err = await rejection(decodeHeartbeat(bytes))
        expect(isTypedDecodeError(err)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('decoding a mutated heartbeat returns one or fails with a typed error', async () => {
    const valid = await encodeFor(alice)
    const mutation = fc.oneof(
      fc
        .array(fc.nat(valid.length * 8 - 1), { minLength: 1, maxLength: 4 })
        .map((bits) => () => bits.reduce(flipBit, valid)),
      fc.nat(valid.length).map((n) => () => valid.slice(0, n)),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => () => concat([valid, tail])),
      fc.tuple(fc.nat(valid.length), fc.uint8Array({ maxLength: 16 })).map(
        ([at, junk]) =>
          () =>
            concat([valid.subarray(0, at), junk, valid.subarray(at)]),
      ),
    )
    await fc.assert(
      fc.asyncProperty(mutation, async (mutate) => {
        try {
          const heartbeat = await decodeHeartbeat(mutate())
          expect(heartbeat.peerId).toBe(alice.id)
        } catch (err) {
          expect(isTypedDecodeError(err)).toBe(true)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('rejects every single-bit flip, truncation or extension', async () => {
    const valid = await encodeFor(alice)
    const mutation = fc.oneof(
      fc.nat(valid.length * 8 - 1).map((bit) => flipBit(valid, bit)),
      fc.nat(valid.length - 1).map((n) => valid.slice(0, n)),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => concat([valid, tail])),
    )
    await fc.assert(
      fc.asyncProperty(mutation, async (bytes) => {
        expect(isTypedDecodeError(await rejection(decodeHeartbeat(bytes)))).toBe(true)
      }),
      { numRuns: 300 },
    )
  })
})

describe('HeartbeatValidator', () => {
  it('accepts a fresh heartbeat and records its seq', async () => {
    const validator = new HeartbeatValidator({ clock: manualClock() })
    const result = await validator.check(await encodeFor(alice, { seq: 5 }), alice.id)
    expect(result).toMatchObject({ ok: true, heartbeat: { peerId: alice.id, seq: 5 } })
    expect(validator.lastSeq(alice.id)).toBe(5)
    expect(validator.stats).toEqual({ accepted: 1, dropped: noDrops() })
  })

  it('drops a replayed, an older and an equal seq as replay', async () => {
    const validator = new HeartbeatValidator({ clock: manualClock() })
    const ten = await encodeFor(alice, { seq: 10 })
    expect((await validator.check(ten)).ok).toBe(true)
    expect(await validator.check(ten)).toEqual({ ok: false, reason: 'replay' })
    expect(await validator.check(await encodeFor(alice, { seq: 9 }))).toEqual({
      ok: false,
      reason: 'replay',
    })
    expect(await validator.check(await encodeFor(alice, { seq: 10, appVersion: '2' }))).toEqual({
      ok: false,
      reason: 'replay',
    })
    expect((await validator.check(await encodeFor(alice, { seq: 11 }))).ok).toBe(true)
    expect(validator.stats.dropped.replay).toBe(3)
  })

  it('accepts only one of two concurrent checks of the same heartbeat', async () => {
    const validator = new HeartbeatValidator({ clock: manualClock() })
    const bytes = await encodeFor(alice, { seq: 3 })
    const results = await Promise.all([validator.check(bytes), validator.check(bytes)])
    expect(results.map((r) => (r.ok ? 'ok' : r.reason)).sort()).toEqual(['ok', 'replay'])
  })

  it('drops stale and future timestamps, accepting both window edges', async () => {
    const validator = new HeartbeatValidator({ clock: manualClock() })
    const at = (timestamp: number, seq: number) => encodeFor(alice, { timestamp, seq })
    expect(await validator.check(await at(T0 - HEARTBEAT_MAX_AGE_MS - 1, 1))).toEqual({
      ok: false,
      reason: 'stale',
    })
    expect(await validator.check(await at(T0 + HEARTBEAT_MAX_FUTURE_MS + 1, 2))).toEqual({
      ok: false,
      reason: 'future',
    })
    expect((await validator.check(await at(T0 - HEARTBEAT_MAX_AGE_MS, 3))).ok).toBe(true)
    expect((await validator.check(await at(T0 + HEARTBEAT_MAX_FUTURE_MS, 4))).ok).toBe(true)
  })

  it('honours custom maxAgeMs and maxFutureMs', async () => {
    const validator = new HeartbeatValidator({
      clock: manualClock(),
      maxAgeMs: 100,
      maxFutureMs: 50,
    })
    expect(await validator.check(await encodeFor(alice, { timestamp: T0 - 101 }))).toEqual({
      ok: false,
      reason: 'stale',
    })
    expect(await validator.check(await encodeFor(alice, { timestamp: T0 + 51 }))).toEqual({
      ok: false,
      reason: 'future',
    })
  })

  it('drops a heartbeat whose gossipsub author is someone else as sender-mismatch', async () => {
    const validator = new HeartbeatValidator({ clock: manualClock() })
    const bytes = await encodeFor(alice)
    expect(await validator.check(bytes, bob.id)).toEqual({ ok: false, reason: 'sender-mismatch' })
    expect((await validator.check(bytes, alice.id)).ok).toBe(true)
  })

  it('drops forged and bit-flipped signatures as signature', async () => {
    const validator = new HeartbeatValidator({ clock: manualClock() })
    const forged = await handBuilt(wireOf(bodyOf(alice, { seq: 2 })), bob.key)
    expect(await validator.check(forged)).toEqual({ ok: false, reason: 'signature' })
    const valid = await encodeFor(alice, { seq: 3 })
    expect(await validator.check(flipBit(valid, signatureBit(valid, 0)))).toEqual({
      ok: false,
      reason: 'signature',
    })
  })

  it('drops oversize and malformed input', async () => {
    const validator = new HeartbeatValidator({ clock: manualClock() })
    expect(await validator.check(new Uint8Array(MAX_HEARTBEAT_BYTES + 1))).toEqual({
      ok: false,
      reason: 'oversize',
    })
    expect(await validator.check(new Uint8Array([1, 2, 3]))).toEqual({
      ok: false,
      reason: 'malformed',
    })
    const secp = await generateKeyPair('secp256k1')
    const wire = wireOf(bodyOf(alice, { peerId: peerIdFromPrivateKey(secp).toString() }))
    const bytes = dagCbor.encode({ body: dagCbor.encode(wire), sig: new Uint8Array(64) })
    expect(await validator.check(bytes)).toEqual({ ok: false, reason: 'malformed' })
  })

  it('leaves its state unchanged when it rejects a heartbeat, however high its seq', async () => {
    const clock = manualClock()
    const validator = new HeartbeatValidator({ clock })
    expect((await validator.check(await encodeFor(alice, { seq: 10 }))).ok).toBe(true)
    const high = { seq: 1_000_000 }
    const rejected: Array<[Uint8Array, string | undefined, DropReason]> = [
      [await handBuilt(wireOf(bodyOf(alice, high)), bob.key), undefined, 'signature'],
      [
        await encodeFor(alice, { ...high, timestamp: T0 - HEARTBEAT_MAX_AGE_MS - 1 }),
        undefined,
        'stale',
      ],
      [
        await encodeFor(alice, { ...high, timestamp: T0 + HEARTBEAT_MAX_FUTURE_MS + 1 }),
        undefined,
        'future',
      ],
      [await encodeFor(alice, high), bob.id, 'sender-mismatch'],
      [await encodeFor(bob, { ...high, timestamp: 0 }), undefined, 'stale'],
    ]
    for (const [bytes, from, reason] of rejected) {
      expect(await validator.check(bytes, from)).toEqual({ ok: false, reason })
      expect(validator.lastSeq(alice.id)).toBe(10)
      expect(validator.trackedPeers).toBe(1)
    }
    expect(validator.lastSeq(bob.id)).toBeUndefined()
    expect((await validator.check(await encodeFor(alice, { seq: 11 }))).ok).toBe(true)
  })

  it('counts every outcome', async () => {
    const validator = new HeartbeatValidator({ clock: manualClock() })
    const valid = await encodeFor(alice, { seq: 2 })
    await validator.check(valid)
    await validator.check(valid)
    await validator.check(await encodeFor(alice, { seq: 3 }), bob.id)
    await validator.check(new Uint8Array(0))
    await validator.check(new Uint8Array(MAX_HEARTBEAT_BYTES + 1))
    await validator.check(await encodeFor(bob, { timestamp: 0 }))
    const stats = validator.stats
    expect(stats).toEqual({
      accepted: 1,
      dropped: {
        ...noDrops(),
        replay: 1,
        'sender-mismatch': 1,
        malformed: 1,
        oversize: 1,
        stale: 1,
      },
    })
    stats.accepted = 100
    expect(validator.stats.accepted).toBe(1)
  })

  it('forgets a peer on request', async () => {
    const validator = new HeartbeatValidator({ clock: manualClock() })
    const bytes = await encodeFor(alice, { seq: 4 })
    await validator.check(bytes)
    expect(validator.forget(alice.id)).toBe(true)
    expect(validator.forget(alice.id)).toBe(false)
    expect(validator.lastSeq(alice.id)).toBeUndefined()
    expect((await validator.check(bytes)).ok).toBe(true)
  })

  it('forgets peers silent beyond the TTL, once their heartbeats are stale', async () => {
    const clock = manualClock()
    const validator = new HeartbeatValidator({ clock, peerTtlMs: 60_000 })
    const old = await encodeFor(alice, { seq: 1 })
    await validator.check(old)
    clock.advance(60_000)
    await validator.check(await encodeFor(bob, { timestamp: clock.now() }))
    expect(validator.lastSeq(alice.id)).toBe(1)
    clock.advance(1)
    await validator.check(await encodeFor(bob, { seq: 2, timestamp: clock.now() }))
    expect(validator.lastSeq(alice.id)).toBeUndefined()
    expect(validator.trackedPeers).toBe(1)
    // Forgetting alice did not reopen the replay: her old heartbeat is stale by now.
    expect(await validator.check(old)).toEqual({ ok: false, reason: 'stale' })
  })

  it('tracks at most maxTrackedPeers, evicting the least recently heard', async () => {
    const validator = new HeartbeatValidator({ clock: manualClock(), maxTrackedPeers: 3 })
    const [carol, dave, erin] = others as [Identity, Identity, Identity]
    for (const who of [alice, bob, carol])
      expect((await validator.check(await encodeFor(who))).ok).toBe(true)
    // Alice is heard again, so bob becomes the least recently heard.
    expect((await validator.check(await encodeFor(alice, { seq: 2 }))).ok).toBe(true)
    await validator.check(await encodeFor(dave))
    expect(validator.trackedPeers).toBe(3)
    expect(validator.lastSeq(bob.id)).toBeUndefined()
    expect(validator.lastSeq(alice.id)).toBe(2)
    await validator.check(await encodeFor(erin))
    expect(validator.trackedPeers).toBe(3)
    expect(validator.lastSeq(carol.id)).toBeUndefined()
    expect([alice, dave, erin].map((w) => validator.lastSeq(w.id))).toEqual([2, 1, 1])
  })

  it('fails closed when the clock returns NaN', async () => {
    const validator = new HeartbeatValidator({ clock: { now: () => Number.NaN } })
    const result = await validator.check(await encodeFor(alice))
    expect(result.ok).toBe(false)
    expect(validator.trackedPeers).toBe(0)
  })

  it.each([
    [{ maxAgeMs: -1 }, 'HeartbeatValidator.maxAgeMs'],
    [{ maxFutureMs: Number.NaN }, 'HeartbeatValidator.maxFutureMs'],
    [{ peerTtlMs: HEARTBEAT_MAX_AGE_MS }, 'HeartbeatValidator.peerTtlMs'],
    [{ maxTrackedPeers: 0 }, 'HeartbeatValidator.maxTrackedPeers'],
  ])('refuses option %o', (options, option) => {
    expect(() => new HeartbeatValidator({ clock: manualClock(), ...options })).toThrow(
      expect.objectContaining({
        name: 'InvalidMeshOptionError',
        code: 'ERR_MESH_INVALID_OPTION',
        option,
      }),
    )
  })

  it('never throws, and every call lands in exactly one counter', async () => {
    const valid = await encodeFor(alice, { seq: 1 })
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 256 }),
      fc.nat(valid.length * 8 - 1).map((bit) => flipBit(valid, bit)),
      fc.nat(valid.length).map((n) => valid.slice(0, n)),
      fc.constant(valid),
      fc.anything().map((x) => x as Uint8Array),
    )
    const validator = new HeartbeatValidator({ clock: manualClock() })
    let calls = 0
    await fc.assert(
      fc.asyncProperty(
        input,
        fc.option(fc.constantFrom(alice.id, bob.id, 'junk'), { nil: undefined }),
        async (bytes, from) => {
          calls++
          const result = await validator.check(bytes, from)
          if (!result.ok) expect(HEARTBEAT_DROP_REASONS).toContain(result.reason)
        },
      ),
      { numRuns: 300 },
    )
    const { accepted, dropped } = validator.stats
    expect(accepted + Object.values(dropped).reduce((a, b) => a + b, 0)).toBe(calls)
    expect(accepted).toBeLessThanOrEqual(1)
  })
})

describe('HeartbeatSequencer', () => {
  it('derives seq from the clock in ms × 1000', () => {
    expect(new HeartbeatSequencer().next(T0)).toBe(T0 * HEARTBEAT_SEQ_PER_MS)
  })

  it('keeps increasing when the clock stalls or steps back', () => {
    const sequencer = new HeartbeatSequencer()
    const base = T0 * HEARTBEAT_SEQ_PER_MS
    expect([T0, T0, T0, T0 - 5_000, T0 + 1].map((t) => sequencer.next(t))).toEqual([
      base,
      base + 1,
      base + 2,
      base + 3,
      base + HEARTBEAT_SEQ_PER_MS,
    ])
    expect(sequencer.last).toBe(base + HEARTBEAT_SEQ_PER_MS)
  })

  it('never reuses a seq across a restart one millisecond later', () => {
    const before = new HeartbeatSequencer()
    const used = Array.from({ length: 50 }, () => before.next(T0))
    const after = new HeartbeatSequencer()
    expect(after.next(T0 + 1)).toBeGreaterThan(Math.max(...used))
  })

  it('resumes from a persisted value and ignores a non-finite clock', () => {
    const sequencer = new HeartbeatSequencer(41)
    expect(sequencer.next(Number.NaN)).toBe(42)
    expect(sequencer.next(-1)).toBe(43)
    expect(() => new HeartbeatSequencer(-1)).toThrow(InvalidMeshOptionError)
    expect(() => new HeartbeatSequencer(1.5)).toThrow(
      expect.objectContaining({ code: 'ERR_MESH_INVALID_OPTION' }),
    )
  })

  it('hands out strictly increasing positive safe integers for any clock', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 2 * T0 }), fc.double())), (times) => {
        const sequencer = new HeartbeatSequencer()
        let previous = 0
        for (const t of times) {
          const seq = sequencer.next(t)
          expect(Number.isSafeInteger(seq)).toBe(true)
          expect(seq).toBeGreaterThan(previous)
          previous = seq
        }
      }),
    )
  })
})
