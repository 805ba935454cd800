'use client'
import { useEffect, useRef, useState } from 'react'
import {
  chainRequest,
  describeChainError,
  formatBytes,
  formatTime,
  proofCheckLabel,
  proofFileName,
  shortHash,
  type ProofCheck,
  type ProofOfStateReport,
} from '@/lib/client/chain-view'
import { assetProofFileName } from '@/lib/client/asset-explorer'
import { BlockLink, CARD, Spinner } from './bits'

/**
 * What a proof is of: a committed transaction, an account (and its node) at the tip, or an asset
 * (its record and its owner's node record) at the tip.
 */
export type ProofSubject = { tx: string } | { account: string } | { asset: string }

interface Exported {
  bytes: Uint8Array
  url: string
}

type ExportState =
  | { state: 'idle' }
  | { state: 'loading' }
  | { state: 'done'; bundle: Exported }
  | { state: 'none' }
  | { state: 'error'; problem: string }

type VerifyState =
  | { state: 'idle' }
  | { state: 'running'; source: string }
  | { state: 'done'; source: string; report: ProofOfStateReport }
  | { state: 'error'; problem: string }

/** The checks a bundle of this subject goes through, shown greyed out before a verification. */
function expectedChecks(subject: ProofSubject): ProofCheck['name'][] {
  const common: ProofCheck['name'][] = ['format', 'chain', 'committee', 'certificate', 'time']
  return 'tx' in subject ? [...common, 'facts', 'transaction'] : [...common, 'facts']
}

/**
 * Proof of state: export the bundle this tab's node builds (a block header, its commit
 * certificate, the committee, facts with their Merkle proofs, the transaction with its path) as a
 * file, and verify it — or any bundle file — in this browser, each check listed with its detail.
 */
