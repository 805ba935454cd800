/**
 * The ledger as the pages show it: display formats (credits, short hashes and peer IDs, block
 * ages), the explorer's search box, the rows of its tables, the checks of a proof of state, and
 * the small stores the pages read with `useSyncExternalStore` — the live tail of blocks, cached
 * answers of the consensus worker, and the credits this tab sent until they are in a block.
 *
 * Everything that talks to the worker goes through {@link ChainViewComponents}; the browser's
 * components load `chain-bridge` with `import()` on first use, so the pages do not carry the
 * bridge's libp2p adapter in their own bundle (the node runtime already loads it).
 */
import { RetainedPoller } from './poller'
import type { BlockSummary, LedgerSummary, TxSummary } from '@/lib/chain/ledger-service'
import type { ProofCheck, ProofOfStateReport } from '@/lib/chain/proof-of-state'
import { formatCredits, parseCredits } from '@/lib/chain/units'
import type { ChainMethod, ChainRequests } from '@/lib/chain/worker-protocol'
import { isPeerId, keyHexFromPeerId, peerIdOrNull } from './peer-key'
import type { LedgerSnapshot } from './types'

export type {
  BlockSummary,
  ChainRequests,
  LedgerSummary,
  ProofCheck,
  ProofOfStateReport,
  TxSummary,
}

// ---------------------------------------------------------------------------------------------
// Display formats

/**
 * Base units (decimal text or bigint) → credits text without trailing zeros; `—` for anything
 * that is not an integer (a summary field is text, and must never crash a page).
 *
 * @example
 * ```ts
 * formatUnits('12500000') // '12.5'
 * ```
 */
export function formatUnits(units: string | bigint): string {
  try {
    return formatCredits(typeof units === 'bigint' ? units : BigInt(units))
  } catch {
    return '—'
  }
}

/** Base units as a bigint, 0n for text that is not an integer. */
export function unitsOf(units: string): bigint {
  try {
    return BigInt(units)
  } catch {
    return 0n
  }
}

/**
 * The age of a moment, one unit: `now`, `4 s ago`, `3 min ago`, `2 h ago`, `5 d ago`; `in 3 s`
 * for a time ahead of this clock (BFT time may run a little ahead of a slow clock). Empty when
 * `now` is 0 (server rendering: relative times are only written in the browser).
 */
export function formatAge(at: number, now: number): string {
  if (now === 0 || !Number.isFinite(at) || !Number.isFinite(now)) return ''
  const d = now - at
  if (Math.abs(d) < 1000) return 'now'
  const text = oneUnit(Math.abs(d))
  return d > 0 ? `${text} ago` : `in ${text}`
}

function oneUnit(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s} s`
  const min = Math.floor(s / 60)
  if (min < 60) return `${min} min`
  const h = Math.floor(min / 60)
  if (h < 48) return `${h} h`
  return `${Math.floor(h / 24)} d`
}

/** A date and time in the user's locale, to the second. */
export function formatTime(at: number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}

/**
 * The start and end of a long hex string: `c91ee910…ce0761`. Short strings come back as they are.
 */
export function shortHash(hex: string, head = 8, tail = 6): string {
  return hex.length <= head + tail + 1 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`
}

/**
 * Short form of a peer ID as the rest of the site writes it: its first 8 and last 6 characters
 * (`12D3KooW…7xYbR4`).
 */
export function shortPeerId(peerId: string): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId
}

/** How the pages name an account key: its peer ID (full and short), or the hex when it has none. */
export interface PeerLabel {
  key: string
  peerId: string | null
  /** `12D3KooW…7xYbR4`, or a short hex when the key has no peer ID. */
  short: string
}

// Labels are computed for every row on every tick; a key's peer ID never changes.
const labelCache = new Map<string, PeerLabel>()

/** The label of an account key (hex); see {@link PeerLabel}. */
export function peerLabel(keyHex: string): PeerLabel {
  let label = labelCache.get(keyHex)
  if (label === undefined) {
    const peerId = peerIdOrNull(keyHex)
    label = {
      key: keyHex,
      peerId,
      short: peerId !== null ? shortPeerId(peerId) : shortHash(keyHex),
    }
    if (labelCache.size > 1_000) labelCache.clear()
    labelCache.set(keyHex, label)
  }
  return label
}

