'use client'
import { useSyncExternalStore } from 'react'
import {
  IDLE_TX,
  formatUnits,
  sendTracker,
  stakeTracker,
  txFields,
  type TxField,
} from '@/lib/client/chain-view'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { BlockLink, CARD, Field, LedgerNotice, PeerLink, Problem, Spinner } from './bits'
import { KindTag } from './block-view'
import { ProofPanel } from './proof-panel'
import { useChainQuery } from './use-chain'

/** A committed transaction: its fields, its block, and a proof of state to export and verify. */
export function TxView({ hash }: { hash: string }): React.ReactNode {
  const snap = useMeshSnapshot()
  const tip = snap.ledger.summary?.height ?? null
  const selfKey = snap.ledger.publicKey
  const entry = useChainQuery('tx', { hash }, tip)
  const send = useSyncExternalStore(sendTracker.subscribe, sendTracker.getSnapshot, () => IDLE_TX)
  const stake = useSyncExternalStore(
    stakeTracker.subscribe,
    stakeTracker.getSnapshot,
    () => IDLE_TX,
  )
  const sentHere = [send, stake].some((t) => t.txHash === hash && t.phase === 'pending')
  const found = entry.data ?? null
  const tx = found?.tx

  return (
    <div className="space-y-6">
      <LedgerNotice ledger={snap.ledger} />
      <section className="min-w-0">
        <h1 className="flex flex-wrap items-center gap-3 text-2xl font-semibold tracking-tight">
          Transaction
          {tx !== undefined && <KindTag kind={tx.kind} />}
        </h1>
        <p className="mt-1 break-all font-mono text-sm text-slate-400" data-testid="tx-hash">
          {hash}
        </p>
      </section>

      {entry.problem !== null && <Problem>{entry.problem}</Problem>}

      {tx === undefined || found === null ? (
        <div className={CARD} data-testid="tx-missing">
          {entry.data === null ? (
            <p className="flex items-center gap-2 text-sm text-slate-400">
              {sentHere ? (
                <>
                  <Spinner /> This node sent it: waiting for a block… This page shows it as soon as
                  it is committed.
                </>
              ) : (
                'No committed transaction has this hash in this node’s chain. A transaction still waiting for a block shows here once it is in one.'
              )}
            </p>
          ) : (
            <p className="flex items-center gap-2 text-sm text-slate-400">
              <Spinner /> Looking for the transaction in this tab’s chain…
            </p>
          )}
        </div>
      ) : (
        <>
          <div className={CARD} data-testid="tx-fields">
            <h2 className="text-sm font-medium text-slate-300">Fields</h2>
            <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
              <Field label="block">
                <span data-testid="tx-block">
                  <BlockLink height={found.height} />
                </span>
                <span className="ml-2 text-xs text-slate-500">
                  transaction {found.index + 1} of the block
                </span>
              </Field>
              <Field label="kind">
                <span className="font-mono">{tx.kind}</span>
              </Field>
              <Field label="from">
                {tx.from === '' ? '—' : <PeerLink keyHex={tx.from} selfKey={selfKey} full />}
              </Field>
              <Field label="nonce" title="The sender's sequence number: each is used once">
                <span className="tabular-nums">{tx.nonce}</span>
              </Field>
              <Field label="fee">
                <span className="tabular-nums">{formatUnits(tx.fee)} credits</span>
              </Field>
              {txFields(tx).map((f) => (
                <Field key={f.name} label={f.name}>
                  <FieldValue field={f} selfKey={selfKey} />
                </Field>
              ))}
            </dl>
          </div>
          <ProofPanel
            subject={{ tx: hash }}
            intro="The block header, its commit certificate and the transaction’s Merkle path: shows anyone, offline, that this transaction is final."
          />
        </>
      )}
    </div>
  )
}

function FieldValue({
  field,
  selfKey,
}: {
  field: TxField
  selfKey: string | null
}): React.ReactNode {
  switch (field.type) {
    case 'credits':
      return <span className="tabular-nums">{field.text}</span>
    case 'account':
      return <PeerLink keyHex={field.label.key} selfKey={selfKey} full />
    case 'text':
      return <span className="break-all font-mono text-xs text-slate-300">{field.text}</span>
  }
}
