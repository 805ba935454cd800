'use client'
import { HoverLink as Link } from './hover-link'
import { useState, useSyncExternalStore } from 'react'
import {
  IDLE_TX,
  committeeStats,
  explorerRoute,
  formatAge,
  formatTime,
  formatUnits,
  isCatchingUp,
  ledgerBlocker,
  parseAmount,
  parseRecipient,
  peerLabel,
  sendTracker,
  shortHash,
  shortPeerId,
  stakeTracker,
  unitsOf,
  type TxAction,
  type TxTrackState,
} from '@/lib/client/chain-view'
import type { MeshSnapshot } from '@/lib/client/types'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { useSecondClock } from './trustchain/clock'

const CARD = 'rounded-xl border border-slate-800 bg-slate-900/60 p-4'
const INPUT =
  'block w-full min-w-0 rounded-lg border border-slate-800 bg-slate-950 px-3 py-2 text-sm text-slate-200 placeholder:text-slate-600 focus:border-emerald-600 focus:outline-none disabled:opacity-50'
const PRIMARY =
  'rounded-lg bg-emerald-500 px-4 py-2 text-sm font-medium text-slate-950 hover:bg-emerald-400 disabled:cursor-not-allowed disabled:opacity-40'
const SECONDARY =
  'rounded-lg border border-slate-700 px-4 py-2 text-sm text-slate-200 hover:border-emerald-500 hover:text-emerald-300 disabled:cursor-not-allowed disabled:opacity-40 disabled:hover:border-slate-700 disabled:hover:text-slate-200'

/**
 * This node on the ledger, for the home page: its balance, stake and unbonding credits, the chain's
 * height and last block, whether it validates, its registration; and the forms to send credits
 * and to stake or unstake them.
 */
