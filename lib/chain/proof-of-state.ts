/**
 * Proof of state (DESIGN.md §4): one bundle that shows a finalized fact to anyone, offline. It
 * holds a block header, its commit certificate, the committee that signed it, facts of the state
 * after that block with their inclusion proofs (accounts, nodes with their attested position),
 * and optionally a transaction of that block with its inclusion proof in the header's
 * transactions root. The four proofs map onto its checks:
 *
 * - **stake / who** — the certificate carries precommits of more than 2/3 of the committee's power
 *   (Ed25519, the consensus rule), and the committee is the one the header names and the verifier
 *   trusts for that height;
 * - **time / when** — the header's BFT time (the weighted median of the parent's precommit
 *   timestamps), not more than 30 s ahead of the verifier's clock, hash-linked to its parent;
 * - **work** — a registration carries a hashcash stamp, checked again here;
 * - **space / where** — a node fact holds its latest coordinate and the latest signed RTT
 *   attestation about it, both covered by the state root.
 *
 * An asset's bundle carries its `asset/<uuid>` fact and its owner's `node/<key>` fact: "asset A,
 * owned by node N, at network position P (N's attested coordinate), registered at time T (the
 * BFT time of the block that registered it)". {@link assetClaimsOf} reads that claim back.
 *
 * docs/consensus.md, "Four proofs", specifies the bundle.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import type { CommitteeMember } from '@/lib/consensus/application'
import { bytesEqual, toHex } from '@/lib/consensus/bytes'
import { verifyCommitCertificate } from '@/lib/consensus/certificate'
import {
  type Block,
  type BlockHeader,
  type CommitCertificate,
  blockHash,
  decodeCertificate,
  decodeHeader,
  encodeCertificate,
  encodeHeader,
} from '@/lib/consensus/codec'
import { committeeHash } from '@/lib/consensus/committee'
import { txHash } from '@/lib/consensus/merkle'
import { formatAssetId } from '@/lib/assets/asset-id'
import { peerIdOfPublicKey } from '@/lib/assets/global-address'
import type { AssetRecord } from '@/lib/ledger/assets'
import { decodeTx } from '@/lib/ledger/tx'
import { proveFact, verifyFact, type ProvenFact } from '@/lib/ledger/queries'
import type { LedgerState } from '@/lib/ledger/state'
import { registrationResource } from '@/lib/ledger/kinds/register-node'
import type { RegisterNodeBody } from '@/lib/ledger/kinds/register-node'
import { checkHashcash } from '@/lib/trustchain/hashcash'
import { leafHash, verifyInclusion } from '@/lib/trustchain/merkle'
import type { SignatureVerifier } from '@/lib/ports'
import { decodeFactValue, nodeKey, type NodeRecord } from '@/lib/ledger/values'

/** Largest bundle accepted for verification. */
export const MAX_PROOF_OF_STATE_BYTES = 256 * 1024

/** How far ahead of the verifier's clock a block time may be (DESIGN.md §4). */
export const MAX_FUTURE_MS = 30_000

/** A proof-of-state bundle. */
export interface ProofOfState {
  chainId: string
  /** The encoded block header. */
  header: Uint8Array
  /** The encoded commit certificate of that block. */
  certificate: Uint8Array
  /** The committee of the block's height. */
  committee: CommitteeMember[]
  /** Facts of the state after the block, with inclusion proofs against its state root. */
  facts: ProvenFact[]
  /** A transaction of the block with its RFC 6962 inclusion proof in the transactions root. */
  tx: { bytes: Uint8Array; index: number; count: number; proof: Uint8Array[] } | null
}

/** RFC 6962 inclusion path of leaf `index` among `leaves` (leaf data, hashed with 0x00). */
export function inclusionPath(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  const hashes = leaves.map((l) => leafHash(l))
  const path: Uint8Array[] = []
  const node = (start: number, end: number): Uint8Array => {
    if (end - start === 1) return hashes[start]!
    let k = 1
    while (k * 2 < end - start) k *= 2
    const l = node(start, start + k)
    const r = node(start + k, end)
    const buf = new Uint8Array(65)
    buf[0] = 1
    buf.set(l, 1)
    buf.set(r, 33)
    return sha256(buf)
  }
  const walk = (i: number, start: number, end: number): void => {
    if (end - start === 1) return
    let k = 1
    while (k * 2 < end - start) k *= 2
    if (i - start < k) {
      walk(i, start, start + k)
      path.push(node(start + k, end))
    } else {
      walk(i, start + k, end)
      path.push(node(start, start + k))
    }
  }
  walk(index, 0, leaves.length)
  return path
}

