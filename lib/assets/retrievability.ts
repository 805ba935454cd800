/**
 * Proofs of retrievability for storage assets (DESIGN.md §5): the owner of stored content commits
 * to it once, and anyone holding the commitment can later check, with a few kilobytes of traffic,
 * that the node storing it can still produce it.
 *
 * The content is cut into {@link CHUNK_BYTES} chunks (the last one may be shorter) and committed
 * to as the RFC 6962 Merkle tree of the chunks (lib/trustchain/merkle.ts: leaf = SHA-256(0x00 ‖
 * chunk), node = SHA-256(0x01 ‖ left ‖ right)); the commitment is the root with the content's
 * size. The verifier must take both from the same trusted place (the ledger): a root does not
 * pin the size by itself (for some chunks, a proof against the root of n chunks also checks
 * under a larger claimed size). A challenger draws k distinct chunk indices from its
 * {@link Random} port; the prover answers with those chunks and their inclusion proofs; the
 * verifier recomputes the root from each.
 *
 * Soundness. A prover that lost a fraction f of the chunks (or never stored them) passes only if
 * none of the k challenged chunks is among them. The indices are distinct and uniform, so it
 * passes with probability C((1 − f)·n, k) / C(n, k) ≤ (1 − f)^k: for f = 10 %, k = 32 that is at
 * most 3.4 %; for f = 1 %, k = 128 at most 28 %. Small losses are thus caught only over many
 * audits (or by erasure coding the content first, so that any small loss is repairable and only
 * large ones matter). This holds under three assumptions the caller must keep:
 * - the challenge is unpredictable to the prover until it is sent (a seeded PRNG whose seed the
 *   prover knows would let it keep only the chunks it will be asked for): in production the
 *   Random port draws from a CSPRNG, or from a beacon revealed after the commitment;
 * - SHA-256 is collision resistant, so no other chunk has a valid proof at the same position;
 * - the answer comes within a deadline short enough that the prover cannot fetch the chunks from
 *   somewhere else (another replica, the owner) on demand; the deadline is the caller's.
 *
 * Pure code: no I/O, no clock; randomness comes from the Random port.
 */
import type { Random } from '../ports'
import {
  HASH_BYTES,
  leafHash,
  proveInclusion,
  storedHashCount,
  storedHashesForRecord,
  treeHash,
  verifyInclusion,
  type HashReader,
} from '../trustchain/merkle'

/** Bytes of a chunk; the last chunk of the content holds the rest and may be shorter. */
export const CHUNK_BYTES = 4096

/** Most chunks one challenge may ask for: bounds an answer to about 640 KiB. */
export const MAX_CHALLENGE_CHUNKS = 128

/** Most chunks a committed content may have: chunk indices are unsigned 32-bit on the wire. */
export const MAX_CHUNKS = 2 ** 32

/** Largest content that can be committed to: {@link MAX_CHUNKS} full chunks (16 TiB). */
export const MAX_RETRIEVABLE_BYTES = MAX_CHUNKS * CHUNK_BYTES

/** Most hashes of one inclusion proof: the depth of a tree of {@link MAX_CHUNKS} leaves. */
export const MAX_PROOF_HASHES = 32

/** Version byte of the challenge and response encodings. */
export const RETRIEVABILITY_VERSION = 1

/** Largest encoded challenge: version, count, and {@link MAX_CHALLENGE_CHUNKS} indices. */
export const MAX_CHALLENGE_BYTES = 1 + 2 + 4 * MAX_CHALLENGE_CHUNKS

/** Largest encoded response: every chunk full, with the longest proof. */
export const MAX_RESPONSE_BYTES =
  1 + 2 + MAX_CHALLENGE_CHUNKS * (4 + 2 + CHUNK_BYTES + 1 + HASH_BYTES * MAX_PROOF_HASHES)

/** The chunks a challenger asks for: distinct indices in increasing order. */
export interface RetrievabilityChallenge {
  indices: number[]
}

/** One challenged chunk with its inclusion proof (sibling nearest the leaf first). */
export interface ChunkProof {
  index: number
  chunk: Uint8Array
  proof: Uint8Array[]
}

/** A prover's answer: one {@link ChunkProof} per challenged index, in the challenge's order. */
export interface RetrievabilityResponse {
  chunks: ChunkProof[]
}

/** Content a prover reads chunks from: a storage asset, a file, a byte array. */
export interface RetrievabilitySource {
  /** Bytes of the content. */
  readonly size: number
  /** The bytes at `offset … offset + length − 1`. */
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array>
}

