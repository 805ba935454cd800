'use client'
import Link from 'next/link'
import { committeeStats, formatUnits, peerLabel, unitsOf } from '@/lib/client/chain-view'
import { nodeRoute } from '@/lib/client/explorer-routes'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { CARD, Field, LedgerNotice, YouTag } from './bits'
import { ProofPanel } from './proof-panel'

/**
 * An account, by key. This tab's summary knows the figures of its own account only; for any
 * account the page offers the proof of state of its facts at the latest block, verified here.
 */
export function AccountView({ keyHex }: { keyHex: string }): React.ReactNode {
  const snap = useMeshSnapshot()
  const s = snap.ledger.summary
  const label = peerLabel(keyHex)
  const mine = snap.ledger.publicKey === keyHex
  const member = s?.committee.find((m) => m.publicKey === keyHex)
  const heard = label.peerId !== null && snap.nodes.some((n) => n.peerId === label.peerId)
  const connected = label.peerId !== null && snap.connections.some((c) => c.peerId === label.peerId)

  return (
    <div className="space-y-6">
      <LedgerNotice ledger={snap.ledger} />
      <section className="min-w-0">
        <h1 className="flex flex-wrap items-center gap-3 text-2xl font-semibold tracking-tight">
          Account {mine && <YouTag />}
        </h1>
        <p
          className="mt-1 break-all font-mono text-sm text-emerald-300"
          data-testid="account-peer-id"
        >
          {label.peerId ?? keyHex}
        </p>
        <p className="mt-0.5 break-all font-mono text-xs text-slate-500" data-testid="account-key">
          key {keyHex}
        </p>
        {label.peerId !== null && (
          <Link
            href={nodeRoute(label.peerId)}
            className="mt-1 inline-block text-xs text-emerald-300 hover:text-emerald-200 hover:underline"
          >
            Its node: assets, heartbeats and attestations →
          </Link>
        )}
      </section>

      <div className="grid gap-4 md:grid-cols-3">
        <div className={`${CARD} md:col-span-2`} data-testid="account-figures">
          <h2 className="text-sm font-medium text-slate-300">
            {mine ? 'This node’s account' : 'What this tab knows'}
          </h2>
          {mine && s !== null ? (
            <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
              <Field label="balance">
                <span className="tabular-nums">{formatUnits(s.balance)} credits</span>
              </Field>
              <Field label="staked">
                <span className="tabular-nums">{formatUnits(s.stake)} credits</span>
              </Field>
              <Field label="unbonding">
                <span className="tabular-nums">{formatUnits(s.unbonding)} credits</span>
              </Field>
              <Field label="nonce" title="Transactions this account has sent">
                <span className="tabular-nums">{s.nonce}</span>
              </Field>
              <Field label="registered">{s.registered ? 'yes' : 'not yet'}</Field>
              <Field label="as of block">
                <span className="tabular-nums">#{s.height}</span>
              </Field>
            </dl>
          ) : (
            <p className="mt-2 text-sm text-slate-400">
              {mine
                ? 'Reading the ledger…'
                : 'This tab keeps the figures of its own account only. The proof of state below shows what the chain holds for this key at its latest block, checked here.'}
            </p>
          )}
        </div>
        <div className={CARD}>
          <h2 className="text-sm font-medium text-slate-300">In the network</h2>
          <dl className="mt-3 grid grid-cols-[1fr_auto] gap-x-4 gap-y-2 text-sm">
            <dt className="text-slate-500" title="Validators of the next height">
              committee
            </dt>
            <dd className="text-right text-slate-200" data-testid="account-committee">
              {s === null
                ? '—'
                : member !== undefined
                  ? `validator · ${Math.round((member.power / Math.max(1, committeeStats(s).power)) * 100)} % of power`
                  : 'not a validator'}
            </dd>
            {!mine && (
              <>
                <dt className="text-slate-500">heard by this tab</dt>
                <dd className="text-right text-slate-200">
                  {connected ? 'connected' : heard ? 'yes' : 'no'}
                </dd>
              </>
            )}
            {mine && s !== null && (
              <>
                <dt className="text-slate-500">total</dt>
                <dd className="text-right tabular-nums text-slate-200">
                  {formatUnits(unitsOf(s.balance) + unitsOf(s.stake) + unitsOf(s.unbonding))}{' '}
                  credits
                </dd>
              </>
            )}
          </dl>
        </div>
      </div>

      <ProofPanel
        subject={{ account: keyHex }}
        intro="The latest block’s header and commit certificate, with this account (and its node record) proven against the block’s state root."
      />
    </div>
  )
}
