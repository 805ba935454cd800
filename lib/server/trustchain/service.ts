import { createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import type { Clock } from '../../ports'
import type { ServerConfig } from '../config'
import {
  CertificateIssuer,
  certificateToPem,
  createRootCertificate,
  loadOrCreateRootKey,
} from '../ca'
import { parseCertificate, type ParsedCertificate } from '../../trustchain/certificate'
import { checkHashcash, HashcashError } from '../../trustchain/hashcash'
import {
  checkRevocationStatement,
  decodeLogEntry,
  encodeLogEntry,
  MalformedLogEntryError,
  revocationMessage,
  type RevocationAuthority,
} from '../../trustchain/log-entry'
import type { CertificateRecord, LogStore, RevocationRecord } from '../../trustchain/log-store'
import { formatVerifierKey, signNote, type NoteSigner } from '../../trustchain/note'
import { LogSequencer } from '../../trustchain/sequencer'
import { formatTlogProof } from '../../trustchain/tlog-proof'
import { popMessage, stampResource } from '../../trustchain/issuance'
import { openPgLogStore } from '../../adapters/pg-log-store'
import { openSqliteLogStore } from '../../adapters/sqlite-log-store'
import { ApiError } from './api-error'
import { ChallengeBook } from './challenge'
import { RateLimiter } from './rate-limit'

/** What POST /api/trustchain/certificates answers. */
export interface IssueAnswer {
  certificate: string
  chain: string[]
  serial: string
  peerId: string
  logIndex: number
  notBefore: number
  notAfter: number
  /** c2sp.org/tlog-proof: index, inclusion path and the signed checkpoint. */
  proof: string
}

/** What POST /api/trustchain/revocations answers. */
export interface RevokeAnswer {
  serial: string
  peerId: string
  logIndex: number
  proof: string
}

/** Stamps older than this are refused (a challenge lives 60 s; this leaves room for slow clients). */
const STAMP_MAX_AGE_S = 300
const STAMP_MAX_FUTURE_S = 60
/** A revocation's stated time may differ from the server clock by this much. */
const REVOCATION_SKEW_MS = 5 * 60_000

/**
 * The server half of TrustChain (DESIGN.md §3): the certificate authority, the transparency log
 * and their API. Route handling is in ./http.ts; this class holds the state and the rules.
 */
export class TrustchainService {
  readonly store: LogStore
  readonly sequencer: LogSequencer
  readonly rootPem: string
  readonly root: ParsedCertificate
  /** The log's note verifier key, `<name>+<key id>+<base64 key>`. */
  readonly logKey: string
  readonly origin: string
  readonly hashcashBits: number
  readonly #issuer: CertificateIssuer
  readonly #challenges: ChallengeBook
  readonly #limiter: RateLimiter
  readonly #clock: Clock
  readonly #validityMs: number
  readonly #adminKey: KeyObject | null
  /** Serials with a revocation being sequenced: a second one is refused, not logged twice. */
  readonly #revoking = new Set<string>()

  private constructor(p: {
    store: LogStore
    sequencer: LogSequencer
    rootPem: string
    root: ParsedCertificate
    logKey: string
    origin: string
    issuer: CertificateIssuer
    config: ServerConfig
    clock: Clock
  }) {
    this.store = p.store
    this.sequencer = p.sequencer
    this.rootPem = p.rootPem
    this.root = p.root
    this.logKey = p.logKey
    this.origin = p.origin
    this.#issuer = p.issuer
    this.#clock = p.clock
    const t = p.config.trustchain
    this.hashcashBits = t.hashcashBits
    this.#validityMs = t.validityHours * 3_600_000
    this.#challenges = new ChallengeBook({}, p.clock)
    this.#limiter = new RateLimiter({ perMinute: t.issuePerMinute, burst: t.issueBurst }, p.clock)
    this.#adminKey = t.adminKey === null ? null : rawEd25519PublicKey(t.adminKey)
  }

  /**
   * Open the store (PostgreSQL when DATABASE_URL is set, else node:sqlite in DATA_DIR), load or
   * create the root and the log's note key (files, mode 0600), and start the sequencer.
   */
  static async open(
    config: ServerConfig,
    clock: Clock,
    store?: LogStore,
  ): Promise<TrustchainService> {
    const logStore =
      store ??
      (config.databaseUrl !== null
        ? await openPgLogStore({ connectionString: config.databaseUrl })
        : await openSqliteLogStore(join(config.dataDir, 'trustchain.sqlite')))
    try {
      const rootKey = await loadOrCreateRootKey(join(config.dataDir, 'trustchain-root.key'))
      let rootPem = await logStore.getMeta('root-certificate')
      if (rootPem === null) {
        const der = await createRootCertificate(rootKey, { now: clock.now() })
        rootPem = await logStore.initMeta('root-certificate', certificateToPem(der))
      }
      const root = parseCertificate(rootPem)
      if (!bytesEqual(root.subjectPublicKey, publicKeyBytes(rootKey))) {
        throw new Error(
          'TrustChain: the root certificate in the store does not match trustchain-root.key in DATA_DIR',
        )
      }
      const noteKey = await loadOrCreateRootKey(join(config.dataDir, 'trustchain-log.key'))
      const notePublic = publicKeyBytes(noteKey)
      const defaultOrigin = `hypermesh/trustchain/${hex(sha256(notePublic)).slice(0, 12)}`
      const origin =
        config.trustchain.origin ?? (await logStore.initMeta('log-origin', defaultOrigin))
      const signer: NoteSigner = {
        name: origin,
        publicKey: notePublic,
        sign: (message) => new Uint8Array(sign(null, message, noteKey)),
      }
      // Checked once here, with the JS verifier, so the sequencer need not check every batch.
      await signNote('hypermesh trustchain note key check\n', [signer])
      const sequencer = new LogSequencer(
        { origin },
        {
          store: logStore,
          signer,
          yieldNow: () => new Promise((r) => setImmediate(r)),
          trustedSigner: true,
        },
      )
      await sequencer.start()
      return new TrustchainService({
        store: logStore,
        sequencer,
        rootPem,
        root,
        logKey: formatVerifierKey(origin, notePublic),
        origin,
        issuer: new CertificateIssuer({
          privateKey: rootKey,
          certificateDer: root.der,
        }),
        config,
        clock,
      })
    } catch (err) {
      await logStore.close().catch(() => undefined)
      throw err
    }
  }

  /** Stop sequencing and close the store. */
  async close(): Promise<void> {
    this.sequencer.stop()
    await this.store.close()
  }

  /** Take one issuance token for a client address; throws 429 when it has none left. */
  limit(clientKey: string): void {
    const waitMs = this.#limiter.take(clientKey)
    if (waitMs > 0) {
      const err = new ApiError(
        429,
        'RateLimited',
        'ERR_RATE_LIMITED',
        `Too many requests from this address; try again in ${Math.ceil(waitMs / 1000)} s.`,
      )
      throw Object.assign(err, { retryAfterS: Math.ceil(waitMs / 1000) })
    }
  }

  /** GET /api/trustchain/challenge. */
  challenge(): { nonce: string; expiresAt: number; hashcashBits: number } {
    return { ...this.#challenges.issue(), hashcashBits: this.hashcashBits }
  }

  /** POST /api/trustchain/certificates: check the request, issue, log, answer with the proof. */
  async issue(body: unknown): Promise<IssueAnswer> {
    const req = issueRequest(body)
    const now = this.#clock.now()
    try {
      checkHashcash(req.stamp, {
        resource: stampResource(req.peerId, req.nonce),
        bits: this.hashcashBits,
        nowSeconds: Math.floor(now / 1000),
        maxAgeSeconds: STAMP_MAX_AGE_S,
        maxFutureSeconds: STAMP_MAX_FUTURE_S,
      })
    } catch (err) {
      if (err instanceof HashcashError) {
        throw new ApiError(
          403,
          'InvalidStamp',
          'ERR_HASHCASH',
          `Hashcash stamp refused: ${err.message}`,
        )
      }
      throw err
    }
    const key = rawEd25519PublicKey(req.publicKey)
    if (!verify(null, popMessage(req.nonce, req.peerId), key, req.signature)) {
      throw new ApiError(
        403,
        'InvalidProofOfPossession',
        'ERR_PROOF_OF_POSSESSION',
        'The signature over the challenge does not verify with the submitted public key.',
      )
    }
    // Spent only once the request proved the key: a stranger cannot burn someone's challenge.
    this.#challenges.consume(req.nonce)
    const serial = randomBytes(16)
    serial[0]! &= 0x7f
    if (serial[0] === 0) serial[0] = 0x01
    let cert: { der: Uint8Array; serialHex: string; notBefore: number; notAfter: number }
    try {
      // The key is proven valid: node:crypto verified the proof of possession with it.
      cert = this.#issuer.issueRecord(
        {
          publicKey: req.publicKey,
          claimedPeerId: req.peerId,
          serial,
          now,
          validityMs: this.#validityMs,
        },
        { keyChecked: true },
      )
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string }
      if (e.name === 'PeerIdMismatchError' || e.name === 'InvalidPublicKeyError') {
        throw new ApiError(400, e.name, e.code ?? 'ERR_BAD_KEY', e.message ?? String(err))
      }
      throw err
    }
    const der = cert.der
    const sequenced = await this.sequencer.add({
      entry: encodeLogEntry({ type: 'certificate', der }),
      certificate: {
        serialHex: cert.serialHex,
        peerId: req.peerId,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
      },
    })
    return {
      certificate: certificateToPem(der),
      chain: [this.rootPem],
      serial: cert.serialHex,
      peerId: req.peerId,
      logIndex: sequenced.index,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      proof: formatTlogProof({
        index: sequenced.index,
        hashes: sequenced.proof,
        checkpoint: sequenced.head.checkpoint,
      }),
    }
  }

  /** POST /api/trustchain/revocations: a signed revocation becomes a log entry. */
  async revoke(body: unknown): Promise<RevokeAnswer> {
    const req = revokeRequest(body)
    const record = await this.store.certificateBySerial(req.serialHex)
    if (record === null) {
      throw new ApiError(
        404,
        'UnknownCertificate',
        'ERR_UNKNOWN_CERTIFICATE',
        'No certificate with this serial was issued by this log.',
      )
    }
    if (
      (await this.store.revocationOf(req.serialHex)) !== null ||
      this.#revoking.has(req.serialHex)
    ) {
      throw new ApiError(
        409,
        'AlreadyRevoked',
        'ERR_ALREADY_REVOKED',
        'This certificate is already revoked.',
      )
    }
    if (Math.abs(req.revokedAt - this.#clock.now()) > REVOCATION_SKEW_MS) {
      throw new ApiError(
        400,
        'InvalidRevocation',
        'ERR_REVOCATION_TIME',
        'revokedAt must be within 5 minutes of now (ms since the epoch).',
      )
    }
    let key: KeyObject
    if (req.authority === 'admin') {
      if (this.#adminKey === null) {
        throw new ApiError(
          403,
          'InvalidRevocation',
          'ERR_NO_ADMIN_KEY',
          'This server has no admin key (TRUSTCHAIN_ADMIN_KEY).',
        )
      }
      key = this.#adminKey
    } else {
      const [entry] = await this.store.entries(record.logIndex, record.logIndex + 1)
      const decoded = decodeLogEntry(entry!)
      if (decoded.type !== 'certificate')
        throw new Error('TrustChain: certificate index points at a non-certificate entry')
      key = rawEd25519PublicKey(parseCertificate(decoded.der).subjectPublicKey)
    }
    const fields = {
      serialHex: req.serialHex,
      peerId: record.peerId,
      revokedAt: req.revokedAt,
      reason: req.reason,
      authority: req.authority,
    }
    if (!verify(null, revocationMessage(fields), key, req.signature)) {
      throw new ApiError(
        403,
        'InvalidRevocation',
        'ERR_REVOCATION_SIGNATURE',
        `The signature does not verify with the ${req.authority === 'admin' ? 'admin key' : "certificate's key"}.`,
      )
    }
    this.#revoking.add(req.serialHex)
    try {
      const sequenced = await this.sequencer.add({
        entry: encodeLogEntry({
          type: 'revocation',
          revocation: { ...fields, signature: req.signature },
        }),
        revocation: {
          serialHex: req.serialHex,
          peerId: record.peerId,
          revokedAt: req.revokedAt,
          reason: req.reason,
        },
      })
      return {
        serial: req.serialHex,
        peerId: record.peerId,
        logIndex: sequenced.index,
        proof: formatTlogProof({
          index: sequenced.index,
          hashes: sequenced.proof,
          checkpoint: sequenced.head.checkpoint,
        }),
      }
    } finally {
      this.#revoking.delete(req.serialHex)
    }
  }

  /** GET /api/trustchain/revocations?after=N. */
  revocations(after: number, limit: number): Promise<RevocationRecord[]> {
    return this.store.revocations(after, limit)
  }

  /** GET /api/trustchain/certificates?recent=N or ?peer=ID. */
  async certificates(q: {
    recent?: number
    peer?: string
    serial?: string
  }): Promise<CertificateRecord[]> {
    if (q.serial !== undefined) {
      const r = await this.store.certificateBySerial(q.serial)
      return r === null ? [] : [r]
    }
    if (q.peer !== undefined) return this.store.certificatesOf(q.peer)
    return this.store.recentCertificates(q.recent ?? 20)
  }

  /** The certificate logged at `index`, as PEM (for the /trustchain page and auditors). */
  async certificateAt(index: number): Promise<string | null> {
    const head = this.sequencer.head()
    if (!Number.isSafeInteger(index) || index < 0 || index >= head.size) return null
    const [entry] = await this.store.entries(index, index + 1)
    const decoded = decodeLogEntry(entry!)
    return decoded.type === 'certificate' ? certificateToPem(decoded.der) : null
  }
}

interface IssueRequest {
  peerId: string
  publicKey: Uint8Array
  nonce: string
  signature: Uint8Array
  stamp: string
}

function bad(message: string, code = 'ERR_BAD_REQUEST'): ApiError {
  return new ApiError(400, 'BadRequest', code, message)
}

function base64Field(v: unknown, field: string, bytes: number): Uint8Array {
  if (typeof v !== 'string' || v.length > 200) throw bad(`${field} must be base64 text`)
  const buf = Buffer.from(v, 'base64')
  if (buf.byteLength !== bytes || buf.toString('base64') !== v) {
    throw bad(`${field} must be ${bytes} bytes in standard base64 with padding`)
  }
  return new Uint8Array(buf)
}

function stringField(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    throw bad(`${field} must be a string of 1..${max} characters`)
  }
  return v
}

