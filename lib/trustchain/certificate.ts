/**
 * TrustChain certificates as every peer sees them: a strict decoder for the X.509 profile the CA
 * issues (DESIGN.md §3) and the signature check of one link of a chain. It runs in the browser,
 * in workers and in Node, so it uses no `node:*` module.
 *
 * Peer profile: X.509 v3, Ed25519 key and Ed25519 signature, an empty subject, a critical
 * SubjectAltName holding exactly one URI `hypermesh://<peerId>`, BasicConstraints CA:false,
 * KeyUsage digitalSignature, ExtendedKeyUsage clientAuth, AuthorityKeyIdentifier and
 * SubjectKeyIdentifier. The root is a self-signed Ed25519 CA.
 */
import 'reflect-metadata'
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
} from '@peculiar/x509'
import { ed25519 } from '@noble/curves/ed25519.js'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { TrustchainError } from './errors'

/** Largest certificate {@link parseCertificate} accepts, in DER bytes. Ours are about 400. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024

/** Scheme of the SubjectAltName URI that carries a peer's ID: `hypermesh://<peerId>`. */
export const PEER_URI_PREFIX = 'hypermesh://'

/** A decoded TrustChain certificate. Byte fields are copies: changing them never alters `der`. */
export interface ParsedCertificate {
  /** The whole certificate, DER. */
  der: Uint8Array
  /** The signed part (TBSCertificate), exactly as encoded in `der`. */
  tbs: Uint8Array
  /** The 64-byte Ed25519 signature over `tbs`. */
  signature: Uint8Array
  /** Serial number, lowercase hex, as `@peculiar/x509` renders it. */
  serialHex: string
  /** Start of the validity window, ms since the epoch. */
  notBefore: number
  /** End of the validity window, ms since the epoch. */
  notAfter: number
  /** The subject's raw 32-byte Ed25519 public key. */
  subjectPublicKey: Uint8Array
  /** The peer ID from the SAN URI `hypermesh://<peerId>`; `null` for a CA (the root). */
  peerId: string | null
  /** Whether BasicConstraints marks the certificate as a CA. */
  isCa: boolean
  /** SubjectKeyIdentifier, or `null` when absent (a CA always has one). */
  subjectKeyId: Uint8Array | null
  /** keyIdentifier of AuthorityKeyIdentifier, or `null` when absent. */
  authorityKeyId: Uint8Array | null
  /** Issuer distinguished name, RFC 4514 string. */
  issuerDn: string
  /** Subject distinguished name, RFC 4514 string; `''` for a peer certificate. */
  subjectDn: string
}

/**
 * A certificate could not be decoded or does not follow the TrustChain profile. The message says
 * which rule failed; the peer that sent it should ask the CA for a new certificate.
 */
export class MalformedCertificateError extends TrustchainError {
  override readonly name = 'MalformedCertificateError'
  readonly code = 'ERR_CERTIFICATE_FORMAT'
  override readonly check = 'format' as const

  /** @param reason - what is wrong, as a sentence fragment */
  constructor(reason: string, options?: ErrorOptions) {
    super(`Certificate is malformed: ${reason}.`, options)
  }
}

/** A certificate was not issued by the certificate offered as its issuer. */
export class CertificateChainError extends TrustchainError {
  override readonly name = 'CertificateChainError'
  readonly code = 'ERR_CERTIFICATE_CHAIN'
  override readonly check = 'chain' as const

  /** @param reason - which link of the chain failed, as a sentence fragment */
  constructor(reason: string) {
    super(`Certificate chain does not verify: ${reason}.`)
  }
}

/** A public key is not a raw 32-byte Ed25519 key (or not a usable curve point). */
export class InvalidPublicKeyError extends TrustchainError {
  override readonly name = 'InvalidPublicKeyError'
  readonly code = 'ERR_INVALID_PUBLIC_KEY'

  /** @param reason - what is wrong with the key, as a sentence fragment */
  constructor(reason: string) {
    super(`Public key is not a valid Ed25519 key: ${reason}.`)
  }
}

/**
 * A claimed peer ID is not the one derived from the public key. The CA raises it instead of
 * issuing; a peer raises it when a certificate's SAN does not match its key.
 */
