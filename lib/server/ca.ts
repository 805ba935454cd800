/**
 * The TrustChain certificate authority (DESIGN.md §3), Node only: the root key on disk, the
 * self-signed root certificate, and a fast issuer of short-lived peer certificates.
 *
 * The root is built once with @peculiar/x509. Peer certificates are not: its ASN.1 layer caps it
 * at about 500 certificates/s on one core, so {@link CertificateIssuer} fills a DER template
 * (constant parts precomputed) and signs with node:crypto. Tests check the result against
 * @peculiar/x509, {@link parseCertificate} and `openssl verify -x509_strict`.
 */
import 'reflect-metadata'
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  Name,
  X509CertificateGenerator,
  type JsonAttributeObject,
} from '@peculiar/x509'
import { ed25519 } from '@noble/curves/ed25519.js'
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  webcrypto,
  type KeyObject,
} from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  InvalidPublicKeyError,
  PEER_URI_PREFIX,
  PeerIdMismatchError,
  parseCertificate,
  peerIdOfPublicKey,
  type ParsedCertificate,
} from '@/lib/trustchain/certificate'
import { TrustchainError } from '@/lib/trustchain/errors'

export { InvalidPublicKeyError, PeerIdMismatchError }

/** Subject common name of the root when the caller gives none. */
export const DEFAULT_ROOT_NAME = 'HyperMesh TrustChain root'
/** Root validity when the caller gives none: ten years. */
export const DEFAULT_ROOT_VALIDITY_DAYS = 3650
/** How far `notBefore` is set before `now`, so peers with a slow clock accept a fresh certificate. */
export const BACKDATE_MS = 60_000

const DAY_MS = 86_400_000
/** RFC 5280 §4.1.2.2: serial numbers are at most 20 octets. */
const MAX_SERIAL_BYTES = 20
/** ub-common-name (RFC 5280 appendix A). */
const MAX_COMMON_NAME_LENGTH = 64
/** Earliest and latest instants the two X.509 time types can carry (1950 to 9999). */
const MIN_TIME_MS = Date.UTC(1950, 0, 1)
const MAX_TIME_MS = Date.UTC(10000, 0, 1) - 1000
/** From 2050 validity times are GeneralizedTime, before it UTCTime (RFC 5280 §4.1.2.5). */
const GENERALIZED_TIME_FROM_MS = Date.UTC(2050, 0, 1)

/**
 * The root key file or root certificate cannot serve as this CA's root: unreadable, not Ed25519,
 * not a CA, or not matching each other. The operator must fix or replace the files.
 */
export class InvalidRootError extends TrustchainError {
  override readonly name = 'InvalidRootError'
  readonly code = 'ERR_INVALID_ROOT'

  /** @param reason - what is wrong, as a sentence fragment */
  constructor(reason: string) {
    super(`The CA root cannot be used: ${reason}.`)
  }
}

/** An argument of the CA (serial, time, validity, name) is out of range: a bug in the caller. */
export class InvalidIssuerOptionError extends TrustchainError {
  override readonly name = 'InvalidIssuerOptionError'
  readonly code = 'ERR_INVALID_ISSUER_OPTION'

  /** @param reason - which option is wrong and why, naming the function */
  constructor(reason: string) {
    super(reason)
  }
}

// ---------------------------------------------------------------------------------------------
// Root key and root certificate
// ---------------------------------------------------------------------------------------------

function rootKeyFromPem(pem: string): KeyObject {
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch {
    // The OpenSSL error is dropped on purpose: nothing derived from the key file reaches a log.
    throw new InvalidRootError('the root key file is not a PEM private key')
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new InvalidRootError('the root key is not an Ed25519 key')
  }
  return key
}

/**
 * Loads the CA's Ed25519 root private key (PKCS#8 PEM) from `path`, creating it on first use with
 * mode 0600. The key is never logged, and errors never quote the file.
 *
 * @throws {@link InvalidRootError} when the file exists but is not an Ed25519 private key
 * @example
 * ```ts
 * const key = await loadOrCreateRootKey(join(dataDir, 'ca-root.key'))
 * ```
 */
