'use client'
import { useEffect, useState } from 'react'

/**
 * A small button that copies `text` to the clipboard and says so for a moment; when the browser
 * refuses (no clipboard permission, an insecure origin), it says to select the text instead.
 */
export function CopyButton({
  text,
  what,
  testId,
}: {
  text: string
  /** What is copied, for the label: "GlobalAddress", "URI"… */
  what: string
  testId?: string
}): React.ReactNode {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  useEffect(() => {
    if (state === 'idle') return
    const id = setTimeout(() => setState('idle'), 1_500)
    return () => clearTimeout(id)
  }, [state])
  const copy = (): void => {
    const clip = typeof navigator !== 'undefined' ? navigator.clipboard : undefined
    if (clip === undefined) {
      setState('failed')
      return
    }
    clip.writeText(text).then(
      () => setState('copied'),
      () => setState('failed'),
    )
  }
  const label =
    state === 'copied'
      ? `${what} copied`
      : state === 'failed'
        ? 'The browser did not allow copying: select the text instead'
        : `Copy the ${what}`
  return (
    <button
      type="button"
      onClick={copy}
      title={label}
      aria-label={label}
      data-testid={testId}
      className={`inline-flex h-5 shrink-0 items-center gap-1 rounded px-1 text-[11px] transition-colors ${
        state === 'copied'
          ? 'text-emerald-300'
          : state === 'failed'
            ? 'text-amber-300'
            : 'text-slate-500 hover:bg-slate-800 hover:text-slate-200'
      }`}
    >
      <svg
        aria-hidden
        viewBox="0 0 16 16"
        className="h-3.5 w-3.5"
        fill="none"
        stroke="currentColor"
      >
        <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" strokeWidth="1.3" />
        <path
          d="M10.5 3.5v-0.5a1.5 1.5 0 0 0-1.5-1.5h-5a1.5 1.5 0 0 0-1.5 1.5v5a1.5 1.5 0 0 0 1.5 1.5h0.5"
          strokeWidth="1.3"
        />
      </svg>
      {state === 'copied' && <span>copied</span>}
      {state === 'failed' && <span>select it</span>}
    </button>
  )
}
