/**
 * TrustChain as the pages show it: the log's API, read from the browser; a watcher that follows
 * the log's checkpoint and audits it (signature, append-only); a certificate verifier that runs
 * the checks of DESIGN.md §3 one by one so the page can list each; the inclusion path as a
 * picture; and the small summaries the home page and the map need.
 *
 * The verification code (the certificate parser, the Merkle proofs, the note signatures) is loaded with
 * `import()` inside the functions that need it: importing this module costs the home page
 * nothing beyond a few small helpers.
 */
import { RetainedPoller } from './poller'
import type { Checkpoint } from '@/lib/trustchain/checkpoint'
import type { TrustchainCheck } from '@/lib/trustchain/errors'
import type { TrustAnchors } from '@/lib/trustchain/verify'
import type { MeshSnapshot, VerdictView } from './types'

// ---------------------------------------------------------------------------------------------
// The checks

/** The checks a certificate goes through, in the order peers run them. */
export const CHECK_ORDER: readonly TrustchainCheck[] = [
  'format',
  'chain',
  'validity',
  'peer-id',
  'revocation',
  'checkpoint-signature',
  'inclusion',
  'consistency',
]

export type { TrustchainCheck }

/** What each check means, for people. */
export const CHECK_LABELS: Record<TrustchainCheck, { title: string; help: string }> = {
  format: { title: 'Format', help: 'An X.509 certificate of the HyperMesh profile.' },
  chain: { title: 'Chain', help: 'Signed by the HyperMesh root CA.' },
  validity: { title: 'Validity', help: 'Within its validity window now.' },
  'peer-id': { title: 'Peer ID', help: 'The peer ID it names is derived from its key.' },
  revocation: { title: 'Revocation', help: 'Not revoked in the log.' },
  'checkpoint-signature': {
    title: 'Checkpoint signature',
    help: 'The log’s checkpoint is signed by the log key.',
  },
  inclusion: { title: 'Inclusion', help: 'The certificate is a leaf of the logged tree.' },
  consistency: {
    title: 'Consistency',
    help: 'The log only grew since this browser last looked.',
  },
}

/** The title and help of a check named in a refusal, or null for a name this page does not know. */
export function describeCheck(check: string): { title: string; help: string } | null {
  return (CHECK_ORDER as readonly string[]).includes(check)
    ? CHECK_LABELS[check as TrustchainCheck]
    : null
}

// ---------------------------------------------------------------------------------------------
// The log's API

/** `GET /api/trustchain/status`. */
export interface LogStatus {
  origin: string
  /** Note verifier key `<name>+<key id>+<base64 key>`. */
  logKey: string
  /** The root CA certificate, PEM. */
  rootCertificate: string
  size: number
  /** Root hash, base64. */
  rootHash: string
  /** The signed checkpoint note. */
  checkpoint: string
  hashcashBits: number
}

/** A logged certificate, as `GET /api/trustchain/certificates` lists it. */
export interface CertificateRecordView {
  serialHex: string
  peerId: string
  logIndex: number
  notBefore: number
  notAfter: number
}

/** A logged revocation, as `GET /api/trustchain/revocations` lists it. */
export interface RevocationRecordView {
  serialHex: string
  peerId: string
  logIndex: number
  revokedAt: number
  reason: string
}

/** What the functions that talk to the log need. */
export interface TrustchainViewComponents {
  /** `fetch` against the HyperMesh server; paths are absolute (`/api/trustchain/...`). */
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** ms since the epoch. */
  now(): number
}

/** The components of the page: the browser's own fetch and clock. */
export const BROWSER_COMPONENTS: TrustchainViewComponents = {
  fetch: (path, init) => fetch(path, init),
  now: () => Date.now(),
}

/** The log answered with an error, or could not be reached. */
export class LogRequestError extends Error {
  override readonly name = 'LogRequestError'
  constructor(
    message: string,
    readonly code: string,
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
  ) {
    super(message)
  }
}

async function request(
  c: TrustchainViewComponents,
  path: string,
  signal: AbortSignal | undefined,
): Promise<Response> {
  let res: Response
  try {
    res = await c.fetch(path, signal === undefined ? undefined : { signal })
  } catch (err) {
    if (signal?.aborted === true) throw err
    throw new LogRequestError(
      'The server could not be reached. Check the connection; the page retries by itself.',
      'ERR_UNREACHABLE',
      0,
    )
  }
  if (res.ok) return res
  const body = (await res.json().catch(() => null)) as {
    error?: { code?: string; message?: string }
  } | null
  throw new LogRequestError(
    body?.error?.message ?? `${path} answered HTTP ${res.status}.`,
    body?.error?.code ?? 'ERR_HTTP',
    res.status,
  )
}

async function getJson<T>(
  c: TrustchainViewComponents,
  path: string,
  signal?: AbortSignal,
): Promise<T> {
  return (await (await request(c, path, signal)).json()) as T
}

