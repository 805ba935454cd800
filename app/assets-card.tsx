'use client'
import { useState } from 'react'
import {
  MEMORY_SERVE_CAP_BYTES,
  PRIVACY_LEVELS,
  STORAGE_SERVE_CAP_BYTES,
  REWARD_MULTIPLIERS,
  assetActions,
  formatBytes,
  parseShareInput,
  shareControl,
  useAssetsView,
  type Commitment,
  type OwnAssetView,
  type PrivacyLevel,
  type ServedAssetType,
} from '@/lib/client/use-assets'

const CARD = 'rounded-xl border border-slate-800 bg-slate-900/60 p-4'
const INPUT =
  'block w-full min-w-0 rounded-lg border border-slate-800 bg-slate-950 px-3 py-2 text-sm text-slate-200 placeholder:text-slate-600 focus:border-emerald-600 focus:outline-none disabled:opacity-50'
const PRIMARY =
  'rounded-lg bg-emerald-500 px-4 py-2 text-sm font-medium text-slate-950 hover:bg-emerald-400 disabled:cursor-not-allowed disabled:opacity-40'
const SECONDARY =
  'rounded-lg border border-slate-700 px-4 py-2 text-sm text-slate-200 hover:border-emerald-500 hover:text-emerald-300 disabled:cursor-not-allowed disabled:opacity-40 disabled:hover:border-slate-700 disabled:hover:text-slate-200'

const TYPE_LABEL: Record<OwnAssetView['type'], string> = {
  cpu: 'CPU',
  memory: 'Memory',
  storage: 'Storage',
  gpu: 'GPU',
  network: 'Network',
}

const LEVEL_LABEL: Record<PrivacyLevel, string> = {
  private: 'Private — only this tab',
  'private-network': 'Private network — your other nodes',
  p2p: 'P2P — direct peers',
  'public-network': 'Public network — any node, on the ledger',
  'full-public': 'Full public — any node, on the ledger',
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * This tab's assets, for the home page: what was measured of each (unknown figures say so and
 * why), its address and URI, its privacy level and share, and one Pause button that stops every
 * access at once. Changes apply at once and are saved in the tab's slot.
 */
export function AssetsCard(): React.ReactNode {
  const view = useAssetsView()
  const [problem, setProblem] = useState<string | null>(null)
  const ready = view.status === 'ready'

  return (
    <section className="space-y-4" data-testid="assets-card" data-status={view.status}>
      <div className={CARD}>
        <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
          <h2 className="text-sm font-medium text-slate-300">My assets</h2>
          {view.paused && (
            <span className="rounded-full bg-amber-950 px-2 py-0.5 text-[11px] font-medium text-amber-300 ring-1 ring-inset ring-amber-800">
              paused
            </span>
          )}
          <button
            type="button"
            disabled={!ready}
            data-testid="assets-pause"
            data-paused={view.paused ? 'true' : 'false'}
            className={`ml-auto ${view.paused ? PRIMARY : SECONDARY}`}
            title={
              view.paused
                ? 'Offer your assets again, at the levels you chose'
                : 'Stop every access to every asset of this tab, now'
            }
            onClick={() => {
              setProblem(null)
              assetActions.pause(!view.paused).catch((err: unknown) => setProblem(message(err)))
            }}
          >
            {view.paused ? 'Resume' : 'Pause all'}
          </button>
        </div>
        <p className="mt-1 max-w-3xl text-xs text-slate-500">
          What this tab measured of your machine. Nothing is offered until you choose a level: a
          peer also needs a capability you grant. Pause stops every access at once.
        </p>
        <div className="mt-2 min-h-[1.25rem] text-sm" data-testid="assets-status">
          {view.status === 'failed' || view.problem !== null || problem !== null ? (
            <p role="alert" className="text-amber-300">
              {problem ?? view.problem}
            </p>
          ) : view.status === 'ready' ? (
            view.ledger !== null && <p className="text-slate-400">{view.ledger}</p>
          ) : (
            <p className="flex items-center gap-2 text-slate-400">
              <span
                aria-hidden
                className="inline-block h-2 w-2 animate-pulse rounded-full bg-slate-500"
              />
              {view.status === 'measuring'
                ? 'Measuring this tab’s resources…'
                : 'Your resources are measured once this node has joined the mesh…'}
            </p>
          )}
        </div>
        {view.assets.length > 0 && (
          <div className="mt-3 grid gap-3 lg:grid-cols-2">
            {view.assets.map((a) => (
              <AssetRow key={a.assetId} asset={a} />
            ))}
          </div>
        )}
        {view.noGpu !== null && (
          <p className="mt-3 text-xs text-slate-500" data-testid="assets-no-gpu">
            No GPU asset: {view.noGpu}.
          </p>
        )}
      </div>
      {ready && view.assets.some((a) => a.type === 'memory') && (
        <div className="grid gap-4 md:grid-cols-2">
          <GrantForm assets={view.assets} />
          <UseForm />
        </div>
      )}
    </section>
  )
}

