import { expect, test, type Page } from '@playwright/test'
import { openTab, state, type Tab } from './fixtures'

/**
 * The explorer's assets (issue #6) on real tabs: three tabs give their assets different privacy
 * levels — one keeps everything private, one publishes its memory and keeps its cpu p2p, one
 * publishes cpu and storage and keeps its memory in its private network — and register them; a
 * fourth browser context opens /explorer and lists exactly the assets their levels publish
 * (public-network, full-public), none of the others; a GlobalAddress typed into the search box
 * opens that asset's page, whose proof of state verifies in the browser; a private asset's
 * address finds nothing. The list and an asset page are kept as docs/explorer-assets.png.
 */

/** Levels the ledger publishes (lib/assets `isRegistered`). */
const PUBLISHED = new Set(['public-network', 'full-public'])

/** Call `window.hypermeshAssets[fn](...args)` in a tab; throws with the refusal's code. */
async function must(page: Page, fn: string, ...args: unknown[]): Promise<void> {
  const r = await page.evaluate(
    async ({ fn, args }) => {
      const api = (window as unknown as { hypermeshAssets?: Record<string, unknown> })
        .hypermeshAssets
      if (api === undefined) return 'NO_API'
      try {
        await (api[fn] as (...a: unknown[]) => Promise<unknown>)(...args)
        return null
      } catch (err) {
        const e = err as { code?: string; name?: string; message?: string }
        return `${e.code ?? e.name ?? 'Error'}: ${e.message ?? ''}`
      }
    },
    { fn, args },
  )
  if (r !== null) throw new Error(`${fn}(${JSON.stringify(args)}) failed: ${r}`)
}

async function waitForAssets(page: Page): Promise<void> {
  await expect(page.getByTestId('assets-card')).toHaveAttribute('data-status', 'ready', {
    timeout: 90_000,
  })
  await expect
    .poll(async () => (await state(page)).assets.map((a) => a.type).sort(), { timeout: 10_000 })
    .toEqual(expect.arrayContaining(['cpu', 'memory', 'storage']))
}

async function assetOf(page: Page, type: string) {
  const a = (await state(page)).assets.find((x) => x.type === type)
  if (a === undefined) throw new Error(`no ${type} asset`)
  return a
}

/** The GlobalAddresses the explorer's asset table shows, sorted. */
async function shownAddresses(page: Page): Promise<string[]> {
  const rows = await page
    .getByTestId('asset-row')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-address') ?? ''))
  return rows.sort()
}

/** The node_id groups of a GlobalAddress's text form (DESIGN.md §5: prefix 4 groups, node 4). */
const nodeIdOf = (address: string): string => address.split(':').slice(4, 8).join(':')

