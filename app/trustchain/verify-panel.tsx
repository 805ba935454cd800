'use client'
import {
  CHECK_LABELS,
  formatDateTime,
  shortId,
  type CheckOutcome,
  type PeerTrustView,
  type VerificationReport,
} from '@/lib/client/trustchain-view'
import { InclusionPath } from './inclusion-path'

/** Where the certificate to check comes from. */
export type VerifySource =
  | { kind: 'self' }
  | { kind: 'peer'; peerId: string; logIndex: number | null }
  | { kind: 'index'; index: number }

/** The checker's state (see useVerifier in explorer.tsx). */
export interface VerifierState {
  /** The certificate being checked, or typed in. */
  pem: string
  /** The peer the certificate must belong to (a connected peer, this node); null otherwise. */
  expectedPeerId: string | null
  /** What is being checked, for the heading ("the certificate at log entry #4"). */
  subject: string | null
  /** What is being fetched, while it is. */
  loading: string | null
  report: VerificationReport | null
  /** Why nothing could be checked, in a sentence. */
  problem: string | null
  /** Counts checks, so each one draws its picture afresh. */
  run: number
}

/** A direct peer of this node, offered as something to check. */
export interface DirectPeer {
  peerId: string
  trust: PeerTrustView
}

const ICON: Record<CheckOutcome['state'], { mark: string; className: string; label: string }> = {
  pass: {
    mark: '✓',
    className: 'bg-emerald-500/15 text-emerald-300 ring-emerald-700',
    label: 'passed',
  },
  fail: { mark: '✗', className: 'bg-rose-500/15 text-rose-300 ring-rose-700', label: 'failed' },
  pending: { mark: '', className: 'text-slate-400 ring-slate-700', label: 'running' },
  skipped: { mark: '–', className: 'text-slate-500 ring-slate-800', label: 'not run' },
  'not-applicable': {
    mark: '○',
    className: 'text-slate-400 ring-slate-700',
    label: 'nothing to check',
  },
}

/**
 * "Verify a certificate": pick this node's certificate or a connected peer's, or paste a PEM;
 * the checks are listed as they run, then the inclusion path is drawn.
 */