/** `1.2 KiB`, `340 bytes`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} ${n === 1 ? 'byte' : 'bytes'}`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

// ---------------------------------------------------------------------------------------------
// Routes and the search box

/** Where the explorer's search box leads. */
export type SearchTarget =
  | { kind: 'block'; height: number }
  | { kind: 'tx'; hash: string }
  | { kind: 'account'; key: string }

/** What the search box holds. */
export type SearchQuery =
  | SearchTarget
  /** 64 hex digits: a transaction hash or an account key, told apart by asking the chain. */
  | { kind: 'hash-or-key'; hex: string }
  | { kind: 'empty' }
  | { kind: 'invalid'; message: string }

const HEX_64 = /^(?:0x)?([0-9a-fA-F]{64})$/

/**
 * Read the explorer's search box: a block height (`42`, `#42`), 64 hex digits (a transaction hash
 * or an account key), or a peer ID (`12D3KooW…`).
 *
 * @example
 * ```ts
 * parseSearch('#42') // { kind: 'block', height: 42 }
 * ```
 */
export function parseSearch(text: string): SearchQuery {
  const t = text.trim()
  if (t === '') return { kind: 'empty' }
  const height = /^#?(\d{1,15})$/.exec(t)
  if (height !== null) return { kind: 'block', height: Number(height[1]) }
  const hex = HEX_64.exec(t)
  if (hex !== null) return { kind: 'hash-or-key', hex: hex[1]!.toLowerCase() }
  if (isPeerId(t)) return { kind: 'account', key: keyHexFromPeerId(t) }
  return {
    kind: 'invalid',
    message: /^12D3KooW/.test(t)
      ? 'That peer ID does not decode: check that it was copied whole.'
      : 'Type a block height, a transaction hash, a peer ID (12D3KooW…) or a 64-digit hex key.',
  }
}

/**
 * Where a search goes. 64 hex digits are a transaction when `findTx` finds one with that hash,
 * otherwise an account key. Resolves to a sentence when there is nowhere to go.
 */
export async function resolveSearch(
  text: string,
  findTx: (hash: string) => Promise<boolean>,
): Promise<{ route: string } | { message: string }> {
  const q = parseSearch(text)
  switch (q.kind) {
    case 'empty':
      return { message: 'Type something to look for.' }
    case 'invalid':
      return { message: q.message }
    case 'hash-or-key':
      return {
        route: explorerRoute(
          (await findTx(q.hex)) ? { kind: 'tx', hash: q.hex } : { kind: 'account', key: q.hex },
        ),
      }
    default:
      return { route: explorerRoute(q) }
  }
}

/** The explorer's page of a block, transaction or account. */
export function explorerRoute(target: SearchTarget): string {
  switch (target.kind) {
    case 'block':
      return `/explorer/block/${target.height}`
    case 'tx':
      return `/explorer/tx/${target.hash}`
    case 'account':
      return `/explorer/account/${target.key}`
  }
}

/** A block height from a route segment, or null. */
export function parseHeight(segment: string): number | null {
  return /^\d{1,15}$/.test(segment) ? Number(segment) : null
}

/** A transaction hash from a route segment (lower-cased), or null. */
export function parseTxHash(segment: string): string | null {
  const m = HEX_64.exec(segment)
  return m === null ? null : m[1]!.toLowerCase()
}

/** A route segment as text (`%xx` decoded when well-formed). */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** An account key (hex) from a route segment holding a hex key or a peer ID, or null. */
export function parseAccount(segment: string): string | null {
  const text = decodeSegment(segment).trim()
  const m = HEX_64.exec(text)
  if (m !== null) return m[1]!.toLowerCase()
  return isPeerId(text) ? keyHexFromPeerId(text) : null
}

// ---------------------------------------------------------------------------------------------
// Table rows

/** One row of the explorer's block table. */
export interface BlockRow {
  height: number
  hash: string
  shortHash: string
  proposer: PeerLabel
  /** Proposed by this node. */
  mine: boolean
  time: number
  age: string
  txs: number
  signers: number
}

/** The rows of the block table, in the order given (newest first). */
export function blockRows(
  blocks: readonly BlockSummary[],
  now: number,
  selfKey: string | null,
): BlockRow[] {
  return blocks.map((b) => ({
    height: b.height,
    hash: b.hash,
    shortHash: shortHash(b.hash, 10, 4),
    proposer: peerLabel(b.proposer),
    mine: b.proposer === selfKey,
    time: b.time,
    age: formatAge(b.time, now),
    txs: b.txs,
    signers: b.signers.length,
  }))
}

