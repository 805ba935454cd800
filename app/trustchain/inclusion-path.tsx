'use client'
import { useState } from 'react'
import { shortHex, toHex, type InclusionPicture } from '@/lib/client/trustchain-view'

const W = 760
const CX = W / 2
const SIDE = 220
const BOX_W = 184
const BOX_H = 44
const TOP = 12
/** Where the two children meet under their parent, left and right of its centre. */
const JOIN = 34
const BAR_X = 40
const BAR_W = W - 2 * BAR_X
const BAR_H = 12

const C = {
  leafFill: '#083344', // cyan-950
  leafStroke: '#22d3ee', // cyan-400
  nodeFill: '#022c22', // emerald-950
  nodeStroke: '#10b981', // emerald-500
  rootStroke: '#6ee7b7', // emerald-300
  bad: '#f43f5e', // rose-500
  siblingFill: '#0f172a', // slate-900
  siblingStroke: '#475569', // slate-600
  hover: '#e2e8f0', // slate-200
  checkpointFill: '#1e1b4b', // indigo-950
  checkpointStroke: '#a78bfa', // violet-400
  pathEdge: '#34d399', // emerald-400
  siblingEdge: '#475569',
  hash: '#e2e8f0',
  caption: '#94a3b8', // slate-400
  segmentA: '#334155', // slate-700
  segmentB: '#475569', // slate-600
}

// Keyframes live in the drawing so it needs nothing from the global stylesheet; nothing moves
// for people who asked for less motion.
const STYLE = `
@keyframes hm-rise { from { opacity: 0; transform: translateY(8px) } to { opacity: 1; transform: none } }
@keyframes hm-draw { from { stroke-dashoffset: 1 } to { stroke-dashoffset: 0 } }
@media (prefers-reduced-motion: no-preference) {
  .hm-rise { animation: hm-rise 380ms ease-out both }
  .hm-draw { stroke-dasharray: 1; animation: hm-draw 380ms ease-out both }
}`

interface Row {
  kind: 'leaf' | 'node' | 'root'
  hash: Uint8Array | null
  range: readonly [number, number]
}

/**
 * The inclusion proof as a picture, read from the bottom: the certificate's leaf, and at each
 * level the sibling hash from the proof (left or right, as it is hashed) joining the path into
 * its parent, up to the root, set beside the root the log signed in its checkpoint. Below, the
 * whole log as a bar: each sibling stands for one stretch of it, the certificate for the mark.
 * Hovering a sibling lights up its stretch.
 */
