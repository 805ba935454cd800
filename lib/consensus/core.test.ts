import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from './bytes'
import { chainParams, genesisTip } from './chain'
import type { Application } from './application'
import { blockHash, decodeProposal, type Block } from './codec'
import { makeCommittee, proposerOrder } from './committee'
import { DEFAULT_TIMEOUTS } from './constants'
import {
  type ConsensusCore,
  type ConsensusInput,
  type ConsensusOutput,
  type PersistRecord,
  consensusCore,
} from './core'
import { certify, nextBlock, proposalBytes, signedVote, voteBytes } from './testing/chain-builder'
import { type KvState, addTx, kvApp, kvGenesis } from './testing/kv-app'
import { type TestKey, testKey, testSign, testVerifier } from './testing/keys'
import { type SignedVote, decodeVote, encodeVote, isEquivocation } from './vote'

const CHAIN = 'hypermesh-test'
const GENESIS_TIME = 1_700_000_000_000
const app = kvApp()
const params = chainParams({ chainId: CHAIN, genesisTime: GENESIS_TIME })
const keys = ['alice', 'bob', 'carol', 'dave'].map(testKey)
const members = keys.map((k) => ({ publicKey: k.publicKey, power: 10 }))
const genesis = kvGenesis(members)
const committee = makeCommittee(members)
const order = proposerOrder(committee, CHAIN, 1)
/** Proposers of rounds 0, 1, 2 of height 1, and the validator under test (proposes none of them). */
const [p0, p1, p2, tested] = order.map((i) => keys[i]!) as [TestKey, TestKey, TestKey, TestKey]
const T0 = GENESIS_TIME + 100

const blockX = nextBlock(app, params, genesisTip(genesis), p0, [addTx('x', 1, 'a')], null)
const blockX2 = nextBlock(app, params, genesisTip(genesis), p0, [addTx('x', 2, 'b')], null)
const blockY = nextBlock(app, params, genesisTip(genesis), p1, [addTx('y', 1, 'c')], null)
const hashX = blockHash(blockX.header)
const hashY = blockHash(blockY.header)

/** One core under test, fed by hand. */
class Driver {
  readonly log: ConsensusOutput<KvState>[] = []
  constructor(
    readonly core: ConsensusCore<KvState>,
    private now = T0,
  ) {}

  feed(input: ConsensusInput): ConsensusOutput<KvState>[] {
    const out = this.core.handle(input, this.now++)
    this.log.push(...out)
    return out
  }

  message(topic: 'vote' | 'proposal' | 'tx', bytes: Uint8Array, from = 'peer') {
    return this.feed({ type: 'message', topic, bytes, from })
  }

  proposal(key: TestKey, round: number, validRound: number, block: Block) {
    return this.message('proposal', proposalBytes(key, { height: 1, round, validRound, block }))
  }

  vote(key: TestKey, type: 'prevote' | 'precommit', round: number, hash: Uint8Array | null) {
    return this.message(
      'vote',
      voteBytes(key, {
        chainId: CHAIN,
        height: 1,
        round,
        type,
        blockHash: hash,
        timestamp: GENESIS_TIME + 50,
      }),
    )
  }

  timeout(kind: 'propose' | 'prevote' | 'precommit', round: number) {
    return this.feed({ type: 'timeout', timeout: { kind, height: 1, round } })
  }

  records(): PersistRecord[] {
    return this.log.flatMap((o) => (o.type === 'persist' ? [o.record] : []))
  }
}

function makeCore(key: TestKey, tip = genesisTip(genesis)): ConsensusCore<KvState> {
  return consensusCore<KvState>({
    chainId: CHAIN,
    genesisTime: GENESIS_TIME,
    tip,
    timeouts: { rebroadcast: 0 },
  })({ app, verifier: testVerifier, sign: testSign(key), publicKey: key.publicKey })
}

/** The votes broadcast in `out`. */
function votes(out: ConsensusOutput<KvState>[]): SignedVote[] {
  return out.flatMap((o) =>
    o.type === 'broadcast' && o.topic === 'vote' ? [decodeVote(o.bytes)] : [],
  )
}