/** Answers challenges about one committed content; see {@link createRetrievabilityProver}. */
export interface RetrievabilityProver {
  /** Merkle root of the chunks: with {@link size}, the commitment the owner publishes. */
  readonly root: Uint8Array
  /** Bytes of the content when it was committed. */
  readonly size: number
  /** Chunks of the content. */
  readonly chunkCount: number
  /**
   * Read the challenged chunks from the source and prove each. Chunks are read again at each
   * challenge: content changed since the commitment fails verification, as it should.
   *
   * @throws {RangeError} a challenged index is not a chunk of this content, or the source
   *   returned the wrong number of bytes
   */
  respond(
    challenge: RetrievabilityChallenge,
    options?: { signal?: AbortSignal },
  ): Promise<RetrievabilityResponse>
}

/** Why {@link verifyRetrievability} refused a response. */
export type RetrievabilityRefusalCode =
  | 'INVALID_COMMITMENT'
  | 'INVALID_CHALLENGE'
  | 'MALFORMED_RESPONSE'
  | 'WRONG_CHUNKS'
  | 'WRONG_CHUNK_SIZE'
  | 'BAD_PROOF'

/** The outcome of {@link verifyRetrievability}. */
export type RetrievabilityVerdict =
  { ok: true } | { ok: false; code: RetrievabilityRefusalCode; message: string }

/** Codes of {@link RetrievabilityCodecError}. */
export type RetrievabilityCodecErrorCode = 'MALFORMED' | 'UNSUPPORTED_VERSION' | 'TOO_LARGE'

/**
 * An encoded challenge or response does not follow the format or exceeds a limit. The decoders
 * raise it, and nothing else, for any input.
 */
export class RetrievabilityCodecError extends Error {
  override readonly name = 'RetrievabilityCodecError'

  /**
   * @param code - stable identifier of the failure
   * @param message - what is wrong, for logs
   */
  constructor(
    readonly code: RetrievabilityCodecErrorCode,
    message: string,
  ) {
    super(message)
  }

  /** The `{ name, code, message }` form that crosses workers and the network. */
  toJSON(): { name: string; code: string; message: string } {
    return { name: this.name, code: this.code, message: this.message }
  }
}

/**
 * Chunks of a content of `size` bytes.
 *
 * @example
 * retrievabilityChunkCount(4097) // 2
 * @throws {RangeError} if `size` is not an integer in 0 … {@link MAX_RETRIEVABLE_BYTES}
 */
export function retrievabilityChunkCount(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_RETRIEVABLE_BYTES) {
    throw new RangeError(
      `retrievabilityChunkCount: size must be an integer in 0…${MAX_RETRIEVABLE_BYTES}`,
    )
  }
  return Math.ceil(size / CHUNK_BYTES)
}

/**
 * Commit to `source` and return a prover for it. Reads the whole content once and keeps the
 * Merkle tree's stored hashes in memory: 64 bytes per chunk (1.6 % of the content), no chunk.
 *
 * @example
 * const prover = await createRetrievabilityProver({ size: bytes.length, read: (o, l) => bytes.subarray(o, o + l) })
 * publish(prover.root, prover.size)
 * @throws {RangeError} for a source whose size is not a valid content size, or that returns the
 *   wrong number of bytes
 */
export async function createRetrievabilityProver(
  source: RetrievabilitySource,
  options: { signal?: AbortSignal } = {},
): Promise<RetrievabilityProver> {
  if (source === null || typeof source !== 'object' || typeof source.read !== 'function') {
    throw new TypeError('createRetrievabilityProver: source must have size and read()')
  }
  const size = source.size
  const chunkCount = retrievabilityChunkCount(size)
  const hashes = new Uint8Array(storedHashCount(chunkCount) * HASH_BYTES)
  const reader: HashReader = {
    async readHashes(indexes) {
      return indexes.map((i) => hashes.slice(i * HASH_BYTES, (i + 1) * HASH_BYTES))
    },
  }
  // Appending chunk i creates stored hashes in index order right after those of chunk i − 1,
  // so they are written at the end of what is filled so far.
  let filled = 0
  for (let i = 0; i < chunkCount; i++) {
    options.signal?.throwIfAborted()
    const chunk = await readChunk('createRetrievabilityProver', source, size, i)
    for (const h of await storedHashesForRecord(i, leafHash(chunk), reader)) {
      hashes.set(h, filled)
      filled += HASH_BYTES
    }
  }
  const root = await treeHash(chunkCount, reader)

  return {
    root,
    size,
    chunkCount,
    async respond(challenge, respondOptions = {}) {
      const indices = checkIndices('respond', challenge?.indices, chunkCount)
      const chunks: ChunkProof[] = []
      for (const index of indices) {
        respondOptions.signal?.throwIfAborted()
        const chunk = await readChunk('respond', source, size, index)
        const proof = await proveInclusion(chunkCount, index, reader, respondOptions)
        chunks.push({ index, chunk: chunk.slice(), proof })
      }
      return { chunks }
    },
  }
}

