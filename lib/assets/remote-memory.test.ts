import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { seededRandom, type Clock } from '../ports'
import {
  CHUNK_BYTES,
  MAX_CHALLENGE_BYTES,
  MAX_CHALLENGE_CHUNKS,
  MAX_RESPONSE_BYTES,
  MAX_RETRIEVABLE_BYTES,
  createChallenge,
  createRetrievabilityProver,
  decodeRetrievabilityResponse,
  retrievabilityChunkCount,
  verifyRetrievability,
  type RetrievabilityChallenge,
} from './retrievability'
import {
  ADDRESS_BYTES,
  FRAME_PREFIX_BYTES,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_REQUEST_FRAME_BYTES,
  MAX_RESPONSE_FRAME_BYTES,
  MAX_TOKEN_BYTES,
  REQUEST_HEADER_BYTES,
  RemoteMemoryError,
  RemoteMemoryFrameError,
  createRemoteMemoryServer,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  describeRemoteMemoryError,
  encodeProve,
  encodeRead,
  encodeResponse,
  encodeWrite,
  readFrameLength,
  screenRequestHead,
  type AuthorizeRequest,
  type AuthorizeVerdict,
  type RemoteMemoryAsset,
  type RemoteMemoryRight,
} from './remote-memory'

/** A fixed epoch: nothing here reads the wall clock. */
const T0 = 1_750_000_000_000
const clock: Clock = { now: () => T0 }
const ALICE = '12D3KooWAlice'
const SIZE = 4096

const known = new Uint8Array(ADDRESS_BYTES).fill(0xaa)
const unknown = new Uint8Array(ADDRESS_BYTES).fill(0xbb)

/** A stub capability: the token is the JSON of what it allows. The real check is wired later. */
interface StubCapability {
  peer?: string
  rights: RemoteMemoryRight[]
  offset: number
  length: number
  expires: number
}

function token(c: Partial<StubCapability> = {}): Uint8Array {
  const full: StubCapability = {
    rights: ['read', 'write'],
    offset: 0,
    length: SIZE,
    expires: T0 + 60_000,
    ...c,
  }
  return new TextEncoder().encode(JSON.stringify(full))
}

function stubAuthorize(bytes: Uint8Array, req: AuthorizeRequest, now: number): AuthorizeVerdict {
  let c: StubCapability
  try {
    c = JSON.parse(new TextDecoder().decode(bytes)) as StubCapability
  } catch {
    return { ok: false, code: 'CAPABILITY_INVALID', message: 'not a stub token' }
  }
  if (c.peer !== undefined && c.peer !== req.peer) {
    return { ok: false, code: 'CAPABILITY_WRONG_PEER', message: 'issued to another peer' }
  }
  if (now >= c.expires) return { ok: false, code: 'CAPABILITY_EXPIRED', message: 'expired' }
  if (!c.rights.includes(req.right)) {
    return { ok: false, code: 'CAPABILITY_NO_RIGHT', message: `no ${req.right} right` }
  }
  if (req.offset < c.offset || req.offset + req.length > c.offset + c.length) {
    return { ok: false, code: 'CAPABILITY_OUT_OF_RANGE', message: 'outside the granted range' }
  }
  return { ok: true }
}

interface TestAsset extends RemoteMemoryAsset {
  bytes: Uint8Array
}

function memoryAsset(size: number, fill = 0): TestAsset {
  const bytes = new Uint8Array(size).fill(fill)
  return {
    bytes,
    size,
    read: (offset, length) => bytes.subarray(offset, offset + length),
    write: (offset, data) => bytes.set(data, offset),
  }
}

function setup(asset: RemoteMemoryAsset = memoryAsset(SIZE)) {
  const server = createRemoteMemoryServer({
    assets: (address) => (address.every((b, i) => b === known[i]) ? asset : null),
    authorize: stubAuthorize,
    clock,
  })
  return { server, asset }
}

/** The answer of a request that must be answered at once (reads, refusals, synchronous writes). */
function immediate(answer: Uint8Array | Promise<Uint8Array>): Uint8Array {
  if (!(answer instanceof Uint8Array)) throw new Error('expected an immediate answer')
  return answer
}

function decode(answer: Uint8Array | Promise<Uint8Array>) {
  return decodeResponse(immediate(answer))
}

function expectRefused(
  response: Uint8Array | Promise<Uint8Array>,
  code: string,
  requestId?: number,
): void {
  const decoded = decode(response)
  expect(decoded.ok).toBe(false)
  if (!decoded.ok) expect(decoded.code).toBe(code)
  if (requestId !== undefined) expect(decoded.requestId).toBe(requestId)
}

function mutate(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice()
  if (out.length > 0) out[at % out.length] = value
  return out
}

function expectOnlyFrameErrors(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(RemoteMemoryFrameError)
    expect((err as RemoteMemoryFrameError).name).toBe('RemoteMemoryFrameError')
  }
}