const hex = (h: Uint8Array | null) => (h === null ? 'nil' : toHex(h))

describe('locking', () => {
  it('a validator locked in round r prevotes nil on another value until a later polka', () => {
    const d = new Driver(makeCore(tested))
    const started = d.feed({ type: 'start' })
    expect(started).toContainEqual({
      type: 'schedule',
      timeout: { kind: 'propose', height: 1, round: 0 },
      afterMs: DEFAULT_TIMEOUTS.proposeBase,
    })

    // Round 0: X is proposed and prevoted; a polka for X locks the validator, which precommits X.
    expect(votes(d.proposal(p0, 0, -1, blockX)).map((v) => [v.type, hex(v.blockHash)])).toEqual([
      ['prevote', toHex(hashX)],
    ])
    d.vote(p0, 'prevote', 0, hashX)
    const polka = d.vote(p1, 'prevote', 0, hashX)
    const lockAt = polka.findIndex((o) => o.type === 'persist' && o.record.type === 'lock')
    const precommitAt = polka.findIndex((o) => o.type === 'broadcast' && o.topic === 'vote')
    expect(lockAt).toBeGreaterThanOrEqual(0)
    expect(lockAt).toBeLessThan(precommitAt)
    const [precommit] = votes(polka)
    expect(precommit!.type).toBe('precommit')
    expect(precommit!.blockHash).toEqual(hashX)
    expect(precommit!.timestamp).toBeGreaterThan(blockX.header.time)
    expect(d.core.status()).toMatchObject({ lockedRound: 0, validRound: 0, step: 'precommit' })

    // The others precommit nil: no decision; the precommit timeout moves to round 1.
    d.vote(p0, 'precommit', 0, null)
    expect(d.vote(p1, 'precommit', 0, null)).toContainEqual({
      type: 'schedule',
      timeout: { kind: 'precommit', height: 1, round: 0 },
      afterMs: DEFAULT_TIMEOUTS.precommitBase,
    })
    expect(d.timeout('precommit', 0)).toContainEqual({
      type: 'schedule',
      timeout: { kind: 'propose', height: 1, round: 1 },
      afterMs: DEFAULT_TIMEOUTS.proposeBase + DEFAULT_TIMEOUTS.proposeDelta,
    })

    // Round 1: a fresh proposal Y (valid round -1) gets a nil prevote from the locked validator.
    expect(votes(d.proposal(p1, 1, -1, blockY)).map((v) => [v.round, hex(v.blockHash)])).toEqual([
      [1, 'nil'],
    ])
    expect(votes(d.timeout('prevote', 1)).map((v) => [v.type, hex(v.blockHash)])).toEqual([
      ['precommit', 'nil'],
    ])
    d.timeout('precommit', 1)
    expect(d.core.status()).toMatchObject({ round: 2, step: 'propose', lockedRound: 0 })

    // Round 2: Y again, with valid round 1. Without the round-1 polka it waits...
    // (It only sends its own round-1 prevote again, for those who need the round-1 polka.)
    expect(votes(d.proposal(p2, 2, 1, blockY)).map((v) => [v.round, hex(v.blockHash)])).toEqual([
      [1, 'nil'],
    ])
    d.vote(p0, 'prevote', 1, hashY)
    expect(votes(d.vote(p1, 'prevote', 1, hashY))).toEqual([])
    // ...and once 2f + 1 prevoted Y in round 1 (a later polka than its lock), it prevotes Y.
    expect(votes(d.vote(p2, 'prevote', 1, hashY)).map((v) => [v.round, hex(v.blockHash)])).toEqual([
      [2, toHex(hashY)],
    ])
  })

  it('a locked validator prevotes its locked value when it is proposed again', () => {
    const d = new Driver(makeCore(tested))
    d.feed({ type: 'start' })
    d.proposal(p0, 0, -1, blockX)
    d.vote(p0, 'prevote', 0, hashX)
    d.vote(p1, 'prevote', 0, hashX)
    d.timeout('precommit', 0)
    expect(votes(d.proposal(p1, 1, -1, blockX)).map((v) => hex(v.blockHash))).toEqual([
      toHex(hashX),
    ])
  })
})