/**
 * Draw a challenge: `k` distinct chunk indices, uniform among the chunks of a content of `size`
 * bytes, in increasing order (every chunk when there are at most `k`). Uses exactly
 * min(k, chunks) draws of `random` (R. Floyd's sampling), so a seeded Random gives the same
 * challenge every time.
 *
 * @example
 * createChallenge(1 << 20, 32, seededRandom(7)) // { indices: [3, 17, 40, …] }
 * @throws {RangeError} for an empty content, `k` outside 1 … {@link MAX_CHALLENGE_CHUNKS}, or a
 *   Random that returns a number outside [0, 1)
 */
export function createChallenge(size: number, k: number, random: Random): RetrievabilityChallenge {
  const n = retrievabilityChunkCount(size)
  if (n === 0) throw new RangeError('createChallenge: an empty content has no chunk to challenge')
  if (!Number.isInteger(k) || k < 1 || k > MAX_CHALLENGE_CHUNKS) {
    throw new RangeError(`createChallenge: k must be an integer in 1…${MAX_CHALLENGE_CHUNKS}`)
  }
  if (typeof random?.next !== 'function') {
    throw new TypeError('createChallenge: random must be a Random port')
  }
  const m = Math.min(k, n)
  const chosen = new Set<number>()
  for (let j = n - m; j < n; j++) {
    const x = random.next()
    if (!(x >= 0 && x < 1)) throw new RangeError(`createChallenge: random returned ${x}`)
    const t = Math.floor(x * (j + 1))
    chosen.add(chosen.has(t) ? j : t)
  }
  return { indices: [...chosen].sort((a, b) => a - b) }
}

/**
 * Check a prover's answer to `challenge` against the commitment (`root`, `size`). Never throws:
 * any malformed argument is a refusal.
 *
 * @example
 * const verdict = verifyRetrievability(root, size, challenge, decodeRetrievabilityResponse(bytes))
 * if (!verdict.ok) report(verdict.code)
 */
export function verifyRetrievability(
  root: Uint8Array,
  size: number,
  challenge: RetrievabilityChallenge,
  response: RetrievabilityResponse,
): RetrievabilityVerdict {
  const refuse = (code: RetrievabilityRefusalCode, message: string): RetrievabilityVerdict => ({
    ok: false,
    code,
    message: `verifyRetrievability: ${message}`,
  })
  if (!(root instanceof Uint8Array) || root.length !== HASH_BYTES) {
    return refuse('INVALID_COMMITMENT', `the root must be ${HASH_BYTES} bytes`)
  }
  let n: number
  try {
    n = retrievabilityChunkCount(size)
  } catch {
    return refuse('INVALID_COMMITMENT', 'the size is not a valid content size')
  }
  let indices: number[]
  try {
    indices = checkIndices('verifyRetrievability', challenge?.indices, n)
  } catch (err) {
    return refuse('INVALID_CHALLENGE', (err as Error).message)
  }
  const chunks: unknown = (response as { chunks?: unknown } | null)?.chunks
  if (!Array.isArray(chunks)) return refuse('MALFORMED_RESPONSE', 'the response has no chunks')
  if (chunks.length !== indices.length) {
    return refuse('WRONG_CHUNKS', `${chunks.length} chunks for ${indices.length} challenged`)
  }
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!
    const item = chunks[i] as Partial<ChunkProof> | null
    if (item === null || typeof item !== 'object' || !(item.chunk instanceof Uint8Array)) {
      return refuse('MALFORMED_RESPONSE', `item ${i} is not a chunk proof`)
    }
    if (item.index !== index) {
      return refuse('WRONG_CHUNKS', `item ${i} is chunk ${String(item.index)}, not ${index}`)
    }
    const expected = Math.min(CHUNK_BYTES, size - index * CHUNK_BYTES)
    if (item.chunk.length !== expected) {
      return refuse(
        'WRONG_CHUNK_SIZE',
        `chunk ${index} has ${item.chunk.length} bytes, not ${expected}`,
      )
    }
    try {
      verifyInclusion(index, n, leafHash(item.chunk), item.proof as Uint8Array[], root)
    } catch {
      return refuse('BAD_PROOF', `chunk ${index} does not lead to the committed root`)
    }
  }
  return { ok: true }
}