function AssetRow({ asset }: { asset: OwnAssetView }): React.ReactNode {
  const [problem, setProblem] = useState<string | null>(null)
  const [draft, setDraft] = useState<string | null>(null)
  const control = shareControl(asset)
  const t = asset.type

  const commitShare = (): void => {
    if (draft === null || control === null) return
    const parsed = parseShareInput(t, draft, control, asset.share)
    if (!parsed.ok) return setProblem(parsed.message)
    setProblem(null)
    assetActions.setPrivacy(t, asset.level, parsed.share).then(
      () => setDraft(null),
      (err: unknown) => setProblem(message(err)),
    )
  }

  return (
    <article
      className="rounded-lg border border-slate-800 bg-slate-950/40 p-3"
      data-testid={`asset-${t}`}
      data-level={asset.level}
      data-paused={asset.paused ? 'true' : 'false'}
    >
      <div className="flex flex-wrap items-center gap-2">
        <h3 className="text-sm font-medium text-slate-200">{TYPE_LABEL[t]}</h3>
        <span className="font-mono text-[11px] text-slate-500" title={asset.assetId}>
          {asset.assetId.slice(0, t.length + 9)}…
        </span>
        <span
          className={`ml-auto rounded-full px-2 py-0.5 text-[11px] ring-1 ring-inset ${
            asset.paused
              ? 'bg-amber-950 text-amber-300 ring-amber-800'
              : asset.level === 'private'
                ? 'bg-slate-900 text-slate-400 ring-slate-700'
                : 'bg-emerald-950 text-emerald-300 ring-emerald-800'
          }`}
        >
          {asset.paused ? 'paused' : asset.level}
        </span>
      </div>

      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-xs">
        {asset.measured.map((m) => (
          <MeasuredRow key={m.label} label={m.label} value={m.value} known={m.known} />
        ))}
      </dl>

      <div className="mt-2 space-y-1 text-xs">
        <CopyLine label="Address" text={asset.globalAddress} testId={`asset-address-${t}`} />
        <CopyLine label="URI" text={asset.uri} testId={`asset-uri-${t}`} />
      </div>

      <div className="mt-3 flex flex-wrap items-end gap-3">
        <label className="min-w-0 flex-1 basis-56 text-xs text-slate-500">
          Privacy level
          <select
            value={asset.level}
            disabled={!asset.offerable && asset.level === 'private'}
            title={asset.why ?? undefined}
            data-testid={`asset-level-${t}`}
            onChange={(e) => {
              setProblem(null)
              assetActions
                .setPrivacy(t, e.target.value as PrivacyLevel)
                .catch((err: unknown) => setProblem(message(err)))
            }}
            className="mt-1 block w-full rounded-lg border border-slate-800 bg-slate-950 px-2 py-2 text-sm text-slate-200 hover:border-emerald-600 disabled:opacity-50"
          >
            {PRIVACY_LEVELS.map((level) => (
              <option key={level} value={level}>
                {LEVEL_LABEL[level]} · reward ×{REWARD_MULTIPLIERS[level]}
              </option>
            ))}
          </select>
        </label>
        <label className="w-40 text-xs text-slate-500">
          Share{control !== null && ` (1–${control.max} ${control.unit})`}
          {control === null ? (
            <p className="mt-1 py-2 text-sm text-slate-500" data-testid={`asset-share-${t}`}>
              — nothing measured to offer
            </p>
          ) : (
            <span className="relative mt-1 block">
              <input
                value={draft ?? String(control.value)}
                inputMode="numeric"
                autoComplete="off"
                data-testid={`asset-share-${t}`}
                aria-label={`${TYPE_LABEL[t]} share in ${control.unit}`}
                onChange={(e) => {
                  setDraft(e.target.value)
                  setProblem(null)
                }}
                onBlur={commitShare}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') commitShare()
                  if (e.key === 'Escape') setDraft(null)
                }}
                className={`${INPUT} pr-16 tabular-nums`}
              />
              <span className="pointer-events-none absolute right-3 top-2 max-w-[4rem] truncate text-sm text-slate-500">
                {control.unit}
              </span>
            </span>
          )}
        </label>
      </div>
      <div className="mt-2 min-h-[1rem] text-xs" data-testid={`asset-note-${t}`}>
        {problem !== null ? (
          <p role="alert" className="text-amber-300">
            {problem}
          </p>
        ) : asset.why !== null ? (
          <p className="text-slate-500">{asset.why}</p>
        ) : asset.servedBytes !== null ? (
          <p className="text-slate-500">
            {asset.servedBytes > 0
              ? `Serves ${formatBytes(asset.servedBytes)} at its address to peers holding a capability`
              : 'Serves nothing while private or paused'}{' '}
            (at most{' '}
            {formatBytes(t === 'storage' ? STORAGE_SERVE_CAP_BYTES : MEMORY_SERVE_CAP_BYTES)} from a
            tab
            {t === 'storage'
              ? '; kept on this device across reloads, and it answers audits'
              : '; gone when the tab closes'}
            ).
          </p>
        ) : asset.registered ? (
          <p className="text-slate-500">Listed on the public ledger while this level holds.</p>
        ) : null}
      </div>
    </article>
  )
}

