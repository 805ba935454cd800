/**
 * Remote memory and storage (DESIGN.md §5): a memory or storage asset exposes a byte range at its
 * global address, and peers `read(address, offset, length)` or `write(address, offset, bytes)` it
 * with a capability token, or ask it to `prove` that a range still holds the content they
 * committed to (a proof of retrievability, lib/assets/retrievability.ts). This module is the wire
 * format and the two pure cores: the server core that answers one request frame with one
 * response frame, and the client codecs. The libp2p stream protocol around them is
 * lib/adapters/libp2p-remote-memory.ts.
 *
 * Every frame starts with a 4-byte big-endian length of the rest of the frame, so a receiver
 * knows, from four bytes, whether it will accept the frame, before it buffers any of it.
 *
 * Request frame (all integers big-endian):
 *
 * ```
 * 4   length of the rest (58 + token + payload)
 * 1   version (1)
 * 1   op: 1 = read, 2 = write, 3 = prove
 * 4   request id, echoed by the response
 * 34  global address (opaque here: lib/assets/global-address.ts gives it meaning)
 * 8   offset, unsigned
 * 8   length, unsigned: bytes to read, bytes of the write payload, or bytes of the proved range
 * 2   token length (0 … MAX_TOKEN_BYTES)
 * …   token (capability token bytes, opaque here)
 * …   payload: write: exactly `length` bytes; prove: an encoded RetrievabilityChallenge (7 …
 *     MAX_CHALLENGE_BYTES, up to the end of the frame); read: nothing
 * ```
 *
 * A prove request says: the bytes `offset … offset + length − 1` of the asset are the content a
 * commitment (root, size = `length`) was made to; answer the challenged chunks of that content
 * with their inclusion proofs. It needs the `read` right on that range (a proof reveals the
 * challenged chunks). The ok payload is an encoded RetrievabilityResponse: at most
 * MAX_RESPONSE_BYTES (about 641 KiB for 128 full chunks with 32-hash proofs), so it fits the
 * 1 MiB payload limit, and a prove request (at most 58 + 4 KiB + 515 bytes) fits the request limit.
 *
 * Response frame:
 *
 * ```
 * 4   length of the rest
 * 1   version (1)
 * 4   request id
 * 1   status: 0 = ok, 1 = error
 * ok:    the payload (the bytes read; empty for a write) up to the end of the frame
 * error: 1 code length (1 … 64), code ([A-Z][A-Z0-9_]*, ASCII),
 *        2 message length (0 … 1024), message (UTF-8), nothing after
 * ```
 *
 * Pure code: no I/O, no wall clock (a {@link Clock} port), no randomness.
 */
import type { Clock } from '../ports'
import {
  MAX_CHALLENGE_BYTES,
  MAX_RESPONSE_BYTES,
  MAX_RETRIEVABLE_BYTES,
  RetrievabilityCodecError,
  decodeRetrievabilityChallenge,
  encodeRetrievabilityChallenge,
  encodeRetrievabilityResponse,
  retrievabilityChunkCount,
  type RetrievabilityChallenge,
  type RetrievabilityResponse,
} from './retrievability'

/** Version byte of every frame this module writes and the only one it reads. */
export const REMOTE_MEMORY_VERSION = 1

/** Bytes of a global address on the wire (DESIGN.md §5: 8 + 8 + 16 + 2). */
export const ADDRESS_BYTES = 34

/** Bytes of the length prefix that starts every frame. */
export const FRAME_PREFIX_BYTES = 4

/** Bytes of a request after the prefix and before the token: version … token length. */
export const REQUEST_HEADER_BYTES = 1 + 1 + 4 + ADDRESS_BYTES + 8 + 8 + 2

/** Bytes of a response after the prefix and before the payload or error: version, id, status. */
export const RESPONSE_HEADER_BYTES = 1 + 4 + 1

/** Most bytes one read may ask for or one write may carry: 1 MiB. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024

/** Largest capability token a request may carry: 4 KiB. */
export const MAX_TOKEN_BYTES = 4 * 1024

/** Largest request frame, prefix included: the largest token with the largest write. */
export const MAX_REQUEST_FRAME_BYTES =
  FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES + MAX_TOKEN_BYTES + MAX_PAYLOAD_BYTES

/** Largest response frame, prefix included: the largest read (an error frame is far smaller). */
export const MAX_RESPONSE_FRAME_BYTES =
  FRAME_PREFIX_BYTES + RESPONSE_HEADER_BYTES + MAX_PAYLOAD_BYTES

/** Longest error code on the wire, in bytes. */
export const MAX_ERROR_CODE_BYTES = 64

/** Longest error message on the wire, in bytes of UTF-8; longer messages are cut. */
export const MAX_ERROR_MESSAGE_BYTES = 1024

/** Largest request id: ids are unsigned 32-bit. */
export const MAX_REQUEST_ID = 0xffff_ffff

/** Smallest encoded challenge a prove request carries: version, count, one index. */
export const MIN_CHALLENGE_BYTES = 1 + 2 + 4

// A proof must fit one response: checked once here rather than trusted from two modules' comments.
if (MAX_RESPONSE_BYTES > MAX_PAYLOAD_BYTES) {
  throw new Error('remote-memory: the largest proof of retrievability exceeds the payload limit')
}