// ---------------------------------------------------------------------------------------------
// Codecs. Challenge: version u8, count u16, count × index u32, all big-endian. Response: version
// u8, count u16, then per chunk: index u32, chunk length u16 (1 … 4096), the chunk, proof length
// u8 (0 … 32), the proof's 32-byte hashes. Both end exactly after their last field.

/**
 * Encode a challenge.
 *
 * @throws {RangeError} unless the indices are 1 … {@link MAX_CHALLENGE_CHUNKS} increasing
 *   unsigned 32-bit integers
 */
export function encodeRetrievabilityChallenge(challenge: RetrievabilityChallenge): Uint8Array {
  const indices = checkIndices('encodeRetrievabilityChallenge', challenge?.indices, MAX_CHUNKS)
  const out = new Uint8Array(3 + 4 * indices.length)
  const v = view(out)
  v.setUint8(0, RETRIEVABILITY_VERSION)
  v.setUint16(1, indices.length)
  indices.forEach((index, i) => v.setUint32(3 + 4 * i, index))
  return out
}

/**
 * Decode a challenge.
 *
 * @throws {RetrievabilityCodecError} for any input that is not exactly one valid challenge
 */
export function decodeRetrievabilityChallenge(bytes: Uint8Array): RetrievabilityChallenge {
  const fail = (code: RetrievabilityCodecErrorCode, message: string) =>
    new RetrievabilityCodecError(code, `decodeRetrievabilityChallenge: ${message}`)
  if (!(bytes instanceof Uint8Array)) throw fail('MALFORMED', 'expected bytes')
  if (bytes.length > MAX_CHALLENGE_BYTES) {
    throw fail('TOO_LARGE', `${bytes.length} bytes is more than ${MAX_CHALLENGE_BYTES}`)
  }
  if (bytes.length < 3) throw fail('MALFORMED', 'too short')
  const v = view(bytes)
  if (v.getUint8(0) !== RETRIEVABILITY_VERSION) {
    throw fail('UNSUPPORTED_VERSION', `version ${v.getUint8(0)}`)
  }
  const count = v.getUint16(1)
  if (count < 1 || count > MAX_CHALLENGE_CHUNKS) throw fail('MALFORMED', `count ${count}`)
  if (bytes.length !== 3 + 4 * count) throw fail('MALFORMED', `wrong length for ${count} indices`)
  const indices: number[] = []
  for (let i = 0; i < count; i++) {
    const index = v.getUint32(3 + 4 * i)
    if (i > 0 && index <= indices[i - 1]!) throw fail('MALFORMED', 'indices must increase')
    indices.push(index)
  }
  return { indices }
}

/**
 * Encode a response.
 *
 * @throws {RangeError} for more than {@link MAX_CHALLENGE_CHUNKS} chunks, a chunk of 0 or more
 *   than {@link CHUNK_BYTES} bytes, a proof longer than {@link MAX_PROOF_HASHES} or a hash that is
 *   not 32 bytes
 */
export function encodeRetrievabilityResponse(response: RetrievabilityResponse): Uint8Array {
  const fn = 'encodeRetrievabilityResponse'
  const chunks = response?.chunks
  if (!Array.isArray(chunks) || chunks.length < 1 || chunks.length > MAX_CHALLENGE_CHUNKS) {
    throw new RangeError(`${fn}: between 1 and ${MAX_CHALLENGE_CHUNKS} chunks are needed`)
  }
  let total = 3
  for (const { index, chunk, proof } of chunks) {
    if (!Number.isInteger(index) || index < 0 || index >= MAX_CHUNKS) {
      throw new RangeError(`${fn}: index ${index} is not an unsigned 32-bit integer`)
    }
    if (!(chunk instanceof Uint8Array) || chunk.length < 1 || chunk.length > CHUNK_BYTES) {
      throw new RangeError(`${fn}: a chunk is 1…${CHUNK_BYTES} bytes`)
    }
    if (!Array.isArray(proof) || proof.length > MAX_PROOF_HASHES) {
      throw new RangeError(`${fn}: a proof is at most ${MAX_PROOF_HASHES} hashes`)
    }
    for (const h of proof) {
      if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) {
        throw new RangeError(`${fn}: a proof hash is ${HASH_BYTES} bytes`)
      }
    }
    total += 4 + 2 + chunk.length + 1 + HASH_BYTES * proof.length
  }
  const out = new Uint8Array(total)
  const v = view(out)
  v.setUint8(0, RETRIEVABILITY_VERSION)
  v.setUint16(1, chunks.length)
  let at = 3
  for (const { index, chunk, proof } of chunks) {
    v.setUint32(at, index)
    v.setUint16(at + 4, chunk.length)
    out.set(chunk, at + 6)
    at += 6 + chunk.length
    v.setUint8(at++, proof.length)
    for (const h of proof) {
      out.set(h, at)
      at += HASH_BYTES
    }
  }
  return out
}