const arbAddress = fc.uint8Array({ minLength: ADDRESS_BYTES, maxLength: ADDRESS_BYTES })
const arbToken = fc.uint8Array({ maxLength: 64 })
const arbId = fc.integer({ min: 0, max: 0xffff_ffff })
const arbOffset = fc.oneof(fc.nat(), fc.integer({ min: 0, max: 2 ** 53 - 1 - MAX_PAYLOAD_BYTES }))
const arbCode = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,63}$/)

const sampleRead = encodeRead({
  requestId: 7,
  address: known,
  offset: 16,
  length: 32,
  token: token(),
})
const sampleWrite = encodeWrite({
  requestId: 8,
  address: known,
  offset: 16,
  payload: new Uint8Array([1, 2, 3, 4]),
  token: token(),
})
const sampleProve = encodeProve({
  requestId: 11,
  address: known,
  offset: 64,
  length: 3 * CHUNK_BYTES,
  challenge: { indices: [0, 2] },
  token: token({ length: 2 ** 20 }),
})
const sampleOk = encodeResponse({ requestId: 9, ok: true, payload: new Uint8Array([5, 6, 7]) })
const sampleError = encodeResponse({
  requestId: 10,
  ok: false,
  code: 'CAPABILITY_EXPIRED',
  message: 'expirée',
})

