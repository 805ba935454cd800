import { expect, test } from '@playwright/test'
import { mapLinks, mapNodeIds } from './fixtures'

declare global {
  interface Window {
    __hypermeshMapStats?: { nodes: number; links: number; frames: number }
  }
}

test('the map draws 200 synthetic nodes, clearly labelled, and keeps drawing', async ({ page }) => {
  await page.goto('/map?synthetic=200')
  await expect(page.getByTestId('synthetic-banner')).toContainText('Synthetic data')
  await expect(page.getByTestId('map-stat-nodes')).toHaveText('200')
  expect(await mapNodeIds(page)).toHaveLength(200)
  const links = await mapLinks(page)
  expect(links.length).toBeGreaterThan(200)

  // Every node and link of the model is in the graph.
  await expect
    .poll(() => page.evaluate(() => window.__hypermeshMapStats ?? null), { timeout: 15_000 })
    .toMatchObject({ nodes: 200, links: links.length })
  // The canvas is actually painted: many non-background pixels.
  await expect
    .poll(
      () =>
        page.evaluate(() => {
          const canvas = document.querySelector('canvas')
          if (canvas === null) return 0
          const ctx = canvas.getContext('2d')
          if (ctx === null) return 0
          const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height)
          let painted = 0
          for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) painted++
          return painted
        }),
      { timeout: 15_000 },
    )
    .toBeGreaterThan(5_000)

  // Interaction re-renders: zooming with the wheel draws new frames.
  const before = await page.evaluate(() => window.__hypermeshMapStats?.frames ?? 0)
  const box = await page.locator('canvas').boundingBox()
  if (box === null) throw new Error('no canvas')
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  await page.mouse.wheel(0, -400)
  await expect
    .poll(() => page.evaluate(() => window.__hypermeshMapStats?.frames ?? 0), { timeout: 10_000 })
    .toBeGreaterThan(before)
})

test('an invalid synthetic size falls back to the live map with a notice', async ({ page }) => {
  await page.goto('/map?synthetic=100000')
  await expect(page.getByTestId('synthetic-banner')).toHaveCount(0)
  await expect(page.getByTestId('map-view')).toHaveAttribute('data-synthetic', 'false')
})