/**
 * Two newest-first lists of blocks as one, newest first, at most `limit` long; on the same
 * height the block in `fresh` wins.
 */
export function mergeNewest(
  current: readonly BlockSummary[],
  fresh: readonly BlockSummary[],
  limit: number,
): BlockSummary[] {
  const byHeight = new Map<number, BlockSummary>()
  for (const b of current) byHeight.set(b.height, b)
  for (const b of fresh) byHeight.set(b.height, b)
  return [...byHeight.values()].sort((a, b) => b.height - a.height).slice(0, limit)
}

/** A field of a transaction as the pages show it. */
export type TxField =
  | { name: string; type: 'credits'; text: string }
  | { name: string; type: 'account'; label: PeerLabel }
  | { name: string; type: 'text'; text: string }

// Body fields that hold an account key (transfer.to, attest.subject).
const ACCOUNT_FIELDS = new Set(['to', 'subject'])
const KEY_HEX = /^[0-9a-f]{64}$/

/** The kind-specific fields of a transaction, amounts in credits and keys as peers. */
export function txFields(tx: TxSummary): TxField[] {
  return Object.entries(tx.fields).map(([name, value]): TxField => {
    if (name === 'amount' && /^\d+$/.test(value)) {
      return { name, type: 'credits', text: `${formatUnits(value)} credits` }
    }
    if (ACCOUNT_FIELDS.has(name) && KEY_HEX.test(value)) {
      return { name, type: 'account', label: peerLabel(value) }
    }
    return { name, type: 'text', text: value }
  })
}

/**
 * One line about a transaction, for tables: `12.5 credits → 12D3KooW…7xYbR4`, `stake 10
 * credits`, `registration`.
 */
export function txLine(tx: TxSummary): string {
  const f = tx.fields
  const credits = f.amount !== undefined ? `${formatUnits(f.amount)} credits` : ''
  switch (tx.kind) {
    case 'transfer':
      return `${credits} → ${f.to !== undefined ? peerLabel(f.to).short : '?'}`
    case 'stake':
      return `stake ${credits}`
    case 'unstake':
      return `unstake ${credits}`
    case 'register-node':
      return f.cert !== undefined && f.cert !== '—'
        ? 'registration with certificate'
        : 'registration'
    case 'attest':
      return `RTT ${f.rttMs ?? '?'} ms to ${f.subject !== undefined ? peerLabel(f.subject).short : '?'}`
    case 'slash':
      return 'evidence of a double vote'
    default:
      return ''
  }
}

// ---------------------------------------------------------------------------------------------
// Forms: recipients, amounts, errors

/** A recipient typed or picked in the send form. */
export type Recipient =
  { ok: true; key: string; peerId: string | null } | { ok: false; message: string }

/** Read a recipient: a peer ID or a 64-digit hex key (`0x` allowed); not this node's own key. */
export function parseRecipient(text: string, selfKey: string | null): Recipient {
  const t = text.trim()
  if (t === '') return { ok: false, message: 'Choose a node to send to.' }
  let key: string
  const hex = HEX_64.exec(t)
  if (hex !== null) key = hex[1]!.toLowerCase()
  else if (isPeerId(t)) key = keyHexFromPeerId(t)
  else {
    return {
      ok: false,
      message: 'The recipient must be a peer ID (12D3KooW…) or a 64-digit hex key.',
    }
  }
  if (key === selfKey) return { ok: false, message: 'That is this node: send to another one.' }
  return { ok: true, key, peerId: peerIdOrNull(key) }
}

/** What an amount is for, to say why it does not fit. */
export type AmountUse = 'send' | 'stake' | 'unstake'

/** An amount typed in a form. */
export type Amount = { ok: true; units: bigint; text: string } | { ok: false; message: string }

/**
 * Read an amount of credits and check it against what is there to use (`available` units: the
 * balance for sending and staking, the stake for unstaking; unknown when undefined).
 */
