import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../ports'
import { leafHash, nodeHash } from '../trustchain/merkle'
import {
  CHUNK_BYTES,
  MAX_CHALLENGE_BYTES,
  MAX_CHALLENGE_CHUNKS,
  MAX_RESPONSE_BYTES,
  RetrievabilityCodecError,
  createChallenge,
  createRetrievabilityProver,
  decodeRetrievabilityChallenge,
  decodeRetrievabilityResponse,
  encodeRetrievabilityChallenge,
  encodeRetrievabilityResponse,
  retrievabilityChunkCount,
  verifyRetrievability,
  type RetrievabilityResponse,
  type RetrievabilitySource,
} from './retrievability'

function content(size: number, seed: number): Uint8Array {
  const random = seededRandom(seed)
  return Uint8Array.from({ length: size }, () => Math.floor(random.next() * 256))
}

function source(bytes: Uint8Array): RetrievabilitySource & { bytes: Uint8Array } {
  return { bytes, size: bytes.length, read: (o, l) => bytes.subarray(o, o + l) }
}

function mutate(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice()
  if (out.length > 0) out[at % out.length] = value
  return out
}

function expectOnlyCodecErrors(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(RetrievabilityCodecError)
    expect((err as RetrievabilityCodecError).name).toBe('RetrievabilityCodecError')
  }
}

