import fc from 'fast-check'
import { encodeVote, voteSignBytes, type Vote } from '../consensus/vote'
import { describe, expect, it } from 'vitest'
import { createLedgerApp } from './app'
import { toHex } from './codec'
import { LedgerError } from './errors'
import { account, checkSupply, supplyCounters, totalSupply } from './queries'
import type { LedgerState } from './state'
import { decodeTx } from './tx'
import {
  alice,
  bob,
  carol,
  dave,
  erin,
  nextContext,
  nodeVerifier,
  stampFor,
  testGenesis,
  tx,
  type Who,
} from './test-support'

const actors = [alice, bob, carol, dave, erin]

const op = fc.record({
  from: fc.nat(actors.length - 1),
  to: fc.nat(actors.length - 1),
  kind: fc.constantFrom('transfer', 'stake', 'unstake', 'register-node', 'attest', 'slash'),
  amount: fc.oneof(fc.bigInt({ min: 0n, max: 3_000n }), fc.bigInt({ min: 0n, max: 20n })),
  fee: fc.bigInt({ min: 0n, max: 5n }),
  rtt: fc.integer({ min: 0, max: 500 }),
})

const blockArb = fc.record({
  ops: fc.array(op, { maxLength: 4 }),
  signers: fc.subarray([alice, bob, carol, dave, erin]),
})

/** Equivocations by the anchors at heights 1–3, rounds 0–1, signed once for all runs. */
const EVIDENCE = [alice, bob].flatMap((w) =>
  [1, 2, 3].flatMap((height) =>
    [0, 1].map((round) => {
      const v = (blockHash: Uint8Array | null) => {
        const vote: Vote = {
          chainId: 'hypermesh-test',
          height,
          round,
          type: 'prevote',
          blockHash,
          timestamp: 0,
          validator: w.publicKey,
        }
        return encodeVote({ ...vote, signature: w.sign(voteSignBytes(vote)) })
      }
      return { a: v(new Uint8Array(32).fill(height)), b: v(null) }
    }),
  ),
)

type Op = { from: number; to: number; kind: string; amount: bigint; fee: bigint; rtt: number }

function build(state: LedgerState, o: Op, nonce: number): Uint8Array {
  const from = actors[o.from]!
  const to = actors[o.to]!
  const bodies: Record<string, unknown> = {
    transfer: { to: to.publicKey, amount: o.amount },
    stake: { amount: o.amount },
    unstake: { amount: o.amount },
    'register-node': { stamp: stampFor(state, from), cert: null },
    slash: EVIDENCE[(o.from * 7 + o.to + o.rtt) % EVIDENCE.length],
    attest: {
      subject: to.publicKey,
      rttMs: o.rtt,
      height: state.height,
      coord: { vec: [1, 2, 3, 4, 5, 6, 7, 8], height: 1, error: 0.5 },
    },
  }
  return tx(state, from, o.kind, bodies[o.kind], { nonce, fee: o.fee })
}

describe('supply conservation (property)', () => {
  it('holds balance + stake + unbonding = genesis + minted − burned under random transactions', () => {
    const genesis = testGenesis({
      hashcashBits: 0,
      epochLength: 3,
      maxGrantsPerEpoch: 1,
      slashFractionPerMille: 500,
    })
    const seen = new Map<string, number>()
    fc.assert(
      fc.property(
        fc.array(blockArb, { minLength: 1, maxLength: 14 }),
        fc.boolean(),
        (blocks, preRegister) => {
          const ledger = createLedgerApp({ genesis, verifier: nodeVerifier })
          let s = ledger.genesisState
          if (preRegister) {
            // Half the runs start with every actor registered, so attestations have subjects.
            const register = (from: number) => ({
              from,
              to: 0,
              kind: 'register-node' as const,
              amount: 0n,
              fee: 0n,
              rtt: 0,
            })
            blocks = [{ ops: actors.map((_, i) => register(i)), signers: [] }, ...blocks]
          }
          const accepted: { context: ReturnType<typeof nextContext>; txs: Uint8Array[] }[] = []
          for (const b of blocks) {
            const nonces = new Map<Who, number>()
            let txs = b.ops.map((o) => {
              const from = actors[o.from]!
              const nonce = nonces.get(from) ?? account(s, from.publicKey)?.nonce ?? 0
              nonces.set(from, nonce + 1)
              return build(s, o, nonce)
            })
            const context = nextContext(s, b.signers)
            for (;;) {
              const before = toHex(s.root)
              try {
                const next = ledger.app.executeBlock(s, context, txs)
                accepted.push({ context, txs })
                for (const t of txs) {
                  const kind = decodeTx(t).kind
                  seen.set(kind, (seen.get(kind) ?? 0) + 1)
                }
                s = next
                break
              } catch (err) {
                // A refused block changes nothing; drop the offending transaction and try again.
                expect(err).toBeInstanceOf(LedgerError)
                expect(toHex(s.root)).toBe(before)
                const i = (err as LedgerError).txIndex!
                txs = txs.filter((_, j) => j !== i)
              }
            }
            const report = checkSupply(s)
            expect(report.ok).toBe(true)
            const c = supplyCounters(s)
            expect(report.held).toBe(c.genesis + c.minted - c.burned)
            expect(totalSupply(s)).toBe(report.held)
          }
          // Determinism: a fresh ledger replaying the accepted blocks reaches the same root.
          const again = createLedgerApp({ genesis, verifier: nodeVerifier })
          let r = again.genesisState
          for (const { context, txs } of accepted) r = again.app.executeBlock(r, context, txs)
          expect(toHex(r.root)).toBe(toHex(s.root))
        },
      ),
      { numRuns: 60 },
    )
    // The runs exercised every kind, not only refusals.
    for (const kind of ['transfer', 'stake', 'unstake', 'register-node', 'attest', 'slash']) {
      expect(seen.get(kind) ?? 0).toBeGreaterThan(0)
    }
  })
})
