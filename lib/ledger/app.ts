/**
 * The ledger state machine behind consensus's {@link Application} boundary: genesis state, the
 * mempool check, block execution, the state root and the committee. Pure and synchronous: time
 * comes in the block context, signatures go through the injected {@link SignatureVerifier}.
 *
 * Block execution (docs/ledger.md, "Blocks"): check the context; begin the block (epoch start:
 * release unbonding, prune old committees, reset uptime; otherwise credit the parent commit's
 * signers); run each transaction (envelope rules, then its kind); end the block (last block of an
 * epoch: elect the committee two epochs ahead); record the head; commit the overlay to the tree.
 * Any refusal throws and leaves the input state as it was.
 */
import type { Application, BlockContext, CommitteeMember } from '../consensus/application'
import type { SignatureVerifier } from '../ports'
import {
  COMMITTEE_DELAY_EPOCHS,
  EVIDENCE_MAX_AGE_EPOCHS,
  MEMPOOL_NONCE_WINDOW,
  PUBLIC_KEY_BYTES,
} from './constants'
import { toHex } from './codec'
import { electCommittee, epochOf, firstHeightOf, lastHeightOf, type Candidate } from './committee'
import {
  BadBlockContextError,
  BadNonceError,
  BadSignatureError,
  BlockTooLargeError,
  CertificateExpiredError,
  CertificateRequiredError,
  CommitteeUnknownError,
  InsufficientFundsError,
  LedgerArgumentError,
  LedgerError,
  TxTooLargeError,
  UnknownAccountError,
  WrongChainError,
} from './errors'
import { genesisHash, validateGenesis, type GenesisConfig } from './genesis'
import { DEFAULT_TX_KINDS } from './kinds'
import { addAmount, EMPTY_ACCOUNT, LedgerView, readTree, type LedgerState } from './state'
import { decodeTx } from './tx'
import type { DecodedTx, TxKindRegistry } from './types'
import {
  committeeKey,
  GENESIS_KEY,
  GRANTS_KEY,
  HEAD_KEY,
  keyOwner,
  SUPPLY_KEY,
  UPTIME_KEY,
  type Account,
  type StoredMember,
  type UptimeRecord,
} from './values'

/** Options of {@link createLedgerApp}. */
export interface LedgerAppInit {
  /** The genesis configuration (validated here). */
  genesis: GenesisConfig
  /**
   * Verifies every Ed25519 signature the ledger checks (transactions, votes in evidence,
   * certificates). Inject the consensus rule's verifier; a caller may cache verdicts.
   */
  verifier: SignatureVerifier
  /** Transaction kinds; default {@link DEFAULT_TX_KINDS}. */
  kinds?: TxKindRegistry
}

/** What {@link createLedgerApp} returns. */
export interface LedgerApp {
  /** The state machine, for consensus. */
  app: Application<LedgerState>
  /** The state before block 1. */
  genesisState: LedgerState
  /** The kinds this ledger accepts (for `decodeTx` and `buildTx`). */
  kinds: TxKindRegistry
}

function anchorCommittee(genesis: GenesisConfig): StoredMember[] {
  const candidates: Candidate[] = genesis.anchorValidators.map((v) => ({
    publicKey: v.publicKey,
    weight: v.stake,
  }))
  return electCommittee(candidates, genesis.maxValidators)
}

/**
 * The genesis state: accounts of the allocations and anchor stakes, the anchors as committee of
 * epochs 0 and 1, and the meta entries (head at height 0 and the genesis time, supply, grant and
 * uptime counters, chain ID and genesis hash).
 *
 * @throws {InvalidGenesisError} when `genesis` is not valid
 */
export function createGenesisState(genesis: GenesisConfig): LedgerState {
  const g = validateGenesis(genesis)
  const empty: LedgerState = {
    genesis: g,
    height: 0,
    time: g.genesisTime,
    root: new Uint8Array(32),
    tree: null,
  }
  const view = new LedgerView(empty, 0, g.genesisTime, { verify: () => false })
  let supply = 0n
  for (const a of g.allocations) {
    view.putAccount(a.publicKey, { ...EMPTY_ACCOUNT, balance: a.amount })
    supply += a.amount
  }
  for (const v of g.anchorValidators) {
    const account = view.account(v.publicKey) ?? EMPTY_ACCOUNT
    view.putAccount(v.publicKey, { ...account, stake: v.stake })
    supply += v.stake
  }
  const committee = anchorCommittee(g)
  view.put(committeeKey(0), committee)
  view.put(committeeKey(1), committee)
  view.put(GENESIS_KEY, { chainId: g.chainId, hash: genesisHash(g) })
  view.put(HEAD_KEY, { height: 0, time: g.genesisTime })
  view.put(SUPPLY_KEY, { genesis: supply, minted: 0n, burned: 0n })
  view.put(GRANTS_KEY, { epoch: 0, count: 0 })
  view.put(UPTIME_KEY, { epoch: 0, blocks: 0, signed: committee.map(() => 0) })
  return view.commit()
}