describe('proofs of retrievability', () => {
  it('commits to the RFC 6962 tree of the chunks', async () => {
    const one = content(100, 1)
    expect((await createRetrievabilityProver(source(one))).root).toEqual(leafHash(one))
    const two = content(CHUNK_BYTES + 1, 2)
    const prover = await createRetrievabilityProver(source(two))
    expect(prover.chunkCount).toBe(2)
    expect(prover.root).toEqual(
      nodeHash(leafHash(two.subarray(0, CHUNK_BYTES)), leafHash(two.subarray(CHUNK_BYTES))),
    )
  })

  it('an honest prover passes every challenge, through the codecs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 * CHUNK_BYTES + 5 }),
        fc.integer({ min: 1, max: 12 }),
        fc.nat(),
        async (size, k, seed) => {
          const bytes = content(size, seed)
          const prover = await createRetrievabilityProver(source(bytes))
          const challenge = decodeRetrievabilityChallenge(
            encodeRetrievabilityChallenge(createChallenge(size, k, seededRandom(seed))),
          )
          expect(challenge.indices.length).toBe(Math.min(k, retrievabilityChunkCount(size)))
          const response = decodeRetrievabilityResponse(
            encodeRetrievabilityResponse(await prover.respond(challenge)),
          )
          expect(verifyRetrievability(prover.root, size, challenge, response)).toEqual({ ok: true })
        },
      ),
      { numRuns: 40 },
    )
  })

  it('a prover that lost chunks passes exactly when no lost chunk is challenged', async () => {
    const n = 40
    const size = n * CHUNK_BYTES - 100
    const bytes = content(size, 3)
    const prover = await createRetrievabilityProver(source(bytes))
    // Lose a quarter of the chunks after the commitment: the prover fills them with zeros.
    const lost = new Set([0, 3, 7, 8, 12, 15, 19, 22, 27, 30, 36, 39])
    for (const i of lost) bytes.fill(0, i * CHUNK_BYTES, Math.min(size, (i + 1) * CHUNK_BYTES))
    let passed = 0
    for (let seed = 0; seed < 200; seed++) {
      const challenge = createChallenge(size, 4, seededRandom(seed))
      const verdict = verifyRetrievability(
        prover.root,
        size,
        challenge,
        await prover.respond(challenge),
      )
      const hit = challenge.indices.some((i) => lost.has(i))
      expect(verdict.ok).toBe(!hit)
      if (!verdict.ok) expect(verdict.code).toBe('BAD_PROOF')
      else passed++
    }
    // Some challenges missed every lost chunk and some hit one: both branches ran.
    expect(passed).toBeGreaterThan(0)
    expect(passed).toBeLessThan(200)
  })

  it('refuses answers that do not fit the commitment or the challenge', async () => {
    const size = 5 * CHUNK_BYTES + 10
    const bytes = content(size, 4)
    const prover = await createRetrievabilityProver(source(bytes))
    const challenge = { indices: [1, 5] }
    const good = await prover.respond(challenge)
    const code = (v: ReturnType<typeof verifyRetrievability>) => (v.ok ? 'OK' : v.code)

    expect(code(verifyRetrievability(prover.root, size, challenge, good))).toBe('OK')
    const otherRoot = prover.root.slice()
    otherRoot[0]! ^= 1
    expect(code(verifyRetrievability(otherRoot, size, challenge, good))).toBe('BAD_PROOF')
    expect(code(verifyRetrievability(prover.root.subarray(1), size, challenge, good))).toBe(
      'INVALID_COMMITMENT',
    )
    expect(code(verifyRetrievability(prover.root, -1, challenge, good))).toBe('INVALID_COMMITMENT')
    // Another size changes the last chunk's length or the tree's shape.
    expect(code(verifyRetrievability(prover.root, size + 1, challenge, good))).toBe(
      'WRONG_CHUNK_SIZE',
    )
    expect(
      code(
        verifyRetrievability(
          prover.root,
          size + 3 * CHUNK_BYTES,
          { indices: [5] },
          {
            chunks: [{ ...good.chunks[1]!, chunk: new Uint8Array(CHUNK_BYTES) }],
          },
        ),
      ),
    ).toBe('BAD_PROOF')
    expect(code(verifyRetrievability(prover.root, size, { indices: [1, 6] }, good))).toBe(
      'INVALID_CHALLENGE',
    )
    expect(code(verifyRetrievability(prover.root, size, { indices: [5, 1] }, good))).toBe(
      'INVALID_CHALLENGE',
    )
    expect(code(verifyRetrievability(prover.root, size, { indices: [1, 4] }, good))).toBe(
      'WRONG_CHUNKS',
    )
    const missing: RetrievabilityResponse = { chunks: good.chunks.slice(0, 1) }
    expect(code(verifyRetrievability(prover.root, size, challenge, missing))).toBe('WRONG_CHUNKS')
    const padded: RetrievabilityResponse = {
      chunks: good.chunks.map((c) => ({ ...c, chunk: new Uint8Array([...c.chunk, 0]) })),
    }
    expect(code(verifyRetrievability(prover.root, size, challenge, padded))).toBe(
      'WRONG_CHUNK_SIZE',
    )
    const swapped: RetrievabilityResponse = {
      chunks: [good.chunks[0]!, { ...good.chunks[1]!, proof: good.chunks[0]!.proof }],
    }
    expect(code(verifyRetrievability(prover.root, size, challenge, swapped))).toBe('BAD_PROOF')
    for (const junk of [null, {}, { chunks: 'x' }, { chunks: [null, 1] }]) {
      expect(
        code(
          verifyRetrievability(
            prover.root,
            size,
            challenge,
            junk as unknown as RetrievabilityResponse,
          ),
        ),
      ).toMatch(/MALFORMED_RESPONSE|WRONG_CHUNKS/)
    }
  })

  it('refuses every single-byte change to a valid encoded response', async () => {
    const size = 7 * CHUNK_BYTES + 33
    const prover = await createRetrievabilityProver(source(content(size, 5)))
    const challenge = createChallenge(size, 3, seededRandom(5))
    const encoded = encodeRetrievabilityResponse(await prover.respond(challenge))
    fc.assert(
      fc.property(fc.nat(encoded.length - 1), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const bytes = encoded.slice()
        bytes[at] = (bytes[at]! + delta) & 0xff
        let response: RetrievabilityResponse
        try {
          response = decodeRetrievabilityResponse(bytes)
        } catch (err) {
          expect(err).toBeInstanceOf(RetrievabilityCodecError)
          return
        }
        expect(verifyRetrievability(prover.root, size, challenge, response).ok).toBe(false)
      }),
      { numRuns: 1000 },
    )
  })

  it('draws distinct increasing indices, the same for the same seed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 * CHUNK_BYTES }),
        fc.integer({ min: 1, max: MAX_CHALLENGE_CHUNKS }),
        fc.nat(),
        (size, k, seed) => {
          const n = retrievabilityChunkCount(size)
          const { indices } = createChallenge(size, k, seededRandom(seed))
          expect(indices.length).toBe(Math.min(k, n))
          indices.forEach((index, i) => {
            expect(index).toBeGreaterThanOrEqual(0)
            expect(index).toBeLessThan(n)
            if (i > 0) expect(index).toBeGreaterThan(indices[i - 1]!)
          })
          expect(createChallenge(size, k, seededRandom(seed))).toEqual({ indices })
        },
      ),
    )
    expect(() => createChallenge(0, 1, seededRandom(1))).toThrow(RangeError)
    expect(() => createChallenge(CHUNK_BYTES, 0, seededRandom(1))).toThrow(RangeError)
    expect(() => createChallenge(CHUNK_BYTES, MAX_CHALLENGE_CHUNKS + 1, seededRandom(1))).toThrow(
      RangeError,
    )
    expect(() => createChallenge(CHUNK_BYTES, 1, { next: () => 1 })).toThrow(RangeError)
  })

  it('the prover refuses indices outside its content and sources that return short reads', async () => {
    const bytes = content(2 * CHUNK_BYTES, 6)
    const prover = await createRetrievabilityProver(source(bytes))
    await expect(prover.respond({ indices: [2] })).rejects.toThrow(RangeError)
    await expect(
      createRetrievabilityProver({ size: 10, read: () => new Uint8Array(9) }),
    ).rejects.toThrow(RangeError)
    const empty = await createRetrievabilityProver(source(new Uint8Array(0)))
    expect(empty.chunkCount).toBe(0)
  })
})