export function parseAmount(text: string, use: AmountUse, available?: bigint): Amount {
  if (text.trim() === '') return { ok: false, message: 'Enter an amount of credits.' }
  let units: bigint
  try {
    units = parseCredits(text)
  } catch (err) {
    return { ok: false, message: sentence((err as Error).message) }
  }
  if (units === 0n) return { ok: false, message: 'Enter an amount above zero.' }
  const credits = formatCredits(units)
  if (available !== undefined && units > available) {
    const have = formatCredits(available < 0n ? 0n : available)
    return {
      ok: false,
      message:
        use === 'unstake'
          ? `This node has ${have} credits staked: it cannot unstake ${credits}.`
          : `This node has ${have} credits to spend: it cannot ${use} ${credits}.`,
    }
  }
  return { ok: true, units, text: credits }
}

// Names of the errors the worker answers with, as sentences for people (the worker's messages
// are for logs: amounts there are in base units).
const ERROR_SENTENCES: Record<string, string> = {
  InsufficientFundsError: 'This node’s balance does not cover that amount.',
  ERR_INSUFFICIENT_FUNDS: 'This node’s balance does not cover that amount.',
  InsufficientStakeError: 'That is more than this node has staked.',
  ERR_INSUFFICIENT_STAKE: 'That is more than this node has staked.',
  UnknownAccountError:
    'This node has no account on the ledger yet: it gets one when its registration is in a block.',
  ERR_UNKNOWN_ACCOUNT:
    'This node has no account on the ledger yet: it gets one when its registration is in a block.',
  MempoolFullError:
    'The network has too many transactions waiting: try again after the next block.',
  ERR_MEMPOOL_FULL:
    'The network has too many transactions waiting: try again after the next block.',
  DuplicateTxError: 'This transaction was already sent and is waiting for a block.',
  ERR_DUPLICATE_TX: 'This transaction was already sent and is waiting for a block.',
}

/**
 * What went wrong with a request to the ledger, as a sentence. Known failures (by `name` or
 * `code`) get a sentence of their own; the others keep the worker's message.
 */
export function describeChainError(err: unknown): string {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null
  for (const id of [e?.name, e?.code]) {
    if (typeof id === 'string' && ERROR_SENTENCES[id] !== undefined) return ERROR_SENTENCES[id]
  }
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err)
  if (e?.name === 'TxRejectedError')
    return `The ledger refused the transaction: ${sentence(message)}`
  return sentence(message)
}

/** Capitalised, with a full stop. */
function sentence(text: string): string {
  const t = text.trim()
  if (t === '') return 'Something went wrong.'
  const first = t[0]!.toUpperCase() + t.slice(1)
  return /[.!?…]$/.test(first) ? first : `${first}.`
}

/** How far behind the wall clock the last block may be before the tab counts as catching up. */
export const BEHIND_AFTER_MS = 30_000

/**
 * Whether this tab's chain is still catching up: its last block is older than
 * {@link BEHIND_AFTER_MS} (blocks come every second or so). False before the clock is known.
 */
export function isCatchingUp(summary: LedgerSummary, now: number): boolean {
  return now !== 0 && now - summary.time > BEHIND_AFTER_MS
}

/**
 * Why the ledger forms cannot be used yet, as a sentence; null when they can. Sending needs the
 * worker running, its chain caught up (transactions are checked against its latest state), and
 * this node registered (its account is created by the registration).
 */
export function ledgerBlocker(ledger: LedgerSnapshot, now = 0): string | null {
  switch (ledger.status) {
    case 'off':
      return 'The ledger starts once this node has joined the mesh…'
    case 'starting':
      return 'The ledger is starting in this tab…'
    case 'unavailable':
      return ledger.problem ?? 'This server runs no ledger.'
    case 'failed':
      return ledger.problem ?? 'The ledger stopped. Reload the page to try again.'
    case 'live':
      if (ledger.summary === null) return 'Reading the ledger…'
      if (isCatchingUp(ledger.summary, now)) {
        return `Catching up with the chain: at block ${ledger.summary.height}, from ${formatAge(ledger.summary.time, now)}…`
      }
      if (!ledger.summary.registered) {
        return 'Not on the ledger yet: registering this node… It can send once the registration is in a block.'
      }
      return null
  }
}

/** The committee at a glance. */
export function committeeStats(summary: LedgerSummary): { size: number; power: number } {
  return {
    size: summary.committee.length,
    power: summary.committee.reduce((a, m) => a + m.power, 0),
  }
}

// ---------------------------------------------------------------------------------------------
// Proofs of state