/** The log's current state and trust anchors. */
export function fetchLogStatus(
  c: TrustchainViewComponents,
  signal?: AbortSignal,
): Promise<LogStatus> {
  return getJson<LogStatus>(c, '/api/trustchain/status', signal)
}

/** The `count` newest certificates (1 to 100), newest first. */
export async function fetchRecentCertificates(
  c: TrustchainViewComponents,
  count: number,
  signal?: AbortSignal,
): Promise<CertificateRecordView[]> {
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw new RangeError(`fetchRecentCertificates: count must be 1 to 100, got ${count}`)
  }
  const r = await getJson<{ certificates: CertificateRecordView[] }>(
    c,
    `/api/trustchain/certificates?recent=${count}`,
    signal,
  )
  return r.certificates
}

/** Certificates issued to `peerId`, newest first. */
export async function fetchCertificatesOf(
  c: TrustchainViewComponents,
  peerId: string,
  signal?: AbortSignal,
): Promise<CertificateRecordView[]> {
  const r = await getJson<{ certificates: CertificateRecordView[] }>(
    c,
    `/api/trustchain/certificates?peer=${encodeURIComponent(peerId)}`,
    signal,
  )
  return [...r.certificates].sort((a, b) => b.logIndex - a.logIndex)
}

/** The PEM of the certificate logged at `index`. */
export async function fetchCertificatePem(
  c: TrustchainViewComponents,
  index: number,
  signal?: AbortSignal,
): Promise<string> {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`fetchCertificatePem: index must be a non-negative integer, got ${index}`)
  }
  return (await request(c, `/api/trustchain/certificate?index=${index}`, signal)).text()
}

/** Revocations logged after log index `after`, oldest first, every page of them. */
export async function fetchRevocations(
  c: TrustchainViewComponents,
  after = -1,
  signal?: AbortSignal,
): Promise<RevocationRecordView[]> {
  const PAGE = 1_000
  const all: RevocationRecordView[] = []
  for (let cursor = after; ;) {
    const r = await getJson<{ revocations: RevocationRecordView[] }>(
      c,
      `/api/trustchain/revocations?after=${cursor}&limit=${PAGE}`,
      signal,
    )
    all.push(...r.revocations)
    if (r.revocations.length < PAGE) return all
    cursor = Math.max(cursor, ...r.revocations.map((x) => x.logIndex))
  }
}

async function fetchConsistency(
  c: TrustchainViewComponents,
  from: number,
  to: number,
  signal?: AbortSignal,
): Promise<Uint8Array[]> {
  const r = await getJson<{ proof: string[] }>(
    c,
    `/api/trustchain/consistency?from=${from}&to=${to}`,
    signal,
  )
  return r.proof.map(fromBase64)
}

// ---------------------------------------------------------------------------------------------
// Lazy verification code

type TrustchainModules = Awaited<ReturnType<typeof importTrustchain>>

async function importTrustchain() {
  const [certificate, verify, merkle, logEntry, note, tlogProof] = await Promise.all([
    import('@/lib/trustchain/certificate'),
    import('@/lib/trustchain/verify'),
    import('@/lib/trustchain/merkle'),
    import('@/lib/trustchain/log-entry'),
    import('@/lib/trustchain/note'),
    import('@/lib/trustchain/tlog-proof'),
  ])
  return { certificate, verify, merkle, logEntry, note, tlogProof }
}

let modules: Promise<TrustchainModules> | null = null

/** The verification code, loaded once on first use. */
function loadTrustchain(): Promise<TrustchainModules> {
  modules ??= importTrustchain().catch((err: unknown) => {
    modules = null
    throw err
  })
  return modules
}

function anchorsOf(m: TrustchainModules, status: LogStatus): TrustAnchors {
  return {
    root: m.certificate.parseCertificate(status.rootCertificate),
    origin: status.origin,
    logVerifier: m.note.parseVerifierKey(status.logKey),
  }
}

// ---------------------------------------------------------------------------------------------
// The inclusion path as a picture

/** A range of log entries `[from, to)`. */
export type EntryRange = readonly [from: number, to: number]

/** One level of an inclusion path's shape, leaf side first. */
export interface InclusionShapeStep {
  /** Where the sibling stands: its hash goes on that side of the concatenation. */
  side: 'left' | 'right'
  /** Entries under the sibling (its hash is in the proof). */
  sibling: EntryRange
  /** Entries under the node the step makes (the parent of the sibling and the path). */
  node: EntryRange
}

/**
 * The shape of the RFC 9162 inclusion path of entry `index` in a tree of `size` entries: one
 * step per proof hash, nearest the leaf first. The siblings and the leaf cover the log exactly.
 *
 * @example
 * ```ts
 * inclusionShape(2, 5)
 * // [{ side: 'right', sibling: [3, 4], node: [2, 4] },
 * //  { side: 'left', sibling: [0, 2], node: [0, 4] },
 * //  { side: 'right', sibling: [4, 5], node: [0, 5] }]
 * ```
 * @throws {RangeError} unless 0 ≤ index < size are safe integers
 */
