/**
 * TrustChain certificates as every peer sees them: a strict decoder for the X.509 profile the CA
 * issues (DESIGN.md §3) and the signature check of one link of a chain. It runs in the browser,
 * in workers and in Node, so it uses no `node:*` module.

The decoder walks the DER itself (./der.ts) and reads only what the profile needs: no ASN.1
schema library, which used to be most of the tab's TrustChain bundle and of each handshake's
parsing time. The DN strings and the serial's hex keep the exact form @peculiar/x509 gave them
(the tests compare both decoders on many certificates), since peers compare and log them.
 *
 * Peer profile: X.509 v3, Ed25519 key and Ed25519 signature, an empty subject, a critical
 * SubjectAltName holding exactly one URI `hypermesh://<peerId>`, BasicConstraints CA:false,
 * KeyUsage digitalSignature, ExtendedKeyUsage clientAuth, AuthorityKeyIdentifier and
 * SubjectKeyIdentifier. The root is a self-signed Ed25519 CA.
 */
import { certificatePemToDer } from './pem'
import { ed25519 } from '@noble/curves/ed25519.js'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import {
  DER_BIT_STRING,
  DER_BOOLEAN,
  DER_INTEGER,
  DER_NULL,
  DER_OCTET_STRING,
  DER_OID,
  DER_SEQUENCE,
  DER_SET,
  MalformedDerError,
  checkDerShape,
  checkInteger,
  checkPrimitive,
  decodeBoolean,
  decodeNamedBits,
  decodeOid,
  readChildren,
  readElement,
  readOnly,
  type DerElement,
} from './der'
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
  /**
   * Serial number, lowercase hex, without the 0x00 octet that keeps a high first bit positive
   * (`00 80 01` is `'8001'`), as `@peculiar/x509` renders it.
   */
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
  /**
   * Issuer distinguished name as `@peculiar/x509` renders it: RDNs in encoded order joined by
   * `, `, RFC 4514 escaping, e.g. `CN=HyperMesh TrustChain root`.
   */
  issuerDn: string
  /** Subject distinguished name, rendered as `issuerDn`; `''` for a peer certificate. */
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

// Tags of the TBS: `[0] EXPLICIT` version, `[1]`/`[2]` unique identifiers, `[3] EXPLICIT`
// extensions, and the two time types.
const TAG_VERSION = 0xa0
const TAG_ISSUER_UID = 0x81
const TAG_SUBJECT_UID = 0x82
const TAG_EXTENSIONS = 0xa3
const TAG_UTC_TIME = 0x17
const TAG_GENERALIZED_TIME = 0x18
// AuthorityKeyIdentifier fields (RFC 5280 §4.2.1.1), all IMPLICIT.
const TAG_AKI_KEY_ID = 0x80
const TAG_AKI_ISSUER = 0xa1
const TAG_AKI_SERIAL = 0x82
// GeneralName alternatives (RFC 5280 §4.2.1.6), all IMPLICIT but `[4] Name`, EXPLICIT.
const TAG_GN_RFC822 = 0x81
const TAG_GN_DNS = 0x82
const TAG_GN_DIRECTORY = 0xa4
const TAG_GN_URI = 0x86
const TAG_GN_IP = 0x87
const TAG_GN_REGISTERED_ID = 0x88
// Directory string types an attribute value may take (X.680 universal tags).
const TAG_UTF8_STRING = 0x0c
const TAG_PRINTABLE_STRING = 0x13
const TAG_TELETEX_STRING = 0x14
const TAG_IA5_STRING = 0x16
const TAG_UNIVERSAL_STRING = 0x1c
const TAG_BMP_STRING = 0x1e

