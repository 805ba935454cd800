import { describe, expect, it } from 'vitest'
import { type ChainTip, chainParams, genesisTip } from './chain'
import type { Block, BlockHeader, CommitCertificate } from './codec'
import {
  ConsensusError,
  FutureTimestampError,
  InvalidBlockError,
  InvalidCertificateError,
  OversizedBlockError,
} from './errors'
import { syncBlock, syncBlocks } from './sync'
import { certify, nextBlock } from './testing/chain-builder'
import { type KvState, addTx, kvApp, kvGenesis } from './testing/kv-app'
import { testKey, testVerifier } from './testing/keys'

const keys = ['alice', 'bob', 'carol', 'dave'].map(testKey)
const [alice, bob, carol, dave] = keys as [
  (typeof keys)[0],
  (typeof keys)[0],
  (typeof keys)[0],
  (typeof keys)[0],
]
const app = kvApp()
const genesis = kvGenesis(keys.map((k) => ({ publicKey: k.publicKey, power: 10 })))
const params = chainParams({ chainId: 'hypermesh-test', genesisTime: 1_000_000 })
const options = { verifier: testVerifier, now: 2_000_000 }

interface Item {
  block: Block
  certificate: CommitCertificate
}

/** A valid chain of `n` blocks, plus the tip before each block. */
function buildChain(n: number): { items: Item[]; tips: ChainTip<KvState>[] } {
  const items: Item[] = []
  const tips: ChainTip<KvState>[] = [genesisTip(genesis)]
  let last: CommitCertificate | null = null
  for (let h = 1; h <= n; h++) {
    const tip = tips[h - 1]!
    const block = nextBlock(app, params, tip, keys[h % 4]!, [addTx('k', h, h)], last)
    const certificate = certify(block.header, [alice, bob, carol], {
      timestamps: [block.header.time + 5, block.header.time + 9, block.header.time + 7],
    })
    tips.push(syncBlock(app, params, tip, block, certificate, options))
    items.push({ block, certificate })
    last = certificate
  }
  return { items, tips }
}

const { items, tips } = buildChain(5)

/** Replace block `h` by a variant built by `make` from the tip before it, certified by three. */
function variant(
  h: number,
  make: (tip: ChainTip<KvState>, last: CommitCertificate | null) => Block,
): Item[] {
  const block = make(tips[h - 1]!, h === 1 ? null : items[h - 2]!.certificate)
  return [
    ...items.slice(0, h - 1),
    { block, certificate: certify(block.header, [alice, bob, carol]) },
  ]
}

function failure(list: Item[], p = params, now = options.now): ConsensusError {
  try {
    syncBlocks(app, p, genesisTip(genesis), list, { verifier: testVerifier, now })
  } catch (e) {
    expect(e).toBeInstanceOf(ConsensusError)
    return e as ConsensusError
  }
  throw new Error('expected a failure')
}

function blockFailure(list: Item[]): string | undefined {
  const e = failure(list)
  expect(e).toBeInstanceOf(InvalidBlockError)
  expect(e.code).toBe('ERR_INVALID_BLOCK')
  return e.reason
}

const txsOf = (h: number) => [addTx('k', h, h)]
const withHeader = (h: number, header: Partial<BlockHeader>) =>
  variant(h, (tip, last) => nextBlock(app, params, tip, keys[h % 4]!, txsOf(h), last, header))