const OP_READ = 1
const OP_WRITE = 2
const OP_PROVE = 3
const OPS: Readonly<Record<number, RequestHeader['op']>> = {
  [OP_READ]: 'read',
  [OP_WRITE]: 'write',
  [OP_PROVE]: 'prove',
}
const STATUS_OK = 0
const STATUS_ERROR = 1
const CODE_PATTERN = /^[A-Z][A-Z0-9_]*$/
/** High word of 2^53 − 1: offsets and lengths above it are not safe integers. */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff

/** A right a capability can grant. */
export type RemoteMemoryRight = 'read' | 'write'

/** A decoded read request. */
export interface ReadRequest {
  op: 'read'
  requestId: number
  /** The 34-byte global address. */
  address: Uint8Array
  offset: number
  length: number
  /** Capability token bytes; empty means none. */
  token: Uint8Array
}

/** A decoded write request. */
export interface WriteRequest {
  op: 'write'
  requestId: number
  /** The 34-byte global address. */
  address: Uint8Array
  offset: number
  /** The bytes to write at `offset`; their length is the request's length. */
  payload: Uint8Array
  /** Capability token bytes; empty means none. */
  token: Uint8Array
}

/** A decoded prove request: prove that a range of the asset holds the committed content. */
export interface ProveRequest {
  op: 'prove'
  requestId: number
  /** The 34-byte global address. */
  address: Uint8Array
  /** First byte of the committed content in the asset. */
  offset: number
  /** Bytes of the committed content (the commitment's size), at least 1. */
  length: number
  /** The chunks asked for: indices below the content's chunk count. */
  challenge: RetrievabilityChallenge
  /** Capability token bytes; empty means none. */
  token: Uint8Array
}

/** A decoded request. */
export type RemoteMemoryRequest = ReadRequest | WriteRequest | ProveRequest

/** A decoded response: the payload (empty for writes), or the server's refusal. */
export type RemoteMemoryResponse =
  | { requestId: number; ok: true; payload: Uint8Array }
  | { requestId: number; ok: false; code: string; message: string }

/** Codes of {@link RemoteMemoryFrameError}: each is also the code the server answers with. */
export type RemoteMemoryFrameErrorCode =
  | 'MALFORMED_FRAME'
  | 'UNSUPPORTED_VERSION'
  | 'FRAME_TOO_LARGE'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOKEN_TOO_LARGE'
  | 'OUT_OF_RANGE'
  | 'BAD_CHALLENGE'

/**
 * A frame does not follow the wire format or exceeds a limit. Raised by every decoder for any
 * input (never another exception), and by the encoders for a request over a limit, with the code
 * the server would have answered.
 */
export class RemoteMemoryFrameError extends Error {
  override readonly name = 'RemoteMemoryFrameError'

  /**
   * @param code - stable identifier of the failure, also sent to the peer
   * @param message - what is wrong, for logs
   * @param requestId - the frame's request id, when enough of it arrived to read one
   */
  constructor(
    readonly code: RemoteMemoryFrameErrorCode,
    message: string,
    readonly requestId?: number,
  ) {
    super(message)
  }

  /** The `{ name, code, message }` form that crosses workers and the network. */
  toJSON(): { name: string; code: string; message: string } {
    return { name: this.name, code: this.code, message: this.message }
  }
}

/**
 * The remote node refused a request, or its answer could not be used. `code` is the server's
 * (`NOT_FOUND`, `NO_CAPABILITY`, `OUT_OF_RANGE`, a capability code such as `CAPABILITY_EXPIRED`,
 * a frame code) or one of the client's own: `BAD_RESPONSE` (an answer that does not fit the
 * request), `UNREACHABLE` (no stream could be opened) and `STREAM_CLOSED` (no answer came).
 *
 * The message is a sentence chosen here from the code ({@link describeRemoteMemoryError}), fit to
 * show a user; the server's own text is untrusted input and stays in `serverMessage`, for logs.
 */
export class RemoteMemoryError extends Error {
  override readonly name = 'RemoteMemoryError'

  /**
   * @param code - stable identifier of the failure
   * @param serverMessage - the peer's explanation, if any; never shown as is
   */
  constructor(
    readonly code: string,
    readonly serverMessage = '',
  ) {
    super(describeRemoteMemoryError(code))
  }

  /** The `{ name, code, message }` form that crosses workers and the network. */
  toJSON(): { name: string; code: string; message: string } {
    return { name: this.name, code: this.code, message: this.message }
  }
}

const SENTENCES: Record<string, string> = {
  NOT_FOUND:
    'The remote node has no asset at this address. Check the address, or ask the owner whether the asset still exists.',
  NO_CAPABILITY:
    'The request carried no capability token. Ask the asset’s owner for one, then try again.',
  NOT_AUTHORIZED:
    'The asset’s owner did not authorize this request. Ask the owner for a capability that allows it.',
  CAPABILITY_EXPIRED: 'Your capability for this asset has expired. Ask the owner for a new one.',
  CAPABILITY_OUT_OF_RANGE:
    'Your capability does not cover this byte range. Ask the owner for one that does, or stay within it.',
  CAPABILITY_INVALID:
    'The capability token was not accepted: it is damaged or was not issued by the asset’s owner. Ask the owner for a new one.',
  OUT_OF_RANGE:
    'The byte range lies outside the asset. Check the offset and length against the asset’s size.',
  BAD_CHALLENGE:
    'The proof-of-retrievability challenge is malformed or names chunks outside the range. Draw it again from the range’s size.',
  PROOF_NOT_SUPPORTED:
    'This asset does not answer proofs of retrievability: only storage assets do, since only they keep their bytes. Audit a storage asset instead.',
  PAYLOAD_TOO_LARGE: `A request may read or write at most ${MAX_PAYLOAD_BYTES / (1024 * 1024)} MiB. Split it into smaller requests.`,
  TOKEN_TOO_LARGE: `The capability token is larger than ${MAX_TOKEN_BYTES / 1024} KiB and was refused. Ask the owner for a shorter one.`,
  FRAME_TOO_LARGE: 'The request was too large to be accepted. Split it into smaller requests.',
  MALFORMED_FRAME:
    'The remote node could not read the request, or sent an answer that could not be read. The two nodes may run incompatible versions.',
  UNSUPPORTED_VERSION:
    'The remote node speaks another version of the remote memory protocol. Update HyperMesh on both sides.',
  INTERNAL_ERROR: 'The remote node failed while serving the request. Try again later.',
  BAD_RESPONSE:
    'The remote node sent an answer that does not match the request. Try again, or use another node.',
  UNREACHABLE:
    'Could not open a remote memory stream to the node. Check that it is online and shares this asset, then try again.',
  STREAM_CLOSED:
    'The connection to the remote node closed before it answered. Check that it is still online, then try again.',
}