test('the explorer lists exactly the published assets, finds one by address and proves it', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(300_000)
  if (baseURL === undefined) throw new Error('baseURL is not set')
  const tabs: Tab[] = []
  try {
    for (let i = 0; i < 3; i++) tabs.push(await openTab(browser, baseURL, '/'))
    const [a, b, c] = tabs.map((t) => t.page) as [Page, Page, Page]
    for (const page of [a, b, c]) await waitForAssets(page)

    await test.step('three owners choose their levels', async () => {
      // A keeps the default: everything private.
      await must(b, 'setPrivacy', 'memory', 'public-network')
      await must(b, 'setPrivacy', 'cpu', 'p2p')
      await must(c, 'setPrivacy', 'cpu', 'full-public')
      await must(c, 'setPrivacy', 'storage', 'full-public')
      await must(c, 'setPrivacy', 'memory', 'private-network')
      expect((await state(a)).assets.every((x) => x.privacy === 'private')).toBe(true)
      expect((await assetOf(b, 'cpu')).privacy).toBe('p2p')
      expect((await assetOf(c, 'memory')).privacy).toBe('private-network')
    })

    await test.step('the owners’ nodes register on the ledger', async () => {
      for (const page of [a, b, c]) {
        await expect
          .poll(async () => (await state(page)).ledger?.registered ?? false, { timeout: 90_000 })
          .toBe(true)
      }
    })

    const explorerTab = await openTab(browser, baseURL, '/explorer')
    tabs.push(explorerTab)
    const x = explorerTab.page
    await x.setViewportSize({ width: 1360, height: 900 })

    // What each tab's own settings allow the ledger to list: the published levels only.
    const everyAsset = async () =>
      (await Promise.all(tabs.map(async (t) => (await state(t.page)).assets))).flat()
    const published = async () =>
      (await everyAsset())
        .filter((s) => PUBLISHED.has(s.privacy) && !s.paused)
        .map((s) => s.globalAddress)
        .sort()

    await test.step('a fourth context lists exactly the published assets', async () => {
      await x.getByTestId('explorer-tab-assets').click()
      await expect(x).toHaveURL(/\/explorer\/assets$/)
      await expect(x.getByTestId('asset-list')).toBeVisible()
      const expected = await published()
      expect(expected).toHaveLength(3)
      expect(expected).toEqual(
        [
          (await assetOf(b, 'memory')).globalAddress,
          (await assetOf(c, 'cpu')).globalAddress,
          (await assetOf(c, 'storage')).globalAddress,
        ].sort(),
      )
      // The server may hold assets registered by earlier tests' tabs (closed now, still on the
      // ledger): the comparison is exact over the nodes of this test's four contexts, and any
      // other row must belong to some other node.
      const ours = async () => {
        const nodes = new Set((await everyAsset()).map((s) => nodeIdOf(s.globalAddress)))
        const rows = await shownAddresses(x)
        return {
          ours: rows.filter((r) => nodes.has(nodeIdOf(r))),
          others: rows.filter((r) => !nodes.has(nodeIdOf(r))),
        }
      }
      // Registration waits for each node's registration, then the assets' sync round and a block.
      await expect.poll(async () => (await ours()).ours, { timeout: 120_000 }).toEqual(expected)
      // The fourth tab's own assets are private too (measured meanwhile): still exactly these.
      expect(await published()).toEqual(expected)
      const own = new Set((await everyAsset()).map((s) => s.globalAddress))
      for (const other of (await ours()).others) expect(own.has(other)).toBe(false)

      const shown = new Set(await shownAddresses(x))
      const hidden = (await everyAsset()).filter((s) => !PUBLISHED.has(s.privacy))
      expect(hidden.length).toBeGreaterThanOrEqual(9)
      for (const s of hidden) expect(shown.has(s.globalAddress), s.privacy).toBe(false)
      // Each row shows the level its owner chose.
      for (const s of (await everyAsset()).filter((s) => PUBLISHED.has(s.privacy))) {
        await expect(
          x.locator(`[data-testid="asset-row"][data-address="${s.globalAddress}"]`),
        ).toHaveAttribute('data-level', s.privacy)
      }
      const total = 3 + (await ours()).others.length
      await expect(x.getByTestId('asset-count')).toHaveText(`${total} of ${total} assets`)
    })

    await test.step('filters and sorting', async () => {
      const rows = x.getByTestId('asset-row')
      const attrs = async (name: string) =>
        rows.evaluateAll((els, n) => els.map((e) => e.getAttribute(n) ?? ''), name)
      const all = await rows.count()
      await x.getByTestId('asset-filter-level').selectOption('full-public')
      await expect(x).toHaveURL(/\?level=full-public$/)
      await expect.poll(() => attrs('data-level')).not.toContain('public-network')
      expect(new Set(await attrs('data-level'))).toEqual(new Set(['full-public']))
      expect(await attrs('data-address')).toEqual(
        expect.arrayContaining([
          (await assetOf(c, 'cpu')).globalAddress,
          (await assetOf(c, 'storage')).globalAddress,
        ]),
      )
      expect(await attrs('data-address')).not.toContain((await assetOf(b, 'memory')).globalAddress)
      await x.getByTestId('asset-filter-type').selectOption('storage')
      await expect.poll(() => attrs('data-type')).not.toContain('cpu')
      expect(new Set(await attrs('data-type'))).toEqual(new Set(['storage']))
      expect(await attrs('data-address')).toContain((await assetOf(c, 'storage')).globalAddress)
      await x.getByTestId('asset-filter-clear').click()
      await expect(rows).toHaveCount(all)
      const sortedTypes = async () => {
        const types = await attrs('data-type')
        return types.every((t, i) => i === 0 || types[i - 1]!.localeCompare(t) <= 0)
      }
      await x.getByTestId('asset-sort-type').click()
      await expect(rows.first()).toHaveAttribute('data-type', 'cpu')
      expect(await sortedTypes()).toBe(true)
      await x.getByTestId('asset-sort-type').click()
      await expect(rows.first()).toHaveAttribute('data-type', 'storage')
      const descending = await attrs('data-type')
      expect(descending.every((t, i) => i === 0 || descending[i - 1]!.localeCompare(t) >= 0)).toBe(
        true,
      )
    })
    const listShot = await x.screenshot({ fullPage: true })

    const storage = await assetOf(c, 'storage')
    await test.step('a private asset’s address finds nothing, and says why', async () => {
      const hidden = await assetOf(a, 'memory')
      await x.getByTestId('explorer-search').fill(hidden.globalAddress)
      await x.getByTestId('explorer-search-submit').click()
      await expect(x.getByTestId('explorer-search-problem')).toContainText(
        'No registered asset has that GlobalAddress',
      )
      await x.getByTestId('explorer-search').fill('6879:7065::1')
      await x.getByTestId('explorer-search-submit').click()
      await expect(x.getByTestId('explorer-search-problem')).toContainText('not a GlobalAddress')
    })

    await test.step('a GlobalAddress typed into the search box opens its asset page', async () => {
      await x.getByTestId('explorer-search').fill(storage.globalAddress)
      await x.getByTestId('explorer-search-submit').click()
      await expect(x).toHaveURL(new RegExp(`/explorer/asset/${storage.assetId}$`))
      await expect(x.getByTestId('asset-address')).toHaveText(storage.globalAddress)
      await expect(x.getByTestId('asset-id')).toHaveText(storage.assetId)
      await expect(x.getByTestId('asset-uri')).toHaveText(storage.uri)
      await expect(x.getByTestId('asset-register-tx')).toBeVisible()
      await expect(x.getByTestId('node-ledger')).toContainText('registered')
    })

    await test.step('the asset’s proof of state verifies in the browser', async () => {
      await x.getByTestId('proof-verify').click()
      const result = x.getByTestId('proof-result')
      await expect(result).toHaveAttribute('data-ok', 'true', { timeout: 60_000 })
      await expect(x.getByTestId('proof-verdict')).toContainText('Valid')
      await expect(x.locator('[data-testid="proof-check"][data-check="facts"]')).toContainText(
        `asset ${storage.assetId}`,
      )
    })
    await x.evaluate(() => window.scrollTo(0, 0))
    const assetShot = await x.screenshot({ fullPage: true })

    await test.step('the owner’s node page lists its assets and links to the map', async () => {
      await x.getByTestId('asset-owner-link').click()
      const cPeer = (await state(c)).peerId
      await expect(x.getByTestId('node-peer-id')).toHaveText(cPeer)
      await expect
        .poll(() => shownAddresses(x), { timeout: 30_000 })
        .toEqual([(await assetOf(c, 'cpu')).globalAddress, storage.globalAddress].sort())
      await expect(x.getByTestId('node-map-link')).toHaveAttribute('href', '/map')
    })

    // The list beside an asset page, for docs/.
    const sheet = await explorerTab.context.newPage()
    await sheet.setViewportSize({ width: 2 * 1360 + 48, height: 900 })
    const img = (png: Buffer) =>
      `<img src="data:image/png;base64,${png.toString('base64')}" style="width:1360px;border-radius:12px;border:1px solid #1e293b">`
    await sheet.setContent(
      `<body style="margin:0;padding:16px;background:#020617;display:flex;gap:16px;align-items:flex-start">${img(listShot)}${img(assetShot)}</body>`,
    )
    await sheet.screenshot({ path: 'docs/explorer-assets.png', fullPage: true })
  } finally {
    await Promise.all(tabs.map((t) => t.context.close()))
  }
})
