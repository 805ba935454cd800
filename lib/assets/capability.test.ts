import * as dagCbor from '@ipld/dag-cbor'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { verifyByRule } from '../crypto/ed25519-rule'
import type { SignatureVerifier } from '../ports'
import { AssetArgumentError, newAssetId } from './asset-id'
import {
  ALL_RIGHTS,
  CAPABILITY_DOMAIN,
  type Capability,
  type CapabilityCheck,
  CapabilityDecodeError,
  type CapabilityGrant,
  type CapabilityLink,
  CapabilityRefusedError,
  type CapabilityRequest,
  type CapabilitySigner,
  MAX_CAPABILITY_BYTES,
  MAX_CAPABILITY_CHAIN,
  RIGHT_READ,
  RIGHT_WRITE,
  attenuateCapability,
  capabilityLinkHash,
  capabilitySignBytes,
  checkCapability,
  decodeCapability,
  encodeCapability,
  issueCapability,
} from './capability'
import {
  type GlobalAddress,
  encodeGlobalAddress,
  globalAddressOf,
  peerIdOfPublicKey,
} from './global-address'

// ---------------------------------------------------------------------------------------------
// Fixtures

interface TestKey extends CapabilitySigner {
  readonly name: string
  readonly secret: Uint8Array
}

/** A key derived from a name, so every run has the same ones. */
function testKey(name: string): TestKey {
  const secret = sha256(new TextEncoder().encode(`hypermesh-test-key:${name}`))
  return {
    name,
    secret,
    publicKey: ed25519.getPublicKey(secret),
    sign: (m) => ed25519.sign(m, secret),
  }
}

const alice = testKey('alice') // asset owner
const bob = testKey('bob')
const carol = testKey('carol')
const dave = testKey('dave')
const erin = testKey('erin')
const mallory = testKey('mallory')
const holders = [bob, carol, dave, erin]

/** The project's one Ed25519 rule. */
const verifier: SignatureVerifier = { verify: (k, m, s) => verifyByRule(k, m, s) }

const asset = newAssetId('memory', new Uint8Array(16).fill(0x42))
const address = globalAddressOf(peerIdOfPublicKey(alice.publicKey), asset, 1)
const otherAddress = globalAddressOf(peerIdOfPublicKey(alice.publicKey), asset, 2)

const T0 = 1_767_225_600_000 // 2026-01-01, ms
const HOUR = 3_600_000

function nonce(i: number): Uint8Array {
  return new Uint8Array(16).fill(i)
}

const baseGrant: CapabilityGrant = {
  grantee: bob.publicKey,
  address,
  offset: 1_000,
  length: 9_000,
  rights: RIGHT_READ | RIGHT_WRITE,
  notBefore: T0,
  expiry: T0 + 24 * HOUR,
  nonce: nonce(1),
}

/** A request the last link allows: its first byte, its rights, at its notBefore. */
function requestFor(token: Capability): { request: CapabilityRequest; now: number } {
  const last = token.links[token.links.length - 1]!
  return {
    request: {
      grantee: last.grantee,
      address: last.address,
      offset: last.offset,
      length: 1,
      right: last.rights,
    },
    now: last.notBefore,
  }
}

function check(token: Capability, request: CapabilityRequest, now: number): CapabilityCheck {
  return checkCapability(token, request, { now, verifier, owner: alice.publicKey })
}

function codeOf(verdict: CapabilityCheck): string {
  return verdict.ok ? 'ok' : verdict.error.code
}

/** A chain: alice → bob, then bob → carol → … for `extra` links, each narrower. */
async function chain(extra: number): Promise<Capability> {
  let token = await issueCapability(baseGrant, alice)
  for (let i = 0; i < extra; i++) {
    token = await attenuateCapability(
      token,
      {
        grantee: holders[i + 1]!.publicKey,
        nonce: nonce(i + 2),
        offset: 1_000 + 100 * (i + 1),
        length: 8_000 - 100 * (i + 1),
        notBefore: T0 + i + 1,
        expiry: T0 + 24 * HOUR - i - 1,
      },
      holders[i]!,
    )
  }
  return token
}

/** Sign a hand-built link with `key` (to build tokens the builders refuse to make). */
function signAs(key: TestKey, link: Omit<CapabilityLink, 'signature'>): CapabilityLink {
  return { ...link, signature: ed25519.sign(capabilitySignBytes(link), key.secret) }
}