/** AlgorithmIdentifier of Ed25519 (OID 1.3.101.112, parameters absent, RFC 8410). */
const ED25519_ALGORITHM = Uint8Array.of(0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70)
/** SubjectPublicKeyInfo of an Ed25519 key up to the 32 key bytes (RFC 8410 §4). */
const ED25519_SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, ...ED25519_ALGORITHM, 0x03, 0x21, 0x00)
/** `[0] EXPLICIT INTEGER 2`: the version field of an X.509 v3 certificate. */
const VERSION_V3 = Uint8Array.of(TAG_VERSION, 0x03, DER_INTEGER, 0x01, 0x02)
const EMPTY_NAME = Uint8Array.of(DER_SEQUENCE, 0x00)
/** Nesting in our certificates is about 7 deep; the bound keeps the walk's recursion small. */
const MAX_DER_DEPTH = 24
/** Base64 of 16 KiB plus headers and line breaks, with room to spare. */
const MAX_PEM_CHARS = 24 * 1024
/** libp2p's base58btc peer IDs; Ed25519 ones are 52 characters. */
const PEER_ID_PATTERN = /^[1-9A-HJ-NP-Za-km-z]{1,128}$/
/** KeyUsage keyCertSign is bit 5 of the named bit list (RFC 5280 §4.2.1.3). */
const KEY_USAGE_KEY_CERT_SIGN = 1 << 5

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

/**
 * Short names of attribute types in a rendered DN; any other type is written as its dotted OID.
 * The same table as @peculiar/x509's, so that `issuerDn`/`subjectDn` keep the strings that
 * earlier releases produced (peers compare them, and logs and the UI show them).
 */
const ATTRIBUTE_NAMES = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.6', 'C'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['1.2.840.113549.1.9.1', 'E'],
  ['2.5.4.42', 'G'],
  ['2.5.4.43', 'I'],
  ['2.5.4.4', 'SN'],
  ['2.5.4.12', 'T'],
])

