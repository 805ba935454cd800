import { expect, test } from '@playwright/test'
import { openTab, waitForDirect } from './fixtures'

/**
 * /mfn shows this tab's router at work on real peers: with two other tabs linked to it, the page
 * starts the MFN worker, routes probe jobs (pings) to its direct peers, and draws a neuron per
 * peer, the learned weights and the decisions with their outcomes; the benchmark table reads the
 * committed public/bench/mfn.json.
 */
test('the MFN page routes probe jobs to direct peers and shows its neurons', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000)
  if (baseURL === undefined) throw new Error('baseURL is not set')
  const peers = [await openTab(browser, baseURL), await openTab(browser, baseURL)]
  const watcher = await openTab(browser, baseURL, '/mfn')
  await waitForDirect(watcher.page, 30_000)
  for (const p of peers) await waitForDirect(p.page, 30_000)

  const live = watcher.page.getByTestId('mfn-live')
  await expect(live).toHaveAttribute('data-status', 'running', { timeout: 30_000 })
  // A neuron per direct peer it has routed to, and decisions whose pings came back.
  await expect(watcher.page.getByTestId('mfn-neurons').locator('li').first()).toBeVisible({
    timeout: 30_000,
  })
  const rows = watcher.page.getByTestId('mfn-decisions').locator('tbody tr')
  await expect.poll(async () => rows.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3)
  await expect(rows.filter({ hasText: /round trip/ }).first()).toBeVisible({ timeout: 15_000 })
  await expect(watcher.page.getByTestId('mfn-weights').locator('li')).not.toHaveCount(0)
  await expect(watcher.page.getByTestId('mfn-bench').locator('tbody tr').first()).toBeVisible()

  await watcher.page.screenshot({ path: 'docs/mfn.png', fullPage: true })
  for (const t of [...peers, watcher]) await t.context.close()
})
