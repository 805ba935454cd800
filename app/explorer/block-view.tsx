'use client'
import Link from 'next/link'
import { explorerRoute, formatAge, formatTime, txLine } from '@/lib/client/chain-view'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { useSecondClock } from '../trustchain/clock'
import { CARD, Field, LedgerNotice, PeerLink, Problem, Spinner, TxLink } from './bits'
import { useChainQuery } from './use-chain'

/** One block: its header, the validators whose precommits commit it, its transactions. */
export function BlockView({ height }: { height: number }): React.ReactNode {
  const snap = useMeshSnapshot()
  const now = useSecondClock()
  const tip = snap.ledger.summary?.height ?? null
  const selfKey = snap.ledger.publicKey
  const entry = useChainQuery('block', { height }, tip)
  const found = entry.data ?? null
  const b = found?.block

  return (
    <div className="space-y-6">
      <LedgerNotice ledger={snap.ledger} />
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold tracking-tight">
          Block <span className="tabular-nums text-emerald-300">#{height}</span>
        </h1>
        <nav className="ml-auto flex gap-2 text-xs" aria-label="Neighbouring blocks">
          {height > 1 && (
            <Link
              href={explorerRoute({ kind: 'block', height: height - 1 })}
              className="rounded-md border border-slate-700 px-2.5 py-1 text-slate-300 hover:border-emerald-500 hover:text-emerald-300"
            >
              ← #{height - 1}
            </Link>
          )}
          {tip !== null && height < tip && (
            <Link
              href={explorerRoute({ kind: 'block', height: height + 1 })}
              className="rounded-md border border-slate-700 px-2.5 py-1 text-slate-300 hover:border-emerald-500 hover:text-emerald-300"
            >
              #{height + 1} →
            </Link>
          )}
          <Link
            href="/explorer"
            className="rounded-md border border-slate-700 px-2.5 py-1 text-slate-300 hover:border-emerald-500 hover:text-emerald-300"
          >
            All blocks
          </Link>
        </nav>
      </div>

      {entry.problem !== null && <Problem>{entry.problem}</Problem>}

      {b === undefined ? (
        <div className={CARD} data-testid="block-missing">
          {entry.data === null ? (
            <p className="text-sm text-slate-400">
              {tip !== null && height > tip
                ? `Block #${height} is not committed yet: the chain is at #${tip}. This page shows it as soon as it is.`
                : `This node does not hold block #${height}.`}
            </p>
          ) : (
            <p className="flex items-center gap-2 text-sm text-slate-400">
              <Spinner /> Reading block #{height} from this tab’s chain…
            </p>
          )}
        </div>
      ) : (
        <>
          <div className="grid gap-4 md:grid-cols-3">
            <div className={`${CARD} min-w-0 md:col-span-2`} data-testid="block-header">
              <h2 className="text-sm font-medium text-slate-300">Header</h2>
              <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
                <Field label="hash">
                  <span className="break-all font-mono text-xs" data-testid="block-hash">
                    {b.hash}
                  </span>
                </Field>
                <Field label="time" title="BFT time: the weighted median of the validators' clocks">
                  {formatTime(b.time)}{' '}
                  <span className="text-xs text-slate-500">{formatAge(b.time, now)}</span>
                </Field>
                <Field label="proposer">
                  <PeerLink keyHex={b.proposer} selfKey={selfKey} full />
                </Field>
                <Field
                  label="state root"
                  title="Root of the ledger's Merkle state after this block"
                >
                  <span className="break-all font-mono text-xs text-slate-400">{b.stateRoot}</span>
                </Field>
                <Field label="transactions">
                  <span className="tabular-nums">{b.txs}</span>
                </Field>
                <Field label="signers" title="Precommits in the block's commit certificate">
                  <span className="tabular-nums">{b.signers.length}</span>
                </Field>
                {tip !== null && (
                  <Field label="confirmations">
                    <span className="tabular-nums">{Math.max(0, tip - b.height)}</span>
                    <span className="ml-2 text-xs text-slate-500">
                      final at once: a committed block is never undone
                    </span>
                  </Field>
                )}
              </dl>
            </div>
            <div className={`${CARD} min-w-0`} data-testid="block-signers">
              <h2 className="text-sm font-medium text-slate-300">
                Signed by {b.signers.length} validator{b.signers.length === 1 ? '' : 's'}
              </h2>
              <p className="mt-1 text-xs text-slate-500">
                Their precommits in the commit certificate carry more than two thirds of the
                committee’s power.
              </p>
              <ul className="mt-3 space-y-1.5">
                {b.signers.map((k) => (
                  <li key={k} className="flex items-center gap-2">
                    <PeerLink keyHex={k} selfKey={selfKey} />
                    {k === b.proposer && (
                      <span className="text-[10px] uppercase tracking-wide text-slate-500">
                        proposer
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            </div>
          </div>

          <div className={CARD}>
            <h2 className="text-sm font-medium text-slate-300">Transactions</h2>
            {found === null || found.txs.length === 0 ? (
              <p className="mt-2 text-sm text-slate-500">No transaction in this block.</p>
            ) : (
              <div className="mt-2 overflow-x-auto">
                <table className="w-full text-left text-sm" data-testid="block-txs">
                  <thead className="text-xs text-slate-500">
                    <tr>
                      <th className="py-1 pr-3 font-normal">hash</th>
                      <th className="py-1 pr-3 font-normal">kind</th>
                      <th className="py-1 pr-3 font-normal">from</th>
                      <th className="hidden py-1 pr-3 font-normal sm:table-cell">what</th>
                      <th className="hidden py-1 text-right font-normal md:table-cell">nonce</th>
                    </tr>
                  </thead>
                  <tbody>
                    {found.txs.map((tx) => (
                      <tr
                        key={tx.hash}
                        className="h-9 border-t border-slate-800/70"
                        data-testid="block-tx"
                      >
                        <td className="pr-3">
                          <TxLink hash={tx.hash} />
                        </td>
                        <td className="pr-3">
                          <KindTag kind={tx.kind} />
                        </td>
                        <td className="pr-3">
                          {tx.from === '' ? '—' : <PeerLink keyHex={tx.from} selfKey={selfKey} />}
                        </td>
                        <td className="hidden pr-3 text-xs text-slate-300 sm:table-cell">
                          {txLine(tx)}
                        </td>
                        <td className="hidden text-right tabular-nums text-slate-400 md:table-cell">
                          {tx.nonce}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
        </>
      )}
    </div>
  )
}

/** A transaction kind as a small tag. */
export function KindTag({ kind }: { kind: string }): React.ReactNode {
  return (
    <span className="whitespace-nowrap rounded bg-slate-800 px-1.5 py-0.5 font-mono text-[11px] text-slate-300">
      {kind}
    </span>
  )
}