/** Fatal, so invalid UTF-8 is noticed; BOM kept, as it is part of the value. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function malformed(reason: string, cause?: unknown): MalformedCertificateError {
  return new MalformedCertificateError(reason, cause === undefined ? undefined : { cause })
}

/** The element at `pos`, which must carry `tag`: a field of the certificate's fixed layout. */
function readField(buf: Uint8Array, pos: number, limit: number, tag: number, what: string) {
  const element = readElement(buf, pos, limit)
  if (element.tag !== tag) throw malformed(`${what} is missing`)
  return element
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

function hex(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out
}

/** One character per octet (ISO 8859-1), as PrintableString, IA5String and friends are read. */
function latin1(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += String.fromCharCode(byte)
  return out
}

function decodePem(text: string): Uint8Array<ArrayBuffer> {
  const der = certificatePemToDer(text)
  if (der === null)
    throw malformed('not DER bytes nor a single PEM CERTIFICATE block with a base64 body')
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
function readTime(buf: Uint8Array, element: DerElement, what: string): number {
  if (element.end - element.body > 15) throw malformed(`${what} is too long`)
  const text = latin1(buf.subarray(element.body, element.end))
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

/**
 * RFC 5280 §4.1.2.2: a positive INTEGER of at most 20 octets. Returns it as lowercase hex without
 * the 0x00 octet that keeps a high first bit positive (`00 80 01` is `'8001'`).
 */
function readSerial(buf: Uint8Array, element: DerElement): string {
  const length = element.end - element.body
  if (length < 1 || length > 20) throw malformed('serial number is not 1 to 20 bytes')
  if (checkInteger(buf, element).negative) throw malformed('serial number is not positive')
  const first = buf[element.body]!
  if (first === 0 && length === 1) throw malformed('serial number is not positive')
  return hex(buf.subarray(first === 0 ? element.body + 1 : element.body, element.end))
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

/**
 * Escapes an attribute value for the DN string: exactly @peculiar/x509's rules (RFC 4514 §2.4
 * specials, a leading space or `#`, a trailing space, and only the first CR, LF or TAB as `\XX`),
 * so that a DN renders as it always has.
 */
function escapeDnValue(value: string): string {
  return value
    .replace(/([,+"\\<>;])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/([ ]$)/, '\\$1')
    .replace(/([\r\n\t])/, (char) => `\\0${char.charCodeAt(0).toString(16).toUpperCase()}`)
}

/**
 * One attribute value of a DN as text, as @peculiar/x509 rendered it. Directory strings are
 * decoded (UTF8String as UTF-8, or one character per octet when it is not valid UTF-8; BMPString
 * as UTF-16BE; the 8-bit ones one character per octet) and escaped; NULL is empty; anything else
 * is `#` and the hex of its DER, which must be DER all the same.
 */
function attributeValueText(buf: Uint8Array, value: DerElement): string {
  const bytes = buf.subarray(value.body, value.end)
  switch (value.tag) {
    case TAG_PRINTABLE_STRING:
    case TAG_TELETEX_STRING:
    case TAG_IA5_STRING:
      return escapeDnValue(latin1(bytes))
    case TAG_UTF8_STRING: {
      let text: string
      try {
        text = UTF8.decode(bytes)
      } catch {
        text = latin1(bytes)
      }
      return escapeDnValue(text)
    }
    case TAG_BMP_STRING: {
      if (bytes.length % 2 !== 0) throw malformed('BMPString of an odd length')
      let text = ''
      for (let i = 0; i < bytes.length; i += 2) {
        text += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!)
      }
      return escapeDnValue(text)
    }
    case TAG_UNIVERSAL_STRING: {
      if (bytes.length % 4 !== 0) throw malformed('UniversalString not a multiple of 4 bytes')
      let text = ''
      for (let i = 0; i < bytes.length; i += 4) {
        // @peculiar/x509 kept only the low 16 bits of a character: beyond the BMP it rendered a
        // different one. Refused, rather than rendered wrongly or unlike before.
        if (bytes[i] !== 0 || bytes[i + 1] !== 0) {
          throw malformed('UniversalString character beyond the BMP')
        }
        text += String.fromCharCode((bytes[i + 2]! << 8) | bytes[i + 3]!)
      }
      return escapeDnValue(text)
    }
    case DER_NULL:
      checkPrimitive(buf, value)
      return ''
    default:
      checkPrimitive(buf, value)
      return `#${hex(buf.subarray(value.start, value.end))}`
  }
}

/**
 * Decodes a Name (RFC 5280 §4.1.2.4) and renders it as @peculiar/x509 did: RDNs joined by `, `,
 * the attributes of a multi-valued RDN by `+`, each `TYPE=value` with a short type name where one
 * is known. An empty Name is `''`.
 */
function readName(buf: Uint8Array, name: DerElement, what: string): string {
  if (name.tag !== DER_SEQUENCE) throw malformed(`${what} is not a Name`)
  const rdns: string[] = []
  for (const rdn of readChildren(buf, name)) {
    if (rdn.tag !== DER_SET) throw malformed(`${what} has an RDN that is not a SET`)
    const attributes: string[] = []
    for (const attribute of readChildren(buf, rdn)) {
      if (attribute.tag !== DER_SEQUENCE) throw malformed(`${what} has a malformed attribute`)
      const [type, value, extra] = readChildren(buf, attribute)
      if (type?.tag !== DER_OID || value === undefined || extra !== undefined) {
        throw malformed(`${what} has a malformed attribute`)
      }
      const oid = decodeOid(buf, type)
      attributes.push(`${ATTRIBUTE_NAMES.get(oid) ?? oid}=${attributeValueText(buf, value)}`)
    }
    // RFC 5280: RelativeDistinguishedName ::= SET SIZE (1..MAX).
    if (attributes.length === 0) throw malformed(`${what} has an empty RDN`)
    rdns.push(attributes.join('+'))
  }
  return rdns.join(', ')
}

/**
 * Checks one GeneralName (RFC 5280 §4.2.1.6) of a kind this profile may meet: rfc822Name,
 * dNSName, directoryName, URI, iPAddress or registeredID. otherName, x400Address and
 * ediPartyName are refused, as they always were.
 */
function checkGeneralName(buf: Uint8Array, name: DerElement): void {
  switch (name.tag) {
    case TAG_GN_RFC822:
    case TAG_GN_DNS:
    case TAG_GN_URI:
      return
    case TAG_GN_IP:
      if (name.end - name.body !== 4 && name.end - name.body !== 16) {
        throw malformed('iPAddress is not 4 or 16 bytes')
      }
      return
    case TAG_GN_REGISTERED_ID:
      decodeOid(buf, name)
      return
    case TAG_GN_DIRECTORY: {
      const [inner, extra] = readChildren(buf, name)
      if (inner === undefined || extra !== undefined) throw malformed('directoryName is not a Name')
      readName(buf, inner, 'directoryName')
      return
    }
    default:
      throw malformed(`unsupported GeneralName 0x${hex(Uint8Array.of(name.tag))}`)
  }
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName, each checked. */
function readGeneralNames(buf: Uint8Array, names: DerElement, what: string): DerElement[] {
  const items = readChildren(buf, names)
  if (items.length === 0) throw malformed(`${what} is empty`)
  for (const item of items) checkGeneralName(buf, item)
  return items
}

/** The fields of the DER walk that {@link parseCertificate} returns. */
interface Layout {
  tbs: DerElement
  signature: DerElement
  serialHex: string
  issuerDn: string
  subjectDn: string
  subjectIsEmpty: boolean
  publicKey: Uint8Array
  notBefore: number
  notAfter: number
  extensions: DerElement
}

function readLayout(der: Uint8Array): Layout {
  const cert = readElement(der, 0, der.length)
  if (cert.tag !== DER_SEQUENCE) throw malformed('not a DER SEQUENCE')
  if (cert.end !== der.length) throw malformed('trailing bytes after the certificate')
  checkDerShape(der, 0, der.length, MAX_DER_DEPTH)

  const tbs = readField(der, cert.body, cert.end, DER_SEQUENCE, 'TBSCertificate')
  const outerAlgorithm = readField(der, tbs.end, cert.end, DER_SEQUENCE, 'signatureAlgorithm')
  if (!equalBytes(der.subarray(outerAlgorithm.start, outerAlgorithm.end), ED25519_ALGORITHM)) {
    throw malformed('signature algorithm is not Ed25519')
  }
  const signature = readField(der, outerAlgorithm.end, cert.end, DER_BIT_STRING, 'signature')
  if (signature.end - signature.body !== 65 || der[signature.body] !== 0) {
    throw malformed('signature is not a 64-byte Ed25519 signature')
  }
  if (signature.end !== cert.end) throw malformed('unexpected element after the signature')

  const version = readElement(der, tbs.body, tbs.end)
  if (!equalBytes(der.subarray(version.start, version.end), VERSION_V3)) {
    throw malformed('not an X.509 v3 certificate')
  }
  const serial = readField(der, version.end, tbs.end, DER_INTEGER, 'serial number')
  const serialHex = readSerial(der, serial)
  const innerAlgorithm = readField(der, serial.end, tbs.end, DER_SEQUENCE, 'signature algorithm')
  if (!equalBytes(der.subarray(innerAlgorithm.start, innerAlgorithm.end), ED25519_ALGORITHM)) {
    throw malformed('signature algorithm is not Ed25519')
  }
  const issuer = readField(der, innerAlgorithm.end, tbs.end, DER_SEQUENCE, 'issuer')
  const validity = readField(der, issuer.end, tbs.end, DER_SEQUENCE, 'validity')
  const notBeforeElement = readElement(der, validity.body, validity.end)
  const notAfterElement = readElement(der, notBeforeElement.end, validity.end)
  if (notAfterElement.end !== validity.end) throw malformed('validity has extra elements')
  const notBefore = readTime(der, notBeforeElement, 'notBefore')
  const notAfter = readTime(der, notAfterElement, 'notAfter')
  const subject = readField(der, validity.end, tbs.end, DER_SEQUENCE, 'subject')
  const spki = readField(der, subject.end, tbs.end, DER_SEQUENCE, 'subjectPublicKeyInfo')
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
  return {
    tbs,
    signature,
    serialHex,
    issuerDn: readName(der, issuer, 'issuer'),
    subjectDn: readName(der, subject, 'subject'),
    subjectIsEmpty: equalBytes(der.subarray(subject.start, subject.end), EMPTY_NAME),
    publicKey,
    notBefore,
    notAfter,
    extensions,
  }
}

/** One Extension (RFC 5280 §4.1): its OID, criticality and the DER element inside extnValue. */
interface RawExtension {
  id: string
  critical: boolean
  value: DerElement
}

/**
 * `[3] EXPLICIT SEQUENCE SIZE (1..MAX) OF Extension`, each `SEQUENCE { extnID, critical BOOLEAN
 * DEFAULT FALSE, extnValue OCTET STRING }`. DER omits a FALSE `critical`, so one that is present
 * must be TRUE. Refuses an extension twice and an unknown critical one; an unknown non-critical
 * one is skipped unread (RFC 5280 §4.2). Known ones are returned with their value's element.
 */
function readExtensions(der: Uint8Array, wrapper: DerElement): Map<string, RawExtension> {
  const [list, extra] = readChildren(der, wrapper)
  if (list?.tag !== DER_SEQUENCE || extra !== undefined) {
    throw malformed('extensions are not a SEQUENCE')
  }
  const items = readChildren(der, list)
  if (items.length === 0) throw malformed('extensions are empty')
  const known = new Map<string, RawExtension>()
  const seen = new Set<string>()
  for (const item of items) {
    if (item.tag !== DER_SEQUENCE) throw malformed('an extension is not a SEQUENCE')
    const fields = readChildren(der, item)
    const [idElement, second, third, fourth] = fields
    if (idElement?.tag !== DER_OID || second === undefined || fourth !== undefined) {
      throw malformed('an extension is malformed')
    }
    const id = decodeOid(der, idElement)
    let critical = false
    let octets = second
    if (third !== undefined) {
      if (!decodeBoolean(der, second)) throw malformed(`extension ${id} spells out critical FALSE`)
      critical = true
      octets = third
    }
    if (octets.tag !== DER_OCTET_STRING) throw malformed(`extension ${id} has no OCTET STRING`)
    if (seen.has(id)) throw malformed(`extension ${id} appears twice`)
    seen.add(id)
    if (!UNDERSTOOD_EXTENSIONS.has(id)) {
      if (critical) throw malformed(`unknown critical extension ${id}`)
      continue
    }
    const value = readOnly(der, octets.body, octets.end, MAX_DER_DEPTH, `extension ${id}`)
    known.set(id, { id, critical, value })
  }
  return known
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }. */
function readBasicConstraints(der: Uint8Array, value: DerElement): boolean {
  if (value.tag !== DER_SEQUENCE) throw malformed('BasicConstraints is not a SEQUENCE')
  const fields = readChildren(der, value)
  let index = 0
  let isCa = false
  if (fields[index]?.tag === DER_BOOLEAN) {
    if (!decodeBoolean(der, fields[index]!)) throw malformed('BasicConstraints spells out cA FALSE')
    isCa = true
    index++
  }
  const pathLen = fields[index]
  if (pathLen?.tag === DER_INTEGER) {
    if (checkInteger(der, pathLen).negative) throw malformed('BasicConstraints pathLen < 0')
    index++
  }
  if (index !== fields.length) throw malformed('BasicConstraints is malformed')
  return isCa
}

/** ExtendedKeyUsage ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId (an OID): checked, not used. */
function checkExtendedKeyUsage(der: Uint8Array, value: DerElement): void {
  if (value.tag !== DER_SEQUENCE) throw malformed('ExtendedKeyUsage is not a SEQUENCE')
  const purposes = readChildren(der, value)
  if (purposes.length === 0) throw malformed('ExtendedKeyUsage is empty')
  for (const purpose of purposes) {
    if (purpose.tag !== DER_OID) throw malformed('ExtendedKeyUsage holds a non-OID')
    decodeOid(der, purpose)
  }
}

/** SubjectKeyIdentifier ::= OCTET STRING, not empty. */
function readSubjectKeyId(der: Uint8Array, value: DerElement): Uint8Array {
  if (value.tag !== DER_OCTET_STRING) throw malformed('SKI is not an OCTET STRING')
  if (value.end === value.body) throw malformed('SKI is empty')
  return der.slice(value.body, value.end)
}

/**
 * AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] OPTIONAL, authorityCertIssuer [1]
 * GeneralNames OPTIONAL, authorityCertSerialNumber [2] INTEGER OPTIONAL }: the keyIdentifier,
 * or `null` when absent; the other two are checked and dropped.
 */
function readAuthorityKeyId(der: Uint8Array, value: DerElement): Uint8Array | null {
  if (value.tag !== DER_SEQUENCE) throw malformed('AKI is not a SEQUENCE')
  const fields = readChildren(der, value)
  let index = 0
  let keyId: Uint8Array | null = null
  const first = fields[index]
  if (first?.tag === TAG_AKI_KEY_ID) {
    if (first.end === first.body) throw malformed('AKI is empty')
    keyId = der.slice(first.body, first.end)
    index++
  }
  const issuer = fields[index]
  if (issuer?.tag === TAG_AKI_ISSUER) {
    readGeneralNames(der, issuer, 'AKI authorityCertIssuer')
    index++
  }
  const serial = fields[index]
  if (serial?.tag === TAG_AKI_SERIAL) {
    checkInteger(der, serial)
    index++
  }
  if (index !== fields.length) throw malformed('AKI is malformed')
  return keyId
}

/** The extension fields of the profile. */
interface ProfileFields {
  isCa: boolean
  peerId: string | null
  subjectKeyId: Uint8Array | null
  authorityKeyId: Uint8Array | null
}

function readProfile(der: Uint8Array, layout: Layout): ProfileFields {
  const extensions = readExtensions(der, layout.extensions)

  const basic = extensions.get(OID_BASIC_CONSTRAINTS)
  const isCa = basic !== undefined && readBasicConstraints(der, basic.value)
  const usage = extensions.get(OID_KEY_USAGE)
  const canSignCertificates =
    usage !== undefined && (decodeNamedBits(der, usage.value) & KEY_USAGE_KEY_CERT_SIGN) !== 0
  // RFC 5280 §4.2.1.9: keyCertSign if and only if cA.
  if (isCa && !canSignCertificates) throw malformed('CA certificate without keyCertSign usage')
  if (!isCa && canSignCertificates) throw malformed('keyCertSign usage without CA:true')
  if (isCa && basic?.critical !== true) throw malformed('CA BasicConstraints is not critical')

  const eku = extensions.get(OID_EXTENDED_KEY_USAGE)
  if (eku !== undefined) checkExtendedKeyUsage(der, eku.value)

  const ski = extensions.get(OID_SUBJECT_KEY_ID)
  const subjectKeyId = ski === undefined ? null : readSubjectKeyId(der, ski.value)
  if (isCa && subjectKeyId === null) throw malformed('CA certificate without SubjectKeyIdentifier')
  const aki = extensions.get(OID_AUTHORITY_KEY_ID)
  const authorityKeyId = aki === undefined ? null : readAuthorityKeyId(der, aki.value)

  const san = extensions.get(OID_SUBJECT_ALT_NAME)
  if (san !== undefined && san.value.tag !== DER_SEQUENCE) {
    throw malformed('SubjectAltName is not a SEQUENCE')
  }
  const names = san === undefined ? [] : readGeneralNames(der, san.value, 'SubjectAltName')
  let peerId: string | null = null
  if (!isCa) {
    if (!layout.subjectIsEmpty) throw malformed('peer certificate subject is not empty')
    if (san === undefined) throw malformed('peer certificate has no SubjectAltName')
    // RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical.
    if (!san.critical) throw malformed('SubjectAltName is not critical')
    const [only, extra] = names
    if (only?.tag !== TAG_GN_URI || extra !== undefined) {
      throw malformed('SubjectAltName does not hold exactly one URI')
    }
    // IA5String, one character per octet; the peer ID pattern below admits only ASCII anyway.
    const uri = latin1(der.subarray(only.body, only.end))
    if (!uri.startsWith(PEER_URI_PREFIX)) {
      throw malformed(`SubjectAltName URI is not ${PEER_URI_PREFIX}<peerId>`)
    }
    peerId = uri.slice(PEER_URI_PREFIX.length)
    if (!PEER_ID_PATTERN.test(peerId)) throw malformed('SubjectAltName peer ID is not base58btc')
  }

  return { isCa, peerId, subjectKeyId, authorityKeyId }
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
    const profile = readProfile(der, layout)
    return {
      der,
      tbs: der.slice(layout.tbs.start, layout.tbs.end),
      signature: der.slice(layout.signature.body + 1, layout.signature.end),
      serialHex: layout.serialHex,
      notBefore: layout.notBefore,
      notAfter: layout.notAfter,
      subjectPublicKey: layout.publicKey,
      peerId: profile.peerId,
      isCa: profile.isCa,
      subjectKeyId: profile.subjectKeyId,
      authorityKeyId: profile.authorityKeyId,
      issuerDn: layout.issuerDn,
      subjectDn: layout.subjectDn,
    }
  } catch (err) {
    if (err instanceof MalformedCertificateError) throw err
    if (err instanceof MalformedDerError) throw malformed(`not DER (${err.reason})`)
    // A network decoder surfaces one typed failure whatever the bytes were, even if a bug above
    // let a plain error through.
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
