import { HoverLink as Link } from '../hover-link'
import {
  countTrust,
  describeCheck,
  formatDateTime,
  formatDuration,
  formatRelative,
  recentRefusals,
  shortId,
} from '@/lib/client/trustchain-view'
import type { MeshSnapshot } from '@/lib/client/types'
import { CheckTag } from './badges'

/**
 * This node's TrustChain standing, for the home page: its certificate (and when it expires), why
 * it has none if so, how its direct peers stand with the handshake, and who was refused and why.
 * `now` is 0 until the page runs in the browser.
 */
export function NodeTrust({ snap, now }: { snap: MeshSnapshot; now: number }): React.ReactNode {
  const counts = countTrust(snap)
  const refusals = recentRefusals(snap, 6)
  const cert = snap.certificate
  return (
    <div
      className="rounded-xl border border-slate-800 bg-slate-900/60 p-4 md:col-span-3"
      data-testid="node-trust"
    >
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h2 className="text-sm font-medium text-slate-300">TrustChain</h2>
        <p className="text-xs text-slate-500">
          Every direct link shows its certificate, logged in the public transparency log; both sides
          check the other’s before they trust it.
        </p>
        <Link
          href="/trustchain"
          className="ml-auto text-xs text-emerald-300 hover:text-emerald-200 hover:underline"
        >
          Open the log →
        </Link>
      </div>

      {snap.trustProblem !== null && (
        <div
          role="alert"
          data-testid="trust-problem"
          className="mt-3 rounded-lg border border-rose-900 bg-rose-950/50 px-3 py-2 text-sm text-rose-200"
        >
          {snap.trustProblem} The node keeps trying; direct links wait for the certificate.
        </div>
      )}

      <div className="mt-3 grid gap-4 md:grid-cols-3">
        <div className="md:col-span-2" data-testid="node-certificate">
          {cert === null ? (
            <p className="text-sm text-slate-400">
              {snap.trustProblem === null
                ? 'Getting a certificate from the CA…'
                : 'No certificate yet.'}
            </p>
          ) : (
            <Certificate cert={cert} now={now} checkpointSize={snap.checkpointSize} />
          )}
        </div>
        <div className="grid grid-cols-3 gap-2 text-center" data-testid="trust-counts">
          <Count
            label="verified"
            value={counts.verified}
            className="text-emerald-300"
            title="Direct peers whose certificate this node checked and accepted, and which accepted this node's"
          />
          <Count
            label="pending"
            value={counts.pending}
            className="text-amber-300"
            title="Direct peers whose handshake is still running"
          />
          <Count
            label="refused"
            value={counts.refused}
            className={counts.refused > 0 ? 'text-rose-300' : 'text-slate-300'}
            title="Direct peers refused by this node, or refusing it, on open connections"
          />
          <p className="col-span-3 text-xs text-slate-500">open direct links, by handshake</p>
        </div>
      </div>

      <div className="mt-4">
        <h3 className="text-xs uppercase tracking-wider text-slate-500">Last refusals</h3>
        {refusals.length === 0 ? (
          <p className="mt-1 text-sm text-slate-500">No peer has been refused.</p>
        ) : (
          <ul className="mt-1 divide-y divide-slate-800/70" data-testid="refusals">
            {refusals.map((r, i) => (
              <li
                key={`${r.peerId}-${r.at}-${i}`}
                className="flex flex-col gap-1 py-2 text-sm sm:flex-row sm:items-baseline sm:gap-3"
                data-peer-id={r.peerId}
                data-check={r.check ?? undefined}
              >
                <span className="flex shrink-0 items-center gap-2">
                  <span className="font-mono text-xs text-slate-300" title={r.peerId}>
                    {shortId(r.peerId)}
                  </span>
                  <span className={`text-xs ${r.by === 'us' ? 'text-rose-300' : 'text-amber-300'}`}>
                    {r.by === 'us' ? 'refused by this node' : 'refused this node'}
                  </span>
                  {r.check !== null && (
                    <span title={describeCheck(r.check)?.help ?? 'the check that failed'}>
                      <CheckTag check={r.check} />
                    </span>
                  )}
                </span>
                <span className="min-w-0 flex-1 text-slate-300">{r.message}</span>
                <span
                  className="shrink-0 text-xs tabular-nums text-slate-500"
                  title={formatDateTime(r.at)}
                >
                  {r.open ? 'closing' : now === 0 ? '' : formatRelative(r.at, now)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  )
}

function Certificate({
  cert,
  now,
  checkpointSize,
}: {
  cert: NonNullable<MeshSnapshot['certificate']>
  now: number
  checkpointSize: number | null
}): React.ReactNode {
  const lifetime = cert.notAfter - cert.notBefore
  const used = now === 0 || lifetime <= 0 ? 0 : Math.min(1, (now - cert.notBefore) / lifetime)
  const left = cert.notAfter - now
  const expired = now !== 0 && left <= 0
  return (
    <div>
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-xs uppercase tracking-wider text-slate-500">
          This node’s certificate
        </span>
        <span
          data-testid="certificate-verified"
          className="rounded-full bg-emerald-950 px-2 py-0.5 text-[11px] font-medium text-emerald-300 ring-1 ring-inset ring-emerald-800"
          title="This node checked its own certificate as any peer would: CA signature, validity, peer ID, revocation, the log's signed checkpoint and the inclusion proof."
        >
          ✓ verified by the log
        </span>
      </div>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">serial</dt>
        <dd className="break-all font-mono text-xs leading-5 text-slate-200" title={cert.serial}>
          {cert.serial}
        </dd>
        <dt className="text-slate-500">log entry</dt>
        <dd>
          <Link
            href={`/trustchain?index=${cert.logIndex}`}
            data-testid="certificate-log-index"
            className="font-mono text-emerald-300 hover:text-emerald-200 hover:underline"
          >
            #{cert.logIndex}
          </Link>
          <span className="ml-2 text-xs text-slate-500">
            {checkpointSize !== null
              ? `of the ${checkpointSize} in the newest checkpoint this node checked`
              : ''}
          </span>
        </dd>
        <dt className="text-slate-500">expires</dt>
        <dd className={expired ? 'text-rose-300' : 'text-slate-200'}>
          <span data-testid="certificate-expiry" className="tabular-nums">
            {now === 0
              ? formatDateTime(cert.notAfter)
              : expired
                ? `expired ${formatDuration(-left)} ago`
                : `in ${formatDuration(left)}`}
          </span>
          <span className="ml-2 text-xs text-slate-500">renewed automatically before then</span>
          <div
            className="mt-1 h-1 w-full max-w-xs overflow-hidden rounded-full bg-slate-800"
            role="img"
            aria-label={`${Math.round(used * 100)}% of the certificate's lifetime used`}
          >
            <div
              className={`h-full rounded-full ${used > 0.9 ? 'bg-rose-400' : used > 0.66 ? 'bg-amber-400' : 'bg-emerald-400'}`}
              style={{ width: `${used * 100}%` }}
            />
          </div>
        </dd>
      </dl>
    </div>
  )
}

function Count({
  label,
  value,
  className,
  title,
}: {
  label: string
  value: number
  className: string
  title: string
}): React.ReactNode {
  return (
    <div title={title} data-testid={`trust-count-${label}`}>
      <div className={`text-2xl font-semibold tabular-nums ${className}`}>{value}</div>
      <div className="text-xs text-slate-500">{label}</div>
    </div>
  )
}