export async function loadOrCreateRootKey(path: string): Promise<KeyObject> {
  try {
    return rootKeyFromPem(await readFile(path, 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const { privateKey } = generateKeyPairSync('ed25519')
  await mkdir(dirname(path), { recursive: true })
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' })
  try {
    // 'wx' never overwrites: a second server starting at the same moment keeps the first key.
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return rootKeyFromPem(await readFile(path, 'utf8'))
  }
  // The umask may have narrowed the mode further but never widened it; chmod makes it exact.
  await chmod(path, 0o600)
  return privateKey
}

function assertEd25519PrivateKey(key: KeyObject, caller: string): void {
  if (key?.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new InvalidRootError(`${caller} needs an Ed25519 private KeyObject`)
  }
}

/** The raw 32-byte public key of an Ed25519 private key: the tail of its SPKI. */
function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  return new Uint8Array(spki.subarray(spki.length - 32))
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value (the raw key). */
function keyIdentifier(publicKey: Uint8Array): Uint8Array {
  return createHash('sha1').update(publicKey).digest()
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000
}

/** Options of {@link createRootCertificate}. */
export interface RootCertificateInit {
  /** Subject common name. Default {@link DEFAULT_ROOT_NAME}. */
  name?: string
  /** The current time, ms since the epoch; `notBefore` is {@link BACKDATE_MS} earlier. */
  now: number
  /** Lifetime from `now`, in days. Default {@link DEFAULT_ROOT_VALIDITY_DAYS}. */
  validityDays?: number
}

/**
 * Creates the self-signed Ed25519 root certificate (DER): subject `CN=<name>`, BasicConstraints
 * CA:true pathLen:0 (critical), KeyUsage keyCertSign + cRLSign (critical), SubjectKeyIdentifier
 * and an AuthorityKeyIdentifier equal to it, a random positive 16-byte serial.
 *
 * @throws {@link InvalidRootError} when `privateKey` is not an Ed25519 private key
 * @throws {@link InvalidIssuerOptionError} for a bad name, time or validity
 * @example
 * ```ts
 * const der = await createRootCertificate(key, { now: Date.now() })
 * ```
 */
export async function createRootCertificate(
  privateKey: KeyObject,
  init: RootCertificateInit,
): Promise<Uint8Array<ArrayBuffer>> {
  assertEd25519PrivateKey(privateKey, 'createRootCertificate')
  const { name = DEFAULT_ROOT_NAME, now, validityDays = DEFAULT_ROOT_VALIDITY_DAYS } = init
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > MAX_COMMON_NAME_LENGTH ||
    /\p{Cc}/u.test(name)
  ) {
    throw new InvalidIssuerOptionError(
      `createRootCertificate: name must be 1 to ${MAX_COMMON_NAME_LENGTH} printable characters`,
    )
  }
  if (!Number.isFinite(validityDays) || validityDays <= 0) {
    throw new InvalidIssuerOptionError('createRootCertificate: validityDays must be positive')
  }
  const notBefore = floorToSecond(now - BACKDATE_MS)
  const notAfter = floorToSecond(now + validityDays * DAY_MS)
  if (!Number.isFinite(now) || notBefore < MIN_TIME_MS || notAfter > MAX_TIME_MS) {
    throw new InvalidIssuerOptionError(
      'createRootCertificate: the validity must lie between 1950 and 9999',
    )
  }

  const publicKey = rawPublicKey(privateKey)
  const keyId = toHex(keyIdentifier(publicKey))
  const serial = randomBytes(16)
  // Top bit clear: a positive INTEGER. Next bit set: no leading zero byte, which @peculiar/x509
  // would keep and so emit a non-minimal INTEGER.
  serial[0] = (serial[0]! & 0x7f) | 0x40
  const commonName: JsonAttributeObject = Name.isPrintableString(name)
    ? { printableString: name }
    : { utf8String: name }
  const cert = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: toHex(serial),
      // JSON form with the string type named, so the caller's name is taken as it is: given a
      // bare string, @peculiar/x509 strips a quoted part (`a"b"c` becomes `b`), throws on `""`,
      // and reads a leading '#' as hex DER. PrintableString when the name fits it, as before.
      name: new Name([{ CN: [commonName] }]),
      notBefore: new Date(notBefore),
      notAfter: new Date(notAfter),
      signingAlgorithm: { name: 'Ed25519' },
      keys: {
        privateKey: privateKey.toCryptoKey('Ed25519', false, ['sign']) as CryptoKey,
        publicKey: createPublicKey(privateKey).toCryptoKey('Ed25519', true, [
          'verify',
        ]) as CryptoKey,
      },
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        new SubjectKeyIdentifierExtension(keyId),
        new AuthorityKeyIdentifierExtension(keyId),
      ],
    },
    webcrypto as Crypto,
  )
  return new Uint8Array(cert.rawData)
}

