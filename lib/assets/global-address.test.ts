import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ASSET_TYPES,
  AssetArgumentError,
  formatAssetId,
  formatAssetUuid,
  newAssetId,
} from './asset-id'
import {
  GLOBAL_ADDRESS_BYTES,
  type GlobalAddress,
  InvalidGlobalAddressError,
  InvalidHypermeshUriError,
  InvalidPeerIdError,
  PUBLIC_MESH_PREFIX,
  decodeGlobalAddress,
  encodeGlobalAddress,
  formatGlobalAddress,
  formatHypermeshUri,
  globalAddressEquals,
  globalAddressOf,
  networkPrefixOf,
  nodeIdOf,
  parseAssetQuery,
  parseGlobalAddress,
  parseHypermeshUri,
  parsePeerId,
  peerIdOfPublicKey,
} from './global-address'

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

/** An Ed25519 public key from a 32-byte seed (a real curve point, as peer IDs carry). */
const publicKey = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((seed) => ed25519.getPublicKey(seed))
const peerId = publicKey.map((k) => peerIdOfPublicKey(k))
const uuid = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((r) => newAssetId('memory', r).uuid)
const port = fc.integer({ min: 0, max: 0xffff })
const bytes8 = fc.uint8Array({ minLength: 8, maxLength: 8 })
const address: fc.Arbitrary<GlobalAddress> = fc.record({
  prefix: bytes8,
  nodeId: bytes8,
  uuid,
  port,
})

const alicePeer = peerIdOfPublicKey(ed25519.getPublicKey(sha256(new TextEncoder().encode('alice'))))

/** Runs `f`; if it throws, the error must be an instance of `cls` with code `code`. */
function onlyTyped(cls: new (...args: never[]) => Error, code: string, f: () => unknown): void {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(cls)
    expect((e as Error & { code: string }).code).toBe(code)
  }
}

describe('peer IDs', () => {
  it('agree with @libp2p/peer-id on text and multihash bytes', () => {
    fc.assert(
      fc.property(publicKey, (k) => {
        const theirs = peerIdFromPublicKey(publicKeyFromRaw(k))
        const ours = peerIdOfPublicKey(k)
        expect(ours).toBe(theirs.toString())
        const parsed = parsePeerId(ours)
        expect(parsed.peerId).toBe(ours)
        expect(parsed.publicKey).toEqual(k)
        expect(parsed.multihash).toEqual(theirs.toMultihash().bytes)
      }),
      { numRuns: 50 },
    )
  })

  it('refuse other key types and other spellings of the same key', () => {
    const k = ed25519.getPublicKey(new Uint8Array(32).fill(7))
    const id = peerIdOfPublicKey(k)
    const cid = peerIdFromString(id).toCID().toString()
    const cases: [string, string][] = [
      ['QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', 'key-type'], // RSA (sha256 multihash)
      ['16Uiu2HAm4ZXhRSyyXCrjUWBtDpPSrM2DWDH7rFmPaSSQwZ4PdQ2M', 'key-type'], // secp256k1
      [cid, 'syntax'], // CID spelling (bafz…)
      [`1${id}`, 'key-type'], // a leading zero byte
      [`z${id}`, 'key-type'], // multibase prefix
      [` ${id}`, 'syntax'],
      [id.slice(0, -1), 'key-type'],
      [`${id}0`, 'syntax'],
      ['', 'syntax'],
      ['x'.repeat(10_000), 'syntax'],
    ]
    for (const [text, reason] of cases) {
      expect(() => parsePeerId(text), text).toThrow(
        expect.objectContaining({
          name: 'InvalidPeerIdError',
          code: 'ERR_INVALID_PEER_ID',
          reason,
        }),
      )
    }
  })

  it('parse arbitrary strings to a canonical peer ID or a typed error', () => {
    const base58 = fc.string({
      unit: fc.constantFrom(...'123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl'),
      maxLength: 60,
    })
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), base58), (text) => {
        onlyTyped(InvalidPeerIdError, 'ERR_INVALID_PEER_ID', () =>
          expect(peerIdOfPublicKey(parsePeerId(text).publicKey)).toBe(text),
        )
      }),
      { numRuns: 500 },
    )
  })

  it('give node IDs as the first 8 bytes of SHA-256 of the multihash (the DHT key)', () => {
    fc.assert(
      fc.property(publicKey, (k) => {
        const id = peerIdFromPublicKey(publicKeyFromRaw(k))
        const nodeId = nodeIdOf(id.toString())
        expect(nodeId.length).toBe(8)
        expect(nodeId).toEqual(sha256(id.toMultihash().bytes).subarray(0, 8))
      }),
      { numRuns: 30 },
    )
  })
})