/**
 * A sentence for a user, saying what went wrong and what to do, for an error code of this
 * protocol; unknown codes (new capability codes, say) get a generic sentence naming the code.
 *
 * @example
 * describeRemoteMemoryError('CAPABILITY_EXPIRED') // 'Your capability for this asset has expired. …'
 */
export function describeRemoteMemoryError(code: string): string {
  return (
    SENTENCES[code] ??
    `The remote node refused the request (${String(code).slice(0, MAX_ERROR_CODE_BYTES)}). Ask the asset’s owner what access you have.`
  )
}

// ---------------------------------------------------------------------------------------------
// Requests.

/**
 * Encode a read request.
 *
 * @example
 * encodeRead({ requestId: 1, address, offset: 0, length: 4096, token })
 * @throws {RemoteMemoryFrameError} `PAYLOAD_TOO_LARGE` above {@link MAX_PAYLOAD_BYTES},
 *   `TOKEN_TOO_LARGE` above {@link MAX_TOKEN_BYTES}, `OUT_OF_RANGE` if the range ends past 2^53 − 1
 */
export function encodeRead(request: Omit<ReadRequest, 'op'>): Uint8Array {
  const { requestId, address, offset, length, token } = request
  checkRequestFields('encodeRead', requestId, address, offset, length, token)
  return writeRequest(OP_READ, requestId, address, offset, length, token, null)
}

/**
 * Encode a write request; the frame's length field is the payload's length.
 *
 * @throws {RemoteMemoryFrameError} as {@link encodeRead}, for the payload's length
 */
export function encodeWrite(request: Omit<WriteRequest, 'op'>): Uint8Array {
  const { requestId, address, offset, payload, token } = request
  if (!(payload instanceof Uint8Array)) {
    throw new TypeError('encodeWrite: payload must be a Uint8Array')
  }
  checkRequestFields('encodeWrite', requestId, address, offset, payload.length, token)
  return writeRequest(OP_WRITE, requestId, address, offset, payload.length, token, payload)
}

/**
 * Encode a prove request: the bytes `offset … offset + length − 1` of the asset are the content
 * committed to, and `challenge` names the chunks of that content to answer with.
 *
 * @example
 * const challenge = createChallenge(size, 32, random)
 * encodeProve({ requestId: 3, address, offset: 0, length: size, challenge, token })
 * @throws {RemoteMemoryFrameError} `BAD_CHALLENGE` for a challenge that is not 1 … 128
 *   increasing indices below the content's chunk count, `OUT_OF_RANGE` for an empty content, one
 *   larger than MAX_RETRIEVABLE_BYTES or a range past 2^53 − 1, `TOKEN_TOO_LARGE`
 */
export function encodeProve(request: Omit<ProveRequest, 'op'>): Uint8Array {
  const { requestId, address, offset, length, challenge, token } = request
  checkRequestFields('encodeProve', requestId, address, offset, 0, token)
  checkProveRange('encodeProve', offset, length, null)
  let encoded: Uint8Array
  try {
    encoded = encodeRetrievabilityChallenge(challenge)
  } catch (err) {
    throw new RemoteMemoryFrameError('BAD_CHALLENGE', `encodeProve: ${(err as Error).message}`)
  }
  checkChallengeFits('encodeProve', challenge.indices, length, null)
  return writeRequest(OP_PROVE, requestId, address, offset, length, token, encoded)
}

/** The range of a prove request: 1 … MAX_RETRIEVABLE_BYTES bytes, ending at a safe integer. */
function checkProveRange(
  fn: string,
  offset: number,
  length: number,
  requestId: number | null,
): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`${fn}: offset must be a non-negative safe integer`)
  }
  if (
    !Number.isSafeInteger(length) ||
    length < 1 ||
    length > MAX_RETRIEVABLE_BYTES ||
    !Number.isSafeInteger(offset + length)
  ) {
    throw new RemoteMemoryFrameError(
      'OUT_OF_RANGE',
      `${fn}: a proved range is 1…${MAX_RETRIEVABLE_BYTES} bytes ending before 2^53`,
      requestId ?? undefined,
    )
  }
}

/** Every challenged chunk lies inside a content of `length` bytes. */
function checkChallengeFits(
  fn: string,
  indices: readonly number[],
  length: number,
  requestId: number | null,
): void {
  const chunks = retrievabilityChunkCount(length)
  // The indices increase: the last one is the largest.
  if (indices[indices.length - 1]! >= chunks) {
    throw new RemoteMemoryFrameError(
      'BAD_CHALLENGE',
      `${fn}: the challenge names a chunk past the ${chunks} chunks of ${length} bytes`,
      requestId ?? undefined,
    )
  }
}

