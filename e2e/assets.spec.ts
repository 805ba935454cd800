import { expect, test, type Page } from '@playwright/test'
import { openTab, state, type Tab } from './fixtures'

/**
 * This tab's assets (DESIGN.md §5) on real tabs: three tabs choose privacy settings through the
 * home page's card and `window.hypermesh.assets` follows, across a reload; then one tab grants
 * another a capability on its memory asset, the grantee writes and reads it over
 * `/hypermesh/memory/1`, and every access the owner did not allow — no capability, an expired
 * one, outside its range, another peer's, a private asset, a paused one — is refused with its
 * code while the owner's bytes stay as they were.
 */

type Outcome = { ok: true; value: string | null } | { ok: false; code: string; message: string }

/** Call `window.hypermeshAssets[fn](...args)` in a tab; a refusal comes back with its code. */
async function call(page: Page, fn: string, ...args: unknown[]): Promise<Outcome> {
  return page.evaluate(
    async ({ fn, args }) => {
      const api = (window as unknown as { hypermeshAssets?: Record<string, unknown> })
        .hypermeshAssets
      if (api === undefined) return { ok: false, code: 'NO_API', message: '' }
      try {
        const value = await (api[fn] as (...a: unknown[]) => Promise<unknown>)(...args)
        return { ok: true, value: typeof value === 'string' ? value : null }
      } catch (err) {
        const e = err as { code?: string; name?: string; message?: string }
        return { ok: false, code: e.code ?? e.name ?? 'Error', message: e.message ?? '' }
      }
    },
    { fn, args },
  ) as Promise<Outcome>
}

/** The value of a call that must succeed. */
async function must(page: Page, fn: string, ...args: unknown[]): Promise<string | null> {
  const r = await call(page, fn, ...args)
  if (!r.ok) throw new Error(`${fn} failed: ${r.code} ${r.message}`)
  return r.value
}

/** The code of a call that must be refused. */
async function refusal(page: Page, fn: string, ...args: unknown[]): Promise<string> {
  const r = await call(page, fn, ...args)
  if (r.ok) throw new Error(`${fn} was allowed`)
  expect(r.message.length).toBeGreaterThan(20)
  return r.code
}

async function memoryOf(page: Page) {
  const m = (await state(page)).assets.find((a) => a.type === 'memory')
  if (m === undefined) throw new Error('no memory asset')
  return m
}

