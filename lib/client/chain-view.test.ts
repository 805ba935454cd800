import { afterEach, describe, expect, it, vi } from 'vitest'
import { ed25519 } from '@noble/curves/ed25519.js'
import type { ChainMethod, ChainRequests } from '@/lib/chain/worker-protocol'
import { ChainRequestError } from './chain-bridge'
import {
  BlockTail,
  ChainQueries,
  IDLE_QUERY,
  PROOF_CHECK_LABELS,
  TxTracker,
  blockRows,
  committeeStats,
  describeChainError,
  explorerRoute,
  formatAge,
  formatBytes,
  formatUnits,
  isCatchingUp,
  ledgerBlocker,
  mergeNewest,
  parseAccount,
  parseAmount,
  parseHeight,
  parseRecipient,
  parseSearch,
  parseTxHash,
  peerLabel,
  proofCheckLabel,
  proofFileName,
  resolveSearch,
  shortHash,
  txFields,
  txLine,
  type BlockSummary,
  type ChainViewComponents,
  type LedgerSummary,
  type TxSummary,
} from './chain-view'
import { peerIdFromKeyHex } from './peer-key'
import { INITIAL_SNAPSHOT } from './store'
import type { LedgerSnapshot } from './types'

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const alice = hex(ed25519.getPublicKey(new Uint8Array(32).fill(1)))
const bob = hex(ed25519.getPublicKey(new Uint8Array(32).fill(2)))
const alicePeer = peerIdFromKeyHex(alice)
const bobPeer = peerIdFromKeyHex(bob)
const TX = 'ab'.repeat(32)

function block(height: number, extra: Partial<BlockSummary> = {}): BlockSummary {
  return {
    height,
    hash: height.toString(16).padStart(64, '0'),
    time: 1_000_000 + height * 1_000,
    proposer: alice,
    txs: 0,
    signers: [alice, bob],
    stateRoot: '00'.repeat(32),
    ...extra,
  }
}

function summary(extra: Partial<LedgerSummary> = {}): LedgerSummary {
  return {
    chainId: 'test',
    height: 10,
    blockHash: '00'.repeat(32),
    stateRoot: '00'.repeat(32),
    time: 0,
    round: 0,
    step: 'new-height',
    validator: false,
    committee: [
      { publicKey: alice, power: 3 },
      { publicKey: bob, power: 4 },
    ],
    publicKey: alice,
    registered: true,
    balance: '1000000000',
    stake: '0',
    unbonding: '0',
    nonce: 0,
    totalSupply: '3000000000',
    mempool: 0,
    pendingTxs: 0,
    ...extra,
  }
}