function checkRequestFields(
  fn: string,
  requestId: number,
  address: Uint8Array,
  offset: number,
  length: number,
  token: Uint8Array,
): void {
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > MAX_REQUEST_ID) {
    throw new RangeError(`${fn}: requestId must be an integer in 0…${MAX_REQUEST_ID}`)
  }
  if (!(address instanceof Uint8Array) || address.length !== ADDRESS_BYTES) {
    throw new TypeError(`${fn}: address must be ${ADDRESS_BYTES} bytes`)
  }
  if (!(token instanceof Uint8Array)) throw new TypeError(`${fn}: token must be a Uint8Array`)
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`${fn}: offset must be a non-negative safe integer`)
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`${fn}: length must be a non-negative safe integer`)
  }
  if (length > MAX_PAYLOAD_BYTES) {
    throw new RemoteMemoryFrameError(
      'PAYLOAD_TOO_LARGE',
      `${fn}: ${length} bytes is more than the ${MAX_PAYLOAD_BYTES}-byte limit`,
    )
  }
  if (token.length > MAX_TOKEN_BYTES) {
    throw new RemoteMemoryFrameError(
      'TOKEN_TOO_LARGE',
      `${fn}: the token is ${token.length} bytes, more than the ${MAX_TOKEN_BYTES}-byte limit`,
    )
  }
  if (!Number.isSafeInteger(offset + length)) {
    throw new RemoteMemoryFrameError('OUT_OF_RANGE', `${fn}: the range ends past 2^53 − 1`)
  }
}

function writeRequest(
  op: number,
  requestId: number,
  address: Uint8Array,
  offset: number,
  length: number,
  token: Uint8Array,
  payload: Uint8Array | null,
): Uint8Array {
  const body = REQUEST_HEADER_BYTES + token.length + (payload?.length ?? 0)
  const out = new Uint8Array(FRAME_PREFIX_BYTES + body)
  const view = new DataView(out.buffer)
  view.setUint32(0, body)
  view.setUint8(4, REMOTE_MEMORY_VERSION)
  view.setUint8(5, op)
  view.setUint32(6, requestId)
  out.set(address, 10)
  setUint64(view, 10 + ADDRESS_BYTES, offset)
  setUint64(view, 18 + ADDRESS_BYTES, length)
  view.setUint16(26 + ADDRESS_BYTES, token.length)
  out.set(token, FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES)
  if (payload !== null) out.set(payload, FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES + token.length)
  return out
}

/** What the header of a request frame says, checked against every limit. */
export interface RequestHeader {
  op: 'read' | 'write' | 'prove'
  requestId: number
  offset: number
  length: number
  tokenLength: number
  /** Bytes of the whole frame, prefix included. */
  frameBytes: number
}

/**
 * Total length of the frame that starts with `head`, prefix included, or `null` while fewer than
 * {@link FRAME_PREFIX_BYTES} bytes are known. Lets a stream reader refuse a frame from its first
 * four bytes, before buffering it.
 *
 * @throws {RemoteMemoryFrameError} `FRAME_TOO_LARGE` if the frame would exceed `maxFrameBytes`
 */
export function readFrameLength(head: Uint8Array, maxFrameBytes: number): number | null {
  if (!(head instanceof Uint8Array)) {
    throw new RemoteMemoryFrameError('MALFORMED_FRAME', 'readFrameLength: expected bytes')
  }
  if (head.length < FRAME_PREFIX_BYTES) return null
  const total = FRAME_PREFIX_BYTES + view(head).getUint32(0)
  if (total > maxFrameBytes) {
    throw new RemoteMemoryFrameError(
      'FRAME_TOO_LARGE',
      `readFrameLength: a ${total}-byte frame is over the ${maxFrameBytes}-byte limit`,
    )
  }
  return total
}

/**
 * Check the start of a request frame before its body is buffered. Returns the frame's total
 * length once that can be judged, `null` while more bytes are needed. A frame too short to hold a
 * request header is passed through (it is small; {@link decodeRequest} refuses it).
 *
 * @throws {RemoteMemoryFrameError} any refusal the header alone justifies: too large a frame,
 *   payload or token, an unknown version or op, a range past 2^53 − 1, inconsistent lengths
 */
export function screenRequestHead(head: Uint8Array): number | null {
  let total: number | null
  try {
    total = readFrameLength(head, MAX_REQUEST_FRAME_BYTES)
  } catch (err) {
    // Name the request in the refusal when its id already arrived.
    if (err instanceof RemoteMemoryFrameError) {
      throw new RemoteMemoryFrameError(err.code, err.message, peekRequestId(head))
    }
    throw err
  }
  if (total === null) return null
  if (total < FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES) return total
  if (head.length < FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES) return null
  return decodeRequestHeader(head).frameBytes
}

/**
 * Decode and check the fixed part of a request frame (its first
 * {@link FRAME_PREFIX_BYTES} + {@link REQUEST_HEADER_BYTES} bytes; more may follow).
 *
 * @throws {RemoteMemoryFrameError} as {@link screenRequestHead}, or `MALFORMED_FRAME` if fewer
 *   bytes than the header are given
 */