/**
 * Decode a response. Chunks and hashes are copies.
 *
 * @throws {RetrievabilityCodecError} for any input that is not exactly one valid response
 */
export function decodeRetrievabilityResponse(bytes: Uint8Array): RetrievabilityResponse {
  const fail = (code: RetrievabilityCodecErrorCode, message: string) =>
    new RetrievabilityCodecError(code, `decodeRetrievabilityResponse: ${message}`)
  if (!(bytes instanceof Uint8Array)) throw fail('MALFORMED', 'expected bytes')
  if (bytes.length > MAX_RESPONSE_BYTES) {
    throw fail('TOO_LARGE', `${bytes.length} bytes is more than ${MAX_RESPONSE_BYTES}`)
  }
  if (bytes.length < 3) throw fail('MALFORMED', 'too short')
  const v = view(bytes)
  if (v.getUint8(0) !== RETRIEVABILITY_VERSION) {
    throw fail('UNSUPPORTED_VERSION', `version ${v.getUint8(0)}`)
  }
  const count = v.getUint16(1)
  if (count < 1 || count > MAX_CHALLENGE_CHUNKS) throw fail('MALFORMED', `count ${count}`)
  const chunks: ChunkProof[] = []
  let at = 3
  for (let i = 0; i < count; i++) {
    if (at + 6 > bytes.length) throw fail('MALFORMED', `chunk ${i} is cut short`)
    const index = v.getUint32(at)
    const length = v.getUint16(at + 4)
    if (length < 1 || length > CHUNK_BYTES) throw fail('MALFORMED', `chunk length ${length}`)
    at += 6
    if (at + length + 1 > bytes.length) throw fail('MALFORMED', `chunk ${i} is cut short`)
    const chunk = bytes.slice(at, at + length)
    at += length
    const hashes = v.getUint8(at++)
    if (hashes > MAX_PROOF_HASHES) throw fail('MALFORMED', `a proof of ${hashes} hashes`)
    if (at + hashes * HASH_BYTES > bytes.length) throw fail('MALFORMED', `proof ${i} is cut short`)
    const proof: Uint8Array[] = []
    for (let h = 0; h < hashes; h++) {
      proof.push(bytes.slice(at, at + HASH_BYTES))
      at += HASH_BYTES
    }
    chunks.push({ index, chunk, proof })
  }
  if (at !== bytes.length) throw fail('MALFORMED', `${bytes.length - at} bytes after the end`)
  return { chunks }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Check challenge indices: 1 … MAX_CHALLENGE_CHUNKS increasing integers below `limit`. */
function checkIndices(fn: string, indices: unknown, limit: number): number[] {
  if (!Array.isArray(indices) || indices.length < 1 || indices.length > MAX_CHALLENGE_CHUNKS) {
    throw new RangeError(`${fn}: a challenge names 1…${MAX_CHALLENGE_CHUNKS} chunks`)
  }
  indices.forEach((index: unknown, i) => {
    if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= limit) {
      throw new RangeError(`${fn}: chunk ${String(index)} is not below ${limit}`)
    }
    if (i > 0 && (index as number) <= (indices[i - 1] as number)) {
      throw new RangeError(`${fn}: challenge indices must increase`)
    }
  })
  return indices as number[]
}

async function readChunk(
  fn: string,
  source: RetrievabilitySource,
  size: number,
  index: number,
): Promise<Uint8Array> {
  const offset = index * CHUNK_BYTES
  const length = Math.min(CHUNK_BYTES, size - offset)
  const chunk = await source.read(offset, length)
  if (!(chunk instanceof Uint8Array) || chunk.length !== length) {
    throw new RangeError(`${fn}: the source returned the wrong number of bytes for chunk ${index}`)
  }
  return chunk
}