/** A fake worker: answers from `handlers`, records every request. */
function fakeChain(
  handlers: Partial<{ [M in ChainMethod]: (p: ChainRequests[M]['params']) => unknown }>,
) {
  const calls: { method: ChainMethod; params: unknown }[] = []
  let now = 0
  const components: ChainViewComponents = {
    request: async (method, params) => {
      calls.push({ method, params })
      const h = handlers[method] as ((p: unknown) => unknown) | undefined
      if (h === undefined) throw new Error(`no handler for ${method}`)
      return (await h(params)) as never
    },
    now: () => now,
  }
  return { components, calls, setNow: (t: number) => (now = t) }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('display formats', () => {
  it('formats base units as credits, and never throws on bad text', () => {
    expect(formatUnits('1000000000')).toBe('1000')
    expect(formatUnits('12500000')).toBe('12.5')
    expect(formatUnits(1n)).toBe('0.000001')
    expect(formatUnits('0')).toBe('0')
    expect(formatUnits('nope')).toBe('—')
  })

  it('writes ages in one unit, and nothing before the clock is known', () => {
    const now = 10_000_000
    expect(formatAge(now, 0)).toBe('')
    expect(formatAge(now - 400, now)).toBe('now')
    expect(formatAge(now - 4_200, now)).toBe('4 s ago')
    expect(formatAge(now - 59_999, now)).toBe('59 s ago')
    expect(formatAge(now - 3 * 60_000 - 5_000, now)).toBe('3 min ago')
    expect(formatAge(now - 2 * 3_600_000, now)).toBe('2 h ago')
    expect(formatAge(now - 5 * 86_400_000, now)).toBe('5 d ago')
    expect(formatAge(now + 3_000, now)).toBe('in 3 s')
  })

  it('shortens hashes and names keys by their peer ID', () => {
    expect(shortHash('c91ee9103fd78f468b67c9955cd6137ac3ef75a212ffa4b840efee1c40ce0761')).toBe(
      'c91ee910…ce0761',
    )
    expect(shortHash('abcd')).toBe('abcd')
    const label = peerLabel(alice)
    expect(label.peerId).toBe(alicePeer)
    expect(label.short).toBe(`${alicePeer.slice(0, 8)}…${alicePeer.slice(-6)}`)
    expect(peerLabel('not a key')).toMatchObject({ peerId: null, short: 'not a key' })
    expect(formatBytes(340)).toBe('340 bytes')
    expect(formatBytes(1536)).toBe('1.5 KiB')
  })
})

describe('search box and routes', () => {
  it('reads heights, hashes, keys and peer IDs', () => {
    expect(parseSearch('  42 ')).toEqual({ kind: 'block', height: 42 })
    expect(parseSearch('#7')).toEqual({ kind: 'block', height: 7 })
    expect(parseSearch(TX.toUpperCase())).toEqual({ kind: 'hash-or-key', hex: TX })
    expect(parseSearch(`0x${TX}`)).toEqual({ kind: 'hash-or-key', hex: TX })
    expect(parseSearch(bobPeer)).toEqual({ kind: 'account', key: bob })
    expect(parseSearch('')).toEqual({ kind: 'empty' })
    expect(parseSearch('hello').kind).toBe('invalid')
    expect(parseSearch(`${bobPeer.slice(0, -2)}`).kind).toBe('invalid')
    expect(parseSearch('-3').kind).toBe('invalid')
    expect(parseSearch('12.5').kind).toBe('invalid')
  })

  it('resolves 64 hex digits to a transaction when the chain has one, else to an account', async () => {
    const found = async (h: string) => h === TX
    expect(await resolveSearch(TX, found)).toEqual({ route: `/explorer/tx/${TX}` })
    expect(await resolveSearch(bob, found)).toEqual({ route: `/explorer/account/${bob}` })
    expect(await resolveSearch('12', found)).toEqual({ route: '/explorer/block/12' })
    expect(await resolveSearch(alicePeer, found)).toEqual({ route: `/explorer/account/${alice}` })
    expect(await resolveSearch('???', found)).toHaveProperty('message')
    expect(await resolveSearch(' ', found)).toHaveProperty('message')
  })

  it('builds and reads route segments', () => {
    expect(explorerRoute({ kind: 'block', height: 3 })).toBe('/explorer/block/3')
    expect(explorerRoute({ kind: 'tx', hash: TX })).toBe(`/explorer/tx/${TX}`)
    expect(explorerRoute({ kind: 'account', key: bob })).toBe(`/explorer/account/${bob}`)
    expect(parseHeight('12')).toBe(12)
    expect(parseHeight('1e3')).toBeNull()
    expect(parseHeight('-1')).toBeNull()
    expect(parseTxHash(TX.toUpperCase())).toBe(TX)
    expect(parseTxHash('abc')).toBeNull()
    expect(parseAccount(bob)).toBe(bob)
    expect(parseAccount(bobPeer)).toBe(bob)
    expect(parseAccount('bob')).toBeNull()
  })
})

describe('table rows', () => {
  it('builds block rows with short hashes, proposers as peers, ages and signer counts', () => {
    const rows = blockRows([block(12, { txs: 2 }), block(11, { proposer: bob })], 1_013_500, alice)
    expect(rows.map((r) => r.height)).toEqual([12, 11])
    expect(rows[0]).toMatchObject({
      txs: 2,
      signers: 2,
      mine: true,
      age: '1 s ago',
      proposer: { key: alice, peerId: alicePeer },
    })
    expect(rows[0]!.shortHash).toBe(`${block(12).hash.slice(0, 10)}…${block(12).hash.slice(-4)}`)
    expect(rows[1]).toMatchObject({ mine: false, age: '2 s ago' })
  })

  it('merges newest-first lists without duplicates, newest first, capped', () => {
    const merged = mergeNewest([block(5), block(4), block(3)], [block(7), block(6), block(5)], 4)
    expect(merged.map((b) => b.height)).toEqual([7, 6, 5, 4])
    const replaced = mergeNewest([block(5)], [block(5, { txs: 9 })], 10)
    expect(replaced).toEqual([block(5, { txs: 9 })])
    expect(mergeNewest([], [], 3)).toEqual([])
  })

  it('shows transaction fields in credits and peers', () => {
    const tx: TxSummary = {
      hash: TX,
      kind: 'transfer',
      from: alice,
      nonce: 0,
      fee: '0',
      fields: { to: bob, amount: '12500000' },
    }
    expect(txFields(tx)).toEqual([
      { name: 'to', type: 'account', label: peerLabel(bob) },
      { name: 'amount', type: 'credits', text: '12.5 credits' },
    ])
    expect(txLine(tx)).toBe(`12.5 credits → ${peerLabel(bob).short}`)
    expect(txLine({ ...tx, kind: 'stake', fields: { amount: '1000000' } })).toBe('stake 1 credits')
    expect(txLine({ ...tx, kind: 'register-node', fields: { stamp: 's', cert: '—' } })).toBe(
      'registration',
    )
    expect(txLine({ ...tx, kind: 'attest', fields: { subject: bob, rttMs: '42' } })).toBe(
      `RTT 42 ms to ${peerLabel(bob).short}`,
    )
    expect(txFields({ ...tx, kind: 'attest', fields: { coord: '{"vec":[1,2]}' } })).toEqual([
      { name: 'coord', type: 'text', text: '{"vec":[1,2]}' },
    ])
  })
})

describe('forms', () => {
  it('reads a recipient as a peer ID or a hex key, not this node', () => {
    expect(parseRecipient(bobPeer, alice)).toEqual({ ok: true, key: bob, peerId: bobPeer })
    expect(parseRecipient(` 0x${bob.toUpperCase()} `, alice)).toEqual({
      ok: true,
      key: bob,
      peerId: bobPeer,
    })
    expect(parseRecipient(alicePeer, alice).ok).toBe(false)
    expect(parseRecipient('', alice).ok).toBe(false)
    expect(parseRecipient('bob', alice).ok).toBe(false)
  })

  it('reads an amount and checks it against what is there', () => {
    expect(parseAmount('12.5', 'send', 1_000_000_000n)).toEqual({
      ok: true,
      units: 12_500_000n,
      text: '12.5',
    })
    expect(parseAmount('1000', 'send', 1_000_000_000n).ok).toBe(true)
    const over = parseAmount('5000', 'send', 1_000_000_000n)
    expect(over.ok).toBe(false)
    expect(!over.ok && over.message).toContain('1000')
    expect(parseAmount('1', 'unstake', 0n).ok).toBe(false)
    expect(parseAmount('0', 'stake').ok).toBe(false)
    expect(parseAmount('', 'stake').ok).toBe(false)
    expect(parseAmount('1.0000001', 'send').ok).toBe(false)
    expect(parseAmount('-1', 'send').ok).toBe(false)
    expect(parseAmount('3', 'stake')).toMatchObject({ ok: true, units: 3_000_000n })
  })

  it('turns worker errors into sentences', () => {
    const funds = new ChainRequestError('InsufficientFundsError', 'ERR_INSUFFICIENT_FUNDS', 'x')
    expect(describeChainError(funds)).toMatch(/balance does not cover/)
    const rejected = new ChainRequestError('TxRejectedError', 'ERR_TX_REJECTED', 'bad nonce')
    expect(describeChainError(rejected)).toBe('The ledger refused the transaction: Bad nonce.')
    expect(describeChainError(new Error('expected a 64-digit hex public key'))).toBe(
      'Expected a 64-digit hex public key.',
    )
    expect(describeChainError('boom')).toBe('Boom.')
  })

  it('says why the forms are not usable yet', () => {
    const base: LedgerSnapshot = {
      ...INITIAL_SNAPSHOT.ledger,
      status: 'live',
      publicKey: alice,
      summary: summary(),
      problem: null,
    }
    expect(ledgerBlocker(base)).toBeNull()
    expect(ledgerBlocker({ ...base, status: 'starting', summary: null })).toMatch(/starting/)
    expect(ledgerBlocker({ ...base, summary: summary({ registered: false }) })).toMatch(
      /registering this node/,
    )
    expect(ledgerBlocker({ ...base, status: 'failed', problem: 'It broke.' })).toBe('It broke.')
    expect(ledgerBlocker({ ...base, summary: null })).toMatch(/Reading/)
    // A tab still syncing old blocks waits: its state is not the network's yet.
    const old = { ...base, summary: summary({ time: 1_000_000, height: 4 }) }
    expect(ledgerBlocker(old, 1_000_000 + 20_000)).toBeNull()
    expect(ledgerBlocker(old, 1_000_000 + 5 * 60_000)).toBe(
      'Catching up with the chain: at block 4, from 5 min ago…',
    )
    expect(committeeStats(summary())).toEqual({ size: 2, power: 7 })
    expect(isCatchingUp(summary({ time: 1_000 }), 0)).toBe(false)
    expect(isCatchingUp(summary({ time: 1_000 }), 40_000)).toBe(true)
  })
})

describe('proofs', () => {
  it('labels every check and names the files', () => {
    for (const name of Object.keys(PROOF_CHECK_LABELS)) {
      expect(proofCheckLabel(name).title).not.toBe('')
    }
    expect(proofCheckLabel('new-check')).toEqual({ title: 'new-check', help: '' })
    expect(proofFileName({ tx: TX })).toBe(`proof-${TX}.cbor`)
    expect(proofFileName({ account: bob })).toBe(`proof-account-${bob}.cbor`)
  })
})

describe('BlockTail', () => {
  it('follows the newest blocks while retained, and stops when released', async () => {
    vi.useFakeTimers()
    let height = 3
    const chain = fakeChain({
      blocks: (p) => {
        const out: BlockSummary[] = []
        for (let h = height; h >= 1 && out.length < p.count; h--) out.push(block(h))
        return out
      },
    })
    const tail = new BlockTail({ size: 2, intervalMs: 1_000 }, chain.components)
    const seen: number[][] = []
    tail.subscribe(() => seen.push(tail.getSnapshot().blocks.map((b) => b.height)))
    const release = tail.retain()
    await vi.advanceTimersByTimeAsync(0)
    expect(tail.getSnapshot()).toMatchObject({ loaded: true, problem: null })
    expect(tail.getSnapshot().blocks.map((b) => b.height)).toEqual([3, 2])
    // Nothing new: no update.
    await vi.advanceTimersByTimeAsync(1_000)
    expect(seen).toEqual([[3, 2]])
    height = 4
    await vi.advanceTimersByTimeAsync(1_000)
    expect(tail.getSnapshot().blocks.map((b) => b.height)).toEqual([4, 3])
    release()
    const asked = chain.calls.length
    height = 9
    await vi.advanceTimersByTimeAsync(5_000)
    expect(chain.calls.length).toBe(asked)
    expect(tail.getSnapshot().blocks.map((b) => b.height)).toEqual([4, 3])
  })

  it('keeps the blocks it has and says why a refresh failed', async () => {
    vi.useFakeTimers()
    let fail = false
    const chain = fakeChain({
      blocks: () => {
        if (fail) throw new ChainRequestError('Error', undefined, 'the worker is busy')
        return [block(1)]
      },
    })
    const tail = new BlockTail({ intervalMs: 1_000 }, chain.components)
    const release = tail.retain()
    await vi.advanceTimersByTimeAsync(0)
    fail = true
    await vi.advanceTimersByTimeAsync(1_000)
    expect(tail.getSnapshot()).toMatchObject({ problem: 'The worker is busy.' })
    expect(tail.getSnapshot().blocks).toHaveLength(1)
    release()
  })
})

describe('ChainQueries', () => {
  it('caches answers, asks again only when forced, and keeps the last answer meanwhile', async () => {
    let answer: { block: BlockSummary; txs: TxSummary[] } | null = null
    const chain = fakeChain({ block: () => answer })
    const q = new ChainQueries({}, chain.components)
    expect(q.read('block', { height: 5 })).toBe(IDLE_QUERY)
    await q.load('block', { height: 5 })
    expect(q.read('block', { height: 5 })).toMatchObject({ status: 'done', data: null })
    answer = { block: block(5), txs: [] }
    await q.load('block', { height: 5 })
    expect(chain.calls).toHaveLength(1)
    const reload = q.load('block', { height: 5 }, { force: true })
    expect(q.read('block', { height: 5 })).toMatchObject({ status: 'loading', data: null })
    await reload
    expect(q.read('block', { height: 5 }).data?.block.height).toBe(5)
    const entry = q.read('block', { height: 5 })
    expect(q.read('block', { height: 5 })).toBe(entry)
  })

  it('records failures as sentences and evicts the oldest entries', async () => {
    const chain = fakeChain({
      block: (p) => {
        if (p.height === 0) throw new ChainRequestError('Error', undefined, 'no such thing')
        return null
      },
    })
    const q = new ChainQueries({ max: 2 }, chain.components)
    await q.load('block', { height: 0 })
    expect(q.read('block', { height: 0 })).toMatchObject({
      status: 'error',
      problem: 'No such thing.',
    })
    await q.load('block', { height: 1 })
    await q.load('block', { height: 2 })
    expect(q.read('block', { height: 0 })).toBe(IDLE_QUERY)
    expect(q.read('block', { height: 2 }).status).toBe('done')
  })
})

describe('TxTracker', () => {
  it('follows a send from the click to its block', async () => {
    vi.useFakeTimers()
    let committedAt: number | null = null
    const chain = fakeChain({
      transfer: () => ({ txHash: TX }),
      tx: (p) =>
        committedAt !== null && p.hash === TX ? { tx: {}, height: committedAt, index: 0 } : null,
    })
    const t = new TxTracker({ intervalMs: 1_000 }, chain.components)
    const amount = parseAmount('12.5', 'send')
    if (!amount.ok) throw new Error('amount')
    const sent = t.submit('send', amount, bob)
    expect(t.getSnapshot()).toMatchObject({ phase: 'sending', amount: '12.5', to: bob })
    await sent
    expect(chain.calls[0]).toEqual({ method: 'transfer', params: { to: bob, amount: '12.5' } })
    expect(t.getSnapshot()).toMatchObject({ phase: 'pending', txHash: TX, pending: 1 })
    expect(t.pendingUnits(['send'])).toBe(12_500_000n)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(t.getSnapshot().phase).toBe('pending')
    committedAt = 14
    await vi.advanceTimersByTimeAsync(1_000)
    expect(t.getSnapshot()).toMatchObject({ phase: 'included', height: 14, pending: 0 })
    expect(t.pendingUnits(['send'])).toBe(0n)
    const asked = chain.calls.length
    await vi.advanceTimersByTimeAsync(5_000)
    expect(chain.calls.length).toBe(asked)
  })

  it('reports a refusal as a sentence, and a transaction no block took as lost', async () => {
    vi.useFakeTimers()
    const chain = fakeChain({
      stake: () => {
        throw new ChainRequestError('InsufficientFundsError', 'ERR_INSUFFICIENT_FUNDS', 'x')
      },
      unstake: () => ({ txHash: TX }),
      tx: () => null,
    })
    const t = new TxTracker({ intervalMs: 1_000, lostAfterMs: 3_000 }, chain.components)
    const amount = parseAmount('1', 'stake')
    if (!amount.ok) throw new Error('amount')
    await t.submit('stake', amount)
    expect(t.getSnapshot()).toMatchObject({ phase: 'failed', action: 'stake' })
    expect(t.getSnapshot().problem).toMatch(/balance does not cover/)
    await t.submit('unstake', amount)
    expect(chain.calls.at(-1)).toEqual({ method: 'unstake', params: { amount: '1' } })
    chain.setNow(5_000)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(t.getSnapshot()).toMatchObject({ phase: 'lost', pending: 0 })
    t.dismiss()
    expect(t.getSnapshot().phase).toBe('idle')
  })
})