function objectBody(body: unknown, fields: string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bad('The body must be a JSON object.')
  }
  const extra = Object.keys(body).filter((k) => !fields.includes(k))
  if (extra.length > 0) throw bad(`Unknown field(s): ${extra.slice(0, 5).join(', ')}.`)
  return body as Record<string, unknown>
}

function issueRequest(body: unknown): IssueRequest {
  const o = objectBody(body, ['peerId', 'publicKey', 'nonce', 'signature', 'stamp'])
  return {
    peerId: stringField(o.peerId, 'peerId', 100),
    publicKey: base64Field(o.publicKey, 'publicKey', 32),
    nonce: stringField(o.nonce, 'nonce', 100),
    signature: base64Field(o.signature, 'signature', 64),
    stamp: stringField(o.stamp, 'stamp', 300),
  }
}

function revokeRequest(body: unknown): {
  serialHex: string
  reason: string
  revokedAt: number
  authority: RevocationAuthority
  signature: Uint8Array
} {
  const o = objectBody(body, ['serial', 'reason', 'revokedAt', 'authority', 'signature'])
  const authority = o.authority ?? 'key'
  const req = {
    serialHex: stringField(o.serial, 'serial', 40),
    reason: typeof o.reason === 'string' ? o.reason : '',
    revokedAt: o.revokedAt as number,
    authority: authority as RevocationAuthority,
    signature: base64Field(o.signature, 'signature', 64),
  }
  try {
    checkRevocationStatement(req)
  } catch (err) {
    if (err instanceof MalformedLogEntryError) throw bad(err.message)
    throw err
  }
  return req
}

/** A node:crypto public key from 32 raw Ed25519 bytes; 400 when they are not a valid key. */
function rawEd25519PublicKey(raw: Uint8Array): KeyObject {
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
      format: 'jwk',
    })
  } catch {
    throw bad('publicKey is not an Ed25519 public key', 'ERR_BAD_KEY')
  }
}

function publicKeyBytes(privateKey: KeyObject): Uint8Array {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' })
  return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}
