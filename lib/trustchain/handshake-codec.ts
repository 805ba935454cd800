import * as dagCbor from '@ipld/dag-cbor'
import { TrustchainError, type SerializedTrustchainError, type TrustchainCheck } from './errors'

/** The protocol both ends of a new connection run before they trust each other. */
export const TRUSTCHAIN_PROTOCOL = '/hypermesh/trustchain/1'

/** Largest handshake message: a certificate (< 1 KiB), a proof (~2 KiB at 2^40 entries), a checkpoint. */
export const MAX_HANDSHAKE_MESSAGE_BYTES = 16 * 1024

/** What each side sends first: who it is, proven by the log, and the newest checkpoint it knows. */
export interface Hello {
  /** Certificate, DER. */
  certificate: Uint8Array
  /** c2sp.org/tlog-proof of the certificate. */
  proof: string
  /** The newest signed checkpoint the sender has seen (gossiped so split views show up). */
  checkpoint: string
}

/** What each side answers after checking the other's hello. */
export type Verdict = { ok: true } | { ok: false; error: SerializedTrustchainError }

/** A handshake message that does not follow the wire format. */
export class MalformedHandshakeError extends TrustchainError {
  override readonly name = 'MalformedHandshakeError'
  readonly code = 'ERR_HANDSHAKE_FORMAT'
  override readonly check = 'format' as const
}

const CHECKS: readonly TrustchainCheck[] = [
  'format',
  'chain',
  'validity',
  'peer-id',
  'revocation',
  'inclusion',
  'checkpoint-signature',
  'consistency',
]

/** Encode a hello: dag-cbor `{ v: 1, t: 'hello', cert, proof, cp }`. */
export function encodeHello(h: Hello): Uint8Array {
  return checkedSize(
    dagCbor.encode({ v: 1, t: 'hello', cert: h.certificate, proof: h.proof, cp: h.checkpoint }),
  )
}

/** Encode a verdict: dag-cbor `{ v: 1, t: 'verdict', ok, err? }`. */
export function encodeVerdict(v: Verdict): Uint8Array {
  return checkedSize(
    dagCbor.encode(
      v.ok
        ? { v: 1, t: 'verdict', ok: true }
        : {
            v: 1,
            t: 'verdict',
            ok: false,
            err: {
              name: v.error.name.slice(0, 64),
              code: v.error.code.slice(0, 64),
              message: v.error.message.slice(0, 500),
              ...(v.error.check !== undefined ? { check: v.error.check } : {}),
            },
          },
    ),
  )
}

/** Decode a hello (network input). */
export function decodeHello(bytes: Uint8Array): Hello {
  const m = decodeMap(bytes, 'hello', ['cert', 'cp', 'proof', 't', 'v'])
  if (!(m.cert instanceof Uint8Array) || m.cert.byteLength === 0) {
    throw new MalformedHandshakeError('hello: cert must be bytes')
  }
  if (typeof m.proof !== 'string' || m.proof.length === 0) {
    throw new MalformedHandshakeError('hello: proof must be text')
  }
  if (typeof m.cp !== 'string' || m.cp.length === 0) {
    throw new MalformedHandshakeError('hello: cp must be text')
  }
  return { certificate: m.cert, proof: m.proof, checkpoint: m.cp }
}

/** Decode a verdict (network input). */
export function decodeVerdict(bytes: Uint8Array): Verdict {
  const m = decodeMap(bytes, 'verdict', null)
  if (m.ok === true) {
    if (Object.keys(m).length !== 3) throw new MalformedHandshakeError('verdict: extra fields')
    return { ok: true }
  }
  if (m.ok !== false || Object.keys(m).length !== 4) {
    throw new MalformedHandshakeError('verdict: ok must be true, or false with err')
  }
  const e = m.err
  if (typeof e !== 'object' || e === null || Array.isArray(e) || e instanceof Uint8Array) {
    throw new MalformedHandshakeError('verdict: err must be a map')
  }
  const err = e as Record<string, unknown>
  const keys = Object.keys(err)
  const strings = ['name', 'code', 'message'] as const
  for (const k of strings) {
    if (typeof err[k] !== 'string' || (err[k] as string).length > (k === 'message' ? 500 : 64)) {
      throw new MalformedHandshakeError(`verdict: err.${k} must be short text`)
    }
  }
  if (keys.some((k) => !['name', 'code', 'message', 'check'].includes(k))) {
    throw new MalformedHandshakeError('verdict: unknown err field')
  }
  if (err.check !== undefined && !CHECKS.includes(err.check as TrustchainCheck)) {
    throw new MalformedHandshakeError('verdict: unknown check')
  }
  return {
    ok: false,
    error: {
      name: err.name as string,
      code: err.code as string,
      message: err.message as string,
      ...(err.check !== undefined ? { check: err.check as TrustchainCheck } : {}),
    },
  }
}

function checkedSize(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength > MAX_HANDSHAKE_MESSAGE_BYTES) {
    throw new MalformedHandshakeError(
      `handshake message of ${bytes.byteLength} bytes is over ${MAX_HANDSHAKE_MESSAGE_BYTES}`,
    )
  }
  return bytes
}

function decodeMap(
  bytes: Uint8Array,
  type: string,
  keys: string[] | null,
): Record<string, unknown> {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength > MAX_HANDSHAKE_MESSAGE_BYTES) {
    throw new MalformedHandshakeError(`${type}: over ${MAX_HANDSHAKE_MESSAGE_BYTES} bytes`)
  }
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch {
    throw new MalformedHandshakeError(`${type}: not dag-cbor`)
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    value instanceof Uint8Array
  ) {
    throw new MalformedHandshakeError(`${type}: not a map`)
  }
  const m = value as Record<string, unknown>
  if (m.v !== 1 || m.t !== type) throw new MalformedHandshakeError(`${type}: wrong version or type`)
  if (keys !== null && Object.keys(m).sort().join(',') !== keys.join(',')) {
    throw new MalformedHandshakeError(`${type}: wrong fields`)
  }
  return m
}