describe('block sync', () => {
  it('replays a certified chain from genesis or from any trusted tip to the same state', () => {
    const end = syncBlocks(app, params, genesisTip(genesis), items, options)
    expect(end.height).toBe(5)
    expect(app.stateRoot(end.state)).toEqual(items[4]!.block.header.stateRoot)
    expect(end.state.entries.get('k')).toBe(15)
    const fromThree = syncBlocks(app, params, tips[3]!, items.slice(3), options)
    expect(fromThree.hash).toEqual(end.hash)
    expect(syncBlocks(app, params, end, [], options)).toBe(end)
  })

  it('keeps BFT time: genesis time at height 1, then the weighted median, strictly increasing', () => {
    expect(items[0]!.block.header.time).toBe(params.genesisTime)
    for (let i = 1; i < items.length; i++) {
      const prev = items[i - 1]!.block.header.time
      expect(items[i]!.block.header.time).toBe(prev + 7)
    }
  })

  it('names the first bad block and the rule it breaks', () => {
    expect(blockFailure(withHeader(3, { parentHash: new Uint8Array(32).fill(9) }))).toBe('parent')
    expect(blockFailure(withHeader(3, { stateRoot: new Uint8Array(32).fill(9) }))).toBe(
      'state-root',
    )
    expect(blockFailure(withHeader(3, { txsRoot: new Uint8Array(32).fill(9) }))).toBe('txs-root')
    expect(blockFailure(withHeader(3, { committeeHash: new Uint8Array(32) }))).toBe('committee')
    expect(blockFailure(withHeader(3, { proposer: testKey('mallory').publicKey }))).toBe('proposer')
    expect(blockFailure(withHeader(3, { chainId: 'other' }))).toBe('chain-id')
    expect(blockFailure(withHeader(3, { height: 4 }))).toBe('height')
    expect(blockFailure(withHeader(1, { time: params.genesisTime + 1 }))).toBe('time')
    expect(blockFailure(withHeader(3, { lastCommitHash: new Uint8Array(32) }))).toBe('last-commit')
    const e = failure(withHeader(4, { stateRoot: new Uint8Array(32) }))
    expect(e.height).toBe(4)
    expect(e.toJSON()).toMatchObject({
      name: 'InvalidBlockError',
      code: 'ERR_INVALID_BLOCK',
      height: 4,
    })
  })

  it('refuses a time other than the weighted median of the last commit', () => {
    const prev = items[2]!.block.header.time
    expect(blockFailure(withHeader(4, { time: prev + 8 }))).toBe('time')
  })

  it('refuses a last commit that does not reach the time after the parent', () => {
    const list = variant(4, (tip) => {
      const weak = certify(tip.header!, [alice, bob, carol], {
        timestamps: [tip.header!.time, tip.header!.time, tip.header!.time],
      })
      return nextBlock(app, params, tip, dave, txsOf(4), weak)
    })
    expect(blockFailure(list)).toBe('time')
  })

  it('refuses a last commit without a quorum, and a block 1 with a last commit', () => {
    const list = variant(4, (tip) =>
      nextBlock(app, params, tip, dave, txsOf(4), certify(tip.header!, [alice, bob])),
    )
    const e = failure(list)
    expect(e).toBeInstanceOf(InvalidBlockError)
    expect(e.reason).toBe('last-commit')
    expect((e.cause as InvalidCertificateError).reason).toBe('power')
    const one = variant(1, (tip) =>
      nextBlock(app, params, tip, alice, txsOf(1), items[0]!.certificate),
    )
    expect(blockFailure(one)).toBe('last-commit')
  })

  it('refuses transactions the application refuses', () => {
    const list = variant(2, (tip, last) =>
      nextBlock(app, params, tip, bob, [new TextEncoder().encode('nonsense')], last),
    )
    expect(blockFailure(list)).toBe('execution')
  })

  it('refuses a block certified by too little power', () => {
    const list = [
      ...items.slice(0, 2),
      { ...items[2]!, certificate: certify(items[2]!.block.header, [alice, bob]) },
    ]
    const e = failure(list)
    expect(e).toBeInstanceOf(InvalidCertificateError)
    expect(e.reason).toBe('power')
    expect(e.height).toBe(3)
  })

  it('refuses a block more than 30 s ahead of the local clock', () => {
    const e = failure(items, params, params.genesisTime - 30_001)
    expect(e).toBeInstanceOf(FutureTimestampError)
    expect(e.code).toBe('ERR_FUTURE_TIMESTAMP')
    expect(e.height).toBe(1)
    const atLimit = { verifier: testVerifier, now: params.genesisTime - 30_000 }
    expect(syncBlocks(app, params, genesisTip(genesis), items.slice(0, 1), atLimit).height).toBe(1)
  })

  it('refuses blocks over the chain limits', () => {
    const small = chainParams({ ...params, maxBlockTxs: 1 })
    const list = variant(2, (tip, last) =>
      nextBlock(app, small, tip, bob, [addTx('a', 1, 1), addTx('a', 1, 2)], last),
    )
    const e = failure(list, small)
    expect(e).toBeInstanceOf(OversizedBlockError)
    expect(e.code).toBe('ERR_OVERSIZED_BLOCK')
    const tight = chainParams({ ...params, maxBlockBytes: 8 })
    expect(failure(items, tight)).toBeInstanceOf(OversizedBlockError)
  })
})