export class PeerIdMismatchError extends TrustchainError {
  override readonly name = 'PeerIdMismatchError'
  readonly code = 'ERR_PEER_ID_MISMATCH'
  override readonly check = 'peer-id' as const

  /** @param expected - the peer ID derived from the key */
  constructor(readonly expected: string) {
    super(
      `The claimed peer ID does not belong to this public key (its peer ID is ${expected}); ` +
        'ask again with the peer ID derived from your key.',
    )
  }
}

/**
 * The libp2p peer ID string of a raw Ed25519 public key (`12D3KooW…`).
 *
 * @example
 * ```ts
 * peerIdOfPublicKey(ed25519.getPublicKey(secret)) // '12D3KooW…'
 * ```
 * @throws {@link InvalidPublicKeyError} when `raw` is not 32 bytes
 */
export function peerIdOfPublicKey(raw: Uint8Array): string {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) {
    throw new InvalidPublicKeyError('peerIdOfPublicKey expects 32 raw bytes')
  }
  return peerIdFromPublicKey(publicKeyFromRaw(raw)).toString()
}

// DER tags used below.
const TAG_INTEGER = 0x02
const TAG_BIT_STRING = 0x03
const TAG_SEQUENCE = 0x30
const TAG_SET = 0x31
const TAG_UTC_TIME = 0x17
const TAG_GENERALIZED_TIME = 0x18
const TAG_VERSION = 0xa0
const TAG_ISSUER_UID = 0x81
const TAG_SUBJECT_UID = 0x82
const TAG_EXTENSIONS = 0xa3

/** AlgorithmIdentifier of Ed25519 (OID 1.3.101.112, parameters absent, RFC 8410). */
const ED25519_ALGORITHM = Uint8Array.of(0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70)
/** SubjectPublicKeyInfo of an Ed25519 key up to the 32 key bytes (RFC 8410 §4). */
const ED25519_SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, ...ED25519_ALGORITHM, 0x03, 0x21, 0x00)
/** `[0] EXPLICIT INTEGER 2`: the version field of an X.509 v3 certificate. */
const VERSION_V3 = Uint8Array.of(TAG_VERSION, 0x03, TAG_INTEGER, 0x01, 0x02)
const EMPTY_NAME = Uint8Array.of(TAG_SEQUENCE, 0x00)
/** Nesting in our certificates is about 7 deep; the bound keeps the walk's recursion small. */
const MAX_DER_DEPTH = 24
/** Base64 of 16 KiB plus headers and line breaks, with room to spare. */
const MAX_PEM_CHARS = 24 * 1024
/** libp2p's base58btc peer IDs; Ed25519 ones are 52 characters. */
const PEER_ID_PATTERN = /^[1-9A-HJ-NP-Za-km-z]{1,128}$/

const OID_BASIC_CONSTRAINTS = '2.5.29.19'
const OID_KEY_USAGE = '2.5.29.15'
const OID_EXTENDED_KEY_USAGE = '2.5.29.37'
const OID_SUBJECT_KEY_ID = '2.5.29.14'
const OID_AUTHORITY_KEY_ID = '2.5.29.35'
const OID_SUBJECT_ALT_NAME = '2.5.29.17'
/** Extensions this decoder understands, so they may be critical (RFC 5280 §4.2). */
const UNDERSTOOD_EXTENSIONS = new Set([
  OID_BASIC_CONSTRAINTS,
  OID_KEY_USAGE,
  OID_EXTENDED_KEY_USAGE,
  OID_SUBJECT_KEY_ID,
  OID_AUTHORITY_KEY_ID,
  OID_SUBJECT_ALT_NAME,
])

/** One DER element: its tag and where its header starts and its contents start and end. */
interface Element {
  tag: number
  start: number
  body: number
  end: number
}

function malformed(reason: string, cause?: unknown): MalformedCertificateError {
  return new MalformedCertificateError(reason, cause === undefined ? undefined : { cause })
}