/**
 * Run one transaction on `view`: the envelope rules in this order — size, decoding (shape, known
 * kind, body), chain, sender account (only a kind with `createsAccount` may come from a new key),
 * nonce, certificate (on a chain with a TrustChain root), fee ≤ balance, signature — then deduct
 * the fee (burned), advance the nonce, mark the account active, and run the kind's check and apply.
 */
function runTx(
  view: LedgerView,
  bytes: Uint8Array,
  kinds: TxKindRegistry,
  apply: boolean,
  nonceWindow = 1,
): DecodedTx {
  const g = view.genesis
  if (!(bytes instanceof Uint8Array)) throw new LedgerArgumentError('tx', 'must be bytes')
  if (bytes.length > g.maxTxBytes) throw new TxTooLargeError(bytes.length, g.maxTxBytes)
  const tx = decodeTx(bytes, { maxBytes: g.maxTxBytes, kinds })
  if (tx.chain !== g.chainId) throw new WrongChainError(g.chainId, tx.chain)
  const kind = kinds.get(tx.kind)!
  let account: Account | undefined = view.account(tx.from)
  if (account === undefined) {
    if (kind.createsAccount !== true) throw new UnknownAccountError(toHex(tx.from))
    account = EMPTY_ACCOUNT
  }
  // Execution needs the exact next nonce. The mempool also admits a few later ones, so a sender can
  // have several transactions in flight; they execute only in nonce order (the proposer orders
  // them, lib/consensus/core.ts), and a gap keeps the later ones waiting, never executed.
  if (tx.nonce < account.nonce || tx.nonce >= account.nonce + nonceWindow) {
    throw new BadNonceError(account.nonce, tx.nonce)
  }
  if (g.trustchainRoot !== undefined && kind.needsCertificate !== false) {
    const node = view.node(tx.from)
    if (node === undefined || node.certExpiry === null) throw new CertificateRequiredError()
    if (view.time > node.certExpiry) throw new CertificateExpiredError('expired', view.time)
  }
  if (account.balance < tx.fee) throw new InsufficientFundsError(tx.fee, account.balance)
  // Last of the envelope checks because it is the costly one (the verifier may have cached it).
  if (!view.verifier.verify(tx.from, tx.signBytes, tx.sig)) throw new BadSignatureError()
  view.putAccount(tx.from, {
    ...account,
    balance: account.balance - tx.fee,
    nonce: account.nonce + 1,
    active: view.epoch,
  })
  view.burn(tx.fee)
  kind.check(view, tx)
  if (apply) kind.apply(view, tx)
  return tx
}

function checkContext(state: LedgerState, context: BlockContext, count: number): void {
  const g = state.genesis
  if (typeof context !== 'object' || context === null) {
    throw new BadBlockContextError('not an object')
  }
  if (context.chainId !== g.chainId) throw new BadBlockContextError('another chain')
  if (context.height !== state.height + 1) {
    throw new BadBlockContextError(`height ${context.height} does not follow ${state.height}`)
  }
  if (!Number.isSafeInteger(context.time) || context.time < 0) {
    throw new BadBlockContextError('time is not a non-negative integer')
  }
  // BFT time strictly increases; block 1 may share the genesis time.
  if (state.height === 0 ? context.time < state.time : context.time <= state.time) {
    throw new BadBlockContextError('time does not increase')
  }
  if (
    !Array.isArray(context.lastCommitSigners) ||
    context.lastCommitSigners.some(
      (k) => !(k instanceof Uint8Array) || k.length !== PUBLIC_KEY_BYTES,
    )
  ) {
    throw new BadBlockContextError('lastCommitSigners are not 32-byte keys')
  }
  if (count > g.maxBlockTxs) throw new BlockTooLargeError(count, g.maxBlockTxs)
}

/** Epoch start: release unbonding, prune committees, open the uptime record. Else credit signers. */
function beginBlock(view: LedgerView, signers: readonly Uint8Array[]): void {
  const L = view.genesis.epochLength
  const epoch = view.epoch
  if (view.height === firstHeightOf(epoch, L)) {
    if (epoch === 0) return
    // Pay back unbonding entries due this epoch. A walk of the state, once per epoch, rather
    // than a release queue: no list to rewrite on every unstake, no size limit on a value.
    const due: [Uint8Array, Account][] = []
    view.scan('account/', (key, value) => {
      const account = value as Account
      if (account.unbonding.some((e) => e.release <= epoch)) due.push([keyOwner(key)!, account])
    })
    for (const [publicKey, account] of due) {
      let balance = account.balance
      const kept = account.unbonding.filter((e) => {
        if (e.release > epoch) return true
        balance = addAmount(balance, e.amount)
        return false
      })
      view.putAccount(publicKey, { ...account, balance, unbonding: kept })
    }
    // Evidence may name a height of epoch `epoch - EVIDENCE_MAX_AGE_EPOCHS`; older committees go.
    const stale = epoch - EVIDENCE_MAX_AGE_EPOCHS - 1
    if (stale >= 0) view.delete(committeeKey(stale))
    const committee = view.committee(epoch) ?? []
    view.put(UPTIME_KEY, { epoch, blocks: 0, signed: committee.map(() => 0) })
    return
  }
  // The parent is in this epoch: its commit was signed by this epoch's committee.
  const committee = view.committee(epoch) ?? []
  const present = new Set(signers.map(toHex))
  const uptime = view.get(UPTIME_KEY) as UptimeRecord
  view.put(UPTIME_KEY, {
    epoch,
    blocks: uptime.blocks + 1,
    signed: committee.map(
      (m, i) => (uptime.signed[i] ?? 0) + (present.has(toHex(m.publicKey)) ? 1 : 0),
    ),
  })
}