/** What each check of a proof of state means, for people (lib/chain/proof-of-state.ts). */
export const PROOF_CHECK_LABELS: Record<ProofCheck['name'], { title: string; help: string }> = {
  format: { title: 'Format', help: 'Header, certificate and proofs decode.' },
  chain: { title: 'Chain', help: 'The block is of the chain this node follows.' },
  committee: {
    title: 'Committee',
    help: 'The signers are the committee this node verified for that height.',
  },
  certificate: {
    title: 'Commit certificate',
    help: 'Precommits of more than two thirds of the committee’s power.',
  },
  time: { title: 'Time', help: 'BFT time of the block, not ahead of this browser’s clock.' },
  facts: { title: 'Facts', help: 'Accounts and nodes proven against the block’s state root.' },
  transaction: {
    title: 'Transaction',
    help: 'A Merkle path to the block’s transactions root.',
  },
  work: { title: 'Work', help: 'The registration’s hashcash stamp.' },
}

/** The title and help of a check, also for a name this page does not know. */
export function proofCheckLabel(name: string): { title: string; help: string } {
  return (
    (PROOF_CHECK_LABELS as Record<string, { title: string; help: string }>)[name] ?? {
      title: name,
      help: '',
    }
  )
}

/** The file name a proof is saved under: `proof-<tx hash>.cbor`, `proof-account-<key>.cbor`. */
export function proofFileName(subject: { tx: string } | { account: string }): string {
  return 'tx' in subject ? `proof-${subject.tx}.cbor` : `proof-account-${subject.account}.cbor`
}

// ---------------------------------------------------------------------------------------------
// Talking to the worker

/** A request to this tab's consensus worker (see `chainRequest`). */
export type ChainRequestFn = <M extends ChainMethod>(
  method: M,
  params: ChainRequests[M]['params'],
) => Promise<ChainRequests[M]['result']>

/** What the stores below need. */
export interface ChainViewComponents {
  request: ChainRequestFn
  /** ms since the epoch. */
  now(): number
}

/** The browser's components: the tab's worker through chain-bridge, and the wall clock. */
export const BROWSER_CHAIN: ChainViewComponents = {
  request: async (method, params) => (await import('./chain-bridge')).chainRequest(method, params),
  now: () => Date.now(),
}

type Listener = () => void

class Emitter<S> {
  readonly #listeners = new Set<Listener>()
  protected state: S

  constructor(initial: S) {
    this.state = initial
  }

  /** Subscribe to changes; returns the unsubscribe function. */
  subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The current immutable state. */
  getSnapshot = (): S => this.state

  protected set(patch: Partial<S>): void {
    this.state = { ...this.state, ...patch }
    for (const l of this.#listeners) l()
  }
}

// ---- The live tail of blocks

/** The newest blocks as the explorer shows them. */
export interface BlockTailState {
  /** Newest first, at most the tail's size. */
  blocks: BlockSummary[]
  /** Whether the worker answered once. */
  loaded: boolean
  /** Why the last refresh failed, in a sentence; null when it worked. */
  problem: string | null
}

/** Before the first answer. */
export const EMPTY_BLOCK_TAIL: BlockTailState = { blocks: [], loaded: false, problem: null }

/**
 * Follows the newest blocks: while someone retains it, asks the worker for the newest `size`
 * blocks every `intervalMs` (blocks come about once a second) and merges them in, so a new block
 * pushes the oldest row out and the table keeps its height.
 */
export class BlockTail extends Emitter<BlockTailState> {
  readonly size: number
  readonly #c: ChainViewComponents
  readonly #poller: RetainedPoller

  constructor(init: { size?: number; intervalMs?: number }, components: ChainViewComponents) {
    super(EMPTY_BLOCK_TAIL)
    this.size = init.size ?? 20
    this.#poller = new RetainedPoller(init.intervalMs ?? 1_000, () => this.#refresh())
    this.#c = components
  }

  /** Start following for one more user; returns the function that ends this use. */
  retain(): () => void {
    return this.#poller.retain()
  }

  /** Refresh now (also what the timer does). Concurrent calls share one refresh. */
  refresh(): Promise<void> {
    return this.#poller.refresh()
  }