export function LedgerCard(): React.ReactNode {
  const snap = useMeshSnapshot()
  const now = useSecondClock()
  const ledger = snap.ledger
  const s = ledger.summary
  const blocker = ledgerBlocker(ledger, now)
  const behind = s !== null && isCatchingUp(s, now)
  const committee = s === null ? null : committeeStats(s)
  const failed = ledger.status === 'failed' || ledger.status === 'unavailable'

  return (
    <section className="space-y-4" data-testid="ledger-card" data-status={ledger.status}>
      <div className="grid gap-4 md:grid-cols-3">
        <div className={`${CARD} md:col-span-2`}>
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <h2 className="text-sm font-medium text-slate-300">Ledger</h2>
            {s?.validator === true && (
              <span
                data-testid="validator-badge"
                title="This node is in the committee of the next height: it proposes blocks and votes on them."
                className="inline-flex items-center gap-1 whitespace-nowrap rounded-full bg-emerald-950 px-2 py-0.5 text-[11px] font-medium text-emerald-300 ring-1 ring-inset ring-emerald-800"
              >
                ◆ validator
              </span>
            )}
            <Link
              href={s === null ? '/explorer' : explorerRoute({ kind: 'account', key: s.publicKey })}
              className="ml-auto text-xs text-emerald-300 hover:text-emerald-200 hover:underline"
            >
              {s === null ? 'Open the explorer →' : 'Your account in the explorer →'}
            </Link>
          </div>

          <div className="mt-3 flex flex-wrap items-end gap-x-10 gap-y-3">
            <div>
              <p className="text-xs uppercase tracking-wide text-slate-500">Balance</p>
              <p className="text-4xl font-semibold tabular-nums text-emerald-300">
                <span data-testid="ledger-balance">
                  {s === null ? '—' : formatUnits(s.balance)}
                </span>
                <span className="ml-1.5 text-lg font-normal text-slate-400">credits</span>
              </p>
            </div>
            <div>
              <p className="text-xs uppercase tracking-wide text-slate-500">Staked</p>
              <p className="text-lg tabular-nums text-slate-200" data-testid="ledger-stake">
                {s === null ? '—' : formatUnits(s.stake)}
              </p>
            </div>
            <div>
              <p
                className="text-xs uppercase tracking-wide text-slate-500"
                title="Unstaked credits, released four epochs after the request"
              >
                Unbonding
              </p>
              <p className="text-lg tabular-nums text-slate-200" data-testid="ledger-unbonding">
                {s === null ? '—' : formatUnits(s.unbonding)}
              </p>
            </div>
          </div>

          <div className="mt-3 min-h-[1.25rem] text-sm" data-testid="ledger-registration">
            {failed ? (
              <p role="alert" className="text-rose-300">
                {ledger.problem ?? 'The ledger is not running in this tab.'}
              </p>
            ) : s === null ? (
              <p className="flex items-center gap-2 text-slate-400">
                <span
                  aria-hidden
                  className="inline-block h-2 w-2 animate-pulse rounded-full bg-slate-500"
                />
                {ledger.status === 'live'
                  ? 'Reading the ledger…'
                  : ledger.status === 'off'
                    ? 'The ledger starts once this node has joined the mesh…'
                    : 'The ledger is starting in this tab…'}
              </p>
            ) : behind ? (
              <p className="flex items-center gap-2 text-slate-400">
                <span
                  aria-hidden
                  className="inline-block h-2 w-2 animate-pulse rounded-full bg-amber-400"
                />
                Catching up with the chain: block {s.height} is from {formatAge(s.time, now)}…
              </p>
            ) : s.registered ? (
              <p className="text-slate-400">
                <span className="text-emerald-300">✓</span> Registered on the ledger as{' '}
                <span className="font-mono text-xs text-slate-300" title={s.publicKey}>
                  {peerLabel(s.publicKey).short}
                </span>
                {s.pendingTxs > 0 && ` · ${s.pendingTxs} of its transactions waiting for a block`}
              </p>
            ) : (
              <p className="flex items-center gap-2 text-amber-200">
                <span
                  aria-hidden
                  className="inline-block h-2 w-2 animate-pulse rounded-full bg-amber-400"
                />
                Not on the ledger yet: registering this node…
              </p>
            )}
          </div>
          {/* The bridge's problems are about registering: stale once registered. */}
          {ledger.status === 'live' && ledger.problem !== null && s?.registered !== true && (
            <p role="alert" className="mt-2 text-xs text-amber-300">
              {ledger.problem}
            </p>
          )}
        </div>

        <div className={CARD}>
          <div className="flex items-center gap-2">
            <h2 className="text-sm font-medium text-slate-300">The chain</h2>
            <Link
              href="/explorer"
              className="ml-auto text-xs text-emerald-300 hover:text-emerald-200 hover:underline"
            >
              Explorer →
            </Link>
          </div>
          <dl className="mt-3 grid grid-cols-[1fr_auto] gap-x-4 gap-y-2 text-sm">
            <dt className="text-slate-500">height</dt>
            <dd className="text-right tabular-nums text-slate-200" data-testid="ledger-height">
              {s === null ? '—' : s.height}
            </dd>
            <dt className="text-slate-500">last block</dt>
            <dd
              className="text-right tabular-nums text-slate-200"
              title={s === null ? undefined : formatTime(s.time)}
              data-testid="ledger-last-block"
            >
              {s === null ? '—' : formatAge(s.time, now) || '…'}
            </dd>
            <dt className="text-slate-500" title="Validators of the next height">
              committee
            </dt>
            <dd className="text-right tabular-nums text-slate-200">
              {committee === null
                ? '—'
                : `${committee.size} validator${committee.size === 1 ? '' : 's'}`}
            </dd>
            <dt className="text-slate-500">total supply</dt>
            <dd className="text-right tabular-nums text-slate-200">
              {s === null ? '—' : formatUnits(s.totalSupply)}
            </dd>
          </dl>
        </div>
      </div>

      <div className="grid gap-4 md:grid-cols-2">
        <SendForm snap={snap} blocker={blocker} />
        <StakeForm snap={snap} blocker={blocker} />
      </div>
    </section>
  )
}

/** Units this tab has spent (sent or staked) that no block shows yet. */
function pendingSpend(): bigint {
  return sendTracker.pendingUnits(['send']) + stakeTracker.pendingUnits(['stake'])
}

