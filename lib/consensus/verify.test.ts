import { describe, expect, it } from 'vitest'
import { chainParams, genesisTip } from './chain'
import { makeCommittee, proposerOf } from './committee'
import { decodeProposal } from './codec'
import { InvalidProposalError, InvalidVoteError } from './errors'
import { nextBlock, proposalBytes, signedVote } from './testing/chain-builder'
import { addTx, kvApp, kvGenesis } from './testing/kv-app'
import { testKey, testVerifier } from './testing/keys'
import { verifyProposal, verifyVote } from './verify'

const keys = ['alice', 'bob', 'carol', 'dave'].map(testKey)
const members = keys.map((k, i) => ({ publicKey: k.publicKey, power: i + 1 }))
const committee = makeCommittee(members)
const chainId = 'hypermesh-test'
const app = kvApp()
const params = chainParams({ chainId, genesisTime: 1_000 })

function reasonOf(f: () => unknown, cls: typeof InvalidVoteError | typeof InvalidProposalError) {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(cls)
    return (e as InvalidVoteError).reason
  }
  return undefined
}

describe('verifyVote', () => {
  const v = { chainId, height: 3, round: 1, type: 'precommit' as const, blockHash: null }
  it('returns the power of a member with a good signature', () => {
    expect(verifyVote(signedVote(keys[2]!, v), members, chainId, testVerifier)).toBe(3)
  })
  it('refuses other chains, non-members and bad signatures', () => {
    const check = (vote: ReturnType<typeof signedVote>, c = chainId) =>
      reasonOf(() => verifyVote(vote, committee, c, testVerifier), InvalidVoteError)
    expect(check(signedVote(keys[0]!, v), 'other')).toBe('chain-id')
    expect(check(signedVote(testKey('mallory'), v))).toBe('non-member')
    const good = signedVote(keys[0]!, v)
    expect(check({ ...good, round: 2 })).toBe('signature')
    expect(new InvalidVoteError('signature', 'x').code).toBe('ERR_INVALID_VOTE')
  })
})

describe('verifyProposal', () => {
  const tip = genesisTip(kvGenesis(members))
  const proposer = (round: number) =>
    keys.find((k) => k.publicKey === proposerOf(committee, chainId, 1, round).publicKey)!
  const block = nextBlock(app, params, tip, proposer(0), [addTx('a', 1, 1)], null)
  const proposal = (round: number, signer = proposer(round), validRound = -1, b = block) =>
    decodeProposal(proposalBytes(signer, { height: 1, round, validRound, block: b }))

  it('accepts the proposer of the round', () => {
    expect(() => verifyProposal(proposal(0), members, chainId, testVerifier)).not.toThrow()
    expect(() =>
      verifyProposal(proposal(2, proposer(2), 1), committee, chainId, testVerifier),
    ).not.toThrow()
  })

  it('refuses other signers, chains, committees and valid rounds', () => {
    const check = (p: ReturnType<typeof proposal>, c = chainId) =>
      reasonOf(() => verifyProposal(p, committee, c, testVerifier), InvalidProposalError)
    expect(check(proposal(0, proposer(1)))).toBe('signature')
    expect(check(proposal(0), 'other')).toBe('chain-id')
    const foreign = { ...block, header: { ...block.header, committeeHash: new Uint8Array(32) } }
    expect(check(proposal(0, proposer(0), -1, foreign))).toBe('committee')
    expect(check({ ...proposal(1), validRound: 1 })).toBe('valid-round')
    expect(new InvalidProposalError('signature', 'x').code).toBe('ERR_INVALID_PROPOSAL')
  })
})