describe('restore after a crash', () => {
  function lockedOnX(): Driver {
    const d = new Driver(makeCore(tested))
    d.feed({ type: 'start' })
    d.proposal(p0, 0, -1, blockX)
    d.vote(p0, 'prevote', 0, hashX)
    d.vote(p1, 'prevote', 0, hashX)
    return d
  }

  it('never signs a second, different vote at the same height, round and step', () => {
    const before = lockedOnX()
    const signedBefore = votes(before.log)
    expect(signedBefore.map((v) => v.type)).toEqual(['prevote', 'precommit'])

    // Restarted with its records: the equivocating proposer's second block gets the old prevote.
    const restored = new Driver(makeCore(tested), T0 + 1_000)
    restored.core.restore(before.records())
    restored.feed({ type: 'start' })
    restored.proposal(p0, 0, -1, blockX2)
    restored.vote(p0, 'prevote', 0, blockHash(blockX2.header))
    restored.vote(p1, 'prevote', 0, blockHash(blockX2.header))
    restored.vote(p2, 'prevote', 0, blockHash(blockX2.header))
    for (const a of signedBefore) {
      for (const b of votes(restored.log)) expect(isEquivocation(a, b)).toBe(false)
    }
    expect(restored.records()).toEqual([])
    expect(restored.core.status().lockedRound).toBe(0)

    // It is still locked on X: in round 1 a fresh Y gets nil.
    restored.timeout('precommit', 0)
    expect(votes(restored.proposal(p1, 1, -1, blockY)).map((v) => hex(v.blockHash))).toEqual([
      'nil',
    ])

    // Without its records the same node would equivocate, and forget its lock.
    const amnesiac = new Driver(makeCore(tested), T0 + 1_000)
    amnesiac.feed({ type: 'start' })
    const [second] = votes(amnesiac.proposal(p0, 0, -1, blockX2))
    expect(isEquivocation(signedBefore[0]!, second!)).toBe(true)
    amnesiac.timeout('propose', 0)
    amnesiac.timeout('prevote', 0)
    amnesiac.timeout('precommit', 0)
    expect(votes(amnesiac.proposal(p1, 1, -1, blockY)).map((v) => hex(v.blockHash))).toEqual([
      toHex(hashY),
    ])
  })

  it("refuses a corrupt signing log or another validator's", () => {
    const records = lockedOnX().records()
    const shifted = records.map((r) => (r.type === 'signed' ? { ...r, round: r.round + 1 } : r))
    expect(() => makeCore(tested).restore(shifted)).toThrow(
      expect.objectContaining({ code: 'ERR_CONSENSUS_CONFIG' }),
    )
    expect(() => makeCore(p0).restore(records)).toThrow(
      expect.objectContaining({ code: 'ERR_CONSENSUS_CONFIG' }),
    )
    const garbage: PersistRecord = {
      type: 'signed',
      height: 1,
      round: 0,
      step: 'prevote',
      bytes: new Uint8Array([1]),
    }
    expect(() => makeCore(tested).restore([garbage])).toThrow(
      expect.objectContaining({ code: 'ERR_CONSENSUS_CONFIG' }),
    )
    // Records of heights already committed are ignored.
    expect(() => makeCore(tested).restore([])).not.toThrow()
  })

  it('regression: a restarted locked validator proposes its locked block again (sim seed 41)', () => {
    const before = lockedOnX()
    const lock = before.records().find((r) => r.type === 'lock')
    expect(lock).toMatchObject({ type: 'lock', round: 0, blockHash: hashX, block: blockX })
    // Restarted with its records, but none of the round state: the proposal of X is gone.
    const restored = new Driver(makeCore(tested), T0 + 1_000)
    restored.core.restore(before.records())
    restored.feed({ type: 'start' })
    restored.timeout('propose', 0)
    restored.timeout('precommit', 0)
    restored.timeout('precommit', 1)
    // Round 3 is its turn: it re-proposes X with valid round 0, not a fresh block it would then
    // prevote nil on itself (locked on X) — with others locked the same way, no polka could form.
    const out = restored.timeout('precommit', 2)
    const proposals = out.flatMap((o) =>
      o.type === 'broadcast' && o.topic === 'proposal' ? [decodeProposal(o.bytes)] : [],
    )
    expect(proposals).toHaveLength(1)
    expect(proposals[0]!.validRound).toBe(0)
    expect(blockHash(proposals[0]!.block.header)).toEqual(hashX)
    // A lock record whose block is not the locked one is a corrupt log.
    const wrong = before.records().map((r) => (r.type === 'lock' ? { ...r, block: blockY } : r))
    expect(() => makeCore(tested).restore(wrong)).toThrow(
      expect.objectContaining({ code: 'ERR_CONSENSUS_CONFIG' }),
    )
  })

  it('re-broadcasts the exact restored message instead of signing anew', () => {
    const before = lockedOnX()
    const prevoteBytes = before.log.flatMap((o) => (o.type === 'broadcast' ? [o.bytes] : []))[0]!
    const restored = new Driver(makeCore(tested), T0 + 1_000)
    restored.core.restore(before.records())
    restored.feed({ type: 'start' })
    const out = restored.timeout('propose', 0)
    expect(out).toContainEqual({ type: 'broadcast', topic: 'vote', bytes: prevoteBytes })
    expect(out.some((o) => o.type === 'persist')).toBe(false)
  })
})