function SendForm({
  snap,
  blocker,
}: {
  snap: MeshSnapshot
  blocker: string | null
}): React.ReactNode {
  const track = useSyncExternalStore(sendTracker.subscribe, sendTracker.getSnapshot, () => IDLE_TX)
  const [to, setTo] = useState('')
  const [amount, setAmount] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const s = snap.ledger.summary
  const selfKey = snap.ledger.publicKey
  const recipient = to.trim() === '' ? null : parseRecipient(to, selfKey)
  const peers = snap.nodes.filter((n) => n.peerId !== snap.peerId).map((n) => n.peerId)
  const connected = new Set(snap.connections.map((c) => c.peerId))

  const submit = (): void => {
    if (blocker !== null || s === null) return
    const r = parseRecipient(to, selfKey)
    if (!r.ok) return setProblem(r.message)
    const a = parseAmount(amount, 'send', unitsOf(s.balance) - pendingSpend())
    if (!a.ok) return setProblem(a.message)
    setProblem(null)
    void sendTracker.submit('send', a, r.key).then(() => {
      if (sendTracker.getSnapshot().phase === 'pending') setAmount('')
    })
  }

  return (
    <form
      className={CARD}
      data-testid="send-form"
      onSubmit={(e) => {
        e.preventDefault()
        submit()
      }}
    >
      <h2 className="text-sm font-medium text-slate-300">Send credits</h2>
      <p className="mt-1 text-xs text-slate-500">
        To another node, by its peer ID or its key. The transfer is final once it is in a block.
      </p>
      <fieldset disabled={blocker !== null || track.phase === 'sending'} className="mt-3 space-y-2">
        <div className="flex flex-col gap-2 sm:flex-row">
          <input
            value={to}
            onChange={(e) => {
              setTo(e.target.value)
              setProblem(null)
            }}
            spellCheck={false}
            autoComplete="off"
            aria-label="Recipient: a peer ID or a hex key"
            placeholder="Peer ID (12D3KooW…) or hex key"
            data-testid="send-to"
            className={`${INPUT} font-mono placeholder:font-sans sm:flex-1`}
          />
          <select
            aria-label="A node this tab has heard from"
            data-testid="send-peer"
            value=""
            disabled={peers.length === 0}
            onChange={(e) => {
              setTo(e.target.value)
              setProblem(null)
            }}
            className="min-w-0 rounded-lg border border-slate-800 bg-slate-950 px-2 py-2 text-xs text-slate-300 hover:border-emerald-600 disabled:opacity-40 sm:w-44"
          >
            <option value="" disabled>
              {peers.length === 0 ? 'No node heard yet' : 'Known nodes…'}
            </option>
            {peers.map((p) => (
              <option key={p} value={p}>
                {shortPeerId(p)}
                {connected.has(p) ? ' · connected' : ''}
              </option>
            ))}
          </select>
        </div>
        <p className="h-4 truncate text-xs text-slate-500" data-testid="send-to-resolved">
          {recipient?.ok === true &&
            `→ ${recipient.peerId !== null ? shortPeerId(recipient.peerId) : ''} · key ${shortHash(recipient.key)}`}
        </p>
        <div className="flex gap-2">
          <label className="relative min-w-0 flex-1">
            <span className="sr-only">Amount in credits</span>
            <input
              value={amount}
              onChange={(e) => {
                setAmount(e.target.value)
                setProblem(null)
              }}
              inputMode="decimal"
              autoComplete="off"
              placeholder="Amount"
              data-testid="send-amount"
              className={`${INPUT} pr-16 tabular-nums`}
            />
            <span className="pointer-events-none absolute right-3 top-2 text-sm text-slate-500">
              credits
            </span>
          </label>
          <button type="submit" className={PRIMARY} data-testid="send-submit">
            Send
          </button>
        </div>
      </fieldset>
      <Outcome testId="send-result" blocker={blocker} problem={problem} track={track} />
    </form>
  )
}