/**
 * PEM text (`-----BEGIN CERTIFICATE-----`, 64-column base64) of a DER certificate.
 *
 * @example
 * ```ts
 * await writeFile('root.pem', certificateToPem(rootDer))
 * ```
 */
export function certificateToPem(der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64')
  const lines = base64.match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}

// ---------------------------------------------------------------------------------------------
// DER encoding for the peer-certificate template
// ---------------------------------------------------------------------------------------------

/** Tag and length octets (X.690 §8.1.3): short form below 128, else 0x80|n then n big-endian. */
function header(tag: number, length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(tag, length)
  if (length < 0x100) return Uint8Array.of(tag, 0x81, length)
  return Uint8Array.of(tag, 0x82, length >> 8, length & 0xff)
}

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** A whole element: header, then the parts as its contents. */
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0
  for (const part of parts) length += part.length
  return concat([header(tag, length), ...parts])
}

/** OBJECT IDENTIFIER (X.690 §8.19): first two arcs as 40·a+b, then base-128 with continuation bits. */
function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number)
  const values = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]
  const body: number[] = []
  for (const value of values) {
    const group = [value & 0x7f]
    for (let rest = value >>> 7; rest > 0; rest >>>= 7) group.unshift(0x80 | (rest & 0x7f))
    body.push(...group)
  }
  return tlv(0x06, Uint8Array.from(body))
}

const ASCII = new TextEncoder()
const BOOLEAN_TRUE = Uint8Array.of(0x01, 0x01, 0xff)

/** Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE (DER omits FALSE), extnValue }. */
function extension(id: Uint8Array, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? tlv(0x30, id, BOOLEAN_TRUE, tlv(0x04, value)) : tlv(0x30, id, tlv(0x04, value))
}

/** UTCTime `YYMMDDHHMMSSZ` before 2050, GeneralizedTime `YYYYMMDDHHMMSSZ` after (RFC 5280). */
function time(ms: number): Uint8Array {
  const date = new Date(ms)
  const two = (n: number) => String(n).padStart(2, '0')
  const rest =
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds()) +
    'Z'
  const year = date.getUTCFullYear()
  return ms >= GENERALIZED_TIME_FROM_MS
    ? tlv(0x18, ASCII.encode(String(year).padStart(4, '0') + rest))
    : tlv(0x17, ASCII.encode(two(year % 100) + rest))
}

const ED25519_ALGORITHM = tlv(0x30, oid('1.3.101.112'))
const VERSION_V3 = tlv(0xa0, tlv(0x02, Uint8Array.of(2)))
const EMPTY_NAME = tlv(0x30)
/** SubjectPublicKeyInfo up to the raw key: SEQUENCE { algorithm, BIT STRING { 0 unused bits, … } }. */
const SPKI_PREFIX = concat([
  header(0x30, ED25519_ALGORITHM.length + 35),
  ED25519_ALGORITHM,
  header(0x03, 33),
  Uint8Array.of(0),
])
const OID_SUBJECT_KEY_ID = oid('2.5.29.14')
const OID_SUBJECT_ALT_NAME = oid('2.5.29.17')
/** BasicConstraints CA:false (an empty SEQUENCE: DER omits the default), KeyUsage, EKU. */
const CONSTANT_EXTENSIONS = concat([
  extension(oid('2.5.29.19'), true, tlv(0x30)),
  // BIT STRING with only bit 0 (digitalSignature) set: 7 unused bits, then 0b1000_0000.
  extension(oid('2.5.29.15'), true, Uint8Array.of(0x03, 0x02, 0x07, 0x80)),
  extension(oid('2.5.29.37'), false, tlv(0x30, oid('1.3.6.1.5.5.7.3.2'))),
])

/** The root a {@link CertificateIssuer} signs with. */
export interface CertificateIssuerInit {
  /** The root's Ed25519 private key (see {@link loadOrCreateRootKey}). */
  privateKey: KeyObject
  /** The root certificate, DER (see {@link createRootCertificate}). */
  certificateDer: Uint8Array
}