  async #refresh(): Promise<void> {
    try {
      const fresh = await this.#c.request('blocks', { count: this.size })
      const prev = this.state.blocks
      const blocks = mergeNewest(prev, fresh, this.size)
      const same =
        this.state.loaded &&
        this.state.problem === null &&
        blocks.length === prev.length &&
        blocks.every((b, i) => b.hash === prev[i]?.hash)
      if (!same) this.set({ blocks, loaded: true, problem: null })
    } catch (err) {
      this.set({ loaded: true, problem: describeChainError(err) })
    }
  }
}

// ---- Cached answers

/** Methods whose answers are cached: they read committed blocks, which never change. */
export type QueryMethod = 'blocks' | 'block' | 'tx'

/** One cached answer. */
export interface QueryEntry<T> {
  status: 'idle' | 'loading' | 'done' | 'error'
  /** The last answer (kept while a reload runs). */
  data: T | undefined
  problem: string | null
}

/** Before a query ran. */
export const IDLE_QUERY: QueryEntry<never> = { status: 'idle', data: undefined, problem: null }

/**
 * Answers of the worker by method and parameters, so moving between explorer pages shows what
 * was read before at once. Read an entry with `useSyncExternalStore(q.subscribe, () => q.read(…))`
 * and start it with {@link ChainQueries.load}.
 */
export class ChainQueries {
  readonly #c: ChainViewComponents
  readonly #entries = new Map<string, QueryEntry<unknown>>()
  readonly #listeners = new Set<Listener>()
  readonly #max: number

  constructor(init: { max?: number }, components: ChainViewComponents) {
    this.#c = components
    this.#max = init.max ?? 200
  }

  /** Subscribe to changes of any entry; returns the unsubscribe function. */
  subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The entry of a query (the same object until it changes). */
  read<M extends QueryMethod>(
    method: M,
    params: ChainRequests[M]['params'],
  ): QueryEntry<ChainRequests[M]['result']> {
    return (this.#entries.get(keyOf(method, params)) ?? IDLE_QUERY) as QueryEntry<
      ChainRequests[M]['result']
    >
  }

  /**
   * Ask the worker unless the answer is known (or being asked for); `force` asks again, keeping
   * the last answer on show meanwhile (for a block not yet committed, a transaction not yet found).
   */
  async load<M extends QueryMethod>(
    method: M,
    params: ChainRequests[M]['params'],
    opts: { force?: boolean } = {},
  ): Promise<void> {
    const key = keyOf(method, params)
    const entry = this.#entries.get(key)
    if (entry?.status === 'loading') return
    if (entry?.status === 'done' && opts.force !== true) return
    this.#put(key, { status: 'loading', data: entry?.data, problem: null })
    try {
      const data = await this.#c.request(method, params)
      this.#put(key, { status: 'done', data, problem: null })
    } catch (err) {
      this.#put(key, { status: 'error', data: entry?.data, problem: describeChainError(err) })
    }
  }

  #put(key: string, entry: QueryEntry<unknown>): void {
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    for (const l of this.#listeners) l()
  }
}

function keyOf(method: string, params: unknown): string {
  return `${method} ${JSON.stringify(params)}`
}

// ---- Credits sent from this tab

/** What the home page's send and stake forms do. */
export type TxAction = 'send' | 'stake' | 'unstake'

/** The latest transaction of a form, from the click to its block. */
export interface TxTrackState {
  /**
   * `sending`: handed to the worker; `pending`: pooled, waiting for a block; `included`: in block
   * `height`; `failed`: refused (see `problem`); `lost`: no block took it in time.
   */
  phase: 'idle' | 'sending' | 'pending' | 'included' | 'failed' | 'lost'
  action: TxAction | null
  /** Credits text of the amount. */
  amount: string | null
  /** Recipient key of a send. */
  to: string | null
  txHash: string | null
  height: number | null
  problem: string | null
  /** Transactions of this form sent and not yet seen in a block. */
  pending: number
}

/** Before anything was sent. */
export const IDLE_TX: TxTrackState = {
  phase: 'idle',
  action: null,
  amount: null,
  to: null,
  txHash: null,
  height: null,
  problem: null,
  pending: 0,
}

/** How long a sent transaction is looked for before it is called lost (the worker's pool keeps
 * its own transactions a minute). */
export const LOST_AFTER_MS = 90_000

/**
 * Sends a form's transactions and follows them until they are in a block: after the worker pools
 * one, asks every `intervalMs` whether it is committed (`tx {hash}`). The state describes the
 * latest one; earlier ones still pending are followed too, so their amounts count as spent.
 */
export class TxTracker extends Emitter<TxTrackState> {
  readonly #c: ChainViewComponents
  readonly #intervalMs: number
  readonly #lostAfterMs: number
  readonly #pending = new Map<string, { action: TxAction; units: bigint; at: number }>()
  #timer: ReturnType<typeof setTimeout> | null = null
  #seq = 0