/**
 * Build a bundle for `keys` (state keys such as `account/<hex>`, see lib/ledger/values.ts) in the
 * state after `block`, and optionally the transaction at `txIndex` of that block.
 *
 * @throws {UnknownFactError} when the state holds nothing under a key
 */
export function exportProofOfState(input: {
  block: Block
  certificate: CommitCertificate
  committee: readonly CommitteeMember[]
  state: LedgerState
  keys: readonly string[]
  txIndex?: number
}): ProofOfState {
  const { block } = input
  let tx: ProofOfState['tx'] = null
  if (input.txIndex !== undefined) {
    const i = input.txIndex
    const bytes = block.txs[i]
    if (bytes === undefined) throw new RangeError(`exportProofOfState: no transaction ${i}`)
    const hashes = block.txs.map((t) => txHash(t))
    tx = { bytes, index: i, count: block.txs.length, proof: inclusionPath(hashes, i) }
  }
  return {
    chainId: block.header.chainId,
    header: encodeHeader(block.header),
    certificate: encodeCertificate(input.certificate),
    committee: input.committee.map((m) => ({ publicKey: m.publicKey, power: m.power })),
    facts: input.keys.map((k) => proveFact(input.state, k)),
    tx,
  }
}

/** Encode a bundle (dag-cbor), e.g. to download or hand to another tab. */
export function encodeProofOfState(p: ProofOfState): Uint8Array {
  return dagCbor.encode({
    v: 1,
    c: p.chainId,
    h: p.header,
    cert: p.certificate,
    cm: p.committee.map((m) => ({ k: m.publicKey, p: m.power })),
    f: p.facts.map((f) => ({ k: f.key, v: f.value, s: f.proof.siblings })),
    tx: p.tx === null ? null : { b: p.tx.bytes, i: p.tx.index, n: p.tx.count, p: p.tx.proof },
  })
}

/** A bundle that is not well-formed. */
export class ProofOfStateDecodeError extends Error {
  override readonly name = 'ProofOfStateDecodeError'
  readonly code = 'ERR_PROOF_OF_STATE_DECODE'
}

function fail(msg: string): never {
  throw new ProofOfStateDecodeError(`decodeProofOfState: ${msg}`)
}

const isBytes = (x: unknown, n?: number): x is Uint8Array =>
  x instanceof Uint8Array && (n === undefined || x.length === n)
const isUint = (x: unknown): x is number =>
  typeof x === 'number' && Number.isSafeInteger(x) && x >= 0

/** Decode and shape-check a bundle; throws {@link ProofOfStateDecodeError}. */
export function decodeProofOfState(bytes: Uint8Array): ProofOfState {
  if (!isBytes(bytes)) fail('expected bytes')
  if (bytes.length > MAX_PROOF_OF_STATE_BYTES) fail('too large')
  let raw: unknown
  try {
    raw = dagCbor.decode(bytes)
  } catch (e) {
    fail(`not dag-cbor (${(e as Error).message})`)
  }
  const m = raw as Record<string, unknown>
  if (typeof m !== 'object' || m === null || m.v !== 1) fail('not a version 1 bundle')
  if (typeof m.c !== 'string' || !isBytes(m.h) || !isBytes(m.cert)) fail('bad header fields')
  if (!Array.isArray(m.cm) || m.cm.length === 0 || m.cm.length > 128) fail('bad committee')
  const committee = (m.cm as unknown[]).map((x) => {
    const e = x as { k?: unknown; p?: unknown }
    if (!isBytes(e.k, 32) || !isUint(e.p) || e.p === 0) fail('bad committee member')
    return { publicKey: e.k, power: e.p }
  })
  if (!Array.isArray(m.f) || m.f.length > 64) fail('bad facts')
  const facts = (m.f as unknown[]).map((x) => {
    const e = x as { k?: unknown; v?: unknown; s?: unknown }
    if (typeof e.k !== 'string' || !isBytes(e.v) || !Array.isArray(e.s) || e.s.length > 256) {
      fail('bad fact')
    }
    const siblings = (e.s as unknown[]).map((s) => (isBytes(s, 32) ? s : fail('bad sibling')))
    return { key: e.k, value: e.v, proof: { siblings } }
  })
  let tx: ProofOfState['tx'] = null
  if (m.tx !== null) {
    // Absent (undefined) or not a map is as bad as a map with wrong fields.
    if (typeof m.tx !== 'object') fail('bad transaction')
    const t = m.tx as { b?: unknown; i?: unknown; n?: unknown; p?: unknown }
    if (!isBytes(t.b) || !isUint(t.i) || !isUint(t.n) || t.i >= t.n || !Array.isArray(t.p)) {
      fail('bad transaction')
    }
    const proof = (t.p as unknown[]).map((s) => (isBytes(s, 32) ? s : fail('bad tx proof')))
    tx = { bytes: t.b, index: t.i, count: t.n, proof }
  }
  return { chainId: m.c, header: m.h, certificate: m.cert, committee, facts, tx }
}