/** Runs `f`; if it throws, the error must be a CapabilityDecodeError. */
function onlyDecodeErrors(f: () => unknown): void {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(CapabilityDecodeError)
    expect((e as CapabilityDecodeError).code).toBe('ERR_CAPABILITY_DECODE')
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const key32 = fc.constantFrom(...[alice, bob, carol, dave, mallory].map((k) => k.publicKey))
const addressArb: fc.Arbitrary<GlobalAddress> = fc.record({
  prefix: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  nodeId: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  uuid: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((r) => newAssetId('storage', r).uuid),
  port: fc.integer({ min: 0, max: 0xffff }),
})
const grantArb: fc.Arbitrary<CapabilityGrant> = fc
  .record({
    grantee: key32,
    address: addressArb,
    offset: fc.nat(Number.MAX_SAFE_INTEGER - 1),
    length: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    rights: fc.integer({ min: 1, max: ALL_RIGHTS }),
    notBefore: fc.nat(Number.MAX_SAFE_INTEGER - 1),
    span: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  })
  .map(({ span, ...g }) => ({
    ...g,
    length: Math.max(1, Math.min(g.length, Number.MAX_SAFE_INTEGER - g.offset)),
    expiry: Math.min(Number.MAX_SAFE_INTEGER, g.notBefore + span),
  }))

// ---------------------------------------------------------------------------------------------

describe('issue, encode, decode', () => {
  it('round-trip any grant: decode(encode(t)) re-encodes to the same bytes and fields', async () => {
    await fc.assert(
      fc.asyncProperty(grantArb, async (grant) => {
        const token = await issueCapability(grant, alice)
        const bytes = encodeCapability(token)
        expect(bytes.length).toBeLessThanOrEqual(MAX_CAPABILITY_BYTES)
        const back = decodeCapability(bytes)
        expect(encodeCapability(back)).toEqual(bytes)
        const root = back.links[0]!
        expect(root).toMatchObject({ ...grant, version: 1, issuer: alice.publicKey, parent: null })
        expect(Object.isFrozen(back) && Object.isFrozen(root)).toBe(true)
      }),
      { numRuns: 50 },
    )
  })

  it('round-trip chains of every length up to the bound, which stays under the size cap', async () => {
    for (let extra = 0; extra < MAX_CAPABILITY_CHAIN; extra++) {
      const token = await chain(extra)
      const bytes = encodeCapability(token)
      expect(bytes.length).toBeLessThan(MAX_CAPABILITY_BYTES)
      const back = decodeCapability(bytes)
      expect(back.links.length).toBe(extra + 1)
      expect(back).toEqual(token)
      const { request, now } = requestFor(back)
      expect(codeOf(check(back, request, now))).toBe('ok')
    }
  })

  it('sign links over the domain tag and name parents by the hash of their encoding', async () => {
    const token = await chain(1)
    const [root, link] = token.links as [CapabilityLink, CapabilityLink]
    const signBytes = capabilitySignBytes(root)
    const tag = new TextEncoder().encode(`${CAPABILITY_DOMAIN}\0`)
    expect(signBytes.subarray(0, tag.length)).toEqual(tag)
    expect(dagCbor.decode(signBytes.subarray(tag.length))).toMatchObject({
      v: 1,
      i: root.issuer,
      a: encodeGlobalAddress(address),
    })
    expect(verifyByRule(alice.publicKey, signBytes, root.signature)).toBe(true)
    expect(link.parent).toEqual(capabilityLinkHash(root))
    const rootBytes = dagCbor.encode((dagCbor.decode(encodeCapability(token)) as unknown[])[0])
    expect(capabilityLinkHash(root)).toEqual(sha256(rootBytes))
  })

  it('refuse invalid grants and signers with AssetArgumentError', async () => {
    const bad: Partial<Record<keyof CapabilityGrant, unknown>>[] = [
      { grantee: new Uint8Array(31) },
      { address: { ...address, port: 70_000 } },
      { offset: -1 },
      { offset: 1.5 },
      { length: 0 },
      { offset: Number.MAX_SAFE_INTEGER, length: 1 },
      { rights: 0 },
      { rights: 4 },
      { notBefore: T0, expiry: T0 },
      { nonce: new Uint8Array(15) },
    ]
    for (const patch of bad) {
      await expect(
        issueCapability({ ...baseGrant, ...patch } as CapabilityGrant, alice),
      ).rejects.toBeInstanceOf(AssetArgumentError)
    }
    await expect(
      issueCapability(baseGrant, { publicKey: alice.publicKey, sign: () => new Uint8Array(63) }),
    ).rejects.toMatchObject({ name: 'AssetArgumentError', code: 'ERR_ASSET_ARGUMENT' })
  })

  it('accept an async signer (the Signer port of lib/ports.ts)', async () => {
    const token = await issueCapability(baseGrant, {
      publicKey: alice.publicKey,
      sign: async (m) => alice.sign(m),
    })
    const { request, now } = requestFor(token)
    expect(codeOf(check(token, request, now))).toBe('ok')
  })
})

describe('decodeCapability', () => {
  it('throws only CapabilityDecodeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        onlyDecodeErrors(() => decodeCapability(bytes))
      }),
      { numRuns: 2000 },
    )
  })

  it('throws only CapabilityDecodeError on arbitrary dag-cbor values', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string({ maxLength: 4 }),
        fc.boolean(),
        fc.constant(null),
        fc.uint8Array({ maxLength: 70 }),
        fc.array(tie('v'), { maxLength: 5 }),
        fc.dictionary(
          fc.constantFrom(
            ...['v', 'i', 'g', 'a', 'o', 'l', 'r', 'nb', 'x', 'n', 'p', 's', 'z', '__proto__'],
          ),
          tie('v'),
          { maxKeys: 13 },
        ),
      ),
    })).v
    fc.assert(
      fc.property(value, (v) => {
        onlyDecodeErrors(() => decodeCapability(dagCbor.encode(v)))
      }),
      { numRuns: 1000 },
    )
  })

  it('decodes mutated tokens to a token that re-encodes to them, or a typed error', async () => {
    const bytes = encodeCapability(await chain(2))
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(bytes.length),
        (edits, cut) => {
          const m = Uint8Array.from(bytes)
          for (const [i, b] of edits) m[i] = b
          for (const candidate of [m, m.subarray(0, cut)]) {
            onlyDecodeErrors(() =>
              expect(encodeCapability(decodeCapability(candidate))).toEqual(candidate),
            )
          }
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('refuses fields that break a rule, naming the field', async () => {
    const token = await chain(1)
    const raw = dagCbor.decode(encodeCapability(token)) as Record<string, unknown>[]
    const root = raw[0]!
    const link = raw[1]!
    const cases: [unknown, string][] = [
      [[], 'bytes'],
      [{ ...root }, 'bytes'],
      [[{ ...root, v: 2 }], 'links[0].v'],
      [[{ ...root, z: 1 }], 'links[0]'],
      [[{ ...root, p: link.p }], 'links[0]'],
      [[root, 5], 'links[1]'],
      [[root, [link]], 'links[1]'],
      [[{ ...root, i: new Uint8Array(31) }], 'links[0].i'],
      [[{ ...root, g: new Uint8Array(33) }], 'links[0].g'],
      [[{ ...root, a: new Uint8Array(34) }], 'links[0].a'],
      [[{ ...root, a: new Uint8Array(33) }], 'links[0].a'],
      [[{ ...root, o: -1 }], 'links[0].o'],
      [[{ ...root, o: 2 ** 53 }], 'links[0].o'],
      [[{ ...root, l: 0 }], 'links[0].l'],
      [[{ ...root, o: Number.MAX_SAFE_INTEGER, l: 1 }], 'links[0].l'],
      [[{ ...root, r: 0 }], 'links[0].r'],
      [[{ ...root, r: 7 }], 'links[0].r'],
      [[{ ...root, nb: 5, x: 5 }], 'links[0].x'],
      [[{ ...root, n: new Uint8Array(8) }], 'links[0].n'],
      [[{ ...root, s: new Uint8Array(63) }], 'links[0].s'],
      [[root, { ...link, p: new Uint8Array(31) }], 'links[1].p'],
      [[root, Object.fromEntries(Object.entries(link).filter(([k]) => k !== 'p'))], 'links[1]'],
      [Array.from({ length: MAX_CAPABILITY_CHAIN + 1 }, () => link), 'bytes'],
    ]
    for (const [value, field] of cases) {
      let caught: unknown
      try {
        decodeCapability(dagCbor.encode(value))
      } catch (e) {
        caught = e
      }
      expect(caught, field).toBeInstanceOf(CapabilityDecodeError)
      expect((caught as CapabilityDecodeError).field, field).toBe(field)
    }
  })

  it('refuses non-canonical encodings of a valid token', async () => {
    const bytes = encodeCapability(await issueCapability({ ...baseGrant, offset: 5 }, alice))
    // Key "o" (0x61 0x6f) then the one-byte integer 5; spell 5 as the two-byte 0x18 0x05, which
    // is still a valid CBOR integer of the same value but not the shortest form.
    const at = Buffer.from(bytes).indexOf(Buffer.from([0x61, 0x6f, 0x05]))
    expect(at).toBeGreaterThan(0)
    const i = at + 2
    const longer = Uint8Array.from([...bytes.subarray(0, i), 0x18, ...bytes.subarray(i)])
    expect(() => decodeCapability(longer)).toThrow(
      expect.objectContaining({ name: 'CapabilityDecodeError', field: 'bytes' }),
    )
    // A float 5.0 in place of the integer 5 (0xfb + 8 bytes) decodes to the same number.
    const float = Uint8Array.from([
      ...bytes.subarray(0, i),
      0xfb,
      0x40,
      0x14,
      0,
      0,
      0,
      0,
      0,
      0,
      ...bytes.subarray(i + 1),
    ])
    expect(() => decodeCapability(float)).toThrow(
      expect.objectContaining({ name: 'CapabilityDecodeError', field: 'bytes' }),
    )
    expect(() => decodeCapability(Uint8Array.from([...bytes, 0]))).toThrow(CapabilityDecodeError)
    expect(() => decodeCapability(new Uint8Array(MAX_CAPABILITY_BYTES + 1))).toThrow(
      expect.objectContaining({ field: 'bytes' }),
    )
  })
})

describe('checkCapability', () => {
  it('accepts exactly the requests inside the grant, at the range and time boundaries', async () => {
    const token = await issueCapability(baseGrant, alice)
    const r = (over: Partial<CapabilityRequest>): CapabilityRequest => ({
      grantee: bob.publicKey,
      address,
      offset: 1_000,
      length: 9_000,
      right: RIGHT_READ,
      ...over,
    })
    const cases: [CapabilityRequest, number, string][] = [
      [r({}), T0, 'ok'],
      [r({ right: RIGHT_WRITE }), T0, 'ok'],
      [r({ right: ALL_RIGHTS }), T0, 'ok'],
      [r({}), T0 - 1, 'CAPABILITY_NOT_YET_VALID'],
      [r({}), T0 + 24 * HOUR - 1, 'ok'],
      [r({}), T0 + 24 * HOUR, 'CAPABILITY_EXPIRED'],
      [r({}), T0 + 24 * HOUR + 0.5, 'CAPABILITY_EXPIRED'],
      [r({ offset: 999, length: 1 }), T0, 'CAPABILITY_OUT_OF_RANGE'],
      [r({ offset: 999, length: 0 }), T0, 'CAPABILITY_OUT_OF_RANGE'],
      [r({ offset: 9_999, length: 1 }), T0, 'ok'],
      [r({ offset: 10_000, length: 0 }), T0, 'ok'],
      [r({ offset: 10_000, length: 1 }), T0, 'CAPABILITY_OUT_OF_RANGE'],
      [r({ offset: 1_000, length: 9_001 }), T0, 'CAPABILITY_OUT_OF_RANGE'],
      [r({ grantee: carol.publicKey }), T0, 'CAPABILITY_WRONG_GRANTEE'],
      [r({ address: otherAddress }), T0, 'CAPABILITY_WRONG_ADDRESS'],
    ]
    for (const [request, now, code] of cases) {
      expect(codeOf(check(token, request, now)), JSON.stringify([request.offset, now])).toBe(code)
    }
    const readOnly = await issueCapability({ ...baseGrant, rights: RIGHT_READ }, alice)
    expect(codeOf(check(readOnly, r({ right: RIGHT_WRITE }), T0))).toBe('CAPABILITY_NO_RIGHT')
    expect(codeOf(check(readOnly, r({ right: ALL_RIGHTS }), T0))).toBe('CAPABILITY_NO_RIGHT')
  })

  it('refuses a token issued by anyone but the owner the checker names', async () => {
    const byMallory = await issueCapability(baseGrant, mallory)
    const { request, now } = requestFor(byMallory)
    expect(codeOf(check(byMallory, request, now))).toBe('CAPABILITY_WRONG_OWNER')
    const token = await issueCapability(baseGrant, alice)
    const verdict = checkCapability(token, request, { now, verifier, owner: bob.publicKey })
    expect(codeOf(verdict)).toBe('CAPABILITY_WRONG_OWNER')
  })

  it('refuses a root that names the owner but is signed by someone else', async () => {
    const { signature: _, ...unsigned } = (await issueCapability(baseGrant, alice)).links[0]!
    const forged = { links: [signAs(mallory, unsigned)] }
    const { request, now } = requestFor(forged)
    const verdict = check(forged, request, now)
    expect(codeOf(verdict)).toBe('CAPABILITY_BAD_SIGNATURE')
    expect(verdict.ok || verdict.error.link).toBe(0)
  })

  it('reports refusals as { name, code, message } for the wire', async () => {
    const token = await issueCapability(baseGrant, alice)
    const verdict = check(token, { ...requestFor(token).request, grantee: carol.publicKey }, T0)
    expect(verdict.ok).toBe(false)
    if (verdict.ok) return
    expect(verdict.error).toBeInstanceOf(CapabilityRefusedError)
    expect(verdict.error.toJSON()).toEqual({
      name: 'CapabilityRefusedError',
      code: 'CAPABILITY_WRONG_GRANTEE',
      message: expect.any(String),
    })
  })

  it('holds at the time boundaries of every link of a chain', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), async (extra) => {
        const token = await chain(extra)
        const last = token.links[extra]!
        const { request } = requestFor(token)
        expect(codeOf(check(token, request, last.notBefore - 1))).toBe('CAPABILITY_NOT_YET_VALID')
        expect(codeOf(check(token, request, last.notBefore))).toBe('ok')
        expect(codeOf(check(token, request, last.expiry - 1))).toBe('ok')
        expect(codeOf(check(token, request, last.expiry))).toBe('CAPABILITY_EXPIRED')
      }),
      { numRuns: 8 },
    )
  })

  it('throws AssetArgumentError for malformed requests and options, never a verdict', async () => {
    const token = await issueCapability(baseGrant, alice)
    const { request, now } = requestFor(token)
    const badRequests: Partial<CapabilityRequest>[] = [
      { grantee: new Uint8Array(3) },
      { offset: -1 },
      { length: Number.MAX_SAFE_INTEGER },
      { right: 0 },
      { right: 4 },
    ]
    for (const patch of badRequests) {
      expect(() => check(token, { ...request, ...patch }, now)).toThrow(AssetArgumentError)
    }
    expect(() => check(token, request, Number.NaN)).toThrow(AssetArgumentError)
    expect(() =>
      checkCapability(token, request, { now, verifier, owner: new Uint8Array(31) }),
    ).toThrow(AssetArgumentError)
    expect(() => check({ links: [] }, request, now)).toThrow(AssetArgumentError)
  })
})

