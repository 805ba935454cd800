import { describe, expect, it } from 'vitest'
import { toHex } from './bytes'
import { committeeOf } from './chain'
import { weightedMedianTime } from './certificate'
import { blockHash } from './codec'
import { proposerOrder } from './committee'
import { type Harness as HarnessType, Harness } from './testing/harness'
import { addTx, onceTx } from './testing/kv-app'
import { fastTestCrypto, testSign } from './testing/keys'
import { decodeVote, encodeVote, isEquivocation, voteSignBytes } from './vote'
import { verifyEd25519 } from '../trustchain/ed25519'

const four = ['alice', 'bob', 'carol', 'dave'].map((name) => ({ name }))

/** Hashes of every node's commits agree height by height (the harness also checks on the fly). */
function expectAgreement(h: HarnessType): void {
  expect(h.violations).toEqual([])
  const longest = Math.max(...h.nodes.map((n) => n.commits.length))
  for (let height = 1; height <= longest; height++) {
    const hashes = new Set(
      h.nodes.flatMap((n) => {
        const c = n.commits[height - 1]
        return c === undefined ? [] : [toHex(blockHash(c.block.header))]
      }),
    )
    expect(hashes.size).toBe(1)
  }
}

/** Every committed transaction, by text, at node `i`. */
function committedTxs(h: HarnessType, i: number): string[] {
  return h.nodes[i]!.commits.flatMap((c) => c.block.txs.map((t) => new TextDecoder().decode(t)))
}

describe('agreement', () => {
  for (const seed of [1, 2, 3]) {
    it(`all honest nodes commit the same blocks, each transaction once (seed ${seed}, loss, duplicates, reordering, skew)`, () => {
      const h = new Harness({
        validators: [
          { name: 'alice', power: 10 },
          { name: 'bob', power: 20 },
          { name: 'carol', power: 30 },
          { name: 'dave', power: 40 },
        ],
        observers: ['oscar'],
        seed,
        minDelay: 5,
        maxDelay: 80,
        loss: 0.05,
        duplicate: 0.1,
        clockSkew: 200,
      })
      const submitted: string[] = []
      h.start()
      for (let batch = 0; batch < 4; batch++) {
        for (let i = 0; i < 5; i++) {
          const tx = addTx(`k${i}`, batch + 1, `${seed}-${batch}-${i}`)
          submitted.push(new TextDecoder().decode(tx))
          h.submit((batch + i) % 5, tx)
        }
        expect(h.runToHeight(2 * (batch + 1))).toBe(true)
      }
      const allIn = () => submitted.every((t) => committedTxs(h, 0).includes(t))
      expect(h.run(allIn, 120_000)).toBe(true)
      expect(h.runToHeight(h.nodes[0]!.commits.length + 1)).toBe(true)
      expectAgreement(h)
      for (const n of h.nodes) {
        const txs = committedTxs(h, n.index)
        expect(new Set(txs).size).toBe(txs.length)
        expect(n.core.stats()['invalid-block'] ?? 0).toBe(0)
        for (const key of Object.keys(n.core.stats())) expect(key.startsWith('error:')).toBe(false)
      }
      const totals = h.nodes.map((n) => [...n.commits.at(-1)!.state.entries].sort())
      for (const t of totals) expect(t).toEqual(totals[0])
    })
  }

  it('produces empty blocks when idle, and an observer follows without voting', () => {
    const h = new Harness({ validators: four, observers: ['oscar'], seed: 7 })
    h.start()
    expect(h.runToHeight(4)).toBe(true)
    expectAgreement(h)
    expect(h.nodes[0]!.commits.every((c) => c.block.txs.length === 0)).toBe(true)
    const oscar = h.nodes[4]!
    expect(oscar.core.status().validator).toBe(false)
    expect(oscar.records).toEqual([])
    const signers = new Set(
      oscar.commits.flatMap((c) => c.certificate.precommits.map((p) => toHex(p.validator))),
    )
    expect(signers.has(toHex(oscar.key.publicKey))).toBe(false)
  })
})