/** Reads the element at `pos`, which must end by `limit`, enforcing DER's length rules. */
function readElement(buf: Uint8Array, pos: number, limit: number): Element {
  if (pos + 2 > limit) throw malformed('truncated DER element')
  const tag = buf[pos]!
  // Tag 0 is BER's end-of-contents; multi-byte tags never occur in X.509.
  if (tag === 0 || (tag & 0x1f) === 0x1f) throw malformed(`unexpected DER tag 0x${hex2(tag)}`)
  let length = buf[pos + 1]!
  let body = pos + 2
  if (length & 0x80) {
    const count = length & 0x7f
    // 0x80 is BER's indefinite length; two length bytes already cover 64 KiB > 16 KiB.
    if (count === 0 || count > 2) throw malformed('not DER (unsupported length form)')
    if (body + count > limit) throw malformed('truncated DER length')
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + buf[body + i]!
    body += count
    if (length < 0x80 || (count === 2 && length < 0x100)) {
      throw malformed('not DER (length not in its shortest form)')
    }
  }
  if (body + length > limit) throw malformed('truncated DER element')
  return { tag, start: pos, body, end: body + length }
}

function readTagged(buf: Uint8Array, pos: number, limit: number, tag: number, what: string) {
  const element = readElement(buf, pos, limit)
  if (element.tag !== tag) throw malformed(`${what} is missing`)
  return element
}

/**
 * Walks every constructed element so that the whole certificate is DER-shaped: definite, minimal
 * lengths, children that exactly fill their parent, and no constructed strings (BER only).
 * asn1js alone accepts BER, and would let trailing bytes hide inside a SEQUENCE.
 */
function checkDerShape(buf: Uint8Array, start: number, end: number, depth: number): void {
  for (let pos = start; pos < end;) {
    const element = readElement(buf, pos, end)
    if (element.tag & 0x20) {
      const universal = (element.tag & 0xc0) === 0
      if (universal && element.tag !== TAG_SEQUENCE && element.tag !== TAG_SET) {
        throw malformed('not DER (constructed string)')
      }
      if (depth >= MAX_DER_DEPTH) throw malformed('DER nested too deeply')
      checkDerShape(buf, element.body, element.end, depth + 1)
    }
    pos = element.end
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0')
}

function bytesFromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

function decodePem(text: string): Uint8Array<ArrayBuffer> {
  const match =
    /^\s*-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----\s*$/.exec(
      text,
    )
  if (!match) throw malformed('not DER bytes nor a single PEM CERTIFICATE block')
  const base64 = match[1]!.replace(/[\r\n]/g, '')
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw malformed('PEM body is not base64')
  }
  const binary = atob(base64)
  const der = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i)
  return der
}

function toDer(input: Uint8Array | string): Uint8Array<ArrayBuffer> {
  if (typeof input === 'string') {
    if (input.length > MAX_PEM_CHARS) throw malformed(`PEM longer than ${MAX_PEM_CHARS} characters`)
    const der = decodePem(input)
    if (der.length > MAX_CERTIFICATE_BYTES) {
      throw malformed(`larger than ${MAX_CERTIFICATE_BYTES} bytes`)
    }
    return der
  }
  if (!(input instanceof Uint8Array)) throw malformed('expected DER bytes or a PEM string')
  if (input.length > MAX_CERTIFICATE_BYTES) {
    throw malformed(`larger than ${MAX_CERTIFICATE_BYTES} bytes`)
  }
  // A copy: the caller's buffer (often a network frame) may be reused after we return.
  return input.slice()
}

/**
 * RFC 5280 §4.1.2.5: UTCTime `YYMMDDHHMMSSZ` through 2049, GeneralizedTime `YYYYMMDDHHMMSSZ`
 * from 2050, seconds always present, no fractions, always Zulu.
 */
