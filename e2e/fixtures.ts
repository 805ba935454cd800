import type { Browser, BrowserContext, Page } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import type { HypermeshTestApi } from '../lib/client/test-api'

declare global {
  interface Window {
    hypermesh?: HypermeshTestApi
  }
}

/** A tab in its own browser context: its own IndexedDB, so its own identity. */
export interface Tab {
  context: BrowserContext
  page: Page
  openedAt: number
}

/** Open `path` in a fresh browser context. */
export async function openTab(browser: Browser, baseURL: string, path = '/'): Promise<Tab> {
  const context = await browser.newContext({ baseURL })
  const page = await context.newPage()
  const openedAt = Date.now()
  await page.goto(path)
  return { context, page, openedAt }
}

/** Read `window.hypermesh` of a tab. */
export async function state(page: Page): Promise<HypermeshTestApi> {
  const s = await page.evaluate(() => window.hypermesh ?? null)
  if (s === null) throw new Error('window.hypermesh is not defined')
  return s
}

/** Wait until the tab has a direct WebRTC connection; returns its peer ID. */
export async function waitForDirect(page: Page, timeout: number): Promise<string> {
  await page.waitForFunction(
    () => window.hypermesh?.connections.some((c) => c.transport === 'webrtc') === true,
    undefined,
    { timeout, polling: 50 },
  )
  return (await state(page)).peerId
}

/** Peer IDs shown on the map page's node list. */
export async function mapNodeIds(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid="map-node-list"] li')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-peer-id') ?? ''))
}

/** Links shown on the map page, as sorted "a|b" pairs. */
export async function mapLinks(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid="map-link-list"] li')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-link') ?? ''))
}

export type Started = ChildProcess & { output: () => string; exited: Promise<void> }

/** Start a process running TypeScript with tsx, in its own process group, collecting its output. */
export function startTsx(args: string[], env: Record<string, string> = {}): Started {
  const child = spawn('npx', ['tsx', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  // Recorded at spawn: 'exit' may fire long before anyone waits for it.
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return Object.assign(child, { output: () => out, exited })
}

/** Stop a process group started by {@link startTsx}. */
export async function stopProcess(
  child: Started,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.pid === undefined) return
  const pid = child.pid
  const groupAlive = (): boolean => {
    try {
      process.kill(-pid, 0)
      return true
    } catch {
      return false
    }
  }
  if (!groupAlive()) return
  process.kill(-pid, signal)
  const deadline = Date.now() + 10_000
  while (groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  if (groupAlive()) process.kill(-pid, 'SIGKILL')
  await Promise.race([child.exited, new Promise((r) => setTimeout(r, 2_000))])
}

/** Poll `url` until it answers 200. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up in ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