function MeasuredRow({
  label,
  value,
  known,
}: {
  label: string
  value: string
  known: boolean
}): React.ReactNode {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      <dd className={known ? 'tabular-nums text-slate-200' : 'text-slate-500'}>{value}</dd>
    </>
  )
}

function CopyButton({ text, testId }: { text: string; testId: string }): React.ReactNode {
  const [copied, setCopied] = useState(false)
  return (
    <button
      type="button"
      data-testid={testId}
      className="shrink-0 rounded border border-slate-700 px-1.5 py-0.5 text-[11px] text-slate-300 hover:border-emerald-500 hover:text-emerald-300"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(
          () => {
            setCopied(true)
            setTimeout(() => setCopied(false), 1_500)
          },
          () => setCopied(false),
        )
      }}
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  )
}

function CopyLine({
  label,
  text,
  testId,
}: {
  label: string
  text: string
  testId: string
}): React.ReactNode {
  return (
    <div className="flex items-start gap-2">
      <span className="w-14 shrink-0 text-slate-500">{label}</span>
      <span
        className="min-w-0 flex-1 break-all font-mono text-[11px] text-slate-300"
        data-testid={testId}
      >
        {text}
      </span>
      <CopyButton text={text} testId={`${testId}-copy`} />
    </div>
  )
}

function Field({
  label,
  className = '',
  children,
}: {
  label: string
  className?: string
  children: React.ReactNode
}): React.ReactNode {
  return (
    <label className={`block text-xs text-slate-500 ${className}`}>
      {label}
      <span className="mt-1 block">{children}</span>
    </label>
  )
}

