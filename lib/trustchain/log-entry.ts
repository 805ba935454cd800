import * as dagCbor from '@ipld/dag-cbor'
import { TrustchainError } from './errors'

/**
 * Entries of the TrustChain transparency log (docs/trustchain.md, "Log entries"). Each entry is
 * one type byte and its body, so an auditor reading `tile/entries/<N>` can tell them apart:
 *
 * - `0x01` ‖ certificate DER — an issued certificate;
 * - `0x02` ‖ dag-cbor revocation — a signed statement that a certificate is revoked.
 */
export const ENTRY_CERTIFICATE = 0x01
export const ENTRY_REVOCATION = 0x02

/** Most bytes of one entry: tlog-tiles entry bundles prefix each entry with a uint16 length. */
export const MAX_ENTRY_BYTES = 0xffff

/** Who signed a revocation: the certificate's own key, or the operator's admin key. */
export type RevocationAuthority = 'key' | 'admin'

/** A revocation as it is logged, with the signature that authorised it. */
export interface Revocation {
  /** Serial of the revoked certificate, lowercase hex. */
  serialHex: string
  /** Peer ID named by the revoked certificate. */
  peerId: string
  /** Unix time in ms the revoker stated (checked against the server clock at submission). */
  revokedAt: number
  /** Free text, at most 200 characters. */
  reason: string
  authority: RevocationAuthority
  /** Ed25519 signature over {@link revocationMessage} by the certificate key or the admin key. */
  signature: Uint8Array
}

/** A decoded log entry. */
export type LogEntry =
  { type: 'certificate'; der: Uint8Array } | { type: 'revocation'; revocation: Revocation }

/** An entry that is not one of the two types, or whose body does not follow its format. */
export class MalformedLogEntryError extends TrustchainError {
  override readonly name = 'MalformedLogEntryError'
  readonly code = 'ERR_LOG_ENTRY_FORMAT'
  override readonly check = 'format' as const
}

const SERIAL_RE = /^[0-9a-f]{2,40}$/
const PEER_ID_RE = /^[1-9A-HJ-NP-Za-km-z]{40,60}$/
export const MAX_REVOCATION_REASON = 200

/**
 * The bytes a revoker signs: a fixed context line, so a signature made for anything else (a
 * proof of possession, a heartbeat) can never be replayed as a revocation.
 */
export function revocationMessage(r: Omit<Revocation, 'signature'>): Uint8Array {
  return new TextEncoder().encode(
    `hypermesh-trustchain-revocation-v1\n${r.serialHex}\n${r.peerId}\n${r.revokedAt}\n${r.authority}\n${r.reason}`,
  )
}

/** Check the fields of a revocation; throws MalformedLogEntryError naming the bad field. */
export function checkRevocationFields(r: Omit<Revocation, 'signature'>): void {
  if (typeof r.peerId !== 'string' || !PEER_ID_RE.test(r.peerId)) {
    throw new MalformedLogEntryError('revocation: peerId is not a base58 peer ID')
  }
  checkRevocationStatement(r)
}

/** Check what a revoker states (all fields but the peer ID, which the log fills in). */
export function checkRevocationStatement(
  r: Pick<Revocation, 'serialHex' | 'revokedAt' | 'reason' | 'authority'>,
): void {
  if (typeof r.serialHex !== 'string' || !SERIAL_RE.test(r.serialHex)) {
    throw new MalformedLogEntryError('revocation: serial must be 2–40 lowercase hex digits')
  }
  if (!Number.isSafeInteger(r.revokedAt) || r.revokedAt < 0) {
    throw new MalformedLogEntryError('revocation: revokedAt must be a non-negative integer (ms)')
  }
  if (typeof r.reason !== 'string' || r.reason.length > MAX_REVOCATION_REASON) {
    throw new MalformedLogEntryError(
      `revocation: reason must be text of at most ${MAX_REVOCATION_REASON} characters`,
    )
  }
  if (/[\n\r]/.test(r.reason)) {
    throw new MalformedLogEntryError('revocation: reason must be one line')
  }
  if (r.authority !== 'key' && r.authority !== 'admin') {
    throw new MalformedLogEntryError('revocation: authority must be "key" or "admin"')
  }
}

/** Encode an entry for the log. */
export function encodeLogEntry(entry: LogEntry): Uint8Array {
  let body: Uint8Array
  let type: number
  if (entry.type === 'certificate') {
    type = ENTRY_CERTIFICATE
    body = entry.der
  } else {
    type = ENTRY_REVOCATION
    const r = entry.revocation
    checkRevocationFields(r)
    if (!(r.signature instanceof Uint8Array) || r.signature.byteLength !== 64) {
      throw new MalformedLogEntryError('revocation: signature must be 64 bytes')
    }
    body = dagCbor.encode({
      serial: r.serialHex,
      peer: r.peerId,
      at: r.revokedAt,
      reason: r.reason,
      by: r.authority,
      sig: r.signature,
    })
  }
  if (body.byteLength + 1 > MAX_ENTRY_BYTES) {
    throw new MalformedLogEntryError(`entry of ${body.byteLength + 1} bytes is over 65535`)
  }
  const out = new Uint8Array(body.byteLength + 1)
  out[0] = type
  out.set(body, 1)
  return out
}

/** Decode a log entry (network input: auditors and peers read entries from tiles). */
export function decodeLogEntry(bytes: Uint8Array): LogEntry {
  if (
    !(bytes instanceof Uint8Array) ||
    bytes.byteLength < 2 ||
    bytes.byteLength > MAX_ENTRY_BYTES
  ) {
    throw new MalformedLogEntryError('entry must be 2..65535 bytes')
  }
  const body = bytes.subarray(1)
  if (bytes[0] === ENTRY_CERTIFICATE) return { type: 'certificate', der: body }
  if (bytes[0] !== ENTRY_REVOCATION) {
    throw new MalformedLogEntryError(`unknown entry type 0x${bytes[0]!.toString(16)}`)
  }
  let value: unknown
  try {
    value = dagCbor.decode(body)
  } catch {
    throw new MalformedLogEntryError('revocation: not dag-cbor')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedLogEntryError('revocation: not a map')
  }
  const v = value as Record<string, unknown>
  const keys = Object.keys(v).sort().join(',')
  if (keys !== 'at,by,peer,reason,serial,sig') {
    throw new MalformedLogEntryError('revocation: wrong fields')
  }
  const revocation = {
    serialHex: v.serial as string,
    peerId: v.peer as string,
    revokedAt: v.at as number,
    reason: v.reason as string,
    authority: v.by as RevocationAuthority,
    signature: v.sig as Uint8Array,
  }
  checkRevocationFields(revocation)
  if (!(revocation.signature instanceof Uint8Array) || revocation.signature.byteLength !== 64) {
    throw new MalformedLogEntryError('revocation: signature must be 64 bytes')
  }
  return { type: 'revocation', revocation }
}