function readTime(buf: Uint8Array, element: Element, what: string): number {
  if (element.end - element.body > 15) throw malformed(`${what} is too long`)
  const text = String.fromCharCode(...buf.subarray(element.body, element.end))
  let year: number
  let rest: string
  if (element.tag === TAG_UTC_TIME && /^\d{12}Z$/.test(text)) {
    const yy = Number(text.slice(0, 2))
    year = yy >= 50 ? 1900 + yy : 2000 + yy
    rest = text.slice(2)
    if (year >= 2050) throw malformed(`${what} uses UTCTime after 2049`)
  } else if (element.tag === TAG_GENERALIZED_TIME && /^\d{14}Z$/.test(text)) {
    year = Number(text.slice(0, 4))
    rest = text.slice(4)
    if (year < 2050) throw malformed(`${what} uses GeneralizedTime before 2050`)
  } else {
    throw malformed(`${what} is not a UTCTime or GeneralizedTime of RFC 5280`)
  }
  const [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map((i) =>
    Number(rest.slice(i, i + 2)),
  ) as [number, number, number, number, number]
  const ms = Date.UTC(year, month - 1, day, hour, minute, second)
  const date = new Date(ms)
  // Date.UTC rolls 31 February over into March; a round trip catches such impossible dates.
  if (
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    throw malformed(`${what} is not a real date`)
  }
  return ms
}

function checkSerial(buf: Uint8Array, element: Element): void {
  const length = element.end - element.body
  if (length < 1 || length > 20) throw malformed('serial number is not 1 to 20 bytes')
  const first = buf[element.body]!
  const second = length > 1 ? buf[element.body + 1]! : 0
  if ((first === 0x00 && length > 1 && second < 0x80) || (first === 0xff && second >= 0x80)) {
    throw malformed('not DER (serial number not minimally encoded)')
  }
  if (first & 0x80 || (first === 0 && length === 1))
    throw malformed('serial number is not positive')
}

/** Throws unless `raw` decodes strictly to an Ed25519 point of large order. */
function checkEd25519Point(raw: Uint8Array): void {
  let smallOrder: boolean
  try {
    smallOrder = ed25519.Point.fromBytes(raw, false).isSmallOrder()
  } catch (err) {
    throw malformed('public key is not a valid Ed25519 point', err)
  }
  if (smallOrder) throw malformed('public key is a small-order Ed25519 point')
}

/** The fields that the DER walk reads itself, rather than through @peculiar/x509. */
interface TbsLayout {
  tbs: Element
  signature: Element
  subject: Element
  publicKey: Uint8Array
  notBefore: number
  notAfter: number
}

function readLayout(der: Uint8Array): TbsLayout {
  const cert = readElement(der, 0, der.length)
  if (cert.tag !== TAG_SEQUENCE) throw malformed('not a DER SEQUENCE')
  if (cert.end !== der.length) throw malformed('trailing bytes after the certificate')
  checkDerShape(der, 0, der.length, 0)

  const tbs = readTagged(der, cert.body, cert.end, TAG_SEQUENCE, 'TBSCertificate')
  const outerAlgorithm = readTagged(der, tbs.end, cert.end, TAG_SEQUENCE, 'signatureAlgorithm')
  if (!equalBytes(der.subarray(outerAlgorithm.start, outerAlgorithm.end), ED25519_ALGORITHM)) {
    throw malformed('signature algorithm is not Ed25519')
  }
  const signature = readTagged(der, outerAlgorithm.end, cert.end, TAG_BIT_STRING, 'signature')
  if (signature.end - signature.body !== 65 || der[signature.body] !== 0) {
    throw malformed('signature is not a 64-byte Ed25519 signature')
  }
  if (signature.end !== cert.end) throw malformed('unexpected element after the signature')

  const version = readElement(der, tbs.body, tbs.end)
  if (!equalBytes(der.subarray(version.start, version.end), VERSION_V3)) {
    throw malformed('not an X.509 v3 certificate')
  }
  const serial = readTagged(der, version.end, tbs.end, TAG_INTEGER, 'serial number')
  checkSerial(der, serial)
  const innerAlgorithm = readTagged(der, serial.end, tbs.end, TAG_SEQUENCE, 'signature algorithm')
  if (!equalBytes(der.subarray(innerAlgorithm.start, innerAlgorithm.end), ED25519_ALGORITHM)) {
    throw malformed('signature algorithm is not Ed25519')
  }
  const issuer = readTagged(der, innerAlgorithm.end, tbs.end, TAG_SEQUENCE, 'issuer')
  const validity = readTagged(der, issuer.end, tbs.end, TAG_SEQUENCE, 'validity')
  const notBeforeElement = readElement(der, validity.body, validity.end)
  const notAfterElement = readElement(der, notBeforeElement.end, validity.end)
  if (notAfterElement.end !== validity.end) throw malformed('validity has extra elements')
  const notBefore = readTime(der, notBeforeElement, 'notBefore')
  const notAfter = readTime(der, notAfterElement, 'notAfter')
  const subject = readTagged(der, validity.end, tbs.end, TAG_SEQUENCE, 'subject')
  const spki = readTagged(der, subject.end, tbs.end, TAG_SEQUENCE, 'subjectPublicKeyInfo')
  const spkiBytes = der.subarray(spki.start, spki.end)
  if (
    spkiBytes.length !== ED25519_SPKI_PREFIX.length + 32 ||
    !equalBytes(spkiBytes.subarray(0, ED25519_SPKI_PREFIX.length), ED25519_SPKI_PREFIX)
  ) {
    throw malformed('public key is not Ed25519')
  }
  const publicKey = spkiBytes.slice(ED25519_SPKI_PREFIX.length)
  checkEd25519Point(publicKey)

  if (spki.end === tbs.end) throw malformed('extensions are missing')
  const extensions = readElement(der, spki.end, tbs.end)
  if (extensions.tag === TAG_ISSUER_UID || extensions.tag === TAG_SUBJECT_UID) {
    throw malformed('unique identifiers are not allowed')
  }
  if (extensions.tag !== TAG_EXTENSIONS) throw malformed('extensions are missing')
  if (extensions.end !== tbs.end) throw malformed('unexpected element after the extensions')
  return { tbs, signature, subject, publicKey, notBefore, notAfter }
}

/** The extension fields of the profile, read through @peculiar/x509. */
interface ProfileFields {
  isCa: boolean
  peerId: string | null
  subjectKeyId: Uint8Array | null
  authorityKeyId: Uint8Array | null
  issuerDn: string
  subjectDn: string
  serialHex: string
}

function keyId(hex: string | undefined, what: string): Uint8Array | null {
  if (hex === undefined) return null
  if (hex.length === 0) throw malformed(`${what} is empty`)
  return bytesFromHex(hex)
}

function readProfile(der: Uint8Array<ArrayBuffer>, subjectIsEmpty: boolean): ProfileFields {
  const cert = new X509Certificate(der)
  const seen = new Set<string>()
  for (const extension of cert.extensions) {
    if (seen.has(extension.type)) throw malformed(`extension ${extension.type} appears twice`)
    seen.add(extension.type)
    if (extension.critical && !UNDERSTOOD_EXTENSIONS.has(extension.type)) {
      throw malformed(`unknown critical extension ${extension.type}`)
    }
  }

  const basic = cert.getExtension(BasicConstraintsExtension)
  const isCa = basic?.ca === true
  const usage = cert.getExtension(KeyUsagesExtension)
  const canSignCertificates = usage !== null && (usage.usages & KeyUsageFlags.keyCertSign) !== 0
  // RFC 5280 §4.2.1.9: keyCertSign if and only if cA.
  if (isCa && !canSignCertificates) throw malformed('CA certificate without keyCertSign usage')
  if (!isCa && canSignCertificates) throw malformed('keyCertSign usage without CA:true')
  if (isCa && basic?.critical !== true) throw malformed('CA BasicConstraints is not critical')

  const subjectKeyId = keyId(cert.getExtension(SubjectKeyIdentifierExtension)?.keyId, 'SKI')
  if (isCa && subjectKeyId === null) throw malformed('CA certificate without SubjectKeyIdentifier')
  const authorityKeyId = keyId(cert.getExtension(AuthorityKeyIdentifierExtension)?.keyId, 'AKI')

  let peerId: string | null = null
  if (!isCa) {
    if (!subjectIsEmpty) throw malformed('peer certificate subject is not empty')
    const san = cert.getExtension(SubjectAlternativeNameExtension)
    if (san === null) throw malformed('peer certificate has no SubjectAltName')
    // RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical.
    if (!san.critical) throw malformed('SubjectAltName is not critical')
    const names = san.names.items
    const only = names[0]
    if (names.length !== 1 || only === undefined || only.type !== 'url') {
      throw malformed('SubjectAltName does not hold exactly one URI')
    }
    if (!only.value.startsWith(PEER_URI_PREFIX)) {
      throw malformed(`SubjectAltName URI is not ${PEER_URI_PREFIX}<peerId>`)
    }
    peerId = only.value.slice(PEER_URI_PREFIX.length)
    if (!PEER_ID_PATTERN.test(peerId)) throw malformed('SubjectAltName peer ID is not base58btc')
  }

  return {
    isCa,
    peerId,
    subjectKeyId,
    authorityKeyId,
    issuerDn: cert.issuer,
    subjectDn: cert.subject,
    serialHex: cert.serialNumber,
  }
}

/**
 * Decodes a TrustChain certificate received from the network and checks it follows the profile.
 * It does not check the signature, the validity window or that the peer ID belongs to the key:
 * see {@link verifyCertificateSignature} and the verifier.
 *
 * @param input - DER bytes, or a string holding one PEM `CERTIFICATE` block
 * @throws {@link MalformedCertificateError} (and only that) for anything that is not a
 *   well-formed certificate of the profile: not DER/PEM, trailing bytes, more than
 *   {@link MAX_CERTIFICATE_BYTES}, a key or signature that is not Ed25519, a peer certificate with
 *   a non-empty subject or without exactly one critical `hypermesh://` SAN URI, …
 * @example
 * ```ts
 * const cert = parseCertificate(pem)
 * cert.peerId // '12D3KooW…'
 * ```
 */
export function parseCertificate(input: Uint8Array | string): ParsedCertificate {
  try {
    const der = toDer(input)
    const layout = readLayout(der)
    const subjectIsEmpty = equalBytes(
      der.subarray(layout.subject.start, layout.subject.end),
      EMPTY_NAME,
    )
    const profile = readProfile(der, subjectIsEmpty)
    return {
      der,
      tbs: der.slice(layout.tbs.start, layout.tbs.end),
      signature: der.slice(layout.signature.body + 1, layout.signature.end),
      serialHex: profile.serialHex,
      notBefore: layout.notBefore,
      notAfter: layout.notAfter,
      subjectPublicKey: layout.publicKey,
      peerId: profile.peerId,
      isCa: profile.isCa,
      subjectKeyId: profile.subjectKeyId,
      authorityKeyId: profile.authorityKeyId,
      issuerDn: profile.issuerDn,
      subjectDn: profile.subjectDn,
    }
  } catch (err) {
    if (err instanceof MalformedCertificateError) throw err
    // asn1js and @peculiar/x509 throw plain errors (and sometimes strings) on bad input; a
    // network decoder must surface one typed failure whatever the bytes were.
    throw malformed('not a valid X.509 certificate', err)
  }
}

/**
 * Checks that `issuer` issued `cert`: the issuer is a CA, `cert`'s AuthorityKeyIdentifier is the
 * issuer's SubjectKeyIdentifier, `cert`'s issuer name is the issuer's subject, and the Ed25519
 * signature over `cert.tbs` verifies with the issuer's key (strict RFC 8032, not ZIP-215).
 *
 * @throws {@link CertificateChainError} naming the first link that failed
 * @example
 * ```ts
 * verifyCertificateSignature(parseCertificate(peerDer), parseCertificate(rootDer))
 * ```
 */
export function verifyCertificateSignature(
  cert: ParsedCertificate,
  issuer: ParsedCertificate,
): void {
  if (!issuer.isCa) throw new CertificateChainError('the issuer is not a CA')
  if (cert.authorityKeyId === null) {
    throw new CertificateChainError('the certificate has no AuthorityKeyIdentifier')
  }
  if (issuer.subjectKeyId === null || !equalBytes(cert.authorityKeyId, issuer.subjectKeyId)) {
    throw new CertificateChainError("the AuthorityKeyIdentifier is not the issuer's key ID")
  }
  if (cert.issuerDn !== issuer.subjectDn) {
    throw new CertificateChainError("the issuer name is not the issuer's subject")
  }
  let valid: boolean
  try {
    valid = ed25519.verify(cert.signature, cert.tbs, issuer.subjectPublicKey, { zip215: false })
  } catch {
    valid = false
  }
  if (!valid) throw new CertificateChainError("the signature does not verify with the issuer's key")
}
