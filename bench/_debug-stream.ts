import { launchBrowser, startServer } from './lib'
import { RAW_LIB } from './mesh'
const server = await startServer({ port: 3450, label: 'dbg' })
const browser = await launchBrowser()
const mode = process.argv[3] ?? 'raw'
try {
  const open = async (path = '/?bench') => { const c = await browser.newContext(); const p = await c.newPage(); await p.goto(server.baseUrl + path); return p }
  const [a, b] = await Promise.all([open(), open()])
  for (const p of [a, b]) await p.waitForFunction('window.hypermeshBench !== undefined && window.hypermesh?.peerId', undefined, { timeout: 30000 })
  const bId = await b.evaluate('window.hypermesh.peerId') as string
  await a.waitForFunction(`window.hypermesh.connections.some(c => c.peerId === '${bId}' && c.transport === 'webrtc')`, undefined, { timeout: 30000 })
  const t00 = Date.now()
  if (mode.includes('wait')) await new Promise(r => setTimeout(r, 2500))
  if (mode.includes('solo')) { const s = await open('/api/health'); await s.evaluate(RAW_LIB); await s.evaluate('window.__rawBench.local()') }
  if (mode.includes('raw')) {
    await Promise.all([a.evaluate(RAW_LIB), b.evaluate(RAW_LIB)])
    const offer = await a.evaluate('window.__rawBench.offer()') as string
    const answer = await b.evaluate(`window.__rawBench.answer(${JSON.stringify(offer)})`) as string
    await a.evaluate(`window.__rawBench.accept(${JSON.stringify(answer)})`)
  }
  console.log('setup took', Date.now() - t00)
  for (const mib of (process.argv[2] ?? '32,32,32').split(',').map(Number)) {
    const t0 = Date.now()
    const r = await Promise.race([new Promise(r => setTimeout(() => r('HUNG 30s'), 30000)), a.evaluate(`window.hypermeshBench.stream('${bId}', ${mib * 1048576}).then(r => r, e => ({ name: e.name, code: e.code, message: e.message, stack: String(e.stack).slice(0, 300) }))`)])
    console.log(mib, 'MiB', Date.now() - t0, 'ms', JSON.stringify(r))
    console.log('A conns', JSON.stringify(await a.evaluate('window.hypermesh.connections')))
  }
} finally { await browser.close(); await server.stop() }