describe('remote memory frames', () => {
  it('round trips reads and writes', () => {
    fc.assert(
      fc.property(
        arbId,
        arbAddress,
        arbOffset,
        fc.integer({ min: 0, max: MAX_PAYLOAD_BYTES }),
        arbToken,
        (requestId, address, offset, length, tok) => {
          const frame = encodeRead({ requestId, address, offset, length, token: tok })
          expect(frame.length).toBe(FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES + tok.length)
          expect(screenRequestHead(frame.subarray(0, 62))).toBe(frame.length)
          expect(decodeRequest(frame)).toEqual({
            op: 'read',
            requestId,
            address,
            offset,
            length,
            token: tok,
          })
        },
      ),
    )
    fc.assert(
      fc.property(
        arbId,
        arbAddress,
        arbOffset,
        fc.uint8Array({ maxLength: 512 }),
        arbToken,
        (requestId, address, offset, payload, tok) => {
          const frame = encodeWrite({ requestId, address, offset, payload, token: tok })
          expect(decodeRequest(frame)).toEqual({
            op: 'write',
            requestId,
            address,
            offset,
            payload,
            token: tok,
          })
        },
      ),
    )
  })

  it('round trips responses', () => {
    fc.assert(
      fc.property(arbId, fc.uint8Array({ maxLength: 512 }), (requestId, payload) => {
        expect(decodeResponse(encodeResponse({ requestId, ok: true, payload }))).toEqual({
          requestId,
          ok: true,
          payload,
        })
      }),
    )
    fc.assert(
      fc.property(arbId, arbCode, fc.string({ maxLength: 200 }), (requestId, code, message) => {
        const wellFormed = new TextDecoder().decode(new TextEncoder().encode(message))
        expect(
          decodeResponse(encodeResponse({ requestId, ok: false, code, message: wellFormed })),
        ).toEqual({ requestId, ok: false, code, message: wellFormed })
      }),
    )
  })

  it('decodes to copies by default, and to views of the frame with copy: false', () => {
    const address = new Uint8Array(ADDRESS_BYTES).fill(3)
    const token = Uint8Array.from([9, 8, 7])
    const payload = Uint8Array.from([1, 2, 3, 4])
    const frame = encodeWrite({ requestId: 5, address, offset: 0, payload, token })
    const copied = decodeRequest(frame)
    const viewed = decodeRequest(frame, { copy: false })
    expect(viewed).toEqual(copied)
    if (copied.op !== 'write' || viewed.op !== 'write') throw new Error('not a write')
    for (const part of [copied.address, copied.token, copied.payload]) {
      expect(part.buffer).not.toBe(frame.buffer)
    }
    for (const part of [viewed.address, viewed.token, viewed.payload]) {
      expect(part.buffer).toBe(frame.buffer)
    }
    const response = encodeResponse({ requestId: 5, ok: true, payload })
    const a = decodeResponse(response)
    const b = decodeResponse(response, { copy: false })
    expect(b).toEqual(a)
    if (!a.ok || !b.ok) throw new Error('not ok')
    expect(a.payload.buffer).not.toBe(response.buffer)
    expect(b.payload.buffer).toBe(response.buffer)
  })

  it('cuts long error messages on a character boundary', () => {
    const message = 'é'.repeat(MAX_ERROR_MESSAGE_BYTES)
    const decoded = decodeResponse(encodeResponse({ requestId: 1, ok: false, code: 'X', message }))
    expect(decoded.ok).toBe(false)
    if (!decoded.ok) {
      expect(new TextEncoder().encode(decoded.message).length).toBe(MAX_ERROR_MESSAGE_BYTES)
      expect(message.startsWith(decoded.message)).toBe(true)
    }
  })

  it('decoders give only RemoteMemoryFrameError for random bytes and mutated frames', () => {
    const frames = [sampleRead, sampleWrite, sampleProve, sampleOk, sampleError]
    const arbInput = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .tuple(fc.constantFrom(...frames), fc.nat(), fc.integer({ min: 0, max: 255 }))
        .map(([f, i, v]) => mutate(f, i, v)),
      fc
        .tuple(fc.constantFrom(...frames), fc.nat())
        .map(([f, n]) => f.subarray(0, n % (f.length + 1))),
      fc
        .tuple(fc.constantFrom(...frames), fc.uint8Array({ minLength: 1, maxLength: 8 }))
        .map(([f, extra]) => new Uint8Array([...f, ...extra])),
    )
    fc.assert(
      fc.property(arbInput, (bytes) => {
        expectOnlyFrameErrors(() => decodeRequest(bytes))
        expectOnlyFrameErrors(() => decodeResponse(bytes))
        expectOnlyFrameErrors(() => decodeRequestHeader(bytes))
        expectOnlyFrameErrors(() => screenRequestHead(bytes))
      }),
      { numRuns: 2000 },
    )
  })

  it('a decoded response re-encodes to the same bytes (the encoding is canonical)', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.constantFrom(sampleOk, sampleError),
          fc.nat(),
          fc.integer({ min: 0, max: 255 }),
        ),
        ([frame, i, v]) => {
          const bytes = mutate(frame, i, v)
          let decoded
          try {
            decoded = decodeResponse(bytes)
          } catch (err) {
            expect(err).toBeInstanceOf(RemoteMemoryFrameError)
            return
          }
          expect(encodeResponse(decoded)).toEqual(bytes)
        },
      ),
    )
  })

  it('refuses oversized frames from the length prefix alone, before buffering', () => {
    const prefix = new Uint8Array(4)
    new DataView(prefix.buffer).setUint32(0, MAX_REQUEST_FRAME_BYTES - FRAME_PREFIX_BYTES + 1)
    expect(() => screenRequestHead(prefix)).toThrow(
      expect.objectContaining({ name: 'RemoteMemoryFrameError', code: 'FRAME_TOO_LARGE' }),
    )
    new DataView(prefix.buffer).setUint32(0, MAX_RESPONSE_FRAME_BYTES - FRAME_PREFIX_BYTES + 1)
    expect(() => readFrameLength(prefix, MAX_RESPONSE_FRAME_BYTES)).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_LARGE' }),
    )
    expect(readFrameLength(prefix.subarray(0, 3), MAX_RESPONSE_FRAME_BYTES)).toBeNull()
    expect(screenRequestHead(sampleRead.subarray(0, 20))).toBeNull()
  })

  it('refuses a too large payload or token from the header alone', () => {
    // A write that claims 1 MiB + 1 of payload: the 62-byte header is enough to refuse it.
    const head = sampleWrite.slice(0, FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES)
    const v = new DataView(head.buffer)
    v.setUint32(0, REQUEST_HEADER_BYTES + MAX_PAYLOAD_BYTES + 1)
    v.setUint32(18 + ADDRESS_BYTES + 4, MAX_PAYLOAD_BYTES + 1)
    v.setUint16(26 + ADDRESS_BYTES, 0)
    expect(() => screenRequestHead(head)).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', requestId: 8 }),
    )
    const tokenHead = sampleRead.slice(0, FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES)
    const tv = new DataView(tokenHead.buffer)
    tv.setUint32(0, REQUEST_HEADER_BYTES + MAX_TOKEN_BYTES + 1)
    tv.setUint16(26 + ADDRESS_BYTES, MAX_TOKEN_BYTES + 1)
    expect(() => screenRequestHead(tokenHead)).toThrow(
      expect.objectContaining({ code: 'TOKEN_TOO_LARGE' }),
    )
    const rangeHead = sampleRead.slice(0, FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES)
    new DataView(rangeHead.buffer).setUint32(10 + ADDRESS_BYTES, 0x20_0000)
    expect(() => screenRequestHead(rangeHead)).toThrow(
      expect.objectContaining({ code: 'OUT_OF_RANGE' }),
    )
    const versionHead = sampleRead.slice(0, FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES)
    versionHead[4] = 2
    expect(() => screenRequestHead(versionHead)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }),
    )
  })

  it('encoders refuse what the server would refuse, with the same code', () => {
    const base = { requestId: 1, address: known, offset: 0, token: token() }
    expect(() => encodeRead({ ...base, length: MAX_PAYLOAD_BYTES + 1 })).toThrow(
      expect.objectContaining({ name: 'RemoteMemoryFrameError', code: 'PAYLOAD_TOO_LARGE' }),
    )
    expect(() => encodeWrite({ ...base, payload: new Uint8Array(MAX_PAYLOAD_BYTES + 1) })).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }),
    )
    expect(() =>
      encodeRead({ ...base, length: 1, token: new Uint8Array(MAX_TOKEN_BYTES + 1) }),
    ).toThrow(expect.objectContaining({ code: 'TOKEN_TOO_LARGE' }))
    expect(() => encodeRead({ ...base, offset: 2 ** 53 - 1, length: 2 })).toThrow(
      expect.objectContaining({ code: 'OUT_OF_RANGE' }),
    )
    expect(() => encodeRead({ ...base, address: new Uint8Array(33), length: 1 })).toThrow(TypeError)
    expect(() => encodeRead({ ...base, offset: -1, length: 1 })).toThrow(RangeError)
    // The largest request is exactly the frame limit.
    const largest = encodeWrite({
      ...base,
      payload: new Uint8Array(MAX_PAYLOAD_BYTES),
      token: new Uint8Array(MAX_TOKEN_BYTES),
    })
    expect(largest.length).toBe(MAX_REQUEST_FRAME_BYTES)
    expect(decodeRequest(largest).op).toBe('write')
  })
})

