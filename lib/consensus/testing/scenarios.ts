/**
 * Randomised network scenarios over the harness, one per seed: crashes and restarts (with their
 * records), loss, duplication, reordering, clock skew, partitions, and equivocating validators
 * that show each half of the network a different vote and withhold proposals from one half. The
 * faulty power always stays under 1/3. After the faults stop, every honest node must reach two
 * heights past the best one seen, with no disagreement and no internal error.
 */
import type { Random } from '../../ports'
import { seededRandom } from '../../ports'
import { decodeVote, encodeVote, voteSignBytes } from '../vote'
import { Harness } from './harness'
import { addTx, onceTx } from './kv-app'
import { fastTestCrypto } from './keys'

/** What a scenario found; `problems` is empty when every invariant held. */
export interface ScenarioResult {
  seed: number
  problems: string[]
  heights: number[]
  evidence: number
}

function powers(r: Random, n: number): number[] {
  return Array.from({ length: n }, () => 1 + Math.floor(r.next() * 10))
}

function check(h: Harness, seed: number, honest: number[], live: boolean): ScenarioResult {
  const problems = [...h.violations]
  if (!live) problems.push('no progress after the faults stopped')
  for (const node of h.nodes) {
    for (const key of Object.keys(node.core.stats())) {
      if (key.startsWith('error') || key.startsWith('build-failed')) {
        problems.push(`node ${node.index}: ${key}`)
      }
    }
  }
  const evidence = honest.reduce((s, i) => s + h.nodes[i]!.evidence.length, 0)
  return { seed, problems, heights: h.nodes.map((n) => n.commits.length), evidence }
}

/** Crashes and restarts under loss, duplication, reordering and clock skew (Ed25519 stand-in). */
export function crashScenario(seed: number): ScenarioResult {
  const r = seededRandom(seed * 7919)
  const n = 4 + Math.floor(r.next() * 4)
  const p = powers(r, n)
  const total = p.reduce((a, b) => a + b, 0)
  const h = new Harness({
    validators: p.map((power, i) => ({ name: `v${i}`, power })),
    observers: ['o'],
    seed,
    minDelay: 1,
    maxDelay: 1 + Math.floor(r.next() * 400),
    loss: r.next() * 0.3,
    duplicate: r.next() * 0.3,
    clockSkew: Math.floor(r.next() * 2000),
    timeouts: {
      commit: Math.floor(r.next() * 300),
      proposeBase: 200 + Math.floor(r.next() * 800),
      rebroadcast: 300 + Math.floor(r.next() * 1000),
    },
    ...fastTestCrypto,
  })
  h.start()
  let tx = 0
  for (let k = 0; k < 40; k++) {
    const i = Math.floor(r.next() * (n + 1))
    const roll = r.next()
    if (roll < 0.4) h.submit(i, addTx(`k${tx % 5}`, 1, tx++))
    else if (roll < 0.5) h.submit(i, onceTx(`o${tx % 7}`, tx++))
    else if (roll < 0.6 && !h.nodes[i]!.crashed) {
      const down = h.nodes
        .filter((x) => x.crashed && x.index < n)
        .reduce((s, x) => s + p[x.index]!, 0)
      if (3 * (down + (i < n ? p[i]! : 0)) < total) h.crash(i)
    } else if (roll < 0.75) {
      const down = h.nodes.filter((x) => x.crashed)
      if (down.length > 0) h.restart(down[Math.floor(r.next() * down.length)]!.index)
    }
    h.run(() => false, Math.floor(r.next() * 2000))
  }
  for (const x of h.nodes) if (x.crashed) h.restart(x.index)
  const target = Math.max(...h.nodes.map((x) => x.commits.length)) + 2
  const live = h.runToHeight(target, 600_000)
  const all = h.nodes.map((x) => x.index)
  const result = check(h, seed, all, live)
  if (result.evidence > 0) result.problems.push('evidence against an honest validator')
  return result
}

/** Equivocating, proposal-withholding validators (< 1/3 of the power) and partitions. */
export function byzantineScenario(seed: number): ScenarioResult {
  const r = seededRandom(seed * 104729)
  const n = 4 + Math.floor(r.next() * 4)
  const p = Array.from({ length: n }, () => 1 + Math.floor(r.next() * 5))
  const total = p.reduce((a, b) => a + b, 0)
  const byzantine: number[] = []
  let faulty = 0
  for (let i = 0; i < n; i++) {
    if (3 * (faulty + p[i]!) < total && r.next() < 0.5) {
      byzantine.push(i)
      faulty += p[i]!
    }
  }
  const h = new Harness({
    validators: p.map((power, i) => ({ name: `v${i}`, power })),
    seed,
    minDelay: 1,
    maxDelay: 1 + Math.floor(r.next() * 200),
    loss: r.next() * 0.1,
    duplicate: r.next() * 0.1,
    clockSkew: Math.floor(r.next() * 1000),
    timeouts: { commit: Math.floor(r.next() * 200), proposeBase: 300, rebroadcast: 500 },
    ...fastTestCrypto,
  })
  for (const b of byzantine) {
    const node = h.nodes[b]!
    const others = h.nodes.map((x) => x.index).filter((i) => i !== b)
    const even = others.filter((i) => i % 2 === 0)
    const odd = others.filter((i) => i % 2 === 1)
    node.onBroadcast = (topic, bytes) => {
      if (topic === 'proposal') return [{ topic, bytes, to: even }]
      if (topic !== 'vote') return [{ topic, bytes }]
      const v = decodeVote(bytes)
      const { signature: _s, ...other } = {
        ...v,
        blockHash: v.blockHash === null ? new Uint8Array(32).fill(9) : null,
      }
      const twin = encodeVote({
        ...other,
        signature: fastTestCrypto.signer(node.key)(voteSignBytes(other)),
      })
      return [
        { topic, bytes, to: even },
        { topic, bytes: twin, to: odd },
      ]
    }
  }
  h.start()
  let tx = 0
  for (let k = 0; k < 20; k++) {
    h.submit(Math.floor(r.next() * n), addTx('k', 1, tx++))
    if (r.next() < 0.3) {
      const side = new Set(h.nodes.map((x) => x.index).filter(() => r.next() < 0.5))
      h.linkFilter = (from, to) => side.has(from) === side.has(to)
    } else {
      h.linkFilter = () => true
    }
    h.run(() => false, Math.floor(r.next() * 3000))
  }
  h.linkFilter = () => true
  const honest = h.nodes.map((x) => x.index).filter((i) => !byzantine.includes(i))
  const target = Math.max(...honest.map((i) => h.nodes[i]!.commits.length)) + 2
  const live = h.run(() => honest.every((i) => h.nodes[i]!.commits.length >= target), 600_000)
  return check(h, seed, honest, live)
}