/** What an asset fact of a bundle states. */
export interface AssetClaim {
  /** The asset's UUID (from the fact's key). */
  uuid: Uint8Array
  /** The asset record: owner, type, address, level, share, capacity, registration time. */
  record: AssetRecord
  /**
   * The owner's node record when the bundle carries it: its latest coordinate and the latest
   * attestation about it (the asset's network position). Null when the bundle does not.
   */
  node: NodeRecord | null
}

/**
 * The asset claims of a bundle: each `asset/<uuid>` fact, decoded, with its owner's node fact
 * when present. It does not verify anything: trust a claim only from a bundle that
 * {@link verifyProofOfState} accepted. Facts that do not decode are left out. Never throws.
 *
 * @example
 * ```ts
 * if (verifyProofOfState(bundle, trust).ok) {
 *   const [claim] = assetClaimsOf(bundle) // owner, registeredAt, node?.coord …
 * }
 * ```
 */
export function assetClaimsOf(bundle: ProofOfState): AssetClaim[] {
  const claims: AssetClaim[] = []
  const facts = Array.isArray(bundle?.facts) ? bundle.facts : []
  for (const f of facts) {
    try {
      if (typeof f.key !== 'string' || !f.key.startsWith('asset/')) continue
      const fact = decodeFactValue(f.key, f.value)
      if (fact.type !== 'asset') continue
      const ownerKey = nodeKey(fact.value.owner)
      const nodeFact = facts.find((g) => g.key === ownerKey)
      const owner = nodeFact === undefined ? null : decodeFactValue(ownerKey, nodeFact.value)
      claims.push({
        uuid: Uint8Array.from(f.key.slice('asset/'.length).match(/../g)!, (h) => parseInt(h, 16)),
        record: fact.value,
        node: owner?.type === 'node' ? owner.value : null,
      })
    } catch {
      // Not an asset fact this version can read: no claim.
    }
  }
  return claims
}

// For the report; never throws (a bundle's facts may be checked against a forged header).
function describeClaim(c: AssetClaim): string {
  try {
    return claimText(c)
  } catch {
    return 'an asset fact'
  }
}

function claimText(c: AssetClaim): string {
  const where =
    c.node === null
      ? 'position not in the bundle'
      : c.node.attestation !== null
        ? `attested ${c.node.attestation.rttMs} ms from a witness at height ${c.node.attestation.height}`
        : c.node.coord !== null
          ? `own coordinate of height ${c.node.coordHeight}`
          : 'no attested position yet'
  const retired = c.record.retiredHeight === null ? '' : `, retired at ${c.record.retiredHeight}`
  return (
    `asset ${formatAssetId({ type: c.record.type, uuid: c.uuid })} of node ` +
    `${peerIdOfPublicKey(c.record.owner)}, registered ${new Date(c.record.registeredAt).toISOString()}` +
    ` (height ${c.record.registeredHeight})${retired}, ${where}`
  )
}

/** One check of {@link verifyProofOfState}. */
export interface ProofCheck {
  name: 'format' | 'chain' | 'committee' | 'certificate' | 'time' | 'facts' | 'transaction' | 'work'
  ok: boolean
  detail: string
}

/** What {@link verifyProofOfState} found. */
export interface ProofOfStateReport {
  ok: boolean
  checks: ProofCheck[]
  height: number | null
  time: number | null
  blockHash: string | null
}