export function ProofPanel({
  subject,
  intro,
}: {
  subject: ProofSubject
  intro: React.ReactNode
}): React.ReactNode {
  const [exported, setExported] = useState<ExportState>({ state: 'idle' })
  const [verified, setVerified] = useState<VerifyState>({ state: 'idle' })
  const run = useRef(0)
  const fileName = 'asset' in subject ? assetProofFileName(subject.asset) : proofFileName(subject)
  const url = exported.state === 'done' ? exported.bundle.url : null
  useEffect(() => () => (url !== null ? URL.revokeObjectURL(url) : undefined), [url])

  const exportBundle = async (): Promise<Exported | null> => {
    setExported({ state: 'loading' })
    try {
      const bytes = await chainRequest('proof', subject)
      if (bytes === null) {
        setExported({ state: 'none' })
        return null
      }
      const bundle = {
        bytes,
        url: URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: 'application/cbor' })),
      }
      setExported({ state: 'done', bundle })
      return bundle
    } catch (err) {
      setExported({ state: 'error', problem: describeChainError(err) })
      return null
    }
  }

  const verify = async (bytes: Uint8Array | null, source: string): Promise<void> => {
    const id = ++run.current
    setVerified({ state: 'running', source })
    try {
      let bundle = bytes
      if (bundle === null) {
        bundle =
          exported.state === 'done'
            ? exported.bundle.bytes
            : ((await exportBundle())?.bytes ?? null)
        if (bundle === null) {
          if (id === run.current) setVerified({ state: 'idle' })
          return
        }
      }
      const report = await chainRequest('verify', { bundle })
      if (id === run.current) setVerified({ state: 'done', source, report })
    } catch (err) {
      if (id === run.current) setVerified({ state: 'error', problem: describeChainError(err) })
    }
  }

  const busy = exported.state === 'loading' || verified.state === 'running'
  const button =
    'rounded-md border border-slate-700 bg-slate-900 px-2.5 py-1 text-xs text-slate-200 hover:border-emerald-500 hover:text-emerald-300 disabled:cursor-not-allowed disabled:opacity-40 disabled:hover:border-slate-700 disabled:hover:text-slate-200'

  return (
    <div className={CARD} data-testid="proof-panel">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h2 className="text-sm font-medium text-slate-300">Proof of state</h2>
        <p className="text-xs text-slate-500">{intro}</p>
      </div>

      <div className="mt-3 grid gap-5 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <div className="space-y-3">
          <div className="flex flex-wrap gap-2">
            <button
              type="button"
              className={button}
              disabled={busy}
              onClick={() => void exportBundle()}
              data-testid="proof-export"
            >
              Export proof
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() => void verify(null, 'the exported bundle')}
              data-testid="proof-verify"
              className="rounded-md bg-emerald-500 px-3 py-1 text-xs font-medium text-slate-950 hover:bg-emerald-400 disabled:cursor-not-allowed disabled:opacity-40"
            >
              {verified.state === 'running' ? 'Checking…' : 'Verify'}
            </button>
          </div>

          <div className="min-h-[3.5rem] text-sm" data-testid="proof-export-result">
            {exported.state === 'loading' && (
              <p className="flex items-center gap-2 text-slate-400">
                <Spinner /> Building the bundle…
              </p>
            )}
            {exported.state === 'none' && (
              <p className="text-slate-400">
                {'tx' in subject
                  ? 'This node’s chain holds no such transaction: there is nothing to prove yet.'
                  : 'asset' in subject
                    ? 'This node’s chain holds no record of this asset at its latest block, or has no committed block yet.'
                    : 'This node’s chain holds no account or node record for this key at its latest block.'}
              </p>
            )}
            {exported.state === 'error' && (
              <p role="alert" className="text-amber-200">
                {exported.problem}
              </p>
            )}
            {exported.state === 'done' && (
              <div className="space-y-1">
                <p className="text-slate-300">
                  Bundle ready:{' '}
                  <span className="tabular-nums" data-testid="proof-size">
                    {formatBytes(exported.bundle.bytes.length)}
                  </span>{' '}
                  of dag-cbor.
                </p>
                <a
                  href={exported.bundle.url}
                  download={fileName}
                  data-testid="proof-download"
                  className="inline-block break-all font-mono text-xs text-emerald-300 hover:text-emerald-200 hover:underline"
                >
                  ↓ {fileName}
                </a>
              </div>
            )}
            {exported.state === 'idle' && (
              <p className="text-xs text-slate-500">
                The bundle is a file anyone can check offline against the committee’s keys; give it
                to someone, or check one you were given:
              </p>
            )}
          </div>

          <label className="block text-xs text-slate-500">
            Verify a bundle file
            <input
              type="file"
              accept=".cbor,application/cbor"
              disabled={verified.state === 'running'}
              data-testid="proof-file"
              onChange={(e) => {
                const file = e.target.files?.[0]
                e.target.value = ''
                if (file === undefined) return
                void file
                  .arrayBuffer()
                  .then((buf) => verify(new Uint8Array(buf), `the file ${file.name}`))
              }}
              className="mt-1 block w-full text-xs text-slate-400 file:mr-3 file:rounded-md file:border file:border-slate-700 file:bg-slate-900 file:px-2.5 file:py-1 file:text-xs file:text-slate-200 hover:file:border-emerald-500"
            />
          </label>
        </div>

        <div className="min-w-0" aria-live="polite">
          {verified.state === 'idle' && <EmptyChecks names={expectedChecks(subject)} />}
          {verified.state === 'running' && (
            <p className="flex items-center gap-2 rounded-lg border border-slate-800 bg-slate-950/60 px-3 py-2 text-sm text-slate-300">
              <Spinner /> Checking {verified.source}…
            </p>
          )}
          {verified.state === 'error' && (
            <p
              role="alert"
              className="rounded-lg border border-amber-900 bg-amber-950/40 px-3 py-2 text-sm text-amber-200"
            >
              The check could not run: {verified.problem}
            </p>
          )}
          {verified.state === 'done' && (
            <Results report={verified.report} source={verified.source} />
          )}
        </div>
      </div>
    </div>
  )
}