export function inclusionShape(index: number, size: number): InclusionShapeStep[] {
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new RangeError(`inclusionShape: size must be a positive integer, got ${size}`)
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`inclusionShape: index must be in [0, ${size}), got ${index}`)
  }
  const topDown: InclusionShapeStep[] = []
  let lo = 0
  let hi = size
  while (hi - lo > 1) {
    // RFC 9162 §2.1.1: split at the largest power of two smaller than the range (a loop, not
    // Math.log2, which rounds up just below large powers of two).
    let k = 1
    while (k * 2 < hi - lo) k *= 2
    const mid = lo + k
    if (index < mid) {
      topDown.push({ side: 'right', sibling: [mid, hi], node: [lo, hi] })
      hi = mid
    } else {
      topDown.push({ side: 'left', sibling: [lo, mid], node: [lo, hi] })
      lo = mid
    }
  }
  return topDown.reverse()
}

/** One level of a drawn inclusion path. */
export interface InclusionPictureStep extends InclusionShapeStep {
  /** The proof's hash for the sibling; null when the proof is too short. */
  siblingHash: Uint8Array | null
  /** The node's hash computed from the path below; null once a sibling is missing. */
  nodeHash: Uint8Array | null
}

/** Everything the inclusion-path drawing shows. */
export interface InclusionPicture {
  index: number
  size: number
  /** Hash of the entry, SHA-256(0x00 ‖ entry). */
  leafHash: Uint8Array
  /** Leaf side first. */
  steps: InclusionPictureStep[]
  /** The root the path leads to; null when the proof does not have the right length. */
  root: Uint8Array | null
  /** The checkpoint's root, null when there is no trusted checkpoint. */
  checkpointRoot: Uint8Array | null
  /** `root` equals `checkpointRoot`. */
  matches: boolean
  /** Why the path is incomplete, in a sentence; null when it is not. */
  problem: string | null
}

/**
 * The inclusion path of entry `index` with `proof` (sibling hashes, leaf side first), each
 * node's hash computed on the way up, compared with the checkpoint's root. `hashChildren` is
 * RFC 6962's node hash, SHA-256(0x01 ‖ left ‖ right), passed in so this module stays light.
 *
 * @throws {RangeError} unless 0 ≤ index < size are safe integers
 */
export function buildInclusionPicture(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  checkpointRoot: Uint8Array | null,
  hashChildren: (left: Uint8Array, right: Uint8Array) => Uint8Array,
): InclusionPicture {
  const shape = inclusionShape(index, size)
  let h: Uint8Array | null = leafHash
  const steps = shape.map((s, i): InclusionPictureStep => {
    const siblingHash = proof[i] ?? null
    h =
      h === null || siblingHash === null
        ? null
        : s.side === 'left'
          ? hashChildren(siblingHash, h)
          : hashChildren(h, siblingHash)
    return { ...s, siblingHash, nodeHash: h }
  })
  const lengthOk = proof.length === shape.length
  const root = lengthOk ? h : null
  return {
    index,
    size,
    leafHash,
    steps,
    root,
    checkpointRoot,
    matches: root !== null && checkpointRoot !== null && equalBytes(root, checkpointRoot),
    problem: lengthOk
      ? null
      : `The proof has ${proof.length} hashes; entry ${index} of a tree of ${size} needs ${shape.length}.`,
  }
}

// ---------------------------------------------------------------------------------------------
// Verifying one certificate, check by check

/** How one check went. */
export interface CheckOutcome {
  check: TrustchainCheck
  state: 'pending' | 'pass' | 'fail' | 'skipped' | 'not-applicable'
  /** What was found, or why it failed, in a sentence. */
  message: string | null
  /** Name and code of the error when it failed. */
  error: { name: string; code: string } | null
}

/** What the verification learnt about the certificate. */
export interface CertificateFacts {
  serialHex: string
  /** The peer ID named in the certificate (null for a CA certificate). */
  peerId: string | null
  notBefore: number
  notAfter: number
  isCa: boolean
}

/** The result of {@link verifyCertificate}, also passed to its progress callback. */
export interface VerificationReport {
  state: 'running' | 'valid' | 'invalid' | 'error'
  /** One per check, in {@link CHECK_ORDER}. */
  checks: CheckOutcome[]
  certificate: CertificateFacts | null
  /** The certificate's index in the log, when the log has it. */
  logIndex: number | null
  /** The checkpoint the inclusion proof is against, once its signature verified. */
  checkpoint: { origin: string; size: number; rootHash: Uint8Array; note: string } | null
  picture: InclusionPicture | null
  /** The c2sp.org/tlog-proof the certificate's holder would present (index, path, checkpoint). */
  tlogProof: string | null
  /** Why the verification could not be finished (the log unreachable…); null otherwise. */
  problem: string | null
}