describe('network prefixes', () => {
  it('the public mesh is ASCII "hypermsh"', () => {
    expect(new TextDecoder().decode(PUBLIC_MESH_PREFIX)).toBe('hypermsh')
    expect(hex(PUBLIC_MESH_PREFIX)).toBe('68797065726d7368')
  })

  it('other meshes get 8 bytes of a domain-separated hash of their name', () => {
    const dev = networkPrefixOf('hypermesh-dev')
    expect(dev.length).toBe(8)
    expect(dev).toEqual(networkPrefixOf('hypermesh-dev'))
    expect(dev).not.toEqual(networkPrefixOf('hypermesh-test'))
    expect(dev).not.toEqual(PUBLIC_MESH_PREFIX)
    expect(dev).toEqual(
      sha256(new TextEncoder().encode('hypermesh/network-prefix/v1\0hypermesh-dev')).subarray(0, 8),
    )
    expect(() => networkPrefixOf('')).toThrow(AssetArgumentError)
  })
})

describe('GlobalAddress binary form', () => {
  it('lays out prefix ‖ node_id ‖ uuid ‖ port (big-endian) in 34 bytes', () => {
    const asset = newAssetId('storage', new Uint8Array(16).fill(0xab))
    const a = globalAddressOf(alicePeer, asset, 0x1234)
    const bytes = encodeGlobalAddress(a)
    expect(bytes.length).toBe(GLOBAL_ADDRESS_BYTES)
    expect(bytes.subarray(0, 8)).toEqual(PUBLIC_MESH_PREFIX)
    expect(bytes.subarray(8, 16)).toEqual(nodeIdOf(alicePeer))
    expect(bytes.subarray(16, 32)).toEqual(asset.uuid)
    expect([bytes[32], bytes[33]]).toEqual([0x12, 0x34])
  })

  it('round-trips', () => {
    fc.assert(
      fc.property(address, (a) => {
        const back = decodeGlobalAddress(encodeGlobalAddress(a))
        expect(globalAddressEquals(back, a)).toBe(true)
        expect(back).toEqual(a)
      }),
    )
  })

  it('decodes arbitrary bytes to an address that re-encodes to them, or a typed error', () => {
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ minLength: 34, maxLength: 34 }),
    )
    fc.assert(
      fc.property(anyBytes, (b) => {
        onlyTyped(InvalidGlobalAddressError, 'ERR_INVALID_GLOBAL_ADDRESS', () =>
          expect(encodeGlobalAddress(decodeGlobalAddress(b))).toEqual(b),
        )
      }),
      { numRuns: 1000 },
    )
    expect(() => decodeGlobalAddress(new Uint8Array(34))).toThrow(
      expect.objectContaining({ reason: 'uuid' }),
    )
    expect(() => decodeGlobalAddress(new Uint8Array(33))).toThrow(
      expect.objectContaining({ reason: 'length' }),
    )
  })

  it('refuses malformed addresses given to the encoder', () => {
    fc.assert(
      fc.property(address, fc.constantFrom('prefix', 'nodeId', 'uuid', 'port'), (a, field) => {
        const broken = {
          ...a,
          [field]: field === 'port' ? 65_536 : new Uint8Array(field === 'uuid' ? 16 : 7),
        }
        expect(() => encodeGlobalAddress(broken)).toThrow(AssetArgumentError)
      }),
    )
  })
})