/** Grant a peer a capability on this tab's memory or storage asset: the token to hand over. */
function GrantForm({ assets }: { assets: OwnAssetView[] }): React.ReactNode {
  const [asset, setAsset] = useState<ServedAssetType>('memory')
  const served = assets.find((a) => a.type === asset)?.servedBytes ?? 0
  const [grantee, setGrantee] = useState('')
  const [offset, setOffset] = useState('0')
  const [length, setLength] = useState('4096')
  const [rights, setRights] = useState<'r' | 'rw'>('r')
  const [minutes, setMinutes] = useState('60')
  const [token, setToken] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  const submit = (): void => {
    setToken(null)
    setProblem(null)
    const o = Number(offset)
    const l = Number(length)
    const m = Number(minutes)
    assetActions
      .grant(grantee, { asset, offset: o, length: l, rights, ttlMs: Math.round(m * 60_000) })
      .then(setToken, (err: unknown) => setProblem(message(err)))
  }

  return (
    <form
      className={CARD}
      data-testid="grant-form"
      onSubmit={(e) => {
        e.preventDefault()
        submit()
      }}
    >
      <h2 className="text-sm font-medium text-slate-300">Grant access to your memory or storage</h2>
      <p className="mt-1 text-xs text-slate-500">
        A capability lets one peer read (or write) a byte range of your {asset} asset until it
        expires, while the asset&apos;s level reaches that peer
        {served === 0 ? ' — it is private or paused now, so it serves nothing yet' : ''}.
        {asset === 'storage' && ' Reading also lets the peer audit what it stored there.'}
      </p>
      <div className="mt-3 space-y-2">
        <select
          value={asset}
          onChange={(e) => setAsset(e.target.value as ServedAssetType)}
          aria-label="Asset to grant access to"
          data-testid="grant-asset"
          className="block w-full rounded-lg border border-slate-800 bg-slate-950 px-2 py-2 text-sm text-slate-200"
        >
          <option value="memory">Memory (in this tab&apos;s RAM)</option>
          <option value="storage">Storage (kept on this device)</option>
        </select>
        <input
          value={grantee}
          onChange={(e) => setGrantee(e.target.value)}
          spellCheck={false}
          autoComplete="off"
          placeholder="Peer ID of the grantee (12D3KooW…)"
          aria-label="Peer ID of the grantee"
          data-testid="grant-peer"
          className={`${INPUT} font-mono placeholder:font-sans`}
        />
        <div className="grid grid-cols-2 gap-2 sm:grid-cols-4">
          <Field label="First byte">
            <input
              value={offset}
              onChange={(e) => setOffset(e.target.value)}
              inputMode="numeric"
              data-testid="grant-offset"
              className={INPUT}
            />
          </Field>
          <Field label="Bytes">
            <input
              value={length}
              onChange={(e) => setLength(e.target.value)}
              inputMode="numeric"
              data-testid="grant-length"
              className={INPUT}
            />
          </Field>
          <Field label="Rights">
            <select
              value={rights}
              onChange={(e) => setRights(e.target.value as 'r' | 'rw')}
              data-testid="grant-rights"
              className="block w-full rounded-lg border border-slate-800 bg-slate-950 px-2 py-2 text-sm text-slate-200"
            >
              <option value="r">read</option>
              <option value="rw">read and write</option>
            </select>
          </Field>
          <Field label="Valid for (minutes)">
            <input
              value={minutes}
              onChange={(e) => setMinutes(e.target.value)}
              inputMode="decimal"
              data-testid="grant-minutes"
              className={INPUT}
            />
          </Field>
        </div>
        <button type="submit" className={PRIMARY} data-testid="grant-submit">
          Grant
        </button>
      </div>
      <div className="mt-3 min-h-[2.5rem] text-xs" data-testid="grant-result">
        {problem !== null && (
          <p role="alert" className="text-amber-300">
            {problem}
          </p>
        )}
        {token !== null && (
          <div className="flex items-start gap-2">
            <span className="min-w-0 flex-1 break-all font-mono text-[11px] text-emerald-200">
              {token}
            </span>
            <CopyButton text={token} testId="grant-token-copy" />
          </div>
        )}
      </div>
    </form>
  )
}

/** Chunks an audit from the card challenges: a 10 % loss escapes it with probability ≤ 3.4 %. */
const AUDIT_CHUNKS = 32

/**
 * Read or write another peer's memory or storage asset with a capability it granted, and audit
 * what this form last wrote to a storage asset (a proof of retrievability against the
 * commitment computed here from the written text).
 */