/** What to verify, and against what. */
export interface VerifyRequest {
  /** The certificate, PEM (or base64 DER). */
  pem: string
  /** The peer the certificate must belong to, e.g. the connected peer it was picked for. */
  expectedPeerId?: string
  /** Signed checkpoint notes this browser saw before; the log must be consistent with each. */
  knownCheckpoints?: readonly string[]
}

/** A report with every check pending. */
export function pendingReport(): VerificationReport {
  return {
    state: 'running',
    checks: CHECK_ORDER.map((check) => ({ check, state: 'pending', message: null, error: null })),
    certificate: null,
    logIndex: null,
    checkpoint: null,
    picture: null,
    tlogProof: null,
    problem: null,
  }
}

/**
 * Verify a certificate the way peers do (DESIGN.md §3), but run every check that can run and
 * report each one: format, chain, validity, peer ID, revocation, checkpoint signature, inclusion
 * (fetching the index by serial and the proof at the current tree size) and consistency with
 * each checkpoint in `knownCheckpoints`. A certificate that passes is checked once more with
 * `verifyBundle`, the very function peers call, so the list cannot say yes where peers say no.
 *
 * @param onProgress - called with a fresh report after each check
 * @returns the final report; `state` is `error` only when the log could not be asked
 */
export async function verifyCertificate(
  req: VerifyRequest,
  c: TrustchainViewComponents,
  options: { signal?: AbortSignal; onProgress?: (report: VerificationReport) => void } = {},
): Promise<VerificationReport> {
  const { signal, onProgress } = options
  const r = pendingReport()
  const emit = (): void => onProgress?.({ ...r, checks: r.checks.map((x) => ({ ...x })) })
  const set = (
    check: TrustchainCheck,
    state: CheckOutcome['state'],
    message: string,
    err?: unknown,
  ): void => {
    const outcome = r.checks.find((x) => x.check === check)!
    outcome.state = state
    outcome.message = message
    outcome.error =
      err instanceof Error
        ? { name: err.name, code: (err as { code?: unknown }).code?.toString() ?? 'ERR' }
        : null
  }
  const skipRest = (message: string): void => {
    for (const x of r.checks) if (x.state === 'pending') set(x.check, 'skipped', message)
  }
  const finish = (): VerificationReport => {
    if (r.state === 'running') {
      r.state = r.checks.some((x) => x.state === 'fail') ? 'invalid' : 'valid'
    }
    emit()
    return r
  }

  const m = await loadTrustchain()
  emit()

  // format
  let cert: ReturnType<typeof m.certificate.parseCertificate>
  try {
    cert = m.certificate.parseCertificate(req.pem.trim())
  } catch (err) {
    set('format', 'fail', messageOf(err), err)
    skipRest('Not run: the certificate could not be read.')
    return finish()
  }
  r.certificate = {
    serialHex: cert.serialHex,
    peerId: cert.peerId,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCa: cert.isCa,
  }
  set(
    'format',
    'pass',
    `Serial ${cert.serialHex}, an Ed25519 key, issued to ${cert.peerId ?? 'a CA'}.`,
  )
  emit()

  try {
    const status = await fetchLogStatus(c, signal)
    const anchors = anchorsOf(m, status)

    // chain
    try {
      m.certificate.verifyCertificateSignature(cert, anchors.root)
      set('chain', 'pass', `Signed by the root CA “${anchors.root.subjectDn}”.`)
    } catch (err) {
      set('chain', 'fail', messageOf(err), err)
    }

    // validity
    const now = c.now()
    if (now < cert.notBefore) {
      set('validity', 'fail', `Not valid before ${formatDateTime(cert.notBefore)}.`)
    } else if (now > cert.notAfter) {
      set(
        'validity',
        'fail',
        `Expired ${formatDuration(now - cert.notAfter)} ago, at ${formatDateTime(cert.notAfter)}.`,
      )
    } else {
      set(
        'validity',
        'pass',
        `Valid until ${formatDateTime(cert.notAfter)}: ${formatDuration(cert.notAfter - now)} left.`,
      )
    }

    // peer-id
    const derived = m.certificate.peerIdOfPublicKey(cert.subjectPublicKey)
    if (cert.isCa) {
      set('peer-id', 'fail', 'A CA certificate cannot identify a peer.')
    } else if (cert.peerId !== derived) {
      set(
        'peer-id',
        'fail',
        `The certificate names ${String(cert.peerId)} but its key is ${derived}’s.`,
      )
    } else if (req.expectedPeerId !== undefined && req.expectedPeerId !== derived) {
      set('peer-id', 'fail', `The certificate is ${derived}’s, not ${req.expectedPeerId}’s.`)
    } else {
      set(
        'peer-id',
        'pass',
        req.expectedPeerId !== undefined
          ? `Its key is the connected peer’s: ${derived}.`
          : `Its key gives the peer ID it names: ${derived}.`,
      )
    }
    emit()

    // revocation
    const revocations = await fetchRevocations(c, -1, signal)
    const revoked = new Map(revocations.map((x) => [x.serialHex, x]))
    const revocation = revoked.get(cert.serialHex)
    if (revocation !== undefined) {
      set(
        'revocation',
        'fail',
        `Revoked ${formatDateTime(revocation.revokedAt)} (log entry ${revocation.logIndex}): ${revocation.reason}`,
      )
    } else {
      set('revocation', 'pass', `None of the log’s ${revocations.length} revocations is for it.`)
    }
    emit()

    // checkpoint-signature (of the proof's checkpoint, else the current one)
    const found = (
      await getJson<{ certificates: CertificateRecordView[] }>(
        c,
        `/api/trustchain/certificates?serial=${encodeURIComponent(cert.serialHex)}`,
        signal,
      )
    ).certificates.find((x) => x.serialHex === cert.serialHex)
    let proof: { index: number; size: number; proof: string[]; checkpoint: string } | null = null
    if (found !== undefined) {
      // Logged after the status was read: the log has grown since, prove against its new size.
      const size =
        found.logIndex < status.size ? status.size : (await fetchLogStatus(c, signal)).size
      proof = await getJson(c, `/api/trustchain/proof?index=${found.logIndex}&size=${size}`, signal)
    }
    const note = proof?.checkpoint ?? status.checkpoint
    let checkpoint: Checkpoint | null = null
    try {
      checkpoint = m.verify.openCheckpoint(note, anchors)
      r.checkpoint = { ...checkpoint, note }
      set(
        'checkpoint-signature',
        'pass',
        `Checkpoint of ${checkpoint.size} entries signed by ${anchors.logVerifier.name}.`,
      )
    } catch (err) {
      set('checkpoint-signature', 'fail', messageOf(err), err)
    }
    emit()

    // inclusion
    if (found === undefined || proof === null) {
      set(
        'inclusion',
        'fail',
        `The log has no certificate with serial ${cert.serialHex}: it was not issued by this log, or it was altered.`,
      )
    } else if (checkpoint === null) {
      r.logIndex = found.logIndex
      set('inclusion', 'skipped', 'Not run: there is no trusted checkpoint to check it against.')
    } else {
      r.logIndex = found.logIndex
      const leaf = m.merkle.leafHash(
        m.logEntry.encodeLogEntry({ type: 'certificate', der: cert.der }),
      )
      const hashes = proof.proof.map(fromBase64)
      r.picture = buildInclusionPicture(
        proof.index,
        checkpoint.size,
        leaf,
        hashes,
        checkpoint.rootHash,
        m.merkle.nodeHash,
      )
      try {
        m.merkle.verifyInclusion(proof.index, checkpoint.size, leaf, hashes, checkpoint.rootHash)
        set(
          'inclusion',
          'pass',
          `Entry ${proof.index} of ${checkpoint.size}: ${hashes.length} sibling hashes lead from its leaf to the checkpoint’s root.`,
        )
        r.tlogProof = m.tlogProof.formatTlogProof({ index: proof.index, hashes, checkpoint: note })
      } catch (err) {
        set(
          'inclusion',
          'fail',
          `Entry ${proof.index} of the log is another certificate: the path from this one’s leaf leads to a different root.`,
          err,
        )
      }
    }
    emit()

    // consistency
    const known = openKnown(req.knownCheckpoints ?? [], m, anchors)
    if (checkpoint === null) {
      set('consistency', 'skipped', 'Not run: there is no trusted checkpoint to compare.')
    } else if (known.length === 0) {
      set(
        'consistency',
        'not-applicable',
        'This browser has no earlier checkpoint of this log to compare with.',
      )
    } else {
      try {
        for (const k of known) {
          await m.verify.checkConsistency(checkpoint, note, {
            known: k,
            consistency: (a, b) => fetchConsistency(c, a, b, signal),
          })
        }
        const sizes = [...new Set(known.map((k) => k.size))]
        set(
          'consistency',
          'pass',
          `The log of ${checkpoint.size} entries is consistent with the ${plural(sizes.length, 'checkpoint')} of ${sizes.join(', ')} ${sizes.length === 1 && sizes[0] === 1 ? 'entry' : 'entries'} this browser saw before.`,
        )
      } catch (err) {
        set('consistency', 'fail', messageOf(err), err)
      }
    }
    emit()

    // The same verdict as peers': run the library's own verifier on what passed.
    if (
      r.tlogProof !== null &&
      r.checks.every((x) => x.state === 'pass' || x.state === 'not-applicable')
    ) {
      try {
        await m.verify.verifyBundle({ certificate: cert.der, proof: r.tlogProof }, anchors, {
          now,
          ...(req.expectedPeerId !== undefined ? { expectedPeerId: req.expectedPeerId } : {}),
          isRevoked: (serial) => revoked.has(serial),
          known: known.at(-1) ?? null,
          consistency: (a, b) => fetchConsistency(c, a, b, signal),
        })
      } catch (err) {
        const check = (err as { check?: TrustchainCheck }).check ?? 'format'
        set(check, 'fail', messageOf(err), err)
      }
    }
  } catch (err) {
    if (signal?.aborted === true) throw err
    r.state = 'error'
    r.problem = messageOf(err)
    skipRest('Not run: the log could not be asked.')
  }
  return finish()
}