describe('GlobalAddress text form', () => {
  it('is 17 fixed-width lower-case groups and round-trips', () => {
    fc.assert(
      fc.property(address, (a) => {
        const text = formatGlobalAddress(a)
        expect(text).toMatch(/^[0-9a-f]{4}(:[0-9a-f]{4}){16}$/)
        expect(text.replaceAll(':', '')).toBe(hex(encodeGlobalAddress(a)))
        expect(parseGlobalAddress(text)).toEqual(a)
      }),
    )
  })

  it('starts with the public prefix on the public mesh and ends with the port', () => {
    const a = globalAddressOf(alicePeer, newAssetId('cpu', new Uint8Array(16)), 1)
    const text = formatGlobalAddress(a)
    expect(text.startsWith('6879:7065:726d:7368:')).toBe(true)
    expect(text.endsWith(':0001')).toBe(true)
  })

  it('accepts only the canonical text', () => {
    const a = globalAddressOf(alicePeer, newAssetId('cpu', new Uint8Array(16)), 0)
    const text = formatGlobalAddress(a)
    const refused = [
      text.toUpperCase(),
      text.replace(':0000', '::'), // compression
      text.replace(':0000', ':0'), // short group
      ` ${text}`,
      `${text}:`,
      `${text}%eth0`,
      text.slice(5),
      text.replaceAll(':', '-'),
    ]
    for (const t of refused) {
      expect(() => parseGlobalAddress(t), t).toThrow(
        expect.objectContaining({ name: 'InvalidGlobalAddressError', reason: 'syntax' }),
      )
    }
  })

  it('has one text per address: whatever parses is what format writes', () => {
    const near = fc.tuple(address, fc.nat(83), fc.constantFrom(...'0aAf:g 9')).map(([a, i, c]) => {
      const t = formatGlobalAddress(a)
      return t.slice(0, i) + c + t.slice(i + 1)
    })
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 90 }), near), (text) => {
        onlyTyped(InvalidGlobalAddressError, 'ERR_INVALID_GLOBAL_ADDRESS', () =>
          expect(formatGlobalAddress(parseGlobalAddress(text))).toBe(text),
        )
      }),
      { numRuns: 1000 },
    )
  })
})

describe('globalAddressOf', () => {
  it('derives the node ID from the peer ID and keeps only the UUID of the asset', () => {
    fc.assert(
      fc.property(
        peerId,
        fc.constantFrom(...ASSET_TYPES),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        port,
        (p, t, r, sp) => {
          const asset = newAssetId(t, r)
          const a = globalAddressOf(p, asset, sp)
          expect(a.nodeId).toEqual(nodeIdOf(p))
          expect(a.uuid).toEqual(asset.uuid)
          expect(a.port).toBe(sp)
          expect(a.prefix).toEqual(PUBLIC_MESH_PREFIX)
          expect(globalAddressOf(p, asset.uuid, sp)).toEqual(a)
        },
      ),
      { numRuns: 30 },
    )
  })

  it('uses the prefix it is given and copies it', () => {
    const prefix = networkPrefixOf('hypermesh-dev')
    const a = globalAddressOf(alicePeer, newAssetId('gpu', new Uint8Array(16)), 7, prefix)
    prefix.fill(0)
    expect(a.prefix).toEqual(networkPrefixOf('hypermesh-dev'))
  })

  it('refuses bad arguments', () => {
    const asset = newAssetId('gpu', new Uint8Array(16))
    expect(() => globalAddressOf('nope', asset, 1)).toThrow(InvalidPeerIdError)
    expect(() => globalAddressOf(alicePeer, asset, 65_536)).toThrow(AssetArgumentError)
    expect(() => globalAddressOf(alicePeer, asset, -1)).toThrow(AssetArgumentError)
    expect(() => globalAddressOf(alicePeer, asset, 1.5)).toThrow(AssetArgumentError)
    expect(() => globalAddressOf(alicePeer, new Uint8Array(16), 1)).toThrow(AssetArgumentError)
    expect(() => globalAddressOf(alicePeer, asset, 1, new Uint8Array(9))).toThrow(
      AssetArgumentError,
    )
  })
})