/** What the verifier trusts. */
export interface ProofTrust {
  chainId: string
  verifier: SignatureVerifier
  /** The verifier's clock (ms). */
  now: number
  /**
   * The committee the verifier knows for the block's height (from its own verified chain, or the
   * genesis anchors for epochs 0 and 1). Without it the certificate is checked against the
   * bundle's committee, and the `committee` check says it is not anchored.
   */
  trustedCommittee?: readonly CommitteeMember[]
}

/**
 * Check a bundle offline: every check runs and is reported (the first failure does not hide the
 * others), and `ok` is true only when all pass. Never throws.
 */
export function verifyProofOfState(
  input: ProofOfState | Uint8Array,
  trust: ProofTrust,
): ProofOfStateReport {
  const checks: ProofCheck[] = []
  const add = (name: ProofCheck['name'], ok: boolean, detail: string) =>
    checks.push({ name, ok, detail })
  let bundle: ProofOfState
  let header: BlockHeader
  let certificate: CommitCertificate
  try {
    bundle = input instanceof Uint8Array ? decodeProofOfState(input) : input
    header = decodeHeader(bundle.header)
    certificate = decodeCertificate(bundle.certificate)
    add('format', true, 'header, certificate and proofs are well-formed')
  } catch (err) {
    add('format', false, (err as Error).message)
    return { ok: false, checks, height: null, time: null, blockHash: null }
  }
  const hash = blockHash(header)
  add(
    'chain',
    header.chainId === trust.chainId && bundle.chainId === trust.chainId,
    `block ${header.height} of chain ${header.chainId}`,
  )
  const named = bytesEqual(committeeHash(bundle.committee), header.committeeHash)
  const anchored =
    trust.trustedCommittee !== undefined &&
    bytesEqual(committeeHash(trust.trustedCommittee), committeeHash(bundle.committee))
  add(
    'committee',
    named && anchored,
    !named
      ? 'the committee is not the one the header names'
      : anchored
        ? `${bundle.committee.length} validators, the committee this node knows for height ${header.height}`
        : 'the header names this committee, but it is not one this node trusts for that height',
  )
  try {
    const v = verifyCommitCertificate(
      certificate,
      bundle.committee,
      trust.chainId,
      header,
      trust.verifier,
    )
    add(
      'certificate',
      true,
      `${certificate.precommits.length} precommits, ${v.power} of ${v.totalPower} power`,
    )
  } catch (err) {
    add('certificate', false, (err as Error).message)
  }
  add(
    'time',
    header.time <= trust.now + MAX_FUTURE_MS,
    `BFT time ${new Date(header.time).toISOString()}`,
  )
  const badFacts = bundle.facts.filter(
    (f) => !verifyFact(header.stateRoot, f.key, f.value, f.proof),
  )
  const claims = badFacts.length === 0 ? assetClaimsOf(bundle).map(describeClaim) : []
  add(
    'facts',
    badFacts.length === 0,
    badFacts.length === 0
      ? `${bundle.facts.length} facts in the state root ${toHex(header.stateRoot).slice(0, 16)}…` +
          claims.map((c) => `; ${c}`).join('')
      : `not in the state root: ${badFacts.map((f) => f.key).join(', ')}`,
  )
  if (bundle.tx !== null) {
    const t = bundle.tx
    let included = true
    try {
      verifyInclusion(t.index, t.count, leafHash(txHash(t.bytes)), t.proof, header.txsRoot)
    } catch {
      included = false
    }
    add(
      'transaction',
      included,
      included ? `transaction ${t.index + 1} of ${t.count} in the block` : 'not in the block',
    )
    try {
      const tx = decodeTx(t.bytes)
      if (tx.kind === 'register-node') {
        const body = tx.body as RegisterNodeBody
        try {
          // The stamp was checked against the block time when it was executed; here its work and
          // binding are checked again (age rules are the block's business).
          checkHashcash(body.stamp, {
            resource: registrationResource(header.chainId, tx.from),
            bits: 0,
            nowSeconds: Math.floor(header.time / 1000),
            maxAgeSeconds: Number.MAX_SAFE_INTEGER,
            maxFutureSeconds: Number.MAX_SAFE_INTEGER,
          })
          add('work', true, `hashcash stamp ${body.stamp.split(':')[1]} bits`)
        } catch (err) {
          add('work', false, (err as Error).message)
        }
      }
    } catch (err) {
      add('transaction', false, (err as Error).message)
    }
  }
  return {
    ok: checks.every((c) => c.ok),
    checks,
    height: header.height,
    time: header.time,
    blockHash: toHex(hash),
  }
}