/** The checkpoints in `notes` that open with `anchors` (this log, signed by its key), oldest first. */
function openKnown(
  notes: readonly string[],
  m: TrustchainModules,
  anchors: TrustAnchors,
): Checkpoint[] {
  const out: Checkpoint[] = []
  for (const note of new Set(notes)) {
    try {
      out.push(m.verify.openCheckpoint(note, anchors))
    } catch {
      // A checkpoint of another log (the server started over, or a new key): nothing to compare.
    }
  }
  return out.sort((a, b) => a.size - b.size)
}

/**
 * The newest checkpoint this tab's node has seen and kept (in its slot's database), or null.
 * Read-only: the node owns it.
 */
export async function readNodeCheckpoint(slot: number | null): Promise<string | null> {
  if (slot === null || typeof indexedDB === 'undefined') return null
  try {
    const { readSlotValue } = await import('@/lib/adapters/idb-slot')
    const note = await readSlotValue<unknown>(slot, 'checkpoint')
    return typeof note === 'string' ? note : null
  } catch {
    return null
  }
}

// ---------------------------------------------------------------------------------------------
// Watching the log

/** The log as the /trustchain page shows it, refreshed every few seconds. */
export interface LogWatchState {
  status: LogStatus | null
  /** The current checkpoint, once its signature verified. */
  checkpoint: { origin: string; size: number; rootHash: Uint8Array; note: string } | null
  /** The log's signature on the current checkpoint, as checked in this browser. */
  signature: { state: 'verified' | 'failed'; message: string } | null
  /** The last append-only check between two checkpoints this page saw. */
  consistency: {
    from: number
    to: number
    state: 'verified' | 'failed'
    message: string
    at: number
  } | null
  /** The first checkpoint this page saw of this log (signature verified). */
  firstSeen: { note: string; size: number; at: number } | null
  /** Newest first. */
  certificates: CertificateRecordView[]
  /** Every revocation of the log, oldest first. */
  revocations: RevocationRecordView[]
  /** When the log last answered, ms since epoch. */
  updatedAt: number | null
  /** Why the last refresh failed, in a sentence; null when it worked. */
  problem: string | null
}