  constructor(
    init: { intervalMs?: number; lostAfterMs?: number },
    components: ChainViewComponents,
  ) {
    super(IDLE_TX)
    this.#c = components
    this.#intervalMs = init.intervalMs ?? 1_000
    this.#lostAfterMs = init.lostAfterMs ?? LOST_AFTER_MS
  }

  /** Units sent by `actions` and not yet seen in a block. */
  pendingUnits(actions: readonly TxAction[]): bigint {
    let sum = 0n
    for (const p of this.#pending.values()) if (actions.includes(p.action)) sum += p.units
    return sum
  }

  /**
   * Send credits (`to` a hex key), stake or unstake `amount` (checked credits text, see
   * {@link parseAmount}). Never rejects: the outcome is in the state.
   */
  async submit(action: TxAction, amount: Amount & { ok: true }, to?: string): Promise<void> {
    const seq = ++this.#seq
    this.set({
      phase: 'sending',
      action,
      amount: amount.text,
      to: to ?? null,
      txHash: null,
      height: null,
      problem: null,
    })
    try {
      const { txHash } =
        action === 'send'
          ? await this.#c.request('transfer', { to: to ?? '', amount: amount.text })
          : await this.#c.request(action, { amount: amount.text })
      this.#pending.set(txHash, { action, units: amount.units, at: this.#c.now() })
      if (seq === this.#seq) this.set({ phase: 'pending', txHash })
      this.set({ pending: this.#pending.size })
      this.#schedule()
    } catch (err) {
      if (seq === this.#seq) this.set({ phase: 'failed', problem: describeChainError(err) })
    }
  }

  /** Forget the latest outcome (the form was edited). Pending transactions are still followed. */
  dismiss(): void {
    if (this.state.phase !== 'sending') this.set({ ...IDLE_TX, pending: this.#pending.size })
  }

  #schedule(): void {
    if (this.#timer !== null || this.#pending.size === 0) return
    this.#timer = setTimeout(() => {
      void this.#poll().finally(() => {
        this.#timer = null
        this.#schedule()
      })
    }, this.#intervalMs)
  }

  async #poll(): Promise<void> {
    const now = this.#c.now()
    await Promise.all(
      [...this.#pending].map(async ([hash, p]) => {
        let found: ChainRequests['tx']['result'] = null
        try {
          found = await this.#c.request('tx', { hash })
        } catch {
          // Asked again next time.
        }
        const latest = this.state.txHash === hash
        if (found !== null) {
          this.#pending.delete(hash)
          if (latest) this.set({ phase: 'included', height: found.height })
        } else if (now - p.at > this.#lostAfterMs) {
          this.#pending.delete(hash)
          if (latest) this.set({ phase: 'lost' })
        }
      }),
    )
    if (this.state.pending !== this.#pending.size) this.set({ pending: this.#pending.size })
  }
}

// ---- The tab's instances

/** The explorer's live tail: one per tab, so what it read survives moving between pages. */
export const blockTail: BlockTail = new BlockTail({}, BROWSER_CHAIN)

/** The explorer's cached answers. */
export const chainQueries: ChainQueries = new ChainQueries({}, BROWSER_CHAIN)

/** The home page's send form. */
export const sendTracker: TxTracker = new TxTracker({}, BROWSER_CHAIN)

/** The home page's stake form. */
export const stakeTracker: TxTracker = new TxTracker({}, BROWSER_CHAIN)

/** Ask the worker once, outside the caches (proofs, verification, the search box). */
export function chainRequest<M extends ChainMethod>(
  method: M,
  params: ChainRequests[M]['params'],
): Promise<ChainRequests[M]['result']> {
  return BROWSER_CHAIN.request(method, params)
}

/** Whether the chain holds a committed transaction with this hash (for the search box). */
export async function txExists(hash: string): Promise<boolean> {
  return (await chainRequest('tx', { hash })) !== null
}