describe('rounds', () => {
  it('skips to a later round on f + 1 messages from it, not on fewer', () => {
    const d = new Driver(makeCore(tested))
    d.feed({ type: 'start' })
    d.vote(p0, 'prevote', 5, null)
    expect(d.core.status().round).toBe(0)
    d.vote(p1, 'precommit', 5, null)
    expect(d.core.status()).toMatchObject({ round: 5, step: 'propose' })
  })

  it('backs timeouts off by round', () => {
    const d = new Driver(makeCore(tested))
    d.feed({ type: 'start' })
    d.vote(p0, 'prevote', 3, null)
    const out = d.vote(p1, 'prevote', 3, null)
    const proposer3 = keys[order[3 % 4]!]!
    if (proposer3 !== tested) {
      expect(out).toContainEqual({
        type: 'schedule',
        timeout: { kind: 'propose', height: 1, round: 3 },
        afterMs: DEFAULT_TIMEOUTS.proposeBase + 3 * DEFAULT_TIMEOUTS.proposeDelta,
      })
    } else {
      expect(out.some((o) => o.type === 'broadcast' && o.topic === 'proposal')).toBe(true)
    }
  })

  it('commits on 2f + 1 precommits for a proposal of an earlier round', () => {
    const d = new Driver(makeCore(tested))
    d.feed({ type: 'start' })
    d.vote(p0, 'prevote', 2, null)
    d.vote(p1, 'prevote', 2, null)
    expect(d.core.status().round).toBe(2)
    d.proposal(p0, 0, -1, blockX)
    d.vote(p0, 'precommit', 0, hashX)
    d.vote(p1, 'precommit', 0, hashX)
    const out = d.vote(p2, 'precommit', 0, hashX)
    const committed = out.find((o) => o.type === 'committed')
    expect(committed).toBeDefined()
    if (committed?.type === 'committed') {
      expect(committed.certificate.round).toBe(0)
      expect(committed.certificate.precommits).toHaveLength(3)
      expect(committed.state.entries.get('x')).toBe(1)
    }
    expect(d.core.status()).toMatchObject({ height: 2, committedHeight: 1, step: 'new-height' })
    // Votes of the decided height other than its commit round are now too old.
    d.vote(p0, 'prevote', 1, null)
    expect(d.core.stats()['old-height']).toBe(1)
  })

  it('prevotes nil on a block more than 30 s ahead of its clock', () => {
    const d = new Driver(makeCore(tested), GENESIS_TIME - 31_000)
    d.feed({ type: 'start' })
    expect(votes(d.proposal(p0, 0, -1, blockX)).map((v) => hex(v.blockHash))).toEqual(['nil'])
    expect(d.core.stats()['future-block']).toBeGreaterThan(0)
  })
})