function UseForm(): React.ReactNode {
  const [target, setTarget] = useState('')
  const [token, setToken] = useState('')
  const [offset, setOffset] = useState('0')
  const [text, setText] = useState('')
  const [length, setLength] = useState('16')
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null)
  // What the last write from this form stored, and the commitment to it.
  const [written, setWritten] = useState<{
    target: string
    offset: number
    commitment: Commitment
  } | null>(null)

  const run = (op: 'read' | 'write' | 'audit'): void => {
    setResult(null)
    const o = Number(offset)
    const textB64 = btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    const done =
      op === 'read'
        ? assetActions.read(target.trim(), o, Number(length), token.trim()).then((b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
            const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')
            return `Read ${bytes.length} bytes: ${hex}`
          })
        : op === 'write'
          ? assetActions.write(target.trim(), o, textB64, token.trim()).then(async () => {
              const size = new TextEncoder().encode(text).length
              setWritten(
                size === 0
                  ? null
                  : {
                      target: target.trim(),
                      offset: o,
                      commitment: await assetActions.commit(textB64),
                    },
              )
              return `Wrote ${size} bytes.`
            })
          : written === null
            ? Promise.reject(new Error('Write some text first: the audit checks what you wrote.'))
            : assetActions
                .audit(
                  written.target,
                  written.offset,
                  written.commitment,
                  AUDIT_CHUNKS,
                  token.trim(),
                )
                .then((r) => {
                  if (!r.ok) throw new Error(`Audit failed: ${r.message}`)
                  return `Audit passed: the node proved ${r.chunks} chunks of what you wrote, in ${r.ms} ms.`
                })
    done.then(
      (t) => setResult({ ok: true, text: t }),
      (err: unknown) => setResult({ ok: false, text: message(err) }),
    )
  }

  return (
    <form
      className={CARD}
      data-testid="use-form"
      onSubmit={(e) => {
        e.preventDefault()
        run('read')
      }}
    >
      <h2 className="text-sm font-medium text-slate-300">Use a capability</h2>
      <p className="mt-1 text-xs text-slate-500">
        Read or write another peer&apos;s memory or storage asset with the token its owner gave you.
        After writing to a storage asset, Audit checks that it still holds what you wrote.
      </p>
      <div className="mt-3 space-y-2">
        <input
          value={target}
          onChange={(e) => setTarget(e.target.value)}
          spellCheck={false}
          autoComplete="off"
          placeholder="hypermesh://… or global address"
          aria-label="Asset URI or global address"
          data-testid="use-target"
          className={`${INPUT} font-mono placeholder:font-sans`}
        />
        <input
          value={token}
          onChange={(e) => setToken(e.target.value)}
          spellCheck={false}
          autoComplete="off"
          placeholder="Capability token (base64)"
          aria-label="Capability token"
          data-testid="use-token"
          className={`${INPUT} font-mono placeholder:font-sans`}
        />
        <div className="flex flex-wrap items-end gap-2">
          <Field label="Offset" className="w-28">
            <input
              value={offset}
              onChange={(e) => setOffset(e.target.value)}
              inputMode="numeric"
              data-testid="use-offset"
              className={INPUT}
            />
          </Field>
          <Field label="Bytes to read" className="w-28">
            <input
              value={length}
              onChange={(e) => setLength(e.target.value)}
              inputMode="numeric"
              data-testid="use-length"
              className={INPUT}
            />
          </Field>
          <button type="submit" className={SECONDARY} data-testid="use-read">
            Read
          </button>
        </div>
        <div className="flex gap-2">
          <input
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="Text to write at the offset"
            aria-label="Text to write"
            data-testid="use-text"
            className={`${INPUT} flex-1`}
          />
          <button
            type="button"
            className={SECONDARY}
            data-testid="use-write"
            onClick={() => run('write')}
          >
            Write
          </button>
          <button
            type="button"
            className={SECONDARY}
            disabled={written === null}
            title={
              written === null
                ? 'Write some text first: the audit checks what you wrote'
                : `Ask the node to prove ${AUDIT_CHUNKS} random chunks of what you wrote`
            }
            data-testid="use-audit"
            onClick={() => run('audit')}
          >
            Audit
          </button>
        </div>
      </div>
      <div
        data-testid="use-result"
        className={`mt-3 min-h-[2.5rem] break-all text-xs ${result?.ok === false ? 'text-amber-300' : 'text-slate-300'}`}
        role={result?.ok === false ? 'alert' : undefined}
      >
        {result?.text}
      </div>
    </form>
  )
}