describe('retrievability codecs', () => {
  it('round trip challenges', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 0xffff_ffff }), {
          minLength: 1,
          maxLength: MAX_CHALLENGE_CHUNKS,
        }),
        (raw) => {
          const indices = raw.sort((a, b) => a - b)
          const bytes = encodeRetrievabilityChallenge({ indices })
          expect(bytes.length).toBeLessThanOrEqual(MAX_CHALLENGE_BYTES)
          expect(decodeRetrievabilityChallenge(bytes)).toEqual({ indices })
        },
      ),
    )
  })

  it('round trip responses', () => {
    const arbProof = fc.record({
      index: fc.integer({ min: 0, max: 0xffff_ffff }),
      chunk: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      proof: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 32 }),
    })
    fc.assert(
      fc.property(fc.array(arbProof, { minLength: 1, maxLength: 8 }), (chunks) => {
        expect(decodeRetrievabilityResponse(encodeRetrievabilityResponse({ chunks }))).toEqual({
          chunks,
        })
      }),
    )
  })

  it('the largest response fits its limit', () => {
    const chunks = Array.from({ length: MAX_CHALLENGE_CHUNKS }, (_, index) => ({
      index,
      chunk: new Uint8Array(CHUNK_BYTES),
      proof: Array.from({ length: 32 }, () => new Uint8Array(32)),
    }))
    const bytes = encodeRetrievabilityResponse({ chunks })
    expect(bytes.length).toBe(MAX_RESPONSE_BYTES)
    expect(decodeRetrievabilityResponse(bytes).chunks.length).toBe(MAX_CHALLENGE_CHUNKS)
    expect(() => decodeRetrievabilityResponse(new Uint8Array(MAX_RESPONSE_BYTES + 1))).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE' }),
    )
    expect(() => decodeRetrievabilityChallenge(new Uint8Array(MAX_CHALLENGE_BYTES + 1))).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE' }),
    )
  })

  it('decoders give only RetrievabilityCodecError for random bytes and mutated encodings', async () => {
    const size = 3 * CHUNK_BYTES + 1
    const prover = await createRetrievabilityProver(source(content(size, 7)))
    const challenge = encodeRetrievabilityChallenge({ indices: [0, 2, 3] })
    const response = encodeRetrievabilityResponse(
      await prover.respond(decodeRetrievabilityChallenge(challenge)),
    )
    const arbInput = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .tuple(fc.constantFrom(challenge, response), fc.nat(), fc.integer({ min: 0, max: 255 }))
        .map(([b, i, v]) => mutate(b, i, v)),
      fc
        .tuple(fc.constantFrom(challenge, response), fc.nat())
        .map(([b, n]) => b.subarray(0, n % (b.length + 1))),
    )
    fc.assert(
      fc.property(arbInput, (bytes) => {
        expectOnlyCodecErrors(() => decodeRetrievabilityChallenge(bytes))
        expectOnlyCodecErrors(() => decodeRetrievabilityResponse(bytes))
      }),
      { numRuns: 2000 },
    )
  })
})