/** Before the first answer. */
export const EMPTY_LOG_WATCH: LogWatchState = {
  status: null,
  checkpoint: null,
  signature: null,
  consistency: null,
  firstSeen: null,
  certificates: [],
  revocations: [],
  updatedAt: null,
  problem: null,
}

/** Options of a {@link LogWatcher}. */
export interface LogWatcherInit {
  /** Time between refreshes, ms. Default 3 000. */
  intervalMs?: number
  /** How many of the newest certificates to keep. Default 20. */
  recent?: number
}

/**
 * Follows the log: every few seconds reads its status; checks each new checkpoint's signature
 * with the log key and that it extends the previous one (a consistency proof); refreshes the
 * newest certificates and the revocations when the log grew. State lives outside React: read it
 * with `useSyncExternalStore(watcher.subscribe, watcher.getSnapshot)`.
 */
export class LogWatcher {
  readonly #c: TrustchainViewComponents
  readonly #recent: number
  readonly #listeners = new Set<() => void>()
  #state: LogWatchState = EMPTY_LOG_WATCH
  readonly #poller: RetainedPoller
  #logKey: string | null = null

  constructor(init: LogWatcherInit, components: TrustchainViewComponents) {
    this.#c = components
    this.#poller = new RetainedPoller(init.intervalMs ?? 3_000, () => this.#refresh())
    this.#recent = init.recent ?? 20
  }

  /** Subscribe to changes; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The current immutable state. */
  getSnapshot = (): LogWatchState => this.#state

  /**
   * Start refreshing (if not already) for one more user; returns the function that ends this
   * use. The watcher stops when the last user leaves, and keeps what it learnt.
   */
  retain(): () => void {
    return this.#poller.retain()
  }

  /** Refresh now (also what the timer does). Concurrent calls share one refresh. */
  refresh(): Promise<void> {
    return this.#poller.refresh()
  }

  #update(patch: Partial<LogWatchState>): void {
    this.#state = { ...this.#state, ...patch }
    for (const l of this.#listeners) l()
  }