function StakeForm({
  snap,
  blocker,
}: {
  snap: MeshSnapshot
  blocker: string | null
}): React.ReactNode {
  const track = useSyncExternalStore(
    stakeTracker.subscribe,
    stakeTracker.getSnapshot,
    () => IDLE_TX,
  )
  const [amount, setAmount] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const s = snap.ledger.summary

  const submit = (action: 'stake' | 'unstake'): void => {
    if (blocker !== null || s === null) return
    const available =
      action === 'stake'
        ? unitsOf(s.balance) - pendingSpend()
        : unitsOf(s.stake) - stakeTracker.pendingUnits(['unstake'])
    const a = parseAmount(amount, action, available)
    if (!a.ok) return setProblem(a.message)
    setProblem(null)
    void stakeTracker.submit(action, a).then(() => {
      if (stakeTracker.getSnapshot().phase === 'pending') setAmount('')
    })
  }

  return (
    <form
      className={CARD}
      data-testid="stake-form"
      onSubmit={(e) => {
        e.preventDefault()
        submit('stake')
      }}
    >
      <h2 className="text-sm font-medium text-slate-300">Stake</h2>
      <p className="mt-1 text-xs text-slate-500">
        Staked credits stand for the committee: validators are chosen by stake × uptime, two epochs
        later. Unstaked credits stay slashable and are released four epochs later. While you are a
        validator, keep this tab open: the chain stops when validators holding more than a third of
        the power are gone, until they return.
      </p>
      <fieldset disabled={blocker !== null || track.phase === 'sending'} className="mt-3 space-y-2">
        <p className="h-4 text-xs text-slate-500">
          {s !== null &&
            `Staked now: ${formatUnits(s.stake)} credits · unbonding: ${formatUnits(s.unbonding)}`}
        </p>
        <div className="flex flex-wrap gap-2">
          <label className="relative min-w-0 flex-1 basis-40">
            <span className="sr-only">Amount in credits</span>
            <input
              value={amount}
              onChange={(e) => {
                setAmount(e.target.value)
                setProblem(null)
              }}
              inputMode="decimal"
              autoComplete="off"
              placeholder="Amount"
              data-testid="stake-amount"
              className={`${INPUT} pr-16 tabular-nums`}
            />
            <span className="pointer-events-none absolute right-3 top-2 text-sm text-slate-500">
              credits
            </span>
          </label>
          <button type="submit" className={PRIMARY} data-testid="stake-submit">
            Stake
          </button>
          <button
            type="button"
            className={SECONDARY}
            data-testid="unstake-submit"
            onClick={() => submit('unstake')}
          >
            Unstake
          </button>
        </div>
      </fieldset>
      <Outcome testId="stake-result" blocker={blocker} problem={problem} track={track} />
    </form>
  )
}

const DONE: Record<TxAction, (amount: string, to: string | null) => string> = {
  send: (amount, to) => `${amount} credits sent${to !== null ? ` to ${peerLabel(to).short}` : ''}.`,
  stake: (amount) => `${amount} credits staked: they count for the committee two epochs from now.`,
  unstake: (amount) => `${amount} credits unstaked: released four epochs from now.`,
}

/**
 * Why the form is disabled, what was wrong with the input, or where the latest transaction is:
 * in a slot of fixed height, so the page does not jump as the words change.
 */
function Outcome({
  testId,
  blocker,
  problem,
  track,
}: {
  testId: string
  blocker: string | null
  problem: string | null
  track: TxTrackState
}): React.ReactNode {
  let body: React.ReactNode = null
  let tone = 'text-slate-400'
  if (problem !== null) {
    body = problem
    tone = 'text-amber-200'
  } else if (track.phase === 'sending') {
    body = 'Sending…'
  } else if (track.phase === 'pending' && track.txHash !== null) {
    body = (
      <>
        <span
          aria-hidden
          className="mr-1.5 inline-block h-2 w-2 animate-pulse rounded-full bg-amber-400"
        />
        Transaction sent, waiting for a block… <TxHashLink hash={track.txHash} />
      </>
    )
  } else if (track.phase === 'included' && track.txHash !== null && track.height !== null) {
    tone = 'text-emerald-200'
    body = (
      <>
        ✓ Transaction included in block{' '}
        <Link
          href={explorerRoute({ kind: 'block', height: track.height })}
          className="font-mono text-emerald-300 underline-offset-2 hover:underline"
        >
          {track.height}
        </Link>
        .{' '}
        {track.action !== null &&
          track.amount !== null &&
          DONE[track.action](track.amount, track.to)}{' '}
        <TxHashLink hash={track.txHash} />
      </>
    )
  } else if (track.phase === 'failed') {
    body = track.problem
    tone = 'text-rose-300'
  } else if (track.phase === 'lost') {
    body =
      'No block took the transaction in 90 s: the network may have dropped it. Check the balance before sending again.'
    tone = 'text-amber-200'
  } else if (blocker !== null) {
    body = blocker
    tone = 'text-slate-500'
  }
  const alert = problem !== null || track.phase === 'failed' || track.phase === 'lost'
  return (
    <div
      className={`mt-3 min-h-[2.5rem] text-sm ${tone}`}
      data-testid={testId}
      data-phase={
        problem !== null
          ? 'invalid'
          : blocker !== null && track.phase === 'idle'
            ? 'disabled'
            : track.phase
      }
      role={alert ? 'alert' : undefined}
      aria-live="polite"
    >
      {body}
    </div>
  )
}

function TxHashLink({ hash }: { hash: string }): React.ReactNode {
  return (
    <Link
      href={explorerRoute({ kind: 'tx', hash })}
      title={hash}
      className="whitespace-nowrap font-mono text-xs text-emerald-300 hover:text-emerald-200 hover:underline"
    >
      {shortHash(hash, 8, 4)}
    </Link>
  )
}