export function VerifyPanel({
  state,
  peers,
  hasOwnCertificate,
  onChoose,
  onPemChange,
  onCheckPem,
}: {
  state: VerifierState
  peers: DirectPeer[]
  hasOwnCertificate: boolean
  onChoose: (source: VerifySource) => void
  onPemChange: (pem: string) => void
  onCheckPem: (pem: string) => void
}): React.ReactNode {
  const report = state.report
  const busy = state.loading !== null || report?.state === 'running'
  return (
    <div
      className="rounded-xl border border-slate-800 bg-slate-900/60 p-4"
      data-testid="verify-panel"
    >
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h2 className="text-sm font-medium text-slate-300">Verify a certificate</h2>
        <p className="text-xs text-slate-500">
          The checks every peer runs on a new link, run here in your browser against the log.
        </p>
      </div>

      <div className="mt-3 grid gap-5 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <div className="space-y-3">
          <div className="flex flex-wrap gap-2">
            <button
              type="button"
              disabled={!hasOwnCertificate}
              onClick={() => onChoose({ kind: 'self' })}
              className="rounded-md border border-slate-700 bg-slate-900 px-2.5 py-1 text-xs text-slate-200 hover:border-emerald-500 hover:text-emerald-300 disabled:cursor-not-allowed disabled:opacity-40 disabled:hover:border-slate-700 disabled:hover:text-slate-200"
              title={hasOwnCertificate ? undefined : 'This node has no certificate yet'}
            >
              This node’s certificate
            </button>
            <select
              aria-label="A connected peer's certificate"
              data-testid="verify-peer"
              value=""
              disabled={peers.length === 0}
              onChange={(e) => {
                const peer = peers.find((p) => p.peerId === e.target.value)
                if (peer !== undefined) {
                  onChoose({ kind: 'peer', peerId: peer.peerId, logIndex: peer.trust.logIndex })
                }
              }}
              className="min-w-0 max-w-full rounded-md border border-slate-700 bg-slate-900 px-2 py-1 text-xs text-slate-200 hover:border-emerald-500 disabled:opacity-40"
            >
              <option value="" disabled>
                {peers.length === 0 ? 'No direct peer yet' : 'A connected peer’s certificate…'}
              </option>
              {peers.map((p) => (
                <option key={p.peerId} value={p.peerId}>
                  {shortId(p.peerId)} · {p.trust.state}
                </option>
              ))}
            </select>
          </div>
          <label className="block">
            <span className="text-xs text-slate-500">
              …or paste a certificate (PEM), or press <em>Verify</em> on one of the newest
              certificates below
            </span>
            <textarea
              value={state.pem}
              onChange={(e) => onPemChange(e.target.value)}
              spellCheck={false}
              wrap="off"
              rows={9}
              placeholder={'-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----'}
              data-testid="verify-pem"
              className="mt-1 block w-full resize-y rounded-lg border border-slate-800 bg-slate-950 p-2 font-mono text-[11px] leading-4 text-slate-300 placeholder:text-slate-700 focus:border-emerald-600 focus:outline-none"
            />
          </label>
          <button
            type="button"
            onClick={() => onCheckPem(state.pem)}
            disabled={state.pem.trim() === '' || busy}
            data-testid="verify-run"
            className="rounded-md bg-emerald-500 px-3 py-1.5 text-sm font-medium text-slate-950 hover:bg-emerald-400 disabled:cursor-not-allowed disabled:opacity-40"
          >
            {busy ? 'Checking…' : 'Verify'}
          </button>
          {state.expectedPeerId !== null && (
            <p className="text-xs text-slate-500">
              Checked as a peer connected to{' '}
              <span className="font-mono text-slate-400" title={state.expectedPeerId}>
                {shortId(state.expectedPeerId)}
              </span>{' '}
              would: the certificate must be that peer’s.
            </p>
          )}
        </div>

        <div className="min-w-0" aria-live="polite">
          {state.loading !== null ? (
            <p className="flex items-center gap-2 text-sm text-slate-400">
              <Spinner /> {state.loading}
            </p>
          ) : state.problem !== null ? (
            <p
              role="alert"
              className="rounded-lg border border-amber-900 bg-amber-950/40 px-3 py-2 text-sm text-amber-200"
            >
              {state.problem}
            </p>
          ) : report === null ? (
            <EmptyChecks />
          ) : (
            <Results report={report} subject={state.subject} />
          )}
        </div>
      </div>

      {report?.picture != null && state.loading === null && (
        <div className="mt-6 border-t border-slate-800 pt-4">
          <InclusionPath key={state.run} picture={report.picture} />
        </div>
      )}
      {report?.tlogProof != null && state.loading === null && (
        <details className="mt-4 text-xs text-slate-400">
          <summary className="cursor-pointer hover:text-slate-200">
            The tlog-proof this certificate’s holder presents (c2sp.org/tlog-proof)
          </summary>
          <pre
            className="mt-2 overflow-x-auto rounded-lg border border-slate-800 bg-slate-950 p-3 font-mono text-[11px] leading-4 text-slate-300"
            data-testid="verify-tlog-proof"
          >
            {report.tlogProof}
          </pre>
        </details>
      )}
    </div>
  )
}

function EmptyChecks(): React.ReactNode {
  return (
    <ol className="space-y-2 opacity-60">
      {Object.entries(CHECK_LABELS).map(([check, label]) => (
        <li key={check} className="flex items-start gap-3">
          <span className="mt-0.5 inline-block h-5 w-5 shrink-0 rounded-full ring-1 ring-inset ring-slate-800" />
          <span className="text-sm">
            <span className="text-slate-400">{label.title}</span>
            <span className="ml-2 text-xs text-slate-600">{label.help}</span>
          </span>
        </li>
      ))}
    </ol>
  )
}

