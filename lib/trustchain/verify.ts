import {
  parseCertificate,
  peerIdOfPublicKey,
  verifyCertificateSignature,
  type ParsedCertificate,
} from './certificate'
import { parseCheckpoint, type Checkpoint } from './checkpoint'
import { TrustchainError } from './errors'
import { encodeLogEntry } from './log-entry'
import { leafHash, verifyConsistency, verifyInclusion } from './merkle'
import { openNote, type NoteVerifier } from './note'
import { parseTlogProof } from './tlog-proof'

/** What every peer trusts: the CA root, and the log's name and note key. */
export interface TrustAnchors {
  root: ParsedCertificate
  origin: string
  logVerifier: NoteVerifier
}

/** What a peer presents: its certificate and the tlog-proof the log answered with. */
export interface CertificateBundle {
  /** DER or PEM. */
  certificate: Uint8Array | string
  /** c2sp.org/tlog-proof text. */
  proof: string
}

/** Options of {@link verifyBundle}. */
export interface VerifyOptions {
  /** Verifier's clock, ms since the epoch. */
  now: number
  /** The peer ID the certificate must name (the remote peer of the connection). */
  expectedPeerId?: string
  /** True when the log has a revocation for this serial. */
  isRevoked?: (serialHex: string) => boolean
  /** The newest checkpoint this verifier has seen; the proof's checkpoint must be consistent with it. */
  known?: Checkpoint | null
  /** Fetch a consistency proof between two tree sizes (from the log). Required when `known` is set. */
  consistency?: (size1: number, size2: number) => Promise<Uint8Array[]>
}

/** A bundle that passed every check. */
export interface VerifiedBundle {
  certificate: ParsedCertificate
  logIndex: number
  /** The checkpoint the inclusion proof is against. */
  checkpoint: Checkpoint
  /** The same, as the signed note (to pass on or persist). */
  checkpointNote: string
  /** The newer of `known` and `checkpoint`: what the verifier should remember. */
  newest: { checkpoint: Checkpoint; note: string | null }
}

/** The certificate is outside its validity window at the verifier's clock. */
export class CertificateValidityError extends TrustchainError {
  override readonly name = 'CertificateValidityError'
  readonly code = 'ERR_CERTIFICATE_VALIDITY'
  override readonly check = 'validity' as const
}

/** The certificate names another peer than its key, or than the connection's remote peer. */
export class PeerIdCheckError extends TrustchainError {
  override readonly name = 'PeerIdCheckError'
  readonly code = 'ERR_PEER_ID_CHECK'
  override readonly check = 'peer-id' as const
}

/** The log holds a revocation for this certificate. */
export class CertificateRevokedError extends TrustchainError {
  override readonly name = 'CertificateRevokedError'
  readonly code = 'ERR_CERTIFICATE_REVOKED'
  override readonly check = 'revocation' as const
}

/** The checkpoint is of another log (origin line). */
export class CheckpointOriginError extends TrustchainError {
  override readonly name = 'CheckpointOriginError'
  readonly code = 'ERR_CHECKPOINT_ORIGIN'
  override readonly check = 'checkpoint-signature' as const
}

/** A consistency proof was needed but there is no way to get one. */
export class ConsistencyUnavailableError extends TrustchainError {
  override readonly name = 'ConsistencyUnavailableError'
  readonly code = 'ERR_CONSISTENCY_UNAVAILABLE'
  override readonly check = 'consistency' as const
}

/**
 * Check a peer's certificate bundle, in this order (docs/trustchain.md, "Verification"): format,
 * chain, validity window, peer ID ↔ key (and ↔ the expected peer), revocation, checkpoint
 * signature, inclusion proof, consistency with the newest checkpoint the verifier has seen. The
 * first failure throws a TrustchainError whose `check` names the step.
 */
export async function verifyBundle(
  bundle: CertificateBundle,
  anchors: TrustAnchors,
  options: VerifyOptions,
): Promise<VerifiedBundle> {
  const certificate = parseCertificate(bundle.certificate)
  const proof = parseTlogProof(bundle.proof)
  verifyCertificateSignature(certificate, anchors.root)
  if (certificate.isCa) {
    throw new PeerIdCheckError('A CA certificate cannot identify a peer.')
  }
  if (options.now < certificate.notBefore) {
    throw new CertificateValidityError(
      `The certificate is not valid before ${new Date(certificate.notBefore).toISOString()}.`,
    )
  }
  if (options.now > certificate.notAfter) {
    throw new CertificateValidityError(
      `The certificate expired at ${new Date(certificate.notAfter).toISOString()}.`,
    )
  }
  const derived = peerIdOfPublicKey(certificate.subjectPublicKey)
  if (certificate.peerId !== derived) {
    throw new PeerIdCheckError(
      `The certificate names ${String(certificate.peerId)} but its key is ${derived}'s.`,
    )
  }
  if (options.expectedPeerId !== undefined && derived !== options.expectedPeerId) {
    throw new PeerIdCheckError(
      `The certificate is ${derived}'s, not the connected peer ${options.expectedPeerId}'s.`,
    )
  }
  if (options.isRevoked?.(certificate.serialHex) === true) {
    throw new CertificateRevokedError(`Certificate ${certificate.serialHex} is revoked in the log.`)
  }
  const checkpointNote = proof.checkpoint
  const checkpoint = openCheckpoint(checkpointNote, anchors)
  verifyInclusion(
    proof.index,
    checkpoint.size,
    leafHash(encodeLogEntry({ type: 'certificate', der: certificate.der })),
    proof.hashes,
    checkpoint.rootHash,
  )
  const newest = await checkConsistency(checkpoint, checkpointNote, options)
  return { certificate, logIndex: proof.index, checkpoint, checkpointNote, newest }
}

/** Open a signed checkpoint of this log: signature by the log key, then origin. */
export function openCheckpoint(note: string, anchors: TrustAnchors): Checkpoint {
  const { text } = openNote(note, [anchors.logVerifier])
  const checkpoint = parseCheckpoint(text)
  if (checkpoint.origin !== anchors.origin) {
    throw new CheckpointOriginError(
      `The checkpoint is of log "${checkpoint.origin}", not "${anchors.origin}".`,
    )
  }
  return checkpoint
}

/**
 * Check that `checkpoint` and the verifier's newest known one describe the same append-only log,
 * and return the newer of the two.
 */
export async function checkConsistency(
  checkpoint: Checkpoint,
  note: string | null,
  options: Pick<VerifyOptions, 'known' | 'consistency'>,
): Promise<{ checkpoint: Checkpoint; note: string | null }> {
  const known = options.known ?? null
  if (known === null) return { checkpoint, note }
  if (known.size === checkpoint.size) {
    verifyConsistency(known.size, checkpoint.size, [], known.rootHash, checkpoint.rootHash)
    return { checkpoint: known, note: null }
  }
  if (options.consistency === undefined && Math.min(known.size, checkpoint.size) > 0) {
    throw new ConsistencyUnavailableError('No way to fetch a consistency proof from the log.')
  }
  const [older, newer] = known.size < checkpoint.size ? [known, checkpoint] : [checkpoint, known]
  // Every tree extends the empty one (RFC 9162 defines no proof from size 0).
  if (older.size === 0) {
    return newer === checkpoint ? { checkpoint, note } : { checkpoint: known, note: null }
  }
  const proof = await options.consistency!(older.size, newer.size)
  verifyConsistency(older.size, newer.size, proof, older.rootHash, newer.rootHash)
  return newer === checkpoint ? { checkpoint, note } : { checkpoint: known, note: null }
}