describe('prove frames', () => {
  const arbLength = fc.oneof(
    fc.integer({ min: 1, max: 64 * CHUNK_BYTES }),
    fc.integer({ min: 1, max: MAX_RETRIEVABLE_BYTES }),
  )
  const arbChallenge = (length: number) =>
    fc
      .uniqueArray(fc.integer({ min: 0, max: retrievabilityChunkCount(length) - 1 }), {
        minLength: 1,
        maxLength: MAX_CHALLENGE_CHUNKS,
      })
      .map((indices): RetrievabilityChallenge => ({ indices: indices.sort((a, b) => a - b) }))

  it('round trip', () => {
    fc.assert(
      fc.property(
        arbId,
        arbAddress,
        fc.integer({ min: 0, max: 2 ** 53 - 1 - MAX_RETRIEVABLE_BYTES }),
        arbLength.chain((length) => fc.tuple(fc.constant(length), arbChallenge(length))),
        arbToken,
        (requestId, address, offset, [length, challenge], tok) => {
          const frame = encodeProve({ requestId, address, offset, length, challenge, token: tok })
          expect(frame.length).toBe(
            FRAME_PREFIX_BYTES +
              REQUEST_HEADER_BYTES +
              tok.length +
              3 +
              4 * challenge.indices.length,
          )
          expect(screenRequestHead(frame.subarray(0, 62))).toBe(frame.length)
          expect(decodeRequest(frame)).toEqual({
            op: 'prove',
            requestId,
            address,
            offset,
            length,
            challenge,
            token: tok,
          })
        },
      ),
    )
  })

  it('the largest proof fits one response, the largest prove request one request', () => {
    expect(MAX_RESPONSE_BYTES).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES)
    const indices = Array.from({ length: MAX_CHALLENGE_CHUNKS }, (_, i) => i)
    const largest = encodeProve({
      requestId: 1,
      address: known,
      offset: 0,
      length: MAX_RETRIEVABLE_BYTES,
      challenge: { indices },
      token: new Uint8Array(MAX_TOKEN_BYTES),
    })
    expect(largest.length).toBe(
      FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES + MAX_TOKEN_BYTES + MAX_CHALLENGE_BYTES,
    )
    expect(largest.length).toBeLessThanOrEqual(MAX_REQUEST_FRAME_BYTES)
    expect(decodeRequest(largest).op).toBe('prove')
  })

  it('refuses bad challenges and ranges with the code the server answers', () => {
    const base = { requestId: 5, address: known, offset: 0, token: token() }
    const code = (fn: () => unknown) => {
      try {
        fn()
      } catch (err) {
        expect(err).toBeInstanceOf(RemoteMemoryFrameError)
        return (err as RemoteMemoryFrameError).code
      }
      return 'accepted'
    }
    // Encoders.
    expect(
      code(() => encodeProve({ ...base, length: CHUNK_BYTES, challenge: { indices: [1] } })),
    ).toBe('BAD_CHALLENGE')
    expect(code(() => encodeProve({ ...base, length: 10, challenge: { indices: [] } }))).toBe(
      'BAD_CHALLENGE',
    )
    expect(code(() => encodeProve({ ...base, length: 0, challenge: { indices: [0] } }))).toBe(
      'OUT_OF_RANGE',
    )
    expect(
      code(() =>
        encodeProve({ ...base, length: MAX_RETRIEVABLE_BYTES + 1, challenge: { indices: [0] } }),
      ),
    ).toBe('OUT_OF_RANGE')
    // Decoders: a frame claiming chunks past the range, too short or too long a challenge.
    const past = sampleProve.slice()
    new DataView(past.buffer).setUint32(past.length - 4, 3)
    expect(code(() => decodeRequest(past))).toBe('BAD_CHALLENGE')
    const unsorted = sampleProve.slice()
    new DataView(unsorted.buffer).setUint32(unsorted.length - 4, 0)
    expect(code(() => decodeRequest(unsorted))).toBe('BAD_CHALLENGE')
    const head = sampleProve.slice(0, FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES)
    const tokenLength = new DataView(head.buffer).getUint16(26 + ADDRESS_BYTES)
    for (const challengeBytes of [0, 6, MAX_CHALLENGE_BYTES + 1]) {
      new DataView(head.buffer).setUint32(0, REQUEST_HEADER_BYTES + tokenLength + challengeBytes)
      expect(code(() => screenRequestHead(head))).toBe('BAD_CHALLENGE')
    }
    const empty = sampleProve.slice()
    new DataView(empty.buffer).setUint32(18 + ADDRESS_BYTES + 4, 0)
    expect(code(() => decodeRequest(empty))).toBe('OUT_OF_RANGE')
  })
})