export function decodeRequestHeader(head: Uint8Array): RequestHeader {
  if (!(head instanceof Uint8Array)) {
    throw new RemoteMemoryFrameError('MALFORMED_FRAME', 'decodeRequestHeader: expected bytes')
  }
  const id = peekRequestId(head)
  const fail = (code: RemoteMemoryFrameErrorCode, message: string) =>
    new RemoteMemoryFrameError(code, `decodeRequestHeader: ${message}`, id)
  if (head.length < FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES) {
    throw fail('MALFORMED_FRAME', `a request is at least ${REQUEST_HEADER_BYTES} bytes long`)
  }
  const v = view(head)
  const body = v.getUint32(0)
  if (FRAME_PREFIX_BYTES + body > MAX_REQUEST_FRAME_BYTES) {
    throw fail('FRAME_TOO_LARGE', `a ${FRAME_PREFIX_BYTES + body}-byte frame is over the limit`)
  }
  if (body < REQUEST_HEADER_BYTES) {
    throw fail('MALFORMED_FRAME', `a request is at least ${REQUEST_HEADER_BYTES} bytes long`)
  }
  const version = v.getUint8(4)
  if (version !== REMOTE_MEMORY_VERSION) {
    throw fail('UNSUPPORTED_VERSION', `version ${version} is not ${REMOTE_MEMORY_VERSION}`)
  }
  const opByte = v.getUint8(5)
  const op = OPS[opByte]
  if (op === undefined) throw fail('MALFORMED_FRAME', `unknown op ${opByte}`)
  const offset = getUint64(v, 10 + ADDRESS_BYTES)
  const length = getUint64(v, 18 + ADDRESS_BYTES)
  if (offset === null || length === null || !Number.isSafeInteger(offset + length)) {
    throw fail('OUT_OF_RANGE', 'the range ends past 2^53 − 1')
  }
  if (op === 'prove') {
    // A proved range carries no bytes: its length is bounded by what can be committed to.
    if (length < 1 || length > MAX_RETRIEVABLE_BYTES) {
      throw fail('OUT_OF_RANGE', `a proved range is 1…${MAX_RETRIEVABLE_BYTES} bytes`)
    }
  } else if (length > MAX_PAYLOAD_BYTES) {
    throw fail('PAYLOAD_TOO_LARGE', `${length} bytes is more than ${MAX_PAYLOAD_BYTES}`)
  }
  const tokenLength = v.getUint16(26 + ADDRESS_BYTES)
  if (tokenLength > MAX_TOKEN_BYTES) {
    throw fail('TOKEN_TOO_LARGE', `a ${tokenLength}-byte token is more than ${MAX_TOKEN_BYTES}`)
  }
  if (op === 'prove') {
    // The challenge runs to the end of the frame: its size is bounded here, before buffering.
    const challengeBytes = body - REQUEST_HEADER_BYTES - tokenLength
    if (challengeBytes < MIN_CHALLENGE_BYTES || challengeBytes > MAX_CHALLENGE_BYTES) {
      throw fail(
        'BAD_CHALLENGE',
        `a challenge is ${MIN_CHALLENGE_BYTES}…${MAX_CHALLENGE_BYTES} bytes, not ${challengeBytes}`,
      )
    }
  } else {
    const expected = REQUEST_HEADER_BYTES + tokenLength + (op === 'write' ? length : 0)
    if (body !== expected) {
      throw fail(
        'MALFORMED_FRAME',
        `the frame says ${body} bytes, its fields add up to ${expected}`,
      )
    }
  }
  return {
    op,
    requestId: v.getUint32(6),
    offset,
    length,
    tokenLength,
    frameBytes: FRAME_PREFIX_BYTES + body,
  }
}

/** Options of {@link decodeRequest} and {@link decodeResponse}. */
export interface DecodeOptions {
  /**
   * `true` (default): the result holds copies, independent of `frame`. `false`: views of
   * `frame`, for a caller that owns the frame and will not change it while it uses the result
   * (the server core and the libp2p client: a copy of a 1 MiB payload cost them 0.6 ms).
   */
  copy?: boolean
}

/**
 * Decode one complete request frame (prefix included, nothing after it). The result holds
 * copies, not views of `frame`, unless `options.copy` is `false`.
 *
 * @throws {RemoteMemoryFrameError} for any input that is not exactly one valid request frame
 */
export function decodeRequest(frame: Uint8Array, options: DecodeOptions = {}): RemoteMemoryRequest {
  const header = decodeRequestHeader(frame)
  if (frame.length !== header.frameBytes) {
    throw new RemoteMemoryFrameError(
      'MALFORMED_FRAME',
      `decodeRequest: the frame says ${header.frameBytes} bytes, got ${frame.length}`,
      header.requestId,
    )
  }
  const start = FRAME_PREFIX_BYTES + REQUEST_HEADER_BYTES
  // Copies as plain Uint8Arrays: on a Node Buffer, slice() would be a view.
  const part =
    options.copy === false
      ? (from: number, to?: number) => frame.subarray(from, to)
      : (from: number, to?: number) => new Uint8Array(frame.subarray(from, to))
  const address = part(10, 10 + ADDRESS_BYTES)
  const token = part(start, start + header.tokenLength)
  const { requestId, offset, length } = header
  if (header.op === 'read') return { op: 'read', requestId, address, offset, length, token }
  const payload = part(start + header.tokenLength)
  if (header.op === 'write') return { op: 'write', requestId, address, offset, payload, token }
  let challenge: RetrievabilityChallenge
  try {
    challenge = decodeRetrievabilityChallenge(payload)
  } catch (err) {
    if (!(err instanceof RetrievabilityCodecError)) throw err
    throw new RemoteMemoryFrameError(
      'BAD_CHALLENGE',
      `decodeRequest: ${err.message}`,
      header.requestId,
    )
  }
  checkChallengeFits('decodeRequest', challenge.indices, length, requestId)
  return { op: 'prove', requestId, address, offset, length, challenge, token }
}