/** One peer certificate to issue. */
export interface IssueRequest {
  /** The peer's raw 32-byte Ed25519 public key (possession already proven). */
  publicKey: Uint8Array
  /** The peer ID the peer says is its own; must equal the one derived from `publicKey`. */
  claimedPeerId: string
  /** 1 to 20 random bytes, top bit clear (a positive INTEGER); leading zero bytes are dropped. */
  serial: Uint8Array
  /** The current time, ms since the epoch; `notBefore` is {@link BACKDATE_MS} earlier. */
  now: number
  /** Lifetime from `now`, in ms (the server's default is 24 h). */
  validityMs: number
}

/** Throws unless `raw` is 32 bytes that decode strictly to an Ed25519 point of large order. */
function checkPublicKey(raw: Uint8Array): void {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) {
    throw new InvalidPublicKeyError('expected 32 raw bytes')
  }
  let smallOrder: boolean
  try {
    smallOrder = ed25519.Point.fromBytes(raw, false).isSmallOrder()
  } catch {
    throw new InvalidPublicKeyError('the bytes are not a point on the curve')
  }
  // Small-order keys have trivially forgeable signatures: no identity may rest on one.
  if (smallOrder) throw new InvalidPublicKeyError('the point has small order')
}

/** The INTEGER contents of a serial: minimal (no redundant leading zeros), positive. */
function serialContents(serial: Uint8Array): Uint8Array {
  if (!(serial instanceof Uint8Array) || serial.length < 1 || serial.length > MAX_SERIAL_BYTES) {
    throw new InvalidIssuerOptionError(`issue: serial must be 1 to ${MAX_SERIAL_BYTES} bytes`)
  }
  if (serial[0]! & 0x80) {
    throw new InvalidIssuerOptionError('issue: serial must have its top bit clear')
  }
  let start = 0
  while (start < serial.length - 1 && serial[start] === 0 && serial[start + 1]! < 0x80) start++
  const body = serial.subarray(start)
  if (body.length === 1 && body[0] === 0) {
    throw new InvalidIssuerOptionError('issue: serial must not be zero')
  }
  return body
}

/**
 * Issues TrustChain peer certificates under one root, thousands per second on one core: the
 * TBSCertificate is filled into a DER template whose constant parts (version, algorithm, issuer
 * name, BasicConstraints, KeyUsage, ExtendedKeyUsage, AuthorityKeyIdentifier) are encoded once,
 * then signed with node:crypto.
 *
 * @example
 * ```ts
 * const issuer = new CertificateIssuer({ privateKey, certificateDer: rootDer })
 * const serial = randomBytes(16)
 * serial[0] &= 0x7f
 * const der = issuer.issue({ publicKey, claimedPeerId, serial, now: Date.now(), validityMs: DAY_MS })
 * ```
 */
export class CertificateIssuer {
  /** The root certificate, decoded. */
  readonly root: ParsedCertificate
  readonly #privateKey: KeyObject
  /** signature AlgorithmIdentifier followed by the issuer Name, as they sit in the TBS. */
  readonly #algorithmAndIssuer: Uint8Array
  readonly #authorityKeyIdExtension: Uint8Array