export function InclusionPath({ picture }: { picture: InclusionPicture }): React.ReactNode {
  const [hover, setHover] = useState<number | null>(null)
  const k = picture.steps.length
  const rowGap = k > 10 ? 70 : 84
  const rowY = (i: number): number => TOP + i * rowGap
  const barY = rowY(k) + BOX_H + 44
  const height = barY + BAR_H + 42
  // Leaf first, climbing to the root in about a second and a half at most.
  const beat = Math.min(150, 1500 / (k + 1))
  const delay = (row: number): string => `${Math.round((k - row) * beat)}ms`

  const rows: Row[] = []
  for (let i = 0; i <= k; i++) {
    const step = picture.steps[k - 1 - i]
    rows.push(
      i === k || step === undefined
        ? {
            kind: k === 0 ? 'root' : 'leaf',
            hash: picture.leafHash,
            range: [picture.index, picture.index + 1],
          }
        : { kind: i === 0 ? 'root' : 'node', hash: step.nodeHash, range: step.node },
    )
  }
  const rootOk = picture.matches
  const x = (entry: number): number => BAR_X + (BAR_W * entry) / picture.size

  return (
    <figure data-testid="inclusion-path" data-matches={rootOk ? 'true' : 'false'}>
      <figcaption className="mb-2 flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <span className="text-sm font-medium text-slate-300">Inclusion path</span>
        <span className="text-xs text-slate-500">
          {k === 0
            ? 'The log holds one entry: its leaf is the root.'
            : `${k} hash${k === 1 ? '' : 'es'} prove that entry #${picture.index} is one of the ${picture.size} in the log.`}
        </span>
        <span
          className={`ml-auto rounded-full px-2 py-0.5 text-[11px] font-medium ring-1 ring-inset ${rootOk ? 'bg-emerald-950 text-emerald-300 ring-emerald-800' : 'bg-rose-950 text-rose-300 ring-rose-800'}`}
        >
          {rootOk ? '✓ reaches the signed root' : '✗ misses the signed root'}
        </span>
      </figcaption>
      <div className="overflow-x-auto">
        <svg
          viewBox={`0 0 ${W} ${height}`}
          className="h-auto w-full min-w-[560px]"
          role="img"
          aria-label={`Inclusion proof of entry ${picture.index} in a log of ${picture.size}: ${k} sibling hashes lead from the leaf to the root, which ${rootOk ? 'matches' : 'does not match'} the signed checkpoint.`}
        >
          <style>{STYLE}</style>

          {/* Edges first, under the boxes. */}
          {picture.steps.map((step, j) => {
            const row = k - j // the row of the path child and the sibling
            const childTop = rowY(row)
            const parentBottom = rowY(row - 1) + BOX_H
            const mid = (childTop + parentBottom) / 2
            const sx = CX + (step.side === 'left' ? -SIDE : SIDE)
            const siblingJoin = CX + (step.side === 'left' ? -JOIN : JOIN)
            const pathJoin = CX + (step.side === 'left' ? JOIN : -JOIN)
            const style = { animationDelay: `calc(${delay(row)} + ${Math.round(beat / 2)}ms)` }
            return (
              <g key={`edge-${j}`}>
                <path
                  className="hm-draw"
                  pathLength={1}
                  style={style}
                  d={`M ${sx} ${childTop} C ${sx} ${mid}, ${siblingJoin} ${mid}, ${siblingJoin} ${parentBottom}`}
                  fill="none"
                  stroke={hover === j ? C.hover : C.siblingEdge}
                  strokeWidth={1.5}
                />
                <path
                  className="hm-draw"
                  pathLength={1}
                  style={style}
                  d={`M ${CX} ${childTop} C ${CX} ${mid}, ${pathJoin} ${mid}, ${pathJoin} ${parentBottom}`}
                  fill="none"
                  stroke={step.nodeHash === null ? C.bad : C.pathEdge}
                  strokeWidth={2.5}
                  strokeLinecap="round"
                />
              </g>
            )
          })}

          {/* The path: leaf, inner nodes, root. */}
          {rows.map((r, i) => (
            <g key={`row-${i}`} className="hm-rise" style={{ animationDelay: delay(i) }}>
              <HashBox
                cx={CX}
                y={rowY(i)}
                hash={r.hash}
                caption={
                  r.kind === 'root'
                    ? `root · ${picture.size} entr${picture.size === 1 ? 'y' : 'ies'}`
                    : r.kind === 'leaf'
                      ? `leaf · entry #${picture.index}`
                      : rangeText(r.range)
                }
                fill={r.kind === 'leaf' ? C.leafFill : C.nodeFill}
                stroke={
                  r.kind === 'root'
                    ? rootOk
                      ? C.rootStroke
                      : C.bad
                    : r.kind === 'leaf'
                      ? C.leafStroke
                      : C.nodeStroke
                }
                strokeWidth={r.kind === 'node' ? 1.5 : 2.5}
                title={`${r.kind === 'leaf' ? 'SHA-256(0x00 ‖ entry)' : 'SHA-256(0x01 ‖ left ‖ right)'}: ${r.hash === null ? 'cannot be computed' : toHex(r.hash)}`}
              />
            </g>
          ))}

          {/* Siblings from the proof. */}
          {picture.steps.map((step, j) => {
            const row = k - j
            const sx = CX + (step.side === 'left' ? -SIDE : SIDE)
            return (
              <g
                key={`sibling-${j}`}
                className="hm-rise cursor-default"
                style={{ animationDelay: delay(row) }}
                onMouseEnter={() => setHover(j)}
                onMouseLeave={() => setHover(null)}
              >
                <HashBox
                  cx={sx}
                  y={rowY(row)}
                  hash={step.siblingHash}
                  caption={`proof ${j + 1} · ${rangeText(step.sibling)}`}
                  fill={C.siblingFill}
                  stroke={hover === j ? C.hover : C.siblingStroke}
                  strokeWidth={1.5}
                  title={`Sibling hash ${j + 1} of the proof, over ${rangeText(step.sibling)}, hashed on the ${step.side}: ${step.siblingHash === null ? 'missing from the proof' : toHex(step.siblingHash)}`}
                />
              </g>
            )
          })}

          {/* The root the log signed. */}
          <g className="hm-rise" style={{ animationDelay: `calc(${delay(0)} + ${beat}ms)` }}>
            <text
              x={CX + BOX_W / 2 + (SIDE - BOX_W) / 2}
              y={rowY(0) + BOX_H / 2 + 8}
              textAnchor="middle"
              fontSize={24}
              fontWeight={700}
              fill={rootOk ? C.pathEdge : C.bad}
            >
              {rootOk ? '=' : '≠'}
            </text>
            <HashBox
              cx={CX + SIDE}
              y={rowY(0)}
              hash={picture.checkpointRoot}
              caption="root in the signed checkpoint"
              fill={C.checkpointFill}
              stroke={C.checkpointStroke}
              strokeWidth={1.5}
              title={`The root hash the log signed for size ${picture.size}: ${picture.checkpointRoot === null ? 'no trusted checkpoint' : toHex(picture.checkpointRoot)}`}
            />
            <text x={CX - SIDE} y={rowY(0) + 16} textAnchor="middle" fontSize={11} fill={C.caption}>
              computed from the leaf
            </text>
            <text x={CX - SIDE} y={rowY(0) + 31} textAnchor="middle" fontSize={11} fill={C.caption}>
              and {k} sibling hash{k === 1 ? '' : 'es'}
            </text>
          </g>

          {/* The whole log: the siblings cover every other entry. */}
          <g className="hm-rise" style={{ animationDelay: '0ms' }}>
            <text x={BAR_X} y={barY - 10} fontSize={11} fill={C.caption}>
              the log, entry 0
            </text>
            <text x={BAR_X + BAR_W} y={barY - 10} fontSize={11} fill={C.caption} textAnchor="end">
              entry {picture.size - 1}
            </text>
            {picture.steps.map((step, j) => (
              <rect
                key={`segment-${j}`}
                x={x(step.sibling[0])}
                y={barY}
                width={Math.max(1, x(step.sibling[1]) - x(step.sibling[0]))}
                height={BAR_H}
                fill={hover === j ? C.hover : j % 2 === 0 ? C.segmentA : C.segmentB}
                onMouseEnter={() => setHover(j)}
                onMouseLeave={() => setHover(null)}
              >
                <title>{`Proof hash ${j + 1}: ${rangeText(step.sibling)}`}</title>
              </rect>
            ))}
            <rect
              x={Math.min(x(picture.index), BAR_X + BAR_W - 3)}
              y={barY - 3}
              width={Math.max(3, x(picture.index + 1) - x(picture.index))}
              height={BAR_H + 6}
              rx={1}
              fill={C.leafStroke}
            />
            <path
              d={`M ${x(picture.index + 0.5)} ${barY + BAR_H + 6} l -5 8 h 10 z`}
              fill={C.leafStroke}
            />
            <text
              x={Math.min(Math.max(x(picture.index + 0.5), BAR_X + 40), BAR_X + BAR_W - 40)}
              y={barY + BAR_H + 28}
              textAnchor="middle"
              fontSize={11}
              fill={C.leafStroke}
            >
              this certificate, #{picture.index}
            </text>
          </g>
        </svg>
      </div>
      <p className="mt-2 text-xs text-slate-500">
        Read it from the bottom. The leaf is SHA-256(0x00 ‖ the log entry); each level hashes
        SHA-256(0x01 ‖ left ‖ right) with the sibling from the proof on its side. The certificate is
        in the log if the top equals the root the log signed: changing any entry would change that
        root. Hover a sibling to see which entries it stands for.
      </p>
      {picture.problem !== null && <p className="mt-1 text-xs text-rose-300">{picture.problem}</p>}
    </figure>
  )
}

function HashBox({
  cx,
  y,
  hash,
  caption,
  fill,
  stroke,
  strokeWidth,
  title,
}: {
  cx: number
  y: number
  hash: Uint8Array | null
  caption: string
  fill: string
  stroke: string
  strokeWidth: number
  title: string
}): React.ReactNode {
  return (
    <>
      <title>{title}</title>
      <rect
        x={cx - BOX_W / 2}
        y={y}
        width={BOX_W}
        height={BOX_H}
        rx={8}
        fill={fill}
        stroke={stroke}
        strokeWidth={strokeWidth}
      />
      <text x={cx} y={y + 16} textAnchor="middle" fontSize={10.5} fill={C.caption}>
        {caption}
      </text>
      <text
        x={cx}
        y={y + 34}
        textAnchor="middle"
        fontSize={13}
        fontFamily="ui-monospace, SFMono-Regular, Menlo, monospace"
        fill={hash === null ? C.bad : C.hash}
      >
        {hash === null ? 'missing' : shortHex(hash, 16)}
      </text>
    </>
  )
}

function rangeText([from, to]: readonly [number, number]): string {
  return to - from === 1 ? `entry ${from}` : `entries ${from}–${to - 1}`
}