// ---------------------------------------------------------------------------------------------
// Responses.

/**
 * Encode a response. An error's message is cut to {@link MAX_ERROR_MESSAGE_BYTES} of UTF-8.
 *
 * @throws {TypeError} for a code that is not 1–64 characters of `[A-Z][A-Z0-9_]*`
 * @throws {RemoteMemoryFrameError} `PAYLOAD_TOO_LARGE` for a payload over the limit
 */
export function encodeResponse(response: RemoteMemoryResponse): Uint8Array {
  const { requestId } = response
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > MAX_REQUEST_ID) {
    throw new RangeError(`encodeResponse: requestId must be an integer in 0…${MAX_REQUEST_ID}`)
  }
  if (response.ok) {
    const { payload } = response
    if (!(payload instanceof Uint8Array)) {
      throw new TypeError('encodeResponse: payload must be a Uint8Array')
    }
    if (payload.length > MAX_PAYLOAD_BYTES) {
      throw new RemoteMemoryFrameError(
        'PAYLOAD_TOO_LARGE',
        `encodeResponse: ${payload.length} bytes is more than ${MAX_PAYLOAD_BYTES}`,
      )
    }
    const out = responseFrame(requestId, STATUS_OK, payload.length)
    out.set(payload, FRAME_PREFIX_BYTES + RESPONSE_HEADER_BYTES)
    return out
  }
  if (!isErrorCode(response.code)) {
    throw new TypeError(
      `encodeResponse: an error code is 1–${MAX_ERROR_CODE_BYTES} characters of [A-Z0-9_]`,
    )
  }
  const message = utf8Prefix(String(response.message), MAX_ERROR_MESSAGE_BYTES)
  const out = responseFrame(requestId, STATUS_ERROR, 1 + response.code.length + 2 + message.length)
  let at = FRAME_PREFIX_BYTES + RESPONSE_HEADER_BYTES
  out[at++] = response.code.length
  for (let i = 0; i < response.code.length; i++) out[at++] = response.code.charCodeAt(i)
  view(out).setUint16(at, message.length)
  out.set(message, at + 2)
  return out
}