  /**
   * @throws {@link InvalidRootError} when the key is not Ed25519, the certificate is not a CA, or
   *   the key is not the certificate's
   * @throws MalformedCertificateError when `certificateDer` is not a certificate of the profile
   */
  constructor(init: CertificateIssuerInit) {
    assertEd25519PrivateKey(init.privateKey, 'CertificateIssuer')
    const root = parseCertificate(init.certificateDer)
    if (!root.isCa || root.subjectKeyId === null) {
      throw new InvalidRootError('the root certificate is not a CA certificate')
    }
    const publicKey = rawPublicKey(init.privateKey)
    if (Buffer.compare(publicKey, root.subjectPublicKey) !== 0) {
      throw new InvalidRootError('the private key does not belong to the root certificate')
    }
    this.root = root
    this.#privateKey = init.privateKey
    // Copy the subject's exact bytes: issuer matching (RFC 5280 §7.1) is safest byte for byte.
    this.#algorithmAndIssuer = concat([ED25519_ALGORITHM, subjectNameOf(root.tbs)])
    this.#authorityKeyIdExtension = extension(
      oid('2.5.29.35'),
      false,
      tlv(0x30, tlv(0x80, root.subjectKeyId)),
    )
  }

  /**
   * Issues a peer certificate (DER) for `publicKey`. The peer ID in the SAN is derived from the
   * key here; the claimed one is only compared with it.
   *
   * @throws {@link InvalidPublicKeyError} when `publicKey` is not 32 bytes of a valid Ed25519 point
   * @throws {@link PeerIdMismatchError} when `claimedPeerId` is not the key's peer ID
   * @throws {@link InvalidIssuerOptionError} for a bad serial, time or validity, or a validity
   *   ending after the root's
   */
  issue(request: IssueRequest): Uint8Array<ArrayBuffer> {
    return this.issueRecord(request).der
  }

  /**
   * {@link issue}, also returning the fields the log indexes (serial, validity), so the caller
   * need not parse the certificate it just made (parsing costs more than issuing).
   *
   * @param request - as for {@link issue}
   * @param options - `keyChecked`: the caller already proved the key valid (node:crypto verified
   *   a signature with it), so the point check, the costliest step here, is skipped
   */
  issueRecord(
    request: IssueRequest,
    options: { keyChecked?: boolean } = {},
  ): { der: Uint8Array<ArrayBuffer>; serialHex: string; notBefore: number; notAfter: number } {
    const { publicKey, claimedPeerId, serial, now, validityMs } = request
    if (options.keyChecked !== true) checkPublicKey(publicKey)
    else if (!(publicKey instanceof Uint8Array) || publicKey.byteLength !== 32)
      checkPublicKey(publicKey)
    const peerId = peerIdOfPublicKey(publicKey)
    if (claimedPeerId !== peerId) throw new PeerIdMismatchError(peerId)
    const serialBody = serialContents(serial)
    if (!Number.isFinite(validityMs) || validityMs <= 0) {
      throw new InvalidIssuerOptionError('issue: validityMs must be positive')
    }
    const notBefore = floorToSecond(now - BACKDATE_MS)
    const notAfter = floorToSecond(now + validityMs)
    if (!Number.isFinite(now) || notBefore < MIN_TIME_MS || notAfter > MAX_TIME_MS) {
      throw new InvalidIssuerOptionError('issue: the validity must lie between 1950 and 9999')
    }
    // A certificate outliving its root would fail verification for its last part anyway.
    if (notAfter > this.root.notAfter) {
      throw new InvalidIssuerOptionError("issue: the validity ends after the root's")
    }

    const tbs = tlv(
      0x30,
      VERSION_V3,
      tlv(0x02, serialBody),
      this.#algorithmAndIssuer,
      tlv(0x30, time(notBefore), time(notAfter)),
      EMPTY_NAME,
      SPKI_PREFIX,
      publicKey,
      tlv(
        0xa3,
        tlv(
          0x30,
          CONSTANT_EXTENSIONS,
          extension(OID_SUBJECT_KEY_ID, false, tlv(0x04, keyIdentifier(publicKey))),
          this.#authorityKeyIdExtension,
          extension(
            OID_SUBJECT_ALT_NAME,
            true,
            tlv(0x30, tlv(0x86, ASCII.encode(PEER_URI_PREFIX + peerId))),
          ),
        ),
      ),
    )
    const signature = sign(null, tbs, this.#privateKey)
    return {
      der: tlv(0x30, tbs, ED25519_ALGORITHM, tlv(0x03, Uint8Array.of(0), signature)),
      serialHex: Array.from(serialBody, (b) => b.toString(16).padStart(2, '0')).join(''),
      notBefore,
      notAfter,
    }
  }
}

/**
 * The subject Name of a TBSCertificate, exactly as encoded. The TBS comes from
 * {@link parseCertificate}, so it is known to be well-formed DER; only the walk is needed.
 */
function subjectNameOf(tbs: Uint8Array): Uint8Array {
  const skip = (pos: number): { body: number; end: number } => {
    let length = tbs[pos + 1]!
    let body = pos + 2
    if (length & 0x80) {
      const count = length & 0x7f
      length = 0
      for (let i = 0; i < count; i++) length = length * 256 + tbs[body + i]!
      body += count
    }
    return { body, end: body + length }
  }
  let pos = skip(0).body
  // version, serialNumber, signature, issuer, validity: five elements before the subject.
  for (let i = 0; i < 5; i++) pos = skip(pos).end
  return tbs.slice(pos, skip(pos).end)
}