function Results({
  report,
  subject,
}: {
  report: VerificationReport
  subject: string | null
}): React.ReactNode {
  const failed = report.checks.filter((c) => c.state === 'fail')
  const first = failed[0]
  const cert = report.certificate
  return (
    <div data-testid="verify-result" data-state={report.state}>
      {subject !== null && <p className="mb-2 text-xs text-slate-500">Checking {subject}</p>}
      <Verdict report={report} firstFailure={first} />
      <ol className="mt-3 space-y-2" data-testid="verify-checks">
        {report.checks.map((c) => (
          <CheckRow key={c.check} outcome={c} />
        ))}
      </ol>
      {cert !== null && (
        <dl className="mt-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 border-t border-slate-800 pt-3 text-xs">
          <dt className="text-slate-500">serial</dt>
          <dd className="break-all font-mono text-slate-300">{cert.serialHex}</dd>
          <dt className="text-slate-500">peer</dt>
          <dd className="break-all font-mono text-slate-300">{cert.peerId ?? '(a CA)'}</dd>
          <dt className="text-slate-500">valid</dt>
          <dd className="text-slate-300">
            {formatDateTime(cert.notBefore)} → {formatDateTime(cert.notAfter)}
          </dd>
          {report.logIndex !== null && (
            <>
              <dt className="text-slate-500">log entry</dt>
              <dd className="font-mono text-slate-300">
                #{report.logIndex}
                {report.checkpoint !== null && ` of ${report.checkpoint.size}`}
              </dd>
            </>
          )}
        </dl>
      )}
    </div>
  )
}

function Verdict({
  report,
  firstFailure,
}: {
  report: VerificationReport
  firstFailure: CheckOutcome | undefined
}): React.ReactNode {
  if (report.state === 'running') {
    return (
      <p className="flex items-center gap-2 rounded-lg border border-slate-800 bg-slate-950/60 px-3 py-2 text-sm text-slate-300">
        <Spinner /> Checking…
      </p>
    )
  }
  if (report.state === 'error') {
    return (
      <p
        role="alert"
        className="rounded-lg border border-amber-900 bg-amber-950/40 px-3 py-2 text-sm text-amber-200"
      >
        The check could not finish: {report.problem}
      </p>
    )
  }
  if (report.state === 'valid') {
    return (
      <p className="rounded-lg border border-emerald-800 bg-emerald-950/50 px-3 py-2 text-sm text-emerald-200">
        <span className="font-semibold">✓ Valid.</span> Peers accept this certificate: it is signed
        by the CA, current, and in the log the checkpoint commits to.
      </p>
    )
  }
  return (
    <p
      role="alert"
      className="rounded-lg border border-rose-900 bg-rose-950/50 px-3 py-2 text-sm text-rose-200"
    >
      <span className="font-semibold">✗ Peers refuse this certificate</span>
      {firstFailure !== undefined && (
        <>
          {' '}
          at the <span className="font-mono">{firstFailure.check}</span> check:{' '}
          {firstFailure.message}
        </>
      )}
    </p>
  )
}

function CheckRow({ outcome }: { outcome: CheckOutcome }): React.ReactNode {
  const icon = ICON[outcome.state]
  const label = CHECK_LABELS[outcome.check]
  return (
    <li
      className="flex items-start gap-3"
      data-testid="verify-check"
      data-check={outcome.check}
      data-state={outcome.state}
    >
      <span
        className={`mt-0.5 inline-flex h-5 w-5 shrink-0 items-center justify-center rounded-full text-xs font-bold ring-1 ring-inset ${icon.className}`}
        aria-label={icon.label}
        title={icon.label}
      >
        {outcome.state === 'pending' ? <Spinner /> : icon.mark}
      </span>
      <div className="min-w-0 text-sm">
        <p>
          <span
            className={
              outcome.state === 'fail'
                ? 'font-medium text-rose-200'
                : outcome.state === 'pass'
                  ? 'text-slate-100'
                  : 'text-slate-400'
            }
          >
            {label.title}
          </span>
          <span className="ml-2 text-xs text-slate-500">{label.help}</span>
        </p>
        {outcome.message !== null && (
          <p
            className={`mt-0.5 break-words text-xs ${outcome.state === 'fail' ? 'text-rose-300' : 'text-slate-400'}`}
          >
            {outcome.message}
            {outcome.error !== null && outcome.state === 'fail' && (
              <span className="ml-1 font-mono text-[10px] text-rose-400/70">
                {outcome.error.code}
              </span>
            )}
          </p>
        )}
      </div>
    </li>
  )
}

function Spinner(): React.ReactNode {
  return (
    <span
      aria-hidden
      className="inline-block h-3 w-3 animate-spin rounded-full border-2 border-slate-600 border-t-emerald-400"
    />
  )
}