describe('faults', () => {
  it('makes progress with one validator of four crashed, which catches up by sync on restart', () => {
    const h = new Harness({ validators: four, seed: 11 })
    h.crash(3)
    h.start()
    expect(h.runToHeight(5)).toBe(true)
    const dave = toHex(h.nodes[3]!.key.publicKey)
    for (const c of h.nodes[0]!.commits) {
      expect(c.certificate.precommits.map((p) => toHex(p.validator))).not.toContain(dave)
    }
    h.restart(3)
    expect(h.run(() => h.nodes[3]!.commits.length >= 7, 60_000)).toBe(true)
    expect(h.nodes[3]!.syncRequests).toBeGreaterThan(0)
    expect(h.nodes[3]!.core.stats()['sync-applied']).toBeGreaterThan(0)
    expectAgreement(h)
  })

  it('changes round when the proposer is silent', () => {
    const h = new Harness({ validators: four, seed: 12 })
    const order = proposerOrder(committeeOf(h.members), h.chainId, 1)
    h.crash(order[0]!)
    h.start()
    expect(h.runToHeight(2)).toBe(true)
    const first = h.nodes[order[1]!]!.commits[0]!
    expect(first.certificate.round).toBeGreaterThanOrEqual(1)
    expect(first.block.header.proposer).not.toEqual(h.members[order[0]!]!.publicKey)
    expectAgreement(h)
  })

  it('detects equivocation and outputs both votes as evidence', () => {
    const h = new Harness({ validators: four, seed: 13 })
    const mallory = h.nodes[3]!
    // Mallory signs, for every prevote, a second prevote for another choice.
    mallory.onBroadcast = (topic, bytes) => {
      if (topic !== 'vote') return [{ topic, bytes }]
      const v = decodeVote(bytes)
      if (v.type !== 'prevote') return [{ topic, bytes }]
      const other = { ...v, blockHash: v.blockHash === null ? new Uint8Array(32).fill(7) : null }
      const { signature: _s, ...unsigned } = other
      const twin = encodeVote({
        ...unsigned,
        signature: testSign(mallory.key)(voteSignBytes(unsigned)),
      })
      return [
        { topic, bytes },
        { topic, bytes: twin },
      ]
    }
    h.start()
    expect(h.runToHeight(3)).toBe(true)
    expectAgreement(h)
    for (const n of h.nodes.slice(0, 3)) {
      expect(n.evidence.length).toBeGreaterThan(0)
      for (const { voteA, voteB } of n.evidence) {
        expect(isEquivocation(voteA, voteB)).toBe(true)
        expect(voteA.validator).toEqual(mallory.key.publicKey)
        for (const v of [voteA, voteB]) {
          expect(verifyEd25519(v.validator, voteSignBytes(v), v.signature)).toBe(true)
        }
      }
    }
  })

  it('a validator restarted with its records never equivocates and the chain goes on', () => {
    for (const seed of [21, 22]) {
      const h = new Harness({ validators: four, seed, loss: 0.02 })
      h.start()
      expect(h.runToHeight(2)).toBe(true)
      // Crash in the middle of height 3, between its votes.
      h.run(() => h.nodes[1]!.records.some((r) => r.height === 3 && r.type === 'signed'), 10_000)
      h.crash(1)
      h.run(() => false, 50)
      h.restart(1)
      expect(h.runToHeight(6)).toBe(true)
      expectAgreement(h)
      for (const n of h.nodes) expect(n.evidence).toEqual([])
    }
  })
})