describe('remote memory server core', () => {
  it('writes then reads back', () => {
    const { server, asset } = setup()
    const payload = new Uint8Array([9, 8, 7, 6, 5])
    const w = decode(
      server.handle(
        encodeWrite({ requestId: 1, address: known, offset: 100, payload, token: token() }),
        ALICE,
      ),
    )
    expect(w).toEqual({ requestId: 1, ok: true, payload: new Uint8Array(0) })
    const r = decode(
      server.handle(
        encodeRead({ requestId: 2, address: known, offset: 99, length: 7, token: token() }),
        ALICE,
      ),
    )
    expect(r).toEqual({ requestId: 2, ok: true, payload: new Uint8Array([0, 9, 8, 7, 6, 5, 0]) })
    expect(asset.read(100, 5)).toEqual(payload)
  })

  it('refuses with the right code, and a refused write changes nothing', () => {
    const cases: Array<{ code: string; frame: (id: number) => Uint8Array; peer?: string }> = [
      {
        code: 'NO_CAPABILITY',
        frame: (id) =>
          encodeWrite({
            requestId: id,
            address: known,
            offset: 0,
            payload: new Uint8Array([1]),
            token: new Uint8Array(0),
          }),
      },
      {
        code: 'CAPABILITY_EXPIRED',
        frame: (id) =>
          encodeWrite({
            requestId: id,
            address: known,
            offset: 0,
            payload: new Uint8Array([1]),
            token: token({ expires: T0 }),
          }),
      },
      {
        code: 'CAPABILITY_OUT_OF_RANGE',
        frame: (id) =>
          encodeWrite({
            requestId: id,
            address: known,
            offset: 10,
            payload: new Uint8Array([1, 2]),
            token: token({ offset: 0, length: 11 }),
          }),
      },
      {
        code: 'CAPABILITY_NO_RIGHT',
        frame: (id) =>
          encodeWrite({
            requestId: id,
            address: known,
            offset: 0,
            payload: new Uint8Array([1]),
            token: token({ rights: ['read'] }),
          }),
      },
      {
        code: 'CAPABILITY_WRONG_PEER',
        peer: 'mallory',
        frame: (id) =>
          encodeWrite({
            requestId: id,
            address: known,
            offset: 0,
            payload: new Uint8Array([1]),
            token: token({ peer: ALICE }),
          }),
      },
      {
        code: 'NOT_FOUND',
        frame: (id) =>
          encodeWrite({
            requestId: id,
            address: unknown,
            offset: 0,
            payload: new Uint8Array([1]),
            token: token(),
          }),
      },
      {
        // The token allows far more than the asset holds: the asset's size still wins.
        code: 'OUT_OF_RANGE',
        frame: (id) =>
          encodeWrite({
            requestId: id,
            address: known,
            offset: SIZE - 1,
            payload: new Uint8Array([1, 2]),
            token: token({ length: 10 * SIZE }),
          }),
      },
      {
        code: 'MALFORMED_FRAME',
        frame: (id) => {
          const f = encodeWrite({
            requestId: id,
            address: known,
            offset: 0,
            payload: new Uint8Array([1]),
            token: token(),
          })
          return f.subarray(0, f.length - 1)
        },
      },
    ]
    const { server, asset } = setup(memoryAsset(SIZE, 0x5a))
    const before = (asset as TestAsset).bytes.slice()
    cases.forEach(({ code, frame, peer }, i) => {
      expectRefused(server.handle(frame(i + 1), peer ?? ALICE), code, i + 1)
      expect((asset as TestAsset).bytes).toEqual(before)
    })
  })

  it('checks the capability before the address, so unknown addresses stay unknown', () => {
    const { server } = setup()
    const read = (tok: Uint8Array) =>
      server.handle(
        encodeRead({ requestId: 3, address: unknown, offset: 0, length: 1, token: tok }),
        ALICE,
      )
    expectRefused(read(new Uint8Array(0)), 'NO_CAPABILITY', 3)
    expectRefused(read(new TextEncoder().encode('forged')), 'CAPABILITY_INVALID', 3)
    expectRefused(read(token()), 'NOT_FOUND', 3)
  })

  it('gives authorize the peer, the request and the clock', () => {
    const seen: Array<[AuthorizeRequest, number]> = []
    const server = createRemoteMemoryServer({
      assets: () => memoryAsset(SIZE),
      authorize: (_t, req, now) => {
        seen.push([req, now])
        return { ok: true }
      },
      clock,
    })
    server.handle(
      encodeWrite({
        requestId: 1,
        address: known,
        offset: 5,
        payload: new Uint8Array(3),
        token: token(),
      }),
      ALICE,
    )
    expect(seen).toEqual([
      [{ peer: ALICE, address: known, offset: 5, length: 3, right: 'write' }, T0],
    ])
  })

  it('fails closed when a port misbehaves', () => {
    const asset = memoryAsset(SIZE)
    const frame = encodeRead({ requestId: 4, address: known, offset: 0, length: 1, token: token() })
    const throwing = createRemoteMemoryServer({
      assets: () => asset,
      authorize: () => {
        throw new Error('bug')
      },
      clock,
    })
    expectRefused(throwing.handle(frame, ALICE), 'INTERNAL_ERROR', 4)
    const badCode = createRemoteMemoryServer({
      assets: () => asset,
      authorize: () => ({ ok: false, code: 'not a code', message: 'x' }),
      clock,
    })
    expectRefused(badCode.handle(frame, ALICE), 'NOT_AUTHORIZED', 4)
    const garbage = createRemoteMemoryServer({
      assets: () => asset,
      authorize: () => 'yes' as unknown as AuthorizeVerdict,
      clock,
    })
    expectRefused(garbage.handle(frame, ALICE), 'INTERNAL_ERROR', 4)
    const shortRead = createRemoteMemoryServer({
      assets: () => ({ ...asset, read: () => new Uint8Array(0) }),
      authorize: () => ({ ok: true }),
      clock,
    })
    expectRefused(shortRead.handle(frame, ALICE), 'INTERNAL_ERROR', 4)
  })

  it('undoes a write that fails half way (all or nothing)', () => {
    const inner = memoryAsset(SIZE, 0x11)
    let fail = true
    const flaky: RemoteMemoryAsset = {
      size: SIZE,
      read: inner.read,
      write(offset, bytes) {
        if (fail) {
          fail = false
          inner.write(offset, bytes.subarray(0, bytes.length >> 1))
          throw new Error('disk full')
        }
        inner.write(offset, bytes)
      },
    }
    const { server } = setup(flaky)
    const before = inner.bytes.slice()
    const response = server.handle(
      encodeWrite({
        requestId: 5,
        address: known,
        offset: 10,
        payload: new Uint8Array(100).fill(0xee),
        token: token(),
      }),
      ALICE,
    )
    expectRefused(response, 'INTERNAL_ERROR', 5)
    expect(inner.bytes).toEqual(before)
  })

  it('never throws and always answers a decodable frame, whatever arrives', () => {
    const { server, asset } = setup(memoryAsset(SIZE, 0x33))
    const before = (asset as TestAsset).bytes.slice()
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc
            .tuple(
              fc.constantFrom(sampleRead, sampleWrite),
              fc.nat(),
              fc.integer({ min: 0, max: 255 }),
            )
            .map(([f, i, v]) => mutate(f, i, v)),
        ),
        (bytes) => {
          const response = decode(server.handle(bytes, ALICE))
          // A mutated write may still be a valid write; only refusals must leave the bytes alone.
          if (!response.ok) expect((asset as TestAsset).bytes).toEqual(before)
          else (asset as TestAsset).bytes.set(before)
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('matches a model byte array over random request sequences; refusals change nothing', () => {
    const arbRequest = fc.record({
      write: fc.boolean(),
      offset: fc.integer({ min: 0, max: SIZE + 16 }),
      length: fc.integer({ min: 0, max: 64 }),
      fill: fc.integer({ min: 0, max: 255 }),
      cap: fc.record({
        rights: fc.subarray<RemoteMemoryRight>(['read', 'write']),
        offset: fc.integer({ min: 0, max: SIZE }),
        length: fc.integer({ min: 0, max: 2 * SIZE }),
        expires: fc.constantFrom(T0 - 1, T0 + 1),
      }),
      withToken: fc.boolean(),
    })
    fc.assert(
      fc.property(fc.array(arbRequest, { maxLength: 40 }), (requests) => {
        const { server, asset } = setup(memoryAsset(SIZE))
        const bytes = (asset as TestAsset).bytes
        const model = new Uint8Array(SIZE)
        requests.forEach((r, i) => {
          const tok = r.withToken ? token(r.cap) : new Uint8Array(0)
          const allowed =
            r.withToken &&
            r.cap.expires > T0 &&
            r.cap.rights.includes(r.write ? 'write' : 'read') &&
            r.offset >= r.cap.offset &&
            r.offset + r.length <= r.cap.offset + r.cap.length &&
            r.offset + r.length <= SIZE
          const before = bytes.slice()
          const payload = new Uint8Array(r.length).fill(r.fill)
          const frame = r.write
            ? encodeWrite({ requestId: i, address: known, offset: r.offset, payload, token: tok })
            : encodeRead({
                requestId: i,
                address: known,
                offset: r.offset,
                length: r.length,
                token: tok,
              })
          const response = decode(server.handle(frame, ALICE))
          expect(response.ok).toBe(allowed)
          if (!response.ok) {
            expect(bytes).toEqual(before)
            return
          }
          if (r.write) model.set(payload, r.offset)
          else expect(response.payload).toEqual(model.subarray(r.offset, r.offset + r.length))
          expect(bytes).toEqual(model)
        })
      }),
    )
  })
})

/** A storage-like asset: its bytes, answering proofs over any range of them. */
function provingAsset(size: number, seed: number): TestAsset {
  const asset = memoryAsset(size)
  const random = seededRandom(seed)
  for (let i = 0; i < size; i++) asset.bytes[i] = Math.floor(random.next() * 256)
  return {
    ...asset,
    async prove(offset, length, challenge) {
      const prover = await createRetrievabilityProver({
        size: length,
        read: (o, l) => asset.bytes.subarray(offset + o, offset + o + l),
      })
      return prover.respond(challenge)
    },
  }
}

describe('remote memory server core: proofs and durable writes', () => {
  const STORAGE = 10 * CHUNK_BYTES + 77
  const wide = token({ length: 2 ** 20 })

  it('proves a range against the commitment to its content', async () => {
    const asset = provingAsset(STORAGE, 1)
    const { server } = setup(asset)
    const offset = 1000
    const length = 6 * CHUNK_BYTES + 5
    const content = asset.bytes.slice(offset, offset + length)
    const { root } = await createRetrievabilityProver({
      size: length,
      read: (o, l) => content.subarray(o, o + l),
    })
    const random = seededRandom(2)
    for (const k of [1, 3, MAX_CHALLENGE_CHUNKS]) {
      const challenge = createChallenge(length, k, random)
      const answer = server.handle(
        encodeProve({ requestId: k, address: known, offset, length, challenge, token: wide }),
        ALICE,
      )
      const response = decodeResponse(await answer)
      expect(response).toMatchObject({ requestId: k, ok: true })
      if (!response.ok) return
      const proof = decodeRetrievabilityResponse(response.payload)
      expect(verifyRetrievability(root, length, challenge, proof)).toEqual({ ok: true })
    }
    // The owner changed a byte of chunk 0: a challenge of every chunk fails.
    asset.bytes[offset] = asset.bytes[offset]! ^ 1
    const challenge = createChallenge(length, MAX_CHALLENGE_CHUNKS, random)
    const response = decodeResponse(
      await server.handle(
        encodeProve({ requestId: 9, address: known, offset, length, challenge, token: wide }),
        ALICE,
      ),
    )
    expect(response.ok).toBe(true)
    if (response.ok) {
      const proof = decodeRetrievabilityResponse(response.payload)
      expect(verifyRetrievability(root, length, challenge, proof)).toMatchObject({
        ok: false,
        code: 'BAD_PROOF',
      })
    }
  })

  it('asks authorize for the read right on the proved range', async () => {
    const seen: AuthorizeRequest[] = []
    const server = createRemoteMemoryServer({
      assets: () => provingAsset(STORAGE, 3),
      authorize: (_t, req) => {
        seen.push(req)
        return { ok: true }
      },
      clock,
    })
    await server.handle(sampleProve, ALICE)
    expect(seen).toEqual([
      { peer: ALICE, address: known, offset: 64, length: 3 * CHUNK_BYTES, right: 'read' },
    ])
  })

  it('refuses proofs with the right code, at once, and calls no prover', async () => {
    let proofs = 0
    const inner = provingAsset(STORAGE, 4)
    const counted: RemoteMemoryAsset = {
      ...inner,
      prove: (...args) => {
        proofs++
        return inner.prove!(...args)
      },
    }
    const prove = (over: {
      address?: Uint8Array
      offset?: number
      length?: number
      tok?: Uint8Array
    }) =>
      encodeProve({
        requestId: 6,
        address: over.address ?? known,
        offset: over.offset ?? 0,
        length: over.length ?? CHUNK_BYTES,
        challenge: { indices: [0] },
        token: over.tok ?? token(),
      })
    const { server } = setup(counted)
    const cases: Array<[string, Uint8Array]> = [
      ['NO_CAPABILITY', prove({ tok: new Uint8Array(0) })],
      ['CAPABILITY_NO_RIGHT', prove({ tok: token({ rights: ['write'] }) })],
      ['CAPABILITY_OUT_OF_RANGE', prove({ offset: 10, tok: token({ offset: 0, length: 100 }) })],
      ['CAPABILITY_EXPIRED', prove({ tok: token({ expires: T0 }) })],
      ['NOT_FOUND', prove({ address: unknown })],
      // The token covers more than the asset holds: the asset's size still wins.
      ['OUT_OF_RANGE', prove({ offset: STORAGE - 10, tok: token({ length: 10 * STORAGE }) })],
    ]
    for (const [code, frame] of cases) expectRefused(server.handle(frame, ALICE), code, 6)
    // A memory asset keeps no bytes for later: it answers no proofs.
    expectRefused(
      setup(memoryAsset(SIZE)).server.handle(prove({}), ALICE),
      'PROOF_NOT_SUPPORTED',
      6,
    )
    expect(proofs).toBe(0)
  })

  it('a prover that fails or answers nonsense gives INTERNAL_ERROR', async () => {
    const failing = setup({ ...memoryAsset(STORAGE), prove: () => Promise.reject(new Error('io')) })
    expectRefused(await failing.server.handle(sampleProve, ALICE), 'INTERNAL_ERROR', 11)
    const nonsense = setup({
      ...memoryAsset(STORAGE),
      prove: () => Promise.resolve({ chunks: [] }),
    })
    expectRefused(await nonsense.server.handle(sampleProve, ALICE), 'INTERNAL_ERROR', 11)
    const throwing = setup({
      ...memoryAsset(STORAGE),
      prove: () => {
        throw new Error('bug')
      },
    })
    expectRefused(throwing.server.handle(sampleProve, ALICE), 'INTERNAL_ERROR', 11)
  })

  it('acknowledges a durable write once stored; a failed one is refused and not written back', async () => {
    const inner = memoryAsset(SIZE, 0x11)
    let fail = false
    const calls: number[] = []
    const durable: RemoteMemoryAsset = {
      size: SIZE,
      read: inner.read,
      write: async (offset, bytes) => {
        calls.push(offset)
        await new Promise((r) => setTimeout(r, 1))
        if (fail) throw new Error('disk full')
        inner.write(offset, bytes)
      },
    }
    const { server } = setup(durable)
    const write = (requestId: number, offset: number) =>
      server.handle(
        encodeWrite({
          requestId,
          address: known,
          offset,
          payload: Uint8Array.of(7, 7),
          token: token(),
        }),
        ALICE,
      )
    const answer = write(1, 10)
    expect(answer).toBeInstanceOf(Promise)
    expect(decodeResponse(await answer)).toEqual({
      requestId: 1,
      ok: true,
      payload: new Uint8Array(0),
    })
    expect(inner.bytes.subarray(10, 12)).toEqual(Uint8Array.of(7, 7))
    fail = true
    const before = inner.bytes.slice()
    expectRefused(await write(2, 20), 'INTERNAL_ERROR', 2)
    // One call per request: the server did not try to write the old bytes back.
    expect(calls).toEqual([10, 20])
    expect(inner.bytes).toEqual(before)
  })

  it('never throws and always answers a decodable frame for mutated prove frames', async () => {
    const { server } = setup(provingAsset(STORAGE, 5))
    await fc.assert(
      fc.asyncProperty(
        fc
          .tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))
          .map(([i, v]) => mutate(sampleProve, i, v)),
        async (bytes) => {
          const response = decodeResponse(await server.handle(bytes, ALICE))
          if (response.ok)
            expect(() => decodeRetrievabilityResponse(response.payload)).not.toThrow()
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('RemoteMemoryError', () => {
  it('carries the server code, keeps its text aside, and shows a sentence for the code', () => {
    const err = new RemoteMemoryError('CAPABILITY_EXPIRED', 'server text')
    expect(err.name).toBe('RemoteMemoryError')
    expect(err.code).toBe('CAPABILITY_EXPIRED')
    expect(err.serverMessage).toBe('server text')
    expect(err.message).toBe(describeRemoteMemoryError('CAPABILITY_EXPIRED'))
    expect(err.toJSON()).toEqual({
      name: 'RemoteMemoryError',
      code: 'CAPABILITY_EXPIRED',
      message: err.message,
    })
    const codes = [
      'NOT_FOUND',
      'NO_CAPABILITY',
      'OUT_OF_RANGE',
      'CAPABILITY_OUT_OF_RANGE',
      'SOMETHING_NEW',
    ]
    const sentences = new Set(codes.map(describeRemoteMemoryError))
    expect(sentences.size).toBe(codes.length)
    expect(describeRemoteMemoryError('SOMETHING_NEW')).toContain('SOMETHING_NEW')
  })
})
