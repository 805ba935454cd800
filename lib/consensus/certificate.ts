/**
 * BFT time and commit certificate verification: what a validator checks in a proposal's last
 * commit, what a block-syncing node checks for every block, and what a light client checks before
 * it trusts a header.
 */
import type { CommitteeMember } from './application'
import { bytesEqual, compareBytes, toHex } from './bytes'
import type { BlockHeader, CommitCertificate, CommitPrecommit } from './codec'
import { blockHash } from './codec'
import { type Committee, makeCommittee } from './committee'
import { InvalidCertificateError } from './errors'
import { voteSignBytes } from './vote'
import type { SignatureVerifier } from '../ports'

/**
 * Stake-weighted median of precommit timestamps (BFT time): the smallest timestamp `t` such that
 * the precommits with timestamp ≤ t carry more than half of the power of all the precommits
 * given. Precommits by non-members are ignored. If less than half of that power is faulty, the
 * result lies between two honest timestamps. Throws on an empty set (no member precommits).
 *
 * @example
 * ```ts
 * const time = weightedMedianTime(block.lastCommit.precommits, parentCommittee)
 * ```
 */
export function weightedMedianTime(
  precommits: readonly CommitPrecommit[],
  committee: Committee,
): number {
  const weighted: { t: number; w: number }[] = []
  let total = 0
  for (const p of precommits) {
    const m = committee.byKey.get(toHex(p.validator))
    if (m === undefined) continue
    weighted.push({ t: p.timestamp, w: m.power })
    total += m.power
  }
  if (weighted.length === 0) {
    throw new InvalidCertificateError('power', 'weightedMedianTime: no precommit of a member')
  }
  weighted.sort((a, b) => a.t - b.t)
  let cumulative = 0
  for (const { t, w } of weighted) {
    cumulative += w
    // cumulative > total / 2, written without a product that could leave the safe integers.
    if (cumulative > total - cumulative) return t
  }
  return weighted[weighted.length - 1]!.t
}

/** What a verified certificate establishes. */
export interface VerifiedCertificate {
  /** Power of the signers. */
  power: number
  /** Total power of the committee. */
  totalPower: number
  /** BFT time the next block must carry: {@link weightedMedianTime} of the precommits. */
  time: number
  /** Public keys of the signers, in certificate order. */
  signers: Uint8Array[]
}

/** Options of {@link verifyCommitCertificate}. */
export interface VerifyCertificateOptions {
  /** The next header, when known: its time must be the certificate's weighted median. */
  nextHeader?: BlockHeader
}

/**
 * Verify a commit certificate for `header` (the certified block's header): same height and block
 * hash, header of `chainId`, precommits in ascending validator order without repeats, every signer
 * a member of `committee`, signers' power more than 2/3 of the committee's, every signature valid
 * over `voteSignBytes` (precommit, `chainId`, the certificate's height, round and block hash, the
 * precommit's timestamp and validator) and, when `options.nextHeader` is given, its time equal to
 * the weighted median of the precommit timestamps.
 *
 * Cheap checks run before any signature is verified, so a certificate with too little power costs
 * no signature check. Throws {@link InvalidCertificateError} (its `reason` names the rule).
 *
 * @example
 * ```ts
 * const { time } = verifyCommitCertificate(cert, committee, 'hypermesh-main', header, verifier)
 * ```
 */
export function verifyCommitCertificate(
  cert: CommitCertificate,
  committee: readonly CommitteeMember[] | Committee,
  chainId: string,
  header: BlockHeader,
  verifier: SignatureVerifier,
  options: VerifyCertificateOptions = {},
): VerifiedCertificate {
  const c = Array.isArray(committee)
    ? makeCommittee(committee as readonly CommitteeMember[])
    : (committee as Committee)
  const where = 'verifyCommitCertificate'
  const height = cert.height
  if (header.chainId !== chainId) {
    throw new InvalidCertificateError('block', `${where}: header of another chain`, { height })
  }
  if (cert.height !== header.height || !bytesEqual(cert.blockHash, blockHash(header))) {
    throw new InvalidCertificateError('block', `${where}: certificate of another block`, { height })
  }
  let power = 0
  const seen = new Set<string>()
  let previous: Uint8Array | null = null
  for (const p of cert.precommits) {
    const key = toHex(p.validator)
    if (seen.has(key)) {
      throw new InvalidCertificateError('duplicate', `${where}: a validator twice`, { height })
    }
    seen.add(key)
    if (previous !== null && compareBytes(previous, p.validator) >= 0) {
      throw new InvalidCertificateError('order', `${where}: precommits out of order`, { height })
    }
    previous = p.validator
    const m = c.byKey.get(key)
    if (m === undefined) {
      throw new InvalidCertificateError('non-member', `${where}: signer not in the committee`, {
        height,
      })
    }
    power += m.power
  }
  if (power < c.quorum) {
    throw new InvalidCertificateError(
      'power',
      `${where}: power ${power} of ${c.totalPower}, more than 2/3 needed`,
      { height },
    )
  }
  for (const p of cert.precommits) {
    const message = voteSignBytes({
      chainId,
      height: cert.height,
      round: cert.round,
      type: 'precommit',
      blockHash: cert.blockHash,
      timestamp: p.timestamp,
      validator: p.validator,
    })
    if (!verifier.verify(p.validator, message, p.signature)) {
      throw new InvalidCertificateError('signature', `${where}: bad precommit signature`, {
        height,
      })
    }
  }
  const time = weightedMedianTime(cert.precommits, c)
  if (options.nextHeader !== undefined && options.nextHeader.time !== time) {
    throw new InvalidCertificateError(
      'time',
      `${where}: next header time ${options.nextHeader.time}, weighted median ${time}`,
      { height },
    )
  }
  return {
    power,
    totalPower: c.totalPower,
    time,
    signers: cert.precommits.map((p) => p.validator),
  }
}