async function waitForAssets(page: Page): Promise<void> {
  await expect(page.getByTestId('assets-card')).toHaveAttribute('data-status', 'ready', {
    timeout: 60_000,
  })
  await expect
    .poll(async () => (await state(page)).assets.map((a) => a.type).sort(), { timeout: 10_000 })
    .toEqual(expect.arrayContaining(['cpu', 'memory', 'network', 'storage']))
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64')

/** Service ports of the assets served over the remote memory protocol; the others have 0. */
const PORTS: Record<string, number> = { memory: 1, storage: 2 }

test('assets: privacy settings through the card, and memory reached only with a capability', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(240_000)
  if (baseURL === undefined) throw new Error('baseURL is not set')
  const tabs: Tab[] = []
  try {
    for (let i = 0; i < 3; i++) tabs.push(await openTab(browser, baseURL, '/'))
    const [a, b, c] = tabs.map((t) => t.page) as [Page, Page, Page]
    for (const page of [a, b, c]) await waitForAssets(page)

    await test.step('every asset starts private, in lib/assets text forms', async () => {
      for (const page of [a, b, c]) {
        const s = await state(page)
        for (const asset of s.assets) {
          expect(asset.privacy).toBe('private')
          expect(asset.paused).toBe(false)
          expect(asset.assetId).toMatch(
            new RegExp(
              `^${asset.type}:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`,
            ),
          )
          expect(asset.globalAddress).toMatch(/^6879:7065:726d:7368(:[0-9a-f]{4}){13}$/)
          expect(asset.uri).toBe(
            `hypermesh://${s.peerId}/${asset.assetId.split(':')[1]}:${PORTS[asset.type] ?? 0}`,
          )
        }
        await expect(page.getByTestId('asset-address-memory')).toHaveText(
          (await memoryOf(page)).globalAddress,
        )
        // The network asset's capacity is a measured goodput (a probe to a direct peer), so it
        // has a share to offer rather than "nothing measured".
        await expect(page.locator('input[data-testid="asset-share-network"]')).toBeVisible()
        // The runtime publishes how long each part of its measurement took (bench/assets.ts).
        const tookMs = await page.evaluate(
          () =>
            (
              globalThis as {
                __hypermeshAssets?: { get(): { tookMs: Record<string, number> | null } }
              }
            ).__hypermeshAssets?.get().tookMs ?? null,
        )
        expect(Object.keys(tookMs ?? {}).sort()).toEqual(
          ['cpu', 'gpu', 'memory', 'network', 'storage', 'total'].sort(),
        )
        for (const ms of Object.values(tookMs ?? {})) expect(ms).toBeGreaterThanOrEqual(0)
        expect(tookMs?.total).toBeGreaterThanOrEqual(
          (tookMs?.cpu ?? Infinity) + (tookMs?.storage ?? Infinity),
        )
      }
    })

    await test.step('three tabs choose their settings through the card', async () => {
      await a.getByTestId('asset-level-memory').selectOption('full-public')
      await a.getByTestId('asset-share-memory').fill('16')
      await a.getByTestId('asset-share-memory').press('Enter')
      await b.getByTestId('asset-level-memory').selectOption('p2p')
      await c.getByTestId('asset-level-cpu').selectOption('private-network')
      const privacy = async (page: Page, type: string) =>
        (await state(page)).assets.find((x) => x.type === type)?.privacy
      await expect.poll(() => privacy(a, 'memory')).toBe('full-public')
      await expect.poll(() => privacy(b, 'memory')).toBe('p2p')
      await expect.poll(() => privacy(c, 'cpu')).toBe('private-network')
      expect(await privacy(c, 'memory')).toBe('private')
      await expect(a.getByTestId('asset-memory')).toHaveAttribute('data-level', 'full-public')
      await expect(a.getByTestId('asset-note-memory')).toContainText('16 MiB')
    })

    await test.step('the settings and the asset survive a reload', async () => {
      const before = await state(a)
      const memory = await memoryOf(a)
      await a.reload()
      await waitForAssets(a)
      const after = await state(a)
      expect(after.peerId).toBe(before.peerId)
      expect(after.assets.map((x) => x.assetId).sort()).toEqual(
        before.assets.map((x) => x.assetId).sort(),
      )
      expect(await memoryOf(a)).toEqual(memory)
      await expect(a.getByTestId('asset-level-memory')).toHaveValue('full-public')
      await expect(a.getByTestId('asset-share-memory')).toHaveValue('16')
    })

    // A and C reach B (p2p) over a direct link: wait until they have one.
    const ids = await Promise.all([a, b, c].map(async (p) => (await state(p)).peerId))
    const [aId, bId] = ids as [string, string, string]
    for (const page of [a, c]) {
      await expect
        .poll(
          async () =>
            (await state(page)).connections.some(
              (x) => x.peerId === bId && x.transport === 'webrtc',
            ),
          { timeout: 60_000 },
        )
        .toBe(true)
    }
    const bMemory = await memoryOf(b)

    await test.step('B grants A a capability; A writes and reads B’s memory at its address', async () => {
      const token = await must(b, 'grant', aId, {
        offset: 0,
        length: 64,
        rights: 'rw',
        ttlMs: 600_000,
      })
      expect(token).toMatch(/^[A-Za-z0-9+/]+=*$/)
      await must(a, 'write', bMemory.globalAddress, 8, b64('hello, capability'), token)
      expect(await must(a, 'read', bMemory.globalAddress, 8, 17, token)).toBe(
        b64('hello, capability'),
      )
      expect(await must(a, 'read', bMemory.uri, 8, 17, token)).toBe(b64('hello, capability'))
      expect(await must(b, 'localBytes', 8, 17)).toBe(b64('hello, capability'))
    })

    await test.step('what B did not allow is refused, and B’s bytes do not change', async () => {
      const token = (await must(b, 'grant', aId, {
        offset: 0,
        length: 64,
        rights: 'rw',
        ttlMs: 600_000,
      }))!
      const readOnly = (await must(b, 'grant', aId, {
        offset: 0,
        length: 64,
        rights: 'r',
        ttlMs: 600_000,
      }))!
      const expiring = (await must(b, 'grant', aId, {
        offset: 0,
        length: 64,
        rights: 'rw',
        ttlMs: 1,
      }))!
      const before = await must(b, 'localBytes', 0, 128)
      const at = bMemory.globalAddress
      const junk = b64('junk')

      expect(await refusal(a, 'write', at, 0, junk, '')).toBe('NO_CAPABILITY')
      expect(await refusal(a, 'write', at, 0, junk, expiring)).toBe('CAPABILITY_EXPIRED')
      expect(await refusal(a, 'write', at, 100, junk, token)).toBe('CAPABILITY_OUT_OF_RANGE')
      expect(await refusal(a, 'read', at, 60, 8, token)).toBe('CAPABILITY_OUT_OF_RANGE')
      expect(await refusal(a, 'write', at, 0, junk, readOnly)).toBe('CAPABILITY_NO_RIGHT')
      // C is B's direct peer too, but the token names A.
      expect(await refusal(c, 'write', at, 0, junk, token)).toBe('CAPABILITY_WRONG_GRANTEE')

      // B pauses everything from its card: even A's valid capability is refused.
      await b.getByTestId('assets-pause').click()
      await expect(b.getByTestId('assets-pause')).toHaveAttribute('data-paused', 'true')
      await expect.poll(async () => (await memoryOf(b)).paused).toBe(true)
      expect(await refusal(a, 'write', at, 0, junk, token)).toBe('ASSET_PAUSED')
      expect(await refusal(a, 'read', at, 8, 4, token)).toBe('ASSET_PAUSED')

      expect(await must(b, 'localBytes', 0, 128)).toBe(before)

      // Resumed, the same capability works again.
      await b.getByTestId('assets-pause').click()
      await expect(b.getByTestId('assets-pause')).toHaveAttribute('data-paused', 'false')
      await must(a, 'write', at, 40, b64('again'), token)
      expect(await must(b, 'localBytes', 40, 5)).toBe(b64('again'))
    })

    await test.step('a private memory asset is out of reach, capability or not', async () => {
      const cMemory = await memoryOf(c)
      expect(cMemory.privacy).toBe('private')
      const token = await must(c, 'grant', bId, {
        offset: 0,
        length: 64,
        rights: 'rw',
        ttlMs: 600_000,
      })
      const before = await must(c, 'localBytes', 0, 64)
      expect(await refusal(b, 'write', cMemory.uri, 0, b64('nope'), token)).toBe('ASSET_NOT_SHARED')
      expect(await must(c, 'localBytes', 0, 64)).toBe(before)
    })
  } finally {
    await Promise.all(tabs.map((t) => t.context.close()))
  }
})