/**
 * Last block of an epoch: elect the committee of `epoch + 2` from every account with bonded stake,
 * weight = stake × uptime × (L − 1): for a member of this epoch's committee, uptime × (L − 1) is
 * the number of commits it signed; for any other staker it is L − 1 if it sent a transaction this
 * epoch, else 0. With no candidate of positive weight the next committee is kept.
 */
function endBlock(view: LedgerView): void {
  const g = view.genesis
  const L = g.epochLength
  const epoch = view.epoch
  if (view.height !== lastHeightOf(epoch, L)) return
  const committee = view.committee(epoch) ?? []
  const uptime = view.get(UPTIME_KEY) as UptimeRecord
  const signedBy = new Map<string, number>()
  committee.forEach((m, i) => signedBy.set(toHex(m.publicKey), uptime.signed[i] ?? 0))
  const candidates: Candidate[] = []
  view.scan('account/', (key, value) => {
    const account = value as Account
    if (account.stake === 0n) return
    const publicKey = keyOwner(key)!
    const signed = signedBy.get(key.slice('account/'.length))
    const up = signed !== undefined ? signed : account.active === epoch ? L - 1 : 0
    candidates.push({ publicKey, weight: account.stake * BigInt(up) })
  })
  let next = electCommittee(candidates, g.maxValidators)
  if (next.length === 0) next = [...(view.committee(epoch + 1) ?? committee)]
  view.put(committeeKey(epoch + COMMITTEE_DELAY_EPOCHS), next)
}

/**
 * Create the ledger state machine for one chain.
 *
 * @param init - genesis configuration, signature verifier, and optionally the transaction kinds
 * @returns the {@link Application} for consensus, the genesis state and the kinds
 * @throws {InvalidGenesisError} when the genesis configuration is not valid
 * @example
 * ```ts
 * const { app, genesisState } = createLedgerApp({ genesis, verifier: { verify: verifyEd25519 } })
 * const next = app.executeBlock(genesisState, context, [txBytes])
 * app.stateRoot(next) // 32 bytes for the block header
 * ```
 */
export function createLedgerApp(init: LedgerAppInit): LedgerApp {
  if (typeof init !== 'object' || init === null) {
    throw new LedgerArgumentError('createLedgerApp.init', 'must be an object')
  }
  const { verifier } = init
  if (typeof verifier?.verify !== 'function') {
    throw new LedgerArgumentError('createLedgerApp.verifier', 'must have a verify method')
  }
  const kinds = init.kinds ?? DEFAULT_TX_KINDS
  const genesisState = createGenesisState(init.genesis)
  // Sender and nonce per pooled transaction, decoded once (the proposer orders by them).
  const sequences = new WeakMap<Uint8Array, { sender: string; sequence: number } | null>()

  const app: Application<LedgerState> = {
    checkTx(state, tx) {
      // For the mempool: against the state as it is, at the next height and the last block time.
      const view = new LedgerView(state, state.height + 1, state.time, verifier)
      runTx(view, tx, kinds, false, MEMPOOL_NONCE_WINDOW)
    },

    executeBlock(state, context, txs) {
      if (!Array.isArray(txs)) throw new LedgerArgumentError('executeBlock.txs', 'must be an array')
      checkContext(state, context, txs.length)
      const view = new LedgerView(state, context.height, context.time, verifier)
      beginBlock(view, context.lastCommitSigners)
      txs.forEach((tx, i) => {
        try {
          runTx(view, tx, kinds, true)
        } catch (err) {
          if (err instanceof LedgerError) err.txIndex = i
          throw err
        }
      })
      endBlock(view)
      view.put(HEAD_KEY, { height: context.height, time: context.time })
      return view.commit()
    },

    txSequence(tx) {
      let seq = sequences.get(tx)
      if (seq === undefined) {
        try {
          const d = decodeTx(tx, { kinds })
          seq = { sender: toHex(d.from), sequence: d.nonce }
        } catch {
          seq = null
        }
        sequences.set(tx, seq)
      }
      return seq
    },

    stateRoot(state) {
      return state.root.slice()
    },

    committee(state, height) {
      if (!Number.isSafeInteger(height) || height < 1) throw new CommitteeUnknownError(height)
      const stored = readTree(state.tree, committeeKey(epochOf(height, state.genesis.epochLength)))
      if (stored === undefined) throw new CommitteeUnknownError(height)
      return (stored as readonly StoredMember[]).map((m): CommitteeMember => ({
        publicKey: m.publicKey.slice(),
        power: m.power,
      }))
    },
  }
  return { app, genesisState, kinds }
}
