'use client'
import { useMemo } from 'react'
import {
  formatDateTime,
  formatRelative,
  shortId,
  type LogWatchState,
} from '@/lib/client/trustchain-view'
import { TrustBadge } from './badges'
import type { DirectPeer } from './verify-panel'

/**
 * The newest certificates in the log, newest first: serial, peer, log entry, validity and
 * whether the log revoked it; each with a button that runs the checker on it.
 */
export function CertificateTable({
  log,
  now,
  selfId,
  peers,
  onVerify,
}: {
  log: LogWatchState
  now: number
  selfId: string | null
  peers: DirectPeer[]
  onVerify: (logIndex: number) => void
}): React.ReactNode {
  const revoked = useMemo(
    () => new Map(log.revocations.map((r) => [r.serialHex, r])),
    [log.revocations],
  )
  const direct = useMemo(() => new Map(peers.map((p) => [p.peerId, p.trust])), [peers])
  return (
    <div className="rounded-xl border border-slate-800 bg-slate-900/60 p-4">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h2 className="text-sm font-medium text-slate-300">Newest certificates</h2>
        <p className="text-xs text-slate-500">
          Each one a leaf of the log; refreshed as the log grows. Hover a peer for its full ID.
        </p>
      </div>
      {log.certificates.length === 0 ? (
        <p className="mt-2 text-sm text-slate-500">
          {log.status === null ? 'Reading the log…' : 'No certificate in the log yet.'}
        </p>
      ) : (
        <div className="mt-2 overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="certificates">
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="py-1 pr-3 font-normal">entry</th>
                <th className="hidden py-1 pr-3 font-normal md:table-cell">serial</th>
                <th className="py-1 pr-3 font-normal">peer</th>
                <th className="hidden py-1 pr-3 font-normal sm:table-cell">issued</th>
                <th className="py-1 pr-3 font-normal">expires</th>
                <th className="py-1 pr-3 font-normal">status</th>
                <th className="py-1 font-normal">
                  <span className="sr-only">actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {log.certificates.map((c) => {
                const revocation = revoked.get(c.serialHex)
                const expired = now !== 0 && now > c.notAfter
                const trust = direct.get(c.peerId)
                return (
                  <tr
                    key={c.serialHex}
                    className="border-t border-slate-800/70"
                    data-log-index={c.logIndex}
                    data-serial={c.serialHex}
                  >
                    <td className="py-1.5 pr-3 font-mono text-xs tabular-nums text-slate-300">
                      #{c.logIndex}
                    </td>
                    <td
                      className="hidden py-1.5 pr-3 font-mono text-xs text-slate-400 md:table-cell"
                      title={c.serialHex}
                    >
                      {c.serialHex.slice(0, 12)}…
                    </td>
                    <td className="py-1.5 pr-3">
                      <span className="flex flex-wrap items-center gap-1.5">
                        <span
                          className="whitespace-nowrap font-mono text-xs text-slate-200"
                          title={c.peerId}
                        >
                          {shortId(c.peerId)}
                        </span>
                        {c.peerId === selfId && (
                          <span className="rounded bg-emerald-950 px-1.5 py-0.5 text-[10px] uppercase tracking-wide text-emerald-300">
                            you
                          </span>
                        )}
                        {trust !== undefined && (
                          <TrustBadge
                            state={trust.state}
                            title="A direct peer of this node: its handshake state"
                          />
                        )}
                      </span>
                    </td>
                    <td
                      className="hidden whitespace-nowrap py-1.5 pr-3 text-xs text-slate-400 sm:table-cell"
                      title={formatDateTime(c.notBefore)}
                    >
                      {now === 0 ? '' : formatRelative(c.notBefore, now)}
                    </td>
                    <td
                      className={`whitespace-nowrap py-1.5 pr-3 text-xs ${expired ? 'text-slate-500' : 'text-slate-300'}`}
                      title={formatDateTime(c.notAfter)}
                    >
                      {now === 0 ? '' : formatRelative(c.notAfter, now)}
                    </td>
                    <td className="py-1.5 pr-3">
                      {revocation !== undefined ? (
                        <span
                          data-testid="revoked-badge"
                          title={`Revoked ${formatDateTime(revocation.revokedAt)}: ${revocation.reason}`}
                          className="rounded-full bg-rose-950 px-2 py-0.5 text-[11px] font-medium text-rose-300 ring-1 ring-inset ring-rose-800"
                        >
                          revoked
                        </span>
                      ) : expired ? (
                        <span className="rounded-full bg-slate-800 px-2 py-0.5 text-[11px] text-slate-400">
                          expired
                        </span>
                      ) : (
                        <span className="rounded-full bg-emerald-950/60 px-2 py-0.5 text-[11px] text-emerald-300/90">
                          valid
                        </span>
                      )}
                    </td>
                    <td className="py-1.5 text-right">
                      <button
                        type="button"
                        onClick={() => onVerify(c.logIndex)}
                        className="rounded-md border border-slate-700 px-2 py-0.5 text-xs text-slate-300 hover:border-emerald-500 hover:text-emerald-300"
                      >
                        Verify
                      </button>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}