describe('hypermesh URIs', () => {
  it('round-trip and give the same address as globalAddressOf', () => {
    fc.assert(
      fc.property(peerId, uuid, port, (p, u, sp) => {
        const text = formatHypermeshUri({ peerId: p, assetUuid: u, port: sp })
        expect(text).toBe(`hypermesh://${p}/${formatAssetUuid(u)}:${sp}`)
        const uri = parseHypermeshUri(text)
        expect(uri.peerId).toBe(p)
        expect(uri.assetUuid).toEqual(u)
        expect(uri.port).toBe(sp)
        expect(globalAddressEquals(uri.address, globalAddressOf(p, u, sp))).toBe(true)
        expect(formatHypermeshUri(uri)).toBe(text)
      }),
      { numRuns: 50 },
    )
  })

  it('put the prefix of the mesh the reader is on into the address', () => {
    const prefix = networkPrefixOf('hypermesh-dev')
    const u = newAssetId('memory', new Uint8Array(16)).uuid
    const text = formatHypermeshUri({ peerId: alicePeer, assetUuid: u, port: 3 })
    expect(parseHypermeshUri(text, prefix).address.prefix).toEqual(prefix)
  })

  it('refuse non-canonical URIs, naming the part at fault', () => {
    const u = '0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f'
    const ok = `hypermesh://${alicePeer}/${u}:80`
    expect(parseHypermeshUri(ok).port).toBe(80)
    const cases: [string, string][] = [
      [`HYPERMESH://${alicePeer}/${u}:80`, 'syntax'],
      [`hypermesh:${alicePeer}/${u}:80`, 'syntax'],
      [`hypermesh://${alicePeer}/${u}`, 'syntax'],
      [`hypermesh://${alicePeer}/${u}:80/`, 'port'],
      [`hypermesh://${alicePeer}/memory:${u}:80`, 'syntax'],
      [`hypermesh://${alicePeer}/${u.toUpperCase()}:80`, 'uuid'],
      [`hypermesh://${alicePeer}/${u}:080`, 'port'],
      [`hypermesh://${alicePeer}/${u}:65536`, 'port'],
      [`hypermesh://${alicePeer}/${u}:-1`, 'port'],
      [`hypermesh://${alicePeer}/${u}:+1`, 'port'],
      [`hypermesh://QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N/${u}:80`, 'peer-id'],
      [`hypermesh://${alicePeer.toLowerCase()}/${u}:80`, 'peer-id'],
    ]
    for (const [text, reason] of cases) {
      expect(() => parseHypermeshUri(text), text).toThrow(
        expect.objectContaining({ name: 'InvalidHypermeshUriError', reason }),
      )
    }
  })

  it('parse arbitrary strings to a canonical URI or a typed error', () => {
    const u = '0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f'
    const ok = `hypermesh://${alicePeer}/${u}:80`
    const near = fc.tuple(fc.nat(ok.length - 1), fc.string({ maxLength: 2 })).map(([i, c]) => {
      return ok.slice(0, i) + c + ok.slice(i + 1)
    })
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 130 }), near), (text) => {
        onlyTyped(InvalidHypermeshUriError, 'ERR_INVALID_HYPERMESH_URI', () =>
          expect(formatHypermeshUri(parseHypermeshUri(text))).toBe(text),
        )
      }),
      { numRuns: 1000 },
    )
  })
})

describe('parseAssetQuery', () => {
  const asset = newAssetId('storage', new Uint8Array(16).fill(0x5a))
  const addr = globalAddressOf(alicePeer, asset, 9)
  const uri = formatHypermeshUri({ peerId: alicePeer, assetUuid: asset.uuid, port: 9 })

  it('recognises each form, ignoring surrounding white space', () => {
    expect(parseAssetQuery(formatAssetId(asset))).toMatchObject({
      kind: 'asset-id',
      assetId: asset,
    })
    expect(parseAssetQuery(formatAssetUuid(asset.uuid))).toMatchObject({
      kind: 'asset-uuid',
      uuid: asset.uuid,
    })
    expect(parseAssetQuery(`  ${formatGlobalAddress(addr)}\n`)).toMatchObject({
      kind: 'global-address',
      address: addr,
    })
    const q = parseAssetQuery(uri)
    expect(q?.kind).toBe('uri')
    if (q?.kind === 'uri') expect(globalAddressEquals(q.uri.address, addr)).toBe(true)
    expect(parseAssetQuery(`\t${alicePeer} `)).toEqual({
      kind: 'peer-id',
      peerId: alicePeer,
      nodeId: nodeIdOf(alicePeer),
    })
  })

  it('returns null for anything else, including non-canonical spellings', () => {
    for (const text of [
      '',
      '   ',
      'hello',
      'block 12',
      formatAssetId(asset).toUpperCase(),
      formatGlobalAddress(addr).toUpperCase(),
      `${uri}/`,
      'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N',
      'x'.repeat(100_000),
    ]) {
      expect(parseAssetQuery(text), text.slice(0, 40)).toBeNull()
    }
  })

  it('never throws on any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const q = parseAssetQuery(text)
        expect(q === null || typeof q.kind === 'string').toBe(true)
      }),
      { numRuns: 1000 },
    )
  })
})