describe('tokens cannot be widened', () => {
  /** A different value for one signed field of a link, keeping the link well formed. */
  function mutate(link: CapabilityLink, field: string, pick: number): CapabilityLink {
    const flip = (b: Uint8Array): Uint8Array => {
      const c = Uint8Array.from(b)
      const i = pick % c.length
      c[i] = c[i]! ^ (1 + (pick % 255))
      return c
    }
    switch (field) {
      case 'issuer':
        return { ...link, issuer: flip(link.issuer) }
      case 'grantee':
        return { ...link, grantee: flip(link.grantee) }
      case 'address':
        return pick % 2 === 0
          ? { ...link, address: { ...link.address, port: link.address.port ^ 1 } }
          : { ...link, address: { ...link.address, nodeId: flip(link.address.nodeId) } }
      case 'offset':
        return { ...link, offset: link.offset + (pick % 2 === 0 ? 1 : -1), length: link.length }
      case 'length':
        return { ...link, length: link.length + (pick % 2 === 0 ? 1 : -1) }
      case 'rights':
        return { ...link, rights: 1 + ((link.rights + (pick % 2)) % 3) }
      case 'notBefore':
        return { ...link, notBefore: link.notBefore + (pick % 2 === 0 ? 1 : -1) }
      case 'expiry':
        return { ...link, expiry: link.expiry + (pick % 2 === 0 ? 1 : -1) }
      case 'nonce':
        return { ...link, nonce: flip(link.nonce) }
      case 'parent':
        return link.parent === null ? link : { ...link, parent: flip(link.parent) }
      case 'signature':
        return { ...link, signature: flip(link.signature) }
      default:
        throw new Error(field)
    }
  }

  const tokens = Promise.all([0, 1, 2, 3].map((extra) => chain(extra)))

  it('any change to any signed field of any link is refused', async () => {
    const all = await tokens
    const fields = [
      'issuer',
      'grantee',
      'address',
      'offset',
      'length',
      'rights',
      'notBefore',
      'expiry',
      'nonce',
      'parent',
      'signature',
    ]
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.nat(3),
        fc.constantFrom(...fields),
        fc.nat(1_000),
        (extra, at, field, pick) => {
          const token = all[extra]!
          const index = at % token.links.length
          const link = token.links[index]!
          if (field === 'parent' && index === 0) return
          const changed = mutate(link, field, pick)
          const links = token.links.map((l, i) => (i === index ? changed : l))
          const tampered = { links }
          // The request the untouched token allows: the tampered one must not.
          const { request, now } = requestFor(token)
          const verdict = check(tampered, request, now)
          expect(verdict.ok).toBe(false)
          // And through the wire: what decodes is refused the same way.
          const back = decodeCapability(encodeCapability(tampered))
          expect(codeOf(check(back, request, now))).toBe(codeOf(verdict))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('attenuation within the parent is accepted; any widening is refused when built', async () => {
    const parent = await issueCapability(baseGrant, alice)
    const p = parent.links[0]!
    const near = (x: number): fc.Arbitrary<number> => fc.integer({ min: x - 2, max: x + 2 })
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          offset: fc.oneof(near(p.offset), near(p.offset + p.length), fc.constant(p.offset + 10)),
          end: fc.oneof(near(p.offset + p.length), near(p.offset + 20)),
          rights: fc.integer({ min: 1, max: 3 }),
          notBefore: fc.oneof(near(p.notBefore), near(p.expiry)),
          expiry: fc.oneof(near(p.expiry), near(p.notBefore + 5)),
        }),
        async (c) => {
          const length = c.end - c.offset
          const expiry = c.expiry
          if (length < 1 || expiry <= c.notBefore) return // not a grant at all
          const within =
            c.offset >= p.offset &&
            c.offset + length <= p.offset + p.length &&
            (c.rights & ~p.rights) === 0 &&
            c.notBefore >= p.notBefore &&
            expiry <= p.expiry
          const fields = { grantee: carol.publicKey, nonce: nonce(9), ...c, length, expiry }
          if (within) {
            const child = await attenuateCapability(parent, fields, bob)
            const { request, now } = requestFor(child)
            expect(codeOf(check(child, request, now))).toBe('ok')
          } else {
            await expect(attenuateCapability(parent, fields, bob)).rejects.toMatchObject({
              name: 'CapabilityRefusedError',
              code: 'CAPABILITY_WIDENED',
            })
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('a widening link signed by the right key is still refused by the checker', async () => {
    const readOnly = await issueCapability({ ...baseGrant, rights: RIGHT_READ }, alice)
    const root = readOnly.links[0]!
    const base = {
      version: 1,
      issuer: bob.publicKey,
      parent: capabilityLinkHash(root),
      grantee: carol.publicKey,
      address: root.address,
      offset: root.offset,
      length: root.length,
      rights: root.rights,
      notBefore: root.notBefore,
      expiry: root.expiry,
      nonce: nonce(7),
    }
    const widened: [Partial<CapabilityLink>, string][] = [
      [{ offset: root.offset - 1 }, 'range'],
      [{ length: root.length + 1 }, 'range'],
      [{ rights: ALL_RIGHTS }, 'rights'],
      [{ rights: RIGHT_WRITE }, 'rights'],
      [{ notBefore: root.notBefore - 1 }, 'time'],
      [{ expiry: root.expiry + 1 }, 'time'],
      [{ address: otherAddress }, 'address'],
      [{ parent: new Uint8Array(32) }, 'parent'],
    ]
    for (const [patch, reason] of widened) {
      const link = signAs(bob, { ...base, ...patch })
      const token = { links: [root, link] }
      const request: CapabilityRequest = {
        grantee: carol.publicKey,
        address: root.address,
        offset: root.offset,
        length: 1,
        right: RIGHT_READ,
      }
      const verdict = check(token, request, root.notBefore)
      expect(verdict.ok, reason).toBe(false)
      if (verdict.ok) continue
      expect(verdict.error.code).toBe('CAPABILITY_WIDENED')
      expect(verdict.error.reason).toBe(reason)
      expect(verdict.error.link).toBe(1)
    }
    expect(
      codeOf(check({ links: [root, signAs(bob, base)] }, requestFor(readOnly).request, T0)),
    ).toBe('CAPABILITY_WRONG_GRANTEE')
  })

  it('a link signed by anyone but the previous grantee is refused', async () => {
    const parent = await chain(1) // alice → bob → carol
    const last = parent.links[1]!
    const link = {
      version: 1,
      parent: capabilityLinkHash(last),
      grantee: mallory.publicKey,
      address: last.address,
      offset: last.offset,
      length: last.length,
      rights: last.rights,
      notBefore: last.notBefore,
      expiry: last.expiry,
      nonce: nonce(8),
    }
    const request: CapabilityRequest = { ...requestFor(parent).request, grantee: mallory.publicKey }
    const now = last.notBefore
    // Mallory signs as herself: not the parent's grantee.
    const asMallory = {
      links: [...parent.links, signAs(mallory, { ...link, issuer: mallory.publicKey })],
    }
    const v1 = check(asMallory, request, now)
    expect(v1.ok || [v1.error.code, v1.error.reason]).toEqual(['CAPABILITY_WIDENED', 'issuer'])
    // Mallory signs claiming to be carol: the signature does not verify.
    const claimingCarol = {
      links: [...parent.links, signAs(mallory, { ...link, issuer: carol.publicKey })],
    }
    const v2 = check(claimingCarol, request, now)
    expect(v2.ok || [v2.error.code, v2.error.link]).toEqual(['CAPABILITY_BAD_SIGNATURE', 2])
    // Bob (an earlier holder, not the last grantee) cannot extend carol's token either.
    await expect(
      attenuateCapability(parent, { grantee: mallory.publicKey, nonce: nonce(8) }, bob),
    ).rejects.toMatchObject({ code: 'CAPABILITY_WIDENED', reason: 'issuer' })
    // Carol can.
    const ok = await attenuateCapability(
      parent,
      { grantee: mallory.publicKey, nonce: nonce(8) },
      carol,
    )
    expect(codeOf(check(ok, request, now))).toBe('ok')
  })

  it('a link moved onto another parent is refused', async () => {
    const a = await chain(1)
    const other = await issueCapability({ ...baseGrant, nonce: nonce(99) }, alice)
    const moved = { links: [other.links[0]!, a.links[1]!] }
    const verdict = check(moved, requestFor(a).request, a.links[1]!.notBefore)
    expect(verdict.ok || [verdict.error.code, verdict.error.reason]).toEqual([
      'CAPABILITY_WIDENED',
      'parent',
    ])
  })

  it('chains are bounded: no fifth link is built or decoded', async () => {
    const full = await chain(MAX_CAPABILITY_CHAIN - 1)
    expect(full.links.length).toBe(MAX_CAPABILITY_CHAIN)
    await expect(
      attenuateCapability(full, { grantee: mallory.publicKey, nonce: nonce(5) }, erin),
    ).rejects.toBeInstanceOf(AssetArgumentError)
    const raw = dagCbor.decode(encodeCapability(full)) as unknown[]
    expect(() => decodeCapability(dagCbor.encode([...raw, raw[3]]))).toThrow(
      expect.objectContaining({ name: 'CapabilityDecodeError', field: 'bytes' }),
    )
  })
})