describe('hostile and malformed input', () => {
  it('drops and counts votes of non-members, other chains, bad signatures, garbage and repeats', () => {
    const d = new Driver(makeCore(tested))
    d.feed({ type: 'start' })
    const mallory = testKey('mallory')
    d.message(
      'vote',
      voteBytes(mallory, { chainId: CHAIN, height: 1, round: 0, type: 'prevote', blockHash: null }),
      'mallory',
    )
    d.message(
      'vote',
      voteBytes(p0, { chainId: 'other', height: 1, round: 0, type: 'prevote', blockHash: null }),
      'p0',
    )
    const genuine = signedVote(p0, {
      chainId: CHAIN,
      height: 1,
      round: 0,
      type: 'prevote',
      blockHash: null,
    })
    const badSignature = new Uint8Array(genuine.signature)
    badSignature[0]! ^= 1
    const forged = encodeVote({ ...genuine, signature: badSignature })
    d.message('vote', forged, 'mallory')
    d.message('vote', new Uint8Array([1, 2, 3]), 'mallory')
    d.message('proposal', new Uint8Array([0xa0]), 'mallory')
    d.message('tx', new Uint8Array([0xff, 0xfe]), 'mallory')
    const good = voteBytes(p0, {
      chainId: CHAIN,
      height: 1,
      round: 0,
      type: 'prevote',
      blockHash: null,
    })
    d.message('vote', good)
    d.message('vote', good)
    // A proposal signed by someone other than the round's proposer.
    d.message(
      'proposal',
      proposalBytes(p1, { height: 1, round: 0, validRound: -1, block: blockX }),
      'mallory',
    )
    d.message(
      'vote',
      voteBytes(p0, { chainId: CHAIN, height: 1, round: 500, type: 'prevote', blockHash: null }),
    )
    const stats = d.core.stats()
    expect(stats).toMatchObject({
      'non-member': 1,
      'wrong-chain': 1,
      'bad-signature': 2,
      decode: 2,
      'tx-rejected': 1,
      duplicate: 1,
      'round-window': 1,
    })
    expect(d.core.peerFaults().get('mallory')).toBe(5)
    expect(d.core.status()).toMatchObject({ height: 1, round: 0 })
  })

  it('asks for blocks when messages come from heights ahead', () => {
    const d = new Driver(makeCore(tested))
    d.feed({ type: 'start' })
    const out = d.message(
      'vote',
      voteBytes(p0, { chainId: CHAIN, height: 9, round: 0, type: 'prevote', blockHash: null }),
    )
    expect(out).toContainEqual({ type: 'request-sync', fromHeight: 1 })
    expect(d.core.stats()['future-height']).toBe(1)
  })

  it('survives any bytes on any topic, and any sync input', () => {
    const d = new Driver(makeCore(tested))
    d.feed({ type: 'start' })
    fc.assert(
      fc.property(
        fc.constantFrom('vote' as const, 'proposal' as const, 'tx' as const),
        fc.uint8Array({ maxLength: 300 }),
        (topic, bytes) => {
          d.message(topic, bytes)
        },
      ),
      { numRuns: 1_000 },
    )
    const cert = certify(blockY.header, [p0, p1])
    d.feed({ type: 'sync', blocks: [blockY], certificates: [cert] })
    d.feed({ type: 'sync', blocks: [blockY], certificates: [] })
    expect(d.core.status().committedHeight).toBe(0)
    expect(d.core.stats()['sync-invalid:power']).toBe(1)
    expect(d.core.stats()['sync-malformed']).toBe(1)
  })

  it('reports refused local transactions with their typed error', () => {
    const d = new Driver(makeCore(tested))
    d.feed({ type: 'start' })
    const tx = addTx('a', 1, 1)
    expect(d.feed({ type: 'tx', bytes: tx })).toEqual([
      { type: 'broadcast', topic: 'tx', bytes: tx },
    ])
    const again = d.feed({ type: 'tx', bytes: tx })
    expect(again[0]).toMatchObject({
      type: 'tx-rejected',
      error: { name: 'DuplicateTxError', code: 'ERR_DUPLICATE_TX' },
    })
    const bad = d.feed({ type: 'tx', bytes: new TextEncoder().encode('nope') })
    expect(bad[0]).toMatchObject({
      type: 'tx-rejected',
      error: { name: 'KvTxError', code: 'ERR_KV_TX' },
    })
    expect(d.core.status().mempoolTxs).toBe(1)
  })

  it('refuses bad configuration with a typed error', () => {
    expect(() => consensusCore({ chainId: '', genesisTime: 0, tip: genesisTip(genesis) })).toThrow(
      expect.objectContaining({ code: 'ERR_CONSENSUS_CONFIG' }),
    )
    expect(() =>
      consensusCore({
        chainId: CHAIN,
        genesisTime: 0,
        tip: genesisTip(genesis),
        timeouts: { commit: -1 },
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONSENSUS_CONFIG' }))
    const core = makeCore(tested)
    core.handle({ type: 'start' }, T0)
    expect(() => core.restore([])).toThrow(
      expect.objectContaining({ code: 'ERR_CONSENSUS_CONFIG' }),
    )
    expect(() => core.handle({ type: 'start' }, -1)).toThrow(
      expect.objectContaining({ code: 'ERR_CONSENSUS_CONFIG' }),
    )
  })
})

describe('building blocks from a mempool with nonce gaps', () => {
  /**
   * `seq <sender> <n> [tag]`: the sender's n-th transaction. Like the ledger's nonces: execution needs
   * exactly the next number, `checkTx` admits a window of later ones, `txSequence` names them.
   */
  interface SeqState extends KvState {
    readonly nonces: ReadonlyMap<string, number>
  }
  const parseSeq = (tx: Uint8Array): { sender: string; n: number } => {
    const [op, sender, n, ...rest] = new TextDecoder().decode(tx).split(' ')
    if (op !== 'seq' || sender === undefined || !/^\d+$/.test(n ?? '') || rest.length > 1) {
      throw new Error('bad tx')
    }
    return { sender, n: Number(n) }
  }
  const seqApp: Application<SeqState> = {
    checkTx(state, tx) {
      const { sender, n } = parseSeq(tx)
      const next = state.nonces.get(sender) ?? 0
      if (n < next || n >= next + 64) throw new Error('bad nonce')
    },
    executeBlock(state, context, txs) {
      const nonces = new Map(state.nonces)
      for (const tx of txs) {
        const { sender, n } = parseSeq(tx)
        if (n !== (nonces.get(sender) ?? 0)) throw new Error('bad nonce')
        nonces.set(sender, n + 1)
      }
      return { ...app.executeBlock(state, context, []), nonces }
    },
    stateRoot: (state) => app.stateRoot(state),
    committee: (state) => state.validators,
    txSequence(tx) {
      const { sender, n } = parseSeq(tx)
      return { sender, sequence: n }
    },
  }
  const seqTx = (sender: string, n: number, tag = ''): Uint8Array =>
    new TextEncoder().encode(`seq ${sender} ${n}${tag === '' ? '' : ` ${tag}`}`)
  const committedTxs = (out: ConsensusOutput<SeqState>[]): string[] =>
    out.flatMap((o) =>
      o.type === 'committed' ? o.block.txs.map((t) => new TextDecoder().decode(t)) : [],
    )

  it('regression: leaves out (does not evict) transactions whose predecessor has not arrived', () => {
    // A committee of one: the validator decides each height alone, on its own proposal.
    const solo = keys[0]!
    const state: SeqState = {
      ...kvGenesis([{ publicKey: solo.publicKey, power: 10 }]),
      nonces: new Map(),
    }
    const core = consensusCore<SeqState>({
      chainId: CHAIN,
      genesisTime: GENESIS_TIME,
      tip: genesisTip(state),
    })({
      app: seqApp,
      verifier: testVerifier,
      sign: testSign(solo),
      publicKey: solo.publicKey,
    })
    let now = T0
    // Gossip delivered a's transactions 1 and 2 (and b's 0) before a's 0.
    for (const tx of [seqTx('a', 1), seqTx('a', 2), seqTx('b', 0)]) {
      core.handle({ type: 'message', topic: 'tx', bytes: tx, from: 'peer' }, now++)
    }
    const first = core.handle({ type: 'start' }, now++)
    expect(committedTxs(first)).toEqual(['seq b 0'])
    // a's later transactions stay pooled, and the proposer did not bisect once per transaction.
    expect(core.status().mempoolTxs).toBe(2)
    expect(core.stats()['tx-evicted'] ?? 0).toBe(0)
    expect(core.stats()['tx-left-out']).toBe(1)
    core.handle({ type: 'message', topic: 'tx', bytes: seqTx('a', 0), from: 'peer' }, now++)
    const second = core.handle(
      { type: 'timeout', timeout: { kind: 'commit', height: 2, round: 0 } },
      now,
    )
    expect(committedTxs(second)).toEqual(['seq a 0', 'seq a 1', 'seq a 2'])
    expect(core.status().mempoolTxs).toBe(0)
  })

  it('leaves out a second spend of one nonce, and evicts it once it cannot execute alone', () => {
    const solo = keys[0]!
    const state: SeqState = {
      ...kvGenesis([{ publicKey: solo.publicKey, power: 10 }]),
      nonces: new Map(),
    }
    const core = consensusCore<SeqState>({
      chainId: CHAIN,
      genesisTime: GENESIS_TIME,
      tip: genesisTip(state),
      recheckMempool: false,
    })({ app: seqApp, verifier: testVerifier, sign: testSign(solo), publicKey: solo.publicKey })
    let now = T0
    for (const tx of [seqTx('a', 0, 'x'), seqTx('a', 0, 'y')]) {
      core.handle({ type: 'message', topic: 'tx', bytes: tx, from: 'peer' }, now++)
    }
    expect(committedTxs(core.handle({ type: 'start' }, now++))).toEqual(['seq a 0 x'])
    expect(core.stats()['tx-left-out']).toBe(1)
    expect(core.status().mempoolTxs).toBe(1)
    // Without the post-commit recheck it is still pooled; the next build finds it stale alone.
    const next = core.handle(
      { type: 'timeout', timeout: { kind: 'commit', height: 2, round: 0 } },
      now,
    )
    expect(committedTxs(next)).toEqual([])
    expect(core.stats()['tx-evicted']).toBe(1)
    expect(core.status().mempoolTxs).toBe(0)
  })
})

describe('empty-block interval (timeouts.idle)', () => {
  const IDLE = 5_000
  const COMMIT = 300
  const soloState = kvGenesis([{ publicKey: keys[0]!.publicKey, power: 10 }])
  const solo = (idle: number): ConsensusCore<KvState> =>
    consensusCore<KvState>({
      chainId: CHAIN,
      genesisTime: GENESIS_TIME,
      tip: genesisTip(soloState),
      timeouts: { rebroadcast: 0, commit: COMMIT, idle },
    })({ app, verifier: testVerifier, sign: testSign(keys[0]!), publicKey: keys[0]!.publicKey })
  const commitTimeout = (height: number): ConsensusInput => ({
    type: 'timeout',
    timeout: { kind: 'commit', height, round: 0 },
  })
  const committedHeights = (out: ConsensusOutput<KvState>[]): number[] =>
    out.flatMap((o) => (o.type === 'committed' ? [o.block.header.height] : []))

  it('with an empty mempool, waits after the commit timeout instead of building an empty block', () => {
    const core = solo(IDLE)
    let now = T0
    expect(committedHeights(core.handle({ type: 'start' }, now++))).toEqual([1])
    const out = core.handle(commitTimeout(2), now++)
    expect(committedHeights(out)).toEqual([])
    expect(out).toContainEqual({
      type: 'schedule',
      timeout: { kind: 'idle', height: 2, round: 0 },
      afterMs: IDLE - COMMIT,
    })
    expect(core.status()).toMatchObject({ height: 2, step: 'new-height' })
    // A transaction wakes it at once: the block carries it.
    const woken = core.handle({ type: 'tx', bytes: addTx('k', 7, 'w') }, now)
    const block = woken.find((o) => o.type === 'committed')
    expect(block?.type === 'committed' && block.block.header.height).toBe(2)
    expect(block?.type === 'committed' && block.state.entries.get('k')).toBe(7)
  })

  it('builds the empty block when the interval ends with nothing to do', () => {
    const core = solo(IDLE)
    let now = T0
    core.handle({ type: 'start' }, now++)
    core.handle(commitTimeout(2), now++)
    const out = core.handle(
      { type: 'timeout', timeout: { kind: 'idle', height: 2, round: 0 } },
      now,
    )
    expect(committedHeights(out)).toEqual([2])
    // A stale idle timeout (of a height already decided) does nothing.
    const stale = core.handle(
      { type: 'timeout', timeout: { kind: 'idle', height: 2, round: 0 } },
      now + 1,
    )
    expect(committedHeights(stale)).toEqual([])
  })

  it('does not wait when a transaction is already pooled, or when idle is off', () => {
    const pooled = solo(IDLE)
    let now = T0
    pooled.handle({ type: 'start' }, now++)
    pooled.handle({ type: 'tx', bytes: addTx('k', 1, 'a') }, now++)
    expect(committedHeights(pooled.handle(commitTimeout(2), now++))).toEqual([2])
    const off = solo(0)
    off.handle({ type: 'start' }, now++)
    const out = off.handle(commitTimeout(2), now)
    expect(committedHeights(out)).toEqual([2])
    expect(out.some((o) => o.type === 'schedule' && o.timeout.kind === 'idle')).toBe(false)
  })

  it("a waiting validator joins the height when another validator's vote of it arrives", () => {
    const core = consensusCore<KvState>({
      chainId: CHAIN,
      genesisTime: GENESIS_TIME,
      tip: genesisTip(genesis),
      timeouts: { rebroadcast: 0, commit: COMMIT, idle: IDLE },
    })({ app, verifier: testVerifier, sign: testSign(tested), publicKey: tested.publicKey })
    const d = new Driver(core)
    d.feed({ type: 'start' })
    d.proposal(p0, 0, -1, blockX)
    for (const k of [p0, p1, p2]) d.vote(k, 'precommit', 0, hashX)
    expect(core.status()).toMatchObject({ height: 2, step: 'new-height' })
    d.feed(commitTimeout(2))
    expect(core.status()).toMatchObject({ height: 2, step: 'new-height' })
    // A bad signature is not "hearing" the height: still waiting.
    const vote2 = (key: TestKey) =>
      voteBytes(key, {
        chainId: CHAIN,
        height: 2,
        round: 0,
        type: 'prevote',
        blockHash: null,
        timestamp: GENESIS_TIME + 2_000,
      })
    const forged = vote2(p1)
    forged[forged.length - 1]! ^= 1
    d.message('vote', forged)
    expect(core.status()).toMatchObject({ height: 2, step: 'new-height' })
    const out = d.message('vote', vote2(p1))
    expect(core.status()).toMatchObject({ height: 2, round: 0 })
    expect(core.status().step).not.toBe('new-height')
    expect(out.some((o) => o.type === 'schedule' && o.timeout.kind === 'propose')).toBe(true)
  })
})