function EmptyChecks({ names }: { names: ProofCheck['name'][] }): React.ReactNode {
  return (
    <ol className="space-y-2 opacity-60">
      {names.map((name) => {
        const label = proofCheckLabel(name)
        return (
          <li key={name} className="flex items-start gap-3">
            <span className="mt-0.5 inline-block h-5 w-5 shrink-0 rounded-full ring-1 ring-inset ring-slate-800" />
            <span className="text-sm">
              <span className="text-slate-400">{label.title}</span>
              <span className="ml-2 text-xs text-slate-600">{label.help}</span>
            </span>
          </li>
        )
      })}
    </ol>
  )
}

function Results({
  report,
  source,
}: {
  report: ProofOfStateReport
  source: string
}): React.ReactNode {
  const first = report.checks.find((c) => !c.ok)
  return (
    <div data-testid="proof-result" data-ok={report.ok}>
      <p className="mb-2 text-xs text-slate-500">
        Checked {source} in this browser, against the blocks this tab’s node verified and its clock.
      </p>
      {report.ok ? (
        <p
          className="rounded-lg border border-emerald-800 bg-emerald-950/50 px-3 py-2 text-sm text-emerald-200"
          data-testid="proof-verdict"
        >
          <span className="font-semibold">✓ Valid.</span> Finalized by the committee, and every fact
          it holds is in the block’s state.
        </p>
      ) : (
        <p
          role="alert"
          className="rounded-lg border border-rose-900 bg-rose-950/50 px-3 py-2 text-sm text-rose-200"
          data-testid="proof-verdict"
        >
          <span className="font-semibold">✗ Not proven</span>
          {first !== undefined && (
            <>
              {' '}
              at the <span className="font-mono">{first.name}</span> check: {first.detail}
            </>
          )}
        </p>
      )}
      <ol className="mt-3 space-y-2" data-testid="proof-checks">
        {report.checks.map((c, i) => (
          <CheckRow key={`${c.name}-${i}`} check={c} />
        ))}
      </ol>
      {report.height !== null && (
        <dl className="mt-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 border-t border-slate-800 pt-3 text-xs">
          <dt className="text-slate-500">block</dt>
          <dd>
            <BlockLink height={report.height} />
          </dd>
          {report.blockHash !== null && (
            <>
              <dt className="text-slate-500">hash</dt>
              <dd className="font-mono text-slate-300" title={report.blockHash}>
                {shortHash(report.blockHash, 16, 8)}
              </dd>
            </>
          )}
          {report.time !== null && (
            <>
              <dt className="text-slate-500">time</dt>
              <dd className="text-slate-300">{formatTime(report.time)}</dd>
            </>
          )}
        </dl>
      )}
    </div>
  )
}

function CheckRow({ check }: { check: ProofCheck }): React.ReactNode {
  const label = proofCheckLabel(check.name)
  return (
    <li
      className="flex items-start gap-3"
      data-testid="proof-check"
      data-check={check.name}
      data-ok={check.ok}
    >
      <span
        className={`mt-0.5 inline-flex h-5 w-5 shrink-0 items-center justify-center rounded-full text-xs font-bold ring-1 ring-inset ${check.ok ? 'bg-emerald-500/15 text-emerald-300 ring-emerald-700' : 'bg-rose-500/15 text-rose-300 ring-rose-700'}`}
        aria-label={check.ok ? 'passed' : 'failed'}
        title={check.ok ? 'passed' : 'failed'}
      >
        {check.ok ? '✓' : '✗'}
      </span>
      <div className="min-w-0 text-sm">
        <p>
          <span className={check.ok ? 'text-slate-100' : 'font-medium text-rose-200'}>
            {label.title}
          </span>
          <span className="ml-2 text-xs text-slate-500">{label.help}</span>
        </p>
        <p
          className={`mt-0.5 break-words text-xs ${check.ok ? 'text-slate-400' : 'text-rose-300'}`}
        >
          {check.detail}
        </p>
      </div>
    </li>
  )
}
