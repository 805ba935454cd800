/**
 * Workload of the consensus scenario: wallet clients outside the mesh (accounts funded at
 * genesis) that submit signed transfers at `tps` per virtual second in all (Poisson arrivals),
 * each to a random account of a fixed pool (every node and client account plus a few accounts
 * unknown to the genesis, created by their first transfer). A client sends to its home node (a
 * random validator or plain node), which pools and gossips the transfer.
 *
 * A client numbers its transfers from its committed nonce, as a wallet asking a full node for its
 * account would (the committed nonce is read from the agreed chain), keeps at most
 * {@link MAX_IN_FLIGHT} in flight (the ledger's mempool admits 63 beyond the committed nonce), and
 * when the chain has grown `stallHeights` blocks without its nonce moving while transfers are in
 * flight (one was lost with a crashed node, so the later ones wait behind a gap) it starts again
 * from the committed nonce, through a new random home node. Counting heights, not time, keeps a client from renumbering while a
 * partition stops the whole chain (which would only fill mempools with conflicting nonces).
 */
import { toHex } from '@/lib/consensus/bytes'
import { txHash } from '@/lib/consensus/merkle'
import { buildTx } from '@/lib/ledger/tx'
import type { WorkloadApi } from '../../types'
import { TX_FEE, type SimChain } from './chain'
import type { ChainRecord } from './checks'
import { simKey, type SimKey } from './keys'
import { TAG_TX, frame } from './wire'

/** Transfers a client keeps in flight at most. */
export const MAX_IN_FLIGHT = 48

/** Accounts unknown to the genesis that transfers may create. */
const FRESH_ACCOUNTS = 8

interface Client {
  readonly key: SimKey
  next: number
  committed: number
  /** Agreed height when the committed nonce last moved (or the window was empty). */
  progressAt: number
  home: number
}

/** Options of {@link startWorkload}. */
export interface WorkloadInit {
  readonly chain: SimChain
  readonly record: ChainRecord
  /** Transfers per virtual second, all clients together. */
  readonly tps: number
  /** Submit until this virtual time. */
  readonly untilMs: number
  /** Restart a client's numbering after this many blocks without its nonce moving. */
  readonly stallHeights: number
}

/** Starts the clients (called once by the engine through the scenario's `workload`). */
export function startWorkload(api: WorkloadApi, init: WorkloadInit): void {
  const { chain, record, tps } = init
  if (tps <= 0 || chain.clientKeys.length === 0) return
  const targets = chain.nodeKeys.length
  const clients: Client[] = chain.clientKeys.map((key) => ({
    key,
    next: 0,
    committed: 0,
    progressAt: 0,
    home: api.random.int(targets),
  }))
  const recipients = [
    ...chain.nodeKeys.map((k) => k.publicKey),
    ...chain.clientKeys.map((k) => k.publicKey),
    ...Array.from({ length: FRESH_ACCOUNTS }, (_, i) => simKey(`fresh:${i}`).publicKey),
  ]
  let turn = 0
  const submitOne = (): void => {
    const now = api.now()
    const height = record.height
    // Round-robin over clients; skip those with a full window (at most one full pass).
    for (let tries = 0; tries < clients.length; tries++) {
      const c = clients[turn++ % clients.length] as Client
      const committed = record.nonceOf(c.key.publicKey)
      if (committed > c.committed) {
        c.committed = committed
        c.progressAt = height
      }
      if (c.next < committed) c.next = committed
      if (c.next > committed && height - c.progressAt >= init.stallHeights) {
        c.next = committed
        c.progressAt = height
        c.home = api.random.int(targets)
      }
      if (c.next - committed >= MAX_IN_FLIGHT) continue
      if (c.next === committed) c.progressAt = height
      const tx = buildTx(
        {
          chain: chain.genesis.chainId,
          kind: 'transfer',
          from: c.key.publicKey,
          nonce: c.next++,
          fee: TX_FEE,
          body: {
            to: recipients[api.random.int(recipients.length)] as Uint8Array,
            amount: BigInt(1 + api.random.int(1_000)),
          },
        },
        c.key.sign,
        { kinds: chain.kinds },
      )
      record.submitted.set(toHex(txHash(tx)), now)
      api.submit(c.home, frame(TAG_TX, tx), 'tx')
      return
    }
  }
  const gapMs = 1000 / tps
  const tick = (): void => {
    submitOne()
    const next = api.now() - Math.log(1 - api.random.next()) * gapMs
    if (next < init.untilMs) api.at(next, tick)
  }
  api.at(api.random.next() * gapMs, tick)
}