function responseFrame(requestId: number, status: number, rest: number): Uint8Array {
  const out = new Uint8Array(FRAME_PREFIX_BYTES + RESPONSE_HEADER_BYTES + rest)
  const v = view(out)
  v.setUint32(0, RESPONSE_HEADER_BYTES + rest)
  v.setUint8(4, REMOTE_MEMORY_VERSION)
  v.setUint32(5, requestId)
  v.setUint8(9, status)
  return out
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Decode one complete response frame (prefix included, nothing after it). The payload is a copy,
 * unless `options.copy` is `false` (then a view of `frame`).
 *
 * @throws {RemoteMemoryFrameError} for any input that is not exactly one valid response frame
 */
export function decodeResponse(
  frame: Uint8Array,
  options: DecodeOptions = {},
): RemoteMemoryResponse {
  const fail = (code: RemoteMemoryFrameErrorCode, message: string) =>
    new RemoteMemoryFrameError(code, `decodeResponse: ${message}`)
  if (!(frame instanceof Uint8Array)) throw fail('MALFORMED_FRAME', 'expected bytes')
  const total = readFrameLength(frame, MAX_RESPONSE_FRAME_BYTES)
  if (total === null || frame.length !== total) {
    throw fail('MALFORMED_FRAME', `the frame says ${total ?? '?'} bytes, got ${frame.length}`)
  }
  if (total < FRAME_PREFIX_BYTES + RESPONSE_HEADER_BYTES) {
    throw fail('MALFORMED_FRAME', `a response is at least ${RESPONSE_HEADER_BYTES} bytes long`)
  }
  const v = view(frame)
  const version = v.getUint8(4)
  if (version !== REMOTE_MEMORY_VERSION) {
    throw fail('UNSUPPORTED_VERSION', `version ${version} is not ${REMOTE_MEMORY_VERSION}`)
  }
  const requestId = v.getUint32(5)
  const status = v.getUint8(9)
  let at = FRAME_PREFIX_BYTES + RESPONSE_HEADER_BYTES
  if (status === STATUS_OK) {
    return {
      requestId,
      ok: true,
      payload: options.copy === false ? frame.subarray(at) : new Uint8Array(frame.subarray(at)),
    }
  }
  if (status !== STATUS_ERROR) throw fail('MALFORMED_FRAME', `unknown status ${status}`)
  if (at + 1 > total) throw fail('MALFORMED_FRAME', 'the error code is missing')
  const codeLength = v.getUint8(at++)
  if (codeLength < 1 || codeLength > MAX_ERROR_CODE_BYTES || at + codeLength + 2 > total) {
    throw fail('MALFORMED_FRAME', `bad error code length ${codeLength}`)
  }
  const code = String.fromCharCode(...frame.subarray(at, at + codeLength))
  if (!isErrorCode(code)) throw fail('MALFORMED_FRAME', 'the error code is not [A-Z][A-Z0-9_]*')
  at += codeLength
  const messageLength = v.getUint16(at)
  at += 2
  if (messageLength > MAX_ERROR_MESSAGE_BYTES || at + messageLength !== total) {
    throw fail('MALFORMED_FRAME', `bad error message length ${messageLength}`)
  }
  let message: string
  try {
    message = utf8.decode(frame.subarray(at, at + messageLength))
  } catch {
    throw fail('MALFORMED_FRAME', 'the error message is not UTF-8')
  }
  return { requestId, ok: false, code, message }
}

// ---------------------------------------------------------------------------------------------
// Server core.

/** The byte range of one memory or storage asset, as the server core sees it. */
export interface RemoteMemoryAsset {
  /** Bytes the asset exposes: valid offsets are 0 … size. */
  readonly size: number
  /** The bytes at `offset … offset + length − 1` (a view is fine: the server copies it). */
  read(offset: number, length: number): Uint8Array
  /**
   * Store `bytes` at `offset`; called once per accepted write, only after every check passed,
   * and never past `size`. `bytes` is a view of the request: copy it. If it throws, the server
   * writes back the bytes it read just before, so a failed write should leave the range as it
   * was or writable.
   *
   * An asset that stores durably may return a promise instead: the write is acknowledged once it
   * resolves. If it rejects, the asset must have changed nothing (the server writes nothing back:
   * another request may have run meanwhile), and the peer gets `INTERNAL_ERROR`.
   */
  write(offset: number, bytes: Uint8Array): void | Promise<void>
  /**
   * Answer a proof-of-retrievability challenge about the content `offset … offset + length − 1`
   * (lib/assets/retrievability.ts `createRetrievabilityProver` over that range, then `respond`).
   * Called only after every check passed, with `offset + length ≤ size` and every index below
   * the range's chunk count. Absent: the asset answers no proofs (`PROOF_NOT_SUPPORTED`).
   */
  prove?(
    offset: number,
    length: number,
    challenge: RetrievabilityChallenge,
  ): Promise<RetrievabilityResponse>
}

/** What {@link RemoteMemoryServerComponents.authorize} is asked to allow. */
export interface AuthorizeRequest {
  /** The remote peer, as the transport authenticated it (a peer ID string over libp2p). */
  peer: string
  /** The 34-byte global address. */
  address: Uint8Array
  offset: number
  length: number
  right: RemoteMemoryRight
}

/**
 * The answer of a capability check. A refusal's `code` goes to the peer as is (for example
 * `CAPABILITY_EXPIRED`, `CAPABILITY_OUT_OF_RANGE`); it must be 1–64 characters of
 * `[A-Z][A-Z0-9_]*`, otherwise the peer gets `NOT_AUTHORIZED`.
 */
export type AuthorizeVerdict = { ok: true } | { ok: false; code: string; message: string }

/** The ports the server core depends on. */
export interface RemoteMemoryServerComponents {
  /** The asset at a 34-byte global address, or `null` when this node has none there. */
  assets(address: Uint8Array): RemoteMemoryAsset | null
  /**
   * Check a capability token (never empty: an empty token is refused before) for a request.
   * `now` is {@link Clock.now} at the time of the request. The token is a view of the request
   * frame, valid for the call: copy it to keep it.
   */
  authorize(token: Uint8Array, request: AuthorizeRequest, now: number): AuthorizeVerdict
  clock: Clock
}

/** Answers remote memory requests; see {@link createRemoteMemoryServer}. */
export interface RemoteMemoryServer {
  /**
   * Answer one complete request frame from `remotePeer` with one response frame. Never throws,
   * and a promise it returns never rejects: a malformed frame, a refusal or a failing asset each
   * give an error response. The answer is immediate (bytes) for every refusal, every read and a
   * write to an asset whose `write` returns nothing; a promise for a proof, and for a write the
   * asset acknowledges asynchronously (a durable one).
   */
  handle(frame: Uint8Array, remotePeer: string): Uint8Array | Promise<Uint8Array>
}

/**
 * The server core: decodes a request frame, checks it, and reads or writes the asset.
 *
 * Checks, in order: the frame (its {@link RemoteMemoryFrameError} code); a token is present
 * (`NO_CAPABILITY`); `authorize` allows it (its code; a proof asks for the `read` right on the
 * proved range); the address names an asset (`NOT_FOUND`); the range lies inside the asset
 * (`OUT_OF_RANGE`, even if the token allowed it); a proof, that the asset answers proofs
 * (`PROOF_NOT_SUPPORTED`). The capability comes before the lookup so that a peer without one
 * cannot learn which addresses exist. A refused request changes nothing; an accepted write calls
 * `write` once with the whole payload, and if that throws, the range is written back as it was
 * before.
 *
 * @example
 * const server = createRemoteMemoryServer({ assets, authorize, clock: systemClock })
 * const response = server.handle(frame, connection.remotePeer.toString())
 */
export function createRemoteMemoryServer(
  components: RemoteMemoryServerComponents,
): RemoteMemoryServer {
  if (
    components === null ||
    typeof components !== 'object' ||
    typeof components.assets !== 'function' ||
    typeof components.authorize !== 'function' ||
    typeof components.clock?.now !== 'function'
  ) {
    throw new TypeError('createRemoteMemoryServer: assets, authorize and clock are required')
  }
  const { assets, authorize, clock } = components

  function serve(request: RemoteMemoryRequest, peer: string): Uint8Array | Promise<Uint8Array> {
    const { requestId, address, offset, token } = request
    const refuse = (code: string, message: string) =>
      encodeResponse({ requestId, ok: false, code, message })
    const length = request.op === 'write' ? request.payload.length : request.length
    if (token.length === 0) return refuse('NO_CAPABILITY', 'the request carries no token')
    // A proof shows the challenged chunks: it is a read of the proved range.
    const right = request.op === 'write' ? 'write' : 'read'
    const verdict: unknown = authorize(
      token,
      { peer, address: address.slice(), offset, length, right },
      clock.now(),
    )
    if (!isVerdict(verdict)) return refuse('INTERNAL_ERROR', 'the capability check failed')
    if (!verdict.ok) {
      return isErrorCode(verdict.code)
        ? refuse(verdict.code, typeof verdict.message === 'string' ? verdict.message : '')
        : refuse('NOT_AUTHORIZED', 'the capability check refused the request')
    }
    const asset = assets(address)
    if (asset === null || asset === undefined) {
      return refuse('NOT_FOUND', 'no asset at this address')
    }
    const size = asset.size
    if (!Number.isSafeInteger(size) || size < 0) {
      return refuse('INTERNAL_ERROR', 'the asset reports no valid size')
    }
    if (offset + length > size) {
      return refuse(
        'OUT_OF_RANGE',
        `bytes ${offset}…${offset + length} are outside the asset's ${size} bytes`,
      )
    }
    if (request.op === 'read') {
      const bytes = asset.read(offset, length)
      if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
        return refuse('INTERNAL_ERROR', 'the asset returned the wrong number of bytes')
      }
      return encodeResponse({ requestId, ok: true, payload: bytes })
    }
    if (request.op === 'prove') {
      if (typeof asset.prove !== 'function') {
        return refuse('PROOF_NOT_SUPPORTED', 'this asset answers no proofs of retrievability')
      }
      return asset.prove(offset, length, request.challenge).then(
        (response) =>
          encodeResponse({ requestId, ok: true, payload: encodeRetrievabilityResponse(response) }),
        () => refuse('INTERNAL_ERROR', 'the asset failed to prove the range'),
      )
    }
    // All or nothing: keep what the range held, so a write that fails half way can be undone.
    const before = asset.read(offset, length)
    if (!(before instanceof Uint8Array) || before.length !== length) {
      return refuse('INTERNAL_ERROR', 'the asset returned the wrong number of bytes')
    }
    const saved = before.slice()
    const ok = () => encodeResponse({ requestId, ok: true, payload: new Uint8Array(0) })
    let pending: unknown
    try {
      pending = asset.write(offset, request.payload)
    } catch {
      try {
        asset.write(offset, saved)
      } catch {
        // Nothing more can be done here; the asset is broken and says so on its next use.
      }
      return refuse('INTERNAL_ERROR', 'the asset failed to store the bytes')
    }
    if (!isThenable(pending)) return ok()
    // A durable write: acknowledged once stored. A rejection means the asset changed nothing.
    return Promise.resolve(pending).then(ok, () =>
      refuse('INTERNAL_ERROR', 'the asset failed to store the bytes'),
    )
  }

  return {
    handle(frame, remotePeer) {
      let request: RemoteMemoryRequest
      try {
        // Views: the frame is the server's own for this call, and the asset copies what it keeps.
        request = decodeRequest(frame, { copy: false })
      } catch (err) {
        if (err instanceof RemoteMemoryFrameError) {
          return encodeResponse({
            requestId: err.requestId ?? 0,
            ok: false,
            code: err.code,
            message: err.message,
          })
        }
        return encodeResponse({ requestId: 0, ok: false, code: 'INTERNAL_ERROR', message: '' })
      }
      // A port threw or rejected (a bug or a broken asset): the peer learns only that it failed.
      const failed = () =>
        encodeResponse({
          requestId: request.requestId,
          ok: false,
          code: 'INTERNAL_ERROR',
          message: 'the server failed while serving the request',
        })
      try {
        const answer = serve(request, String(remotePeer))
        return answer instanceof Uint8Array ? answer : answer.then(undefined, failed)
      } catch {
        return failed()
      }
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** The request id of a frame, if its first 10 bytes arrived: a refusal then names the request. */
function peekRequestId(head: Uint8Array): number | undefined {
  return head.length >= 10 ? view(head).getUint32(6) : undefined
}

function setUint64(v: DataView, at: number, value: number): void {
  v.setUint32(at, Math.floor(value / 2 ** 32))
  v.setUint32(at + 4, value % 2 ** 32)
}

/** An unsigned 64-bit integer, or `null` if it is not a safe integer. */
function getUint64(v: DataView, at: number): number | null {
  const high = v.getUint32(at)
  if (high > MAX_SAFE_HIGH_WORD) return null
  return high * 2 ** 32 + v.getUint32(at + 4)
}

function isErrorCode(code: unknown): code is string {
  return (
    typeof code === 'string' &&
    code.length >= 1 &&
    code.length <= MAX_ERROR_CODE_BYTES &&
    CODE_PATTERN.test(code)
  )
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    (typeof x === 'object' || typeof x === 'function') &&
    x !== null &&
    typeof (x as { then?: unknown }).then === 'function'
  )
}

function isVerdict(x: unknown): x is AuthorizeVerdict {
  return typeof x === 'object' && x !== null && typeof (x as { ok?: unknown }).ok === 'boolean'
}

const utf8Encoder = new TextEncoder()

/** The UTF-8 of `text`, cut to at most `max` bytes on a character boundary. */
function utf8Prefix(text: string, max: number): Uint8Array {
  const bytes = utf8Encoder.encode(text)
  if (bytes.length <= max) return bytes
  let end = max
  // Back off over continuation bytes (10xxxxxx) so the cut never splits a character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return bytes.slice(0, end)
}
