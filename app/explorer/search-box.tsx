'use client'
import { useRouter } from 'next/navigation'
import { useState } from 'react'
import { resolveExplorerSearch } from '@/lib/client/asset-explorer'
import { describeChainError } from '@/lib/client/chain-view'
import { BROWSER_LOOKUPS } from '@/lib/client/explorer-reads'
import { Spinner } from './bits'

/**
 * "Go to": a block height, a transaction hash, a hex key (64 hex digits are looked up as a
 * transaction first, then taken as an account key), a peer ID (its node page), or an asset by
 * asset ID, UUID, GlobalAddress or `hypermesh://` URI (looked up in the ledger: its page, or a
 * sentence saying no registered asset has that name).
 */
export function SearchBox(): React.ReactNode {
  const router = useRouter()
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)

  const submit = async (): Promise<void> => {
    setBusy(true)
    setProblem(null)
    try {
      const out = await resolveExplorerSearch(text, BROWSER_LOOKUPS)
      if ('route' in out) router.push(out.route)
      else setProblem(out.message)
    } catch (err) {
      setProblem(describeChainError(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form
      role="search"
      className="flex flex-col gap-2 sm:flex-row sm:items-start"
      onSubmit={(e) => {
        e.preventDefault()
        void submit()
      }}
    >
      <div className="min-w-0 flex-1">
        <input
          type="search"
          value={text}
          onChange={(e) => {
            setText(e.target.value)
            setProblem(null)
          }}
          spellCheck={false}
          autoComplete="off"
          aria-label="Block height, transaction hash, peer ID, key, asset ID, GlobalAddress or hypermesh:// URI"
          placeholder="Block, transaction, peer ID (12D3KooW…), asset ID, GlobalAddress or hypermesh:// URI"
          data-testid="explorer-search"
          className="block w-full rounded-lg border border-slate-800 bg-slate-950 px-3 py-2 font-mono text-sm text-slate-200 placeholder:font-sans placeholder:text-slate-600 focus:border-emerald-600 focus:outline-none"
        />
        {/* A slot of one line: a short message does not push the list down. */}
        <p
          className={`mt-1 min-h-4 text-xs ${problem !== null ? 'text-amber-300' : 'text-slate-600'}`}
          role={problem !== null ? 'alert' : undefined}
          data-testid="explorer-search-problem"
        >
          {problem ?? ''}
        </p>
      </div>
      <button
        type="submit"
        disabled={busy || text.trim() === ''}
        data-testid="explorer-search-submit"
        className="flex items-center justify-center gap-2 rounded-lg bg-emerald-500 px-4 py-2 text-sm font-medium text-slate-950 hover:bg-emerald-400 disabled:cursor-not-allowed disabled:opacity-40"
      >
        {busy && <Spinner />}
        Go
      </button>
    </form>
  )
}
