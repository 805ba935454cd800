/**
 * Committees as consensus uses them: validation of what the application returns, the committee
 * hash carried in headers, the power thresholds (quorum > 2/3, "f + 1" > 1/3) and the proposer of
 * each round.
 *
 * Proposer selection is stateless, so a late joiner or a light client computes it from the height
 * alone: a seeded weighted permutation of the committee per height (members drawn one after the
 * other without replacement, each with probability proportional to its power among those left),
 * and round r's proposer is entry `r mod n`. Round 0's proposer is therefore a member with
 * probability exactly proportional to power, and later rounds of a height visit every member once
 * before any repeats, so a crashed proposer costs a height at most one round. The seed depends on
 * the chain ID and the height only: a proposer cannot grind block contents to pick the next one.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import type { CommitteeMember } from './application'
import { domainSignBytes, toHex } from './bytes'
import { HASH_BYTES, PROPOSER_DOMAIN } from './constants'
import { InvalidCommitteeError } from './errors'

/** A validated committee with the lookups and thresholds consensus needs, computed once per height. */
export interface Committee {
  readonly members: readonly CommitteeMember[]
  /** Member by hex public key: its index in `members` and its power. */
  readonly byKey: ReadonlyMap<string, { index: number; power: number }>
  /** Sum of the members' power. */
  readonly totalPower: number
  /** Least power that is more than 2/3 of the total: a quorum (2f + 1). */
  readonly quorum: number
  /** Least power that is more than 1/3 of the total: at least one honest member (f + 1). */
  readonly oneThird: number
  /** {@link committeeHash} of the members. */
  readonly hash: Uint8Array
}

/**
 * The committee hash in headers: SHA-256 of the dag-cbor list `[[publicKey, power], …]` in the
 * order the application returned the members.
 */
export function committeeHash(members: readonly CommitteeMember[]): Uint8Array {
  return sha256(dagCbor.encode(members.map((m) => [m.publicKey, m.power])))
}

/**
 * Validate the members the application returned and precompute lookups and thresholds.
 * Throws {@link InvalidCommitteeError} on an empty committee, a key that is not 32 bytes, a key
 * twice, a power that is not a positive safe integer, or a total above `Number.MAX_SAFE_INTEGER`.
 */
export function makeCommittee(members: readonly CommitteeMember[]): Committee {
  if (!Array.isArray(members) || members.length === 0) {
    throw new InvalidCommitteeError('makeCommittee: empty committee')
  }
  const byKey = new Map<string, { index: number; power: number }>()
  let total = 0
  members.forEach((m, index) => {
    if (!(m.publicKey instanceof Uint8Array) || m.publicKey.length !== HASH_BYTES) {
      throw new InvalidCommitteeError(`makeCommittee: member ${index} has a bad key`)
    }
    if (!Number.isSafeInteger(m.power) || m.power <= 0) {
      throw new InvalidCommitteeError(`makeCommittee: member ${index} has a bad power`)
    }
    const key = toHex(m.publicKey)
    if (byKey.has(key))
      throw new InvalidCommitteeError(`makeCommittee: member ${index} repeats a key`)
    byKey.set(key, { index, power: m.power })
    total += m.power
    if (!Number.isSafeInteger(total)) {
      throw new InvalidCommitteeError('makeCommittee: total power above 2^53 - 1')
    }
  })
  // BigInt so that 2 × total never loses precision near 2^53.
  const t = BigInt(total)
  return {
    members,
    byKey,
    totalPower: total,
    quorum: Number((2n * t) / 3n) + 1,
    oneThird: Number(t / 3n) + 1,
    hash: committeeHash(members),
  }
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

function toBigInt(bytes: Uint8Array): bigint {
  let x = 0n
  for (const b of bytes) x = (x << 8n) | BigInt(b)
  return x
}

/**
 * The proposer order of a height: indices into `committee.members`. Seed
 * `S = SHA-256("hypermesh/proposer/v1" ‖ 0x00 ‖ dag-cbor({ c: chainId, h: height }))`; draw i
 * takes `x = uint256(SHA-256(S ‖ u32be(i))) mod P` where P is the power of the members not drawn
 * yet, and picks the first remaining member (in committee order) whose cumulative power exceeds x.
 */
export function proposerOrder(committee: Committee, chainId: string, height: number): number[] {
  const seed = sha256(domainSignBytes(PROPOSER_DOMAIN, { c: chainId, h: height }))
  const remaining = committee.members.map((_, i) => i)
  let left = BigInt(committee.totalPower)
  const order: number[] = []
  const buf = new Uint8Array(seed.length + 4)
  buf.set(seed, 0)
  for (let i = 0; remaining.length > 0; i++) {
    buf.set(u32be(i), seed.length)
    let x = toBigInt(sha256(buf)) % left
    let pick = remaining.length - 1
    for (let j = 0; j < remaining.length; j++) {
      const p = BigInt(committee.members[remaining[j]!]!.power)
      if (x < p) {
        pick = j
        break
      }
      x -= p
    }
    const index = remaining[pick]!
    order.push(index)
    remaining.splice(pick, 1)
    left -= BigInt(committee.members[index]!.power)
  }
  return order
}

/**
 * The proposer of `(height, round)`: `proposerOrder(...)[round mod n]`.
 *
 * @example
 * ```ts
 * const who = proposerOf(committee, 'hypermesh-test', 12, 0) // a CommitteeMember
 * ```
 */
export function proposerOf(
  committee: Committee,
  chainId: string,
  height: number,
  round: number,
  order: readonly number[] = proposerOrder(committee, chainId, height),
): CommitteeMember {
  return committee.members[order[round % order.length]!]!
}
