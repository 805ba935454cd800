import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { verifyByRule } from '../crypto/ed25519-rule'
import { seededRandom, type SignatureVerifier } from '../ports'
import { newAssetId } from './asset-id'
import { capabilityAuthorizer } from './authorize'
import { RIGHT_READ, RIGHT_WRITE, encodeCapability, issueCapability } from './capability'
import { encodeGlobalAddress, globalAddressOf, peerIdOfPublicKey } from './global-address'
import { createRemoteMemoryServer, decodeResponse, encodeRead, encodeWrite } from './remote-memory'

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
const alice = key(1) // owner of the memory asset
const bob = key(2) // grantee
const carol = key(3) // nobody's grantee
const NOW = 1_800_000_000_000
const SIZE = 64

describe('capability-backed remote memory (alice serves, bob holds a capability)', () => {
  const random = seededRandom(9)
  const uuid = Uint8Array.from({ length: 16 }, () => Math.floor(random.next() * 256))
  const asset = newAssetId('memory', uuid)
  const address = globalAddressOf(alice.peerId, asset, 1)
  const addressBytes = encodeGlobalAddress(address)
  const memory = new Uint8Array(SIZE)
  const server = createRemoteMemoryServer({
    assets: (a) =>
      a.length === addressBytes.length && a.every((b, i) => b === addressBytes[i])
        ? {
            size: SIZE,
            read: (o, l) => memory.subarray(o, o + l),
            write: (o, bytes) => memory.set(bytes, o),
          }
        : null,
    authorize: capabilityAuthorizer({ owner: alice.publicKey, verifier }),
    clock: { now: () => NOW },
  })
  const grant = (
    over: Partial<{ offset: number; length: number; rights: number; expiry: number }> = {},
  ) =>
    issueCapability(
      {
        grantee: bob.publicKey,
        address,
        offset: over.offset ?? 0,
        length: over.length ?? 32,
        rights: over.rights ?? RIGHT_READ | RIGHT_WRITE,
        notBefore: NOW - 1_000,
        expiry: over.expiry ?? NOW + 60_000,
        nonce: new Uint8Array(16).fill(7),
      },
      alice,
    )
  const call = (frame: Uint8Array, peer = bob.peerId) =>
    decodeResponse(server.handle(frame, peer) as Uint8Array)

  it('writes and reads back within the granted range', async () => {
    const token = encodeCapability(await grant())
    const bytes = Uint8Array.from([1, 2, 3, 4, 5])
    expect(
      call(encodeWrite({ requestId: 1, address: addressBytes, offset: 4, payload: bytes, token })),
    ).toMatchObject({ ok: true })
    const read = call(
      encodeRead({ requestId: 2, address: addressBytes, offset: 4, length: 5, token }),
    )
    expect(read.ok && [...read.payload]).toEqual([1, 2, 3, 4, 5])
  })

  it('refuses without a capability, with an expired one, outside its range, or for another peer — and changes nothing', async () => {
    const before = memory.slice()
    const payload = new Uint8Array(8).fill(0xee)
    const cases: [Uint8Array, string, string][] = [
      [new Uint8Array(0), 'NO_CAPABILITY', bob.peerId],
      [encodeCapability(await grant({ expiry: NOW - 1 })), 'CAPABILITY_EXPIRED', bob.peerId],
      [
        encodeCapability(await grant({ offset: 40, length: 8 })),
        'CAPABILITY_OUT_OF_RANGE',
        bob.peerId,
      ],
      [encodeCapability(await grant({ rights: RIGHT_READ })), 'CAPABILITY_NO_RIGHT', bob.peerId],
      [encodeCapability(await grant()), 'CAPABILITY_WRONG_GRANTEE', carol.peerId],
      [Uint8Array.from([1, 2, 3]), 'CAPABILITY_MALFORMED', bob.peerId],
    ]
    for (const [token, code, peer] of cases) {
      const r = call(
        encodeWrite({ requestId: 3, address: addressBytes, offset: 0, payload, token }),
        peer,
      )
      expect(r).toMatchObject({ ok: false, code })
    }
    expect([...memory]).toEqual([...before])
  })

  it('judges each request in full, also with a token it has seen before', async () => {
    const token = encodeCapability(await grant({ length: 16, rights: RIGHT_READ }))
    const read = (offset: number, tok: Uint8Array, peer = bob.peerId, requestId = 1) =>
      call(encodeRead({ requestId, address: addressBytes, offset, length: 8, token: tok }), peer)
    // The same token, many times: allowed within its range, refused outside it, for another
    // peer and for a right it does not grant, whatever was decided before.
    for (let i = 0; i < 3; i++) {
      expect(read(0, token)).toMatchObject({ ok: true })
      expect(read(8, token)).toMatchObject({ ok: true })
      expect(read(12, token)).toMatchObject({ ok: false, code: 'CAPABILITY_OUT_OF_RANGE' })
      expect(read(0, token, carol.peerId)).toMatchObject({
        ok: false,
        code: 'CAPABILITY_WRONG_GRANTEE',
      })
      expect(
        call(
          encodeWrite({
            requestId: 2,
            address: addressBytes,
            offset: 0,
            payload: new Uint8Array(4),
            token,
          }),
        ),
      ).toMatchObject({ ok: false, code: 'CAPABILITY_NO_RIGHT' })
    }
    // A token differing in one byte from one seen before is a token of its own: its signature
    // no longer matches.
    const forged = Uint8Array.from(token)
    forged[forged.length - 1]! ^= 1
    expect(read(0, forged)).toMatchObject({ ok: false, code: 'CAPABILITY_BAD_SIGNATURE' })
    expect(read(0, token)).toMatchObject({ ok: true })
    // Changing the caller's buffer after a request does not change what was remembered.
    const reused = Uint8Array.from(token)
    expect(read(0, reused)).toMatchObject({ ok: true })
    reused.fill(0)
    expect(read(0, reused)).toMatchObject({ ok: false, code: 'CAPABILITY_MALFORMED' })
    expect(read(0, token)).toMatchObject({ ok: true })
    // More tokens than it keeps: every one is still judged correctly when it comes back.
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) => grant({ offset: i, length: 8 }).then(encodeCapability)),
    )
    for (let round = 0; round < 2; round++) {
      many.forEach((tok, i) => {
        expect(read(i, tok)).toMatchObject({ ok: true })
        expect(read(i + 1, tok)).toMatchObject({ ok: false, code: 'CAPABILITY_OUT_OF_RANGE' })
      })
    }
  })
})