describe('a full committee', () => {
  it('31 validators of unequal power agree and progress with 3 crashed and message loss', () => {
    const h = new Harness({
      validators: Array.from({ length: 31 }, (_, i) => ({ name: `v${i}`, power: i + 1 })),
      seed: 51,
      minDelay: 20,
      maxDelay: 30,
      loss: 0.02,
      ...fastTestCrypto,
    })
    // The three most powerful: 31 + 30 + 29 = 90 of 496, under a third.
    for (const i of [28, 29, 30]) h.crash(i)
    h.start()
    for (let i = 0; i < 200; i++) h.submit(i % 28, addTx(`k${i % 10}`, 1, i))
    expect(h.runToHeight(6)).toBe(true)
    expectAgreement(h)
    const total = h.members.reduce((s, m) => s + m.power, 0)
    const c = committeeOf(h.members)
    for (const commit of h.nodes[0]!.commits) {
      const power = commit.certificate.precommits.reduce(
        (s, p) => s + c.byKey.get(toHex(p.validator))!.power,
        0,
      )
      expect(3 * power).toBeGreaterThan(2 * total)
    }
    expect(committedTxs(h, 0)).toHaveLength(200)
  })
})

describe('BFT time', () => {
  it('is the genesis time at height 1, then the weighted median of the last commit, strictly increasing', () => {
    const h = new Harness({
      validators: [
        { name: 'alice', power: 5 },
        { name: 'bob', power: 15 },
        { name: 'carol', power: 30 },
        { name: 'dave', power: 50 },
      ],
      seed: 31,
      clockSkew: 500,
      maxDelay: 60,
    })
    h.start()
    expect(h.runToHeight(8)).toBe(true)
    const c = committeeOf(h.members)
    for (const n of h.nodes) {
      const commits = n.commits
      expect(commits[0]!.block.header.time).toBe(h.genesisTime)
      for (let i = 1; i < commits.length; i++) {
        const { header, lastCommit } = commits[i]!.block
        const parent = commits[i - 1]!.block.header
        expect(header.time).toBe(weightedMedianTime(lastCommit!.precommits, c))
        expect(header.time).toBeGreaterThan(parent.time)
        for (const p of lastCommit!.precommits) expect(p.timestamp).toBeGreaterThan(parent.time)
      }
      // The application executed each block with its BFT time.
      for (const commit of commits) expect(commit.state.time).toBe(commit.block.header.time)
    }
  })
})

describe('mempool in the network', () => {
  it('fills blocks up to maxBlockTxs and carries the rest over', () => {
    const h = new Harness({ validators: four, seed: 42, maxBlockTxs: 3 })
    for (let i = 0; i < 10; i++) h.submit(i % 4, addTx('n', 1, i))
    h.start()
    expect(h.run(() => committedTxs(h, 0).length === 10, 60_000)).toBe(true)
    for (const c of h.nodes[0]!.commits) expect(c.block.txs.length).toBeLessThanOrEqual(3)
    expect(h.nodes[0]!.commits.at(-1)!.state.entries.get('n')).toBe(10)
    expectAgreement(h)
  })

  it('keeps conflicting transactions out of blocks instead of proposing an invalid block', () => {
    const h = new Harness({ validators: four, seed: 41 })
    h.submit(0, onceTx('k', 'first'))
    h.submit(1, onceTx('k', 'second'))
    h.submit(2, addTx('n', 5, 'x'))
    h.run(() => false, 100)
    for (const n of h.nodes) expect(n.core.status().mempoolTxs).toBe(3)
    h.start()
    expect(h.runToHeight(3)).toBe(true)
    expectAgreement(h)
    const once = committedTxs(h, 0).filter((t) => t.startsWith('once k'))
    expect(once).toHaveLength(1)
    expect(committedTxs(h, 0)).toContain('add n 5 x')
    for (const n of h.nodes) {
      expect(n.core.stats()['invalid-block'] ?? 0).toBe(0)
      expect(n.core.status().mempoolTxs).toBe(0)
      expect(n.commits.at(-1)!.state.entries.get('k')).toBe(1)
    }
    // The second `once` passes checkTx alone: left out of the block (not evicted), then dropped
    // from every mempool by the post-commit recheck (checked above: mempools are empty).
    expect(h.nodes.some((n) => (n.core.stats()['tx-left-out'] ?? 0) > 0)).toBe(true)
  })
})