  async #refresh(): Promise<void> {
    try {
      const status = await fetchLogStatus(this.#c)
      const prev = this.#state
      const grew = prev.status === null || status.size !== prev.status.size
      const patch: Partial<LogWatchState> = { status, updatedAt: this.#c.now(), problem: null }
      if (this.#logKey !== status.logKey || prev.status?.origin !== status.origin) {
        // Another log (the server started over with new data): its history starts now.
        this.#logKey = status.logKey
        Object.assign(patch, {
          checkpoint: null,
          signature: null,
          consistency: null,
          firstSeen: null,
          revocations: [],
        })
      }
      const base = { ...prev, ...patch }
      if (base.checkpoint?.note !== status.checkpoint) {
        Object.assign(patch, await this.#audit(status, base))
      }
      if (grew || patch.revocations !== undefined) {
        const after = base.revocations.reduce((a, x) => Math.max(a, x.logIndex), -1)
        const [certificates, fresh] = await Promise.all([
          fetchRecentCertificates(this.#c, this.#recent),
          fetchRevocations(this.#c, after),
        ])
        patch.certificates = certificates
        patch.revocations = [...base.revocations, ...fresh]
      }
      this.#update(patch)
    } catch (err) {
      this.#update({ problem: messageOf(err) })
    }
  }

  /** Signature of the new checkpoint, and consistency with the one shown so far. */
  async #audit(status: LogStatus, base: LogWatchState): Promise<Partial<LogWatchState>> {
    const m = await loadTrustchain()
    const now = this.#c.now()
    let next: Checkpoint
    try {
      next = m.verify.openCheckpoint(status.checkpoint, anchorsOf(m, status))
    } catch (err) {
      return { signature: { state: 'failed', message: messageOf(err) } }
    }
    const out: Partial<LogWatchState> = {
      signature: {
        state: 'verified',
        message: `Signed by ${m.note.parseVerifierKey(status.logKey).name}.`,
      },
    }
    const prev = base.checkpoint
    if (prev !== null) {
      try {
        await m.verify.checkConsistency(next, status.checkpoint, {
          known: { origin: prev.origin, size: prev.size, rootHash: prev.rootHash, extensions: [] },
          consistency: (a, b) => fetchConsistency(this.#c, a, b),
        })
        if (next.size < prev.size) {
          // checkConsistency accepts an older checkpoint of the same log; the page keeps the newer.
          return out
        }
        out.consistency = {
          from: prev.size,
          to: next.size,
          state: 'verified',
          message: `The tree of ${next.size} entries extends the one of ${prev.size} shown before.`,
          at: now,
        }
      } catch (err) {
        // Keep showing the checkpoint that was consistent: the new one is evidence of a fork.
        return {
          consistency: {
            from: prev.size,
            to: next.size,
            state: 'failed',
            message: `The log’s new checkpoint does not extend the one it showed before: ${messageOf(err)}`,
            at: now,
          },
        }
      }
    }
    out.checkpoint = { ...next, note: status.checkpoint }
    if (base.firstSeen === null) {
      out.firstSeen = { note: status.checkpoint, size: next.size, at: now }
    }
    return out
  }
}

/** The page's watcher: one per tab, so what it saw survives moving between pages. */
export const logWatcher: LogWatcher = new LogWatcher({}, BROWSER_COMPONENTS)

// ---------------------------------------------------------------------------------------------
// Summaries for the home page and the map

/** How a direct peer stands with this node's TrustChain handshake. */
export type PeerTrust = 'verified' | 'pending' | 'refused'

/** Counts of the direct (WebRTC) connections by handshake state. */
export interface TrustCounts {
  verified: number
  pending: number
  /** Refused by this node, or refusing it. */
  refused: number
}

/** The handshake state of one verdict, folded to three: both refusal kinds are `refused`. */
export function trustOf(verdict: VerdictView | undefined): PeerTrust {
  if (verdict === undefined) return 'pending'
  return verdict.state === 'refused' || verdict.state === 'refused-by-peer'
    ? 'refused'
    : verdict.state
}

/**
 * Direct connections by handshake state; a direct connection without a verdict yet is pending.
 *
 * @example
 * ```ts
 * countTrust(meshStore.getSnapshot()) // { verified: 3, pending: 1, refused: 0 }
 * ```
 */
export function countTrust(snapshot: Pick<MeshSnapshot, 'connections' | 'verdicts'>): TrustCounts {
  const counts: TrustCounts = { verified: 0, pending: 0, refused: 0 }
  for (const c of snapshot.connections) {
    if (c.transport !== 'webrtc') continue
    counts[trustOf(snapshot.verdicts[c.id])]++
  }
  return counts
}

/** A peer's handshake on the map: its state and, when refused, why. */
export interface PeerTrustView {
  state: PeerTrust
  /** Who refused: this node (`refused`) or the peer (`refused-by-peer`); null otherwise. */
  refusedBy: 'us' | 'peer' | null
  logIndex: number | null
  reason: VerdictView['reason']
  /** A direct connection is open; false for a refusal whose connection has closed since. */
  connected: boolean
}

/**
 * The handshake state of each direct peer, by peer ID. A peer with several connections counts as
 * verified if any of them is, else refused if any is, else pending. With `refusedSince`, peers
 * no longer connected that were refused at or after that time (ms since epoch) are included too,
 * as refused: refused links close at once, and the map should still say who was refused.
 *
 * @example
 * ```ts
 * trustByPeer(snapshot, Date.now() - 600_000).get(peerId)?.state // 'refused'
 * ```
 */
export function trustByPeer(
  snapshot: Pick<MeshSnapshot, 'connections' | 'verdicts' | 'refusals'>,
  refusedSince = Number.POSITIVE_INFINITY,
): Map<string, PeerTrustView> {
  const rank: Record<PeerTrust, number> = { verified: 2, refused: 1, pending: 0 }
  const out = new Map<string, PeerTrustView>()
  for (const c of snapshot.connections) {
    if (c.transport !== 'webrtc') continue
    const v = snapshot.verdicts[c.id]
    const view: PeerTrustView = {
      state: trustOf(v),
      refusedBy: refuser(v),
      logIndex: v?.logIndex ?? null,
      reason: v?.reason ?? null,
      connected: true,
    }
    const prev = out.get(c.peerId)
    if (prev === undefined || rank[view.state] > rank[prev.state]) out.set(c.peerId, view)
  }
  // Newest last: a later refusal of the same peer replaces an earlier one.
  for (const r of snapshot.refusals) {
    if (!(r.at >= refusedSince) || out.get(r.peerId)?.connected === true) continue
    out.set(r.peerId, {
      state: 'refused',
      refusedBy: refuser(r),
      logIndex: r.logIndex,
      reason: r.reason,
      connected: false,
    })
  }
  return out
}

function refuser(v: VerdictView | undefined): 'us' | 'peer' | null {
  return v?.state === 'refused' ? 'us' : v?.state === 'refused-by-peer' ? 'peer' : null
}

/** A refused handshake, for the list on the home page. */
export interface RefusalView {
  peerId: string
  /** When it was refused (connection closed), or when the connection opened if still open. */
  at: number
  /** Who refused. */
  by: 'us' | 'peer'
  check: string | null
  message: string
  /** Still connected (the close follows in a moment). */
  open: boolean
}

/**
 * The refusals to show, newest first: the connections still open with a refusal, then those
 * closed since (the snapshot keeps the last ones).
 */
export function recentRefusals(
  snapshot: Pick<MeshSnapshot, 'connections' | 'verdicts' | 'refusals'>,
  limit = 8,
): RefusalView[] {
  const out: RefusalView[] = []
  for (const c of snapshot.connections) {
    const v = snapshot.verdicts[c.id]
    if (v === undefined || (v.state !== 'refused' && v.state !== 'refused-by-peer')) continue
    out.push(refusalView(c.peerId, c.openedAt, v, true))
  }
  for (const r of snapshot.refusals) out.push(refusalView(r.peerId, r.at, r, false))
  return out.sort((a, b) => b.at - a.at).slice(0, Math.max(0, limit))
}

function refusalView(peerId: string, at: number, v: VerdictView, open: boolean): RefusalView {
  return {
    peerId,
    at,
    by: v.state === 'refused-by-peer' ? 'peer' : 'us',
    check: v.reason?.check ?? null,
    message: v.reason?.message ?? 'No reason was given.',
    open,
  }
}

// ---------------------------------------------------------------------------------------------
// Display formats

/**
 * A duration for people, two units at most: `42 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`.
 *
 * @example
 * ```ts
 * formatDuration(185_000) // '3 min 5 s'
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s} s`
  const min = Math.floor(s / 60)
  if (min < 60) return s % 60 === 0 ? `${min} min` : `${min} min ${s % 60} s`
  const h = Math.floor(min / 60)
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`
  const d = Math.floor(h / 24)
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`
}

/** `in 3 min 5 s`, `2 h ago`: a moment relative to `now`. */
export function formatRelative(at: number, now: number): string {
  const d = at - now
  if (Math.abs(d) < 1000) return 'now'
  return d > 0 ? `in ${formatDuration(d)}` : `${formatDuration(-d)} ago`
}

/** A date and time in the user's locale, to the second. */
export function formatDateTime(at: number): string {
  return new Date(at).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  })
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

/** The first `chars` hex digits of a hash and an ellipsis, for labels. */
export function shortHex(hash: Uint8Array | string, chars = 8): string {
  const hex = typeof hash === 'string' ? hash : toHex(hash)
  return hex.length <= chars ? hex : `${hex.slice(0, chars)}…`
}

/**
 * Short form of a peer ID: its first 8 and last 6 characters.
 *
 * @example
 * ```ts
 * shortId('12D3KooWQ2y6X9mZ7xYbR4') // '12D3KooW…7xYbR4'
 * ```
 */
export function shortId(id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
}

/** Bytes of standard base64. */
export function fromBase64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0))
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
