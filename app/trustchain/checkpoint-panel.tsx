'use client'
import {
  formatDateTime,
  formatRelative,
  shortHex,
  toHex,
  type LogWatchState,
} from '@/lib/client/trustchain-view'

/**
 * The log's current checkpoint as this browser checked it: size, root hash, the signed note and
 * the log key, with the two audits the page runs on every new checkpoint (the signature, and
 * that the tree only grew since the last one), plus the log at a glance.
 */
export function CheckpointPanel({
  log,
  now,
  nodeCheckpointSize,
}: {
  log: LogWatchState
  now: number
  nodeCheckpointSize: number | null
}): React.ReactNode {
  const status = log.status
  const cp = log.checkpoint
  const stale = log.updatedAt !== null && now !== 0 && now - log.updatedAt > 10_000
  return (
    <div className="grid gap-4 md:grid-cols-3">
      <div
        className="min-w-0 rounded-xl border border-slate-800 bg-slate-900/60 p-4 md:col-span-2"
        data-testid="checkpoint-panel"
      >
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <h2 className="text-sm font-medium text-slate-300">Current checkpoint</h2>
          <span className="ml-auto flex items-center gap-1.5 text-xs text-slate-500">
            <span
              aria-hidden
              className={`inline-block h-2 w-2 rounded-full ${log.problem !== null || stale ? 'bg-amber-400' : log.updatedAt === null ? 'animate-pulse bg-slate-500' : 'bg-emerald-400'}`}
            />
            {log.updatedAt === null
              ? 'reading the log…'
              : now === 0
                ? 'live'
                : `live · checked ${formatRelative(log.updatedAt, now)}`}
          </span>
        </div>

        {log.problem !== null && (
          <p
            role="alert"
            className="mt-3 rounded-lg border border-amber-900 bg-amber-950/40 px-3 py-2 text-sm text-amber-200"
          >
            {log.problem}
          </p>
        )}

        {status === null ? (
          <p className="mt-3 text-sm text-slate-500">Reading the log’s checkpoint…</p>
        ) : (
          <>
            <div className="mt-3 flex flex-wrap items-end gap-x-8 gap-y-3">
              <div>
                <p className="text-xs uppercase tracking-wide text-slate-500">Tree size</p>
                <p
                  className="text-4xl font-semibold tabular-nums text-emerald-300"
                  data-testid="checkpoint-size"
                >
                  {status.size}
                  <span className="ml-1 text-lg font-normal text-slate-400">entries</span>
                </p>
              </div>
              <div className="min-w-0">
                <p className="text-xs uppercase tracking-wide text-slate-500">Origin</p>
                <p className="break-all font-mono text-sm text-slate-200">{status.origin}</p>
              </div>
              <div className="min-w-0">
                <p className="text-xs uppercase tracking-wide text-slate-500">Root hash</p>
                <p
                  className="font-mono text-sm text-slate-200"
                  title={`base64 ${status.rootHash}`}
                  data-testid="checkpoint-root"
                >
                  {cp !== null ? shortHex(toHex(cp.rootHash), 16) : status.rootHash}
                </p>
              </div>
            </div>

            <ul className="mt-3 space-y-1 text-sm" data-testid="checkpoint-audit">
              <Audit
                state={log.signature?.state ?? null}
                pending="Checking the log’s signature…"
                ok={`Signature verified in this browser with the log key. ${log.signature?.message ?? ''}`}
                bad={`The checkpoint’s signature does not verify: ${log.signature?.message ?? ''}`}
              />
              <Audit
                state={log.consistency?.state ?? null}
                pending={
                  log.firstSeen === null
                    ? 'Append-only check: waiting for the first checkpoint.'
                    : `Append-only check: waiting for the log to grow past ${log.firstSeen.size} entries (seen ${now === 0 ? '' : formatRelative(log.firstSeen.at, now)}).`
                }
                ok={`Append-only: ${log.consistency?.message ?? ''} Consistency proof checked ${log.consistency !== null && now !== 0 ? formatRelative(log.consistency.at, now) : ''}.`}
                bad={log.consistency?.message ?? ''}
              />
            </ul>

            <p className="mt-4 text-xs uppercase tracking-wide text-slate-500">
              Signed note (c2sp.org/tlog-checkpoint)
            </p>
            <pre
              className="mt-1 overflow-x-auto whitespace-pre rounded-lg border border-slate-800 bg-slate-950 p-3 font-mono text-xs leading-5 text-slate-300"
              data-testid="checkpoint-note"
            >
              {status.checkpoint}
            </pre>
            <p className="mt-3 text-xs uppercase tracking-wide text-slate-500">Log key</p>
            <p className="mt-1 break-all font-mono text-xs text-slate-400" data-testid="log-key">
              {status.logKey}
            </p>
          </>
        )}
      </div>

      <div className="rounded-xl border border-slate-800 bg-slate-900/60 p-4">
        <h2 className="text-sm font-medium text-slate-300">The log at a glance</h2>
        <dl className="mt-3 grid grid-cols-[1fr_auto] gap-x-4 gap-y-2 text-sm">
          <dt className="text-slate-500">entries</dt>
          <dd className="text-right tabular-nums text-slate-200">{status?.size ?? '—'}</dd>
          <dt className="text-slate-500">revocations</dt>
          <dd className="text-right tabular-nums text-slate-200" data-testid="revocation-count">
            {status === null ? '—' : log.revocations.length}
          </dd>
          <dt className="text-slate-500">newest certificate</dt>
          <dd className="text-right tabular-nums text-slate-200">
            {log.certificates[0] === undefined ? '—' : `#${log.certificates[0].logIndex}`}
          </dd>
          <dt className="text-slate-500" title="Leading zero bits the CA asks of a request stamp">
            hashcash to get one
          </dt>
          <dd className="text-right tabular-nums text-slate-200">
            {status === null ? '—' : `${status.hashcashBits} bits`}
          </dd>
          <dt className="text-slate-500" title="The newest checkpoint this tab's node has checked">
            your node has checked
          </dt>
          <dd className="text-right tabular-nums text-slate-200">
            {nodeCheckpointSize === null ? '—' : `${nodeCheckpointSize} entries`}
          </dd>
          <dt className="text-slate-500">this page first saw</dt>
          <dd className="text-right tabular-nums text-slate-200">
            {log.firstSeen === null ? '—' : `${log.firstSeen.size} entries`}
          </dd>
        </dl>
        {log.firstSeen !== null && (
          <p className="mt-3 text-xs text-slate-500">
            at {formatDateTime(log.firstSeen.at)}. Each new checkpoint must extend the last one: a
            log that rewrote history would be caught here.
          </p>
        )}
      </div>
    </div>
  )
}

function Audit({
  state,
  pending,
  ok,
  bad,
}: {
  state: 'verified' | 'failed' | null
  pending: string
  ok: string
  bad: string
}): React.ReactNode {
  const mark = state === 'verified' ? '✓' : state === 'failed' ? '✗' : '○'
  const colour =
    state === 'verified'
      ? 'text-emerald-300'
      : state === 'failed'
        ? 'text-rose-300'
        : 'text-slate-500'
  return (
    <li className="flex items-start gap-2" data-state={state ?? 'pending'}>
      <span aria-hidden className={`w-4 shrink-0 text-center font-bold ${colour}`}>
        {mark}
      </span>
      <span className={state === 'failed' ? 'text-rose-200' : 'text-slate-300'}>
        {state === 'verified' ? ok : state === 'failed' ? bad : pending}
      </span>
    </li>
  )
}
