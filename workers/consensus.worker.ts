/**
 * The tab's consensus worker: wiring only (STYLE.md). It runs the ledger and the consensus
 * protocol (lib/chain/ledger-service.ts) with the browser's adapters — IndexedDB for blocks,
 * state snapshots and signed-vote records, WebCrypto Ed25519 behind the consensus rule's
 * prechecks, and the main thread's libp2p node for gossip and block sync — and answers the
 * page's requests. Built by scripts/build-node.mjs into public/node/consensus-worker.js.
 */
import { parseAssetId, parseAssetUuid } from '@/lib/assets/asset-id'
import { blockHash, decodeHeader, decodeProposal, proposalSignBytes } from '@/lib/consensus/codec'
import { bytesEqual, toHex } from '@/lib/consensus/bytes'
import { decodeVote, voteSignBytes } from '@/lib/consensus/vote'
import { assetCapacityOf } from '@/lib/ledger/assets'
import { decodeGenesis } from '@/lib/ledger/genesis'
import { decodeLedgerState, encodeLedgerState } from '@/lib/ledger/snapshot'
import { decodeTx } from '@/lib/ledger/tx'
import { LedgerService } from '@/lib/chain/ledger-service'
import type { ChainTopic } from '@/lib/chain/network'
import {
  decodeProofOfState,
  encodeProofOfState,
  verifyProofOfState,
} from '@/lib/chain/proof-of-state'
import { parseCredits } from '@/lib/chain/units'
import type { ChainRequests, FromChainWorker, ToChainWorker } from '@/lib/chain/worker-protocol'
import { openIdbKvStore } from '@/lib/adapters/idb-kv-store'
import { webCryptoEd25519Verifier } from '@/lib/adapters/ed25519-webcrypto'
import { workerChainNetwork } from '@/lib/adapters/worker-chain-network'
import { systemClock } from '@/lib/ports'

/** The worker's global scope (the project's TypeScript lib is the DOM's, not the worker's). */
const scope = globalThis as unknown as {
  postMessage(message: unknown, transfer: Transferable[]): void
  addEventListener(type: 'message', listener: (evt: MessageEvent<ToChainWorker>) => void): void
}

const post = (m: FromChainWorker, transfer: Transferable[] = []): void =>
  scope.postMessage(m, transfer)
const network = workerChainNetwork(post)
let service: LedgerService | null = null
let verifier: Awaited<ReturnType<typeof webCryptoEd25519Verifier>> | null = null
const early: ToChainWorker[] = []

function hexKey(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new TypeError('expected a 64-digit hex public key')
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16))
}

/** An asset UUID from its text, or from an asset ID's text (`<type>:<uuid>`). */
function assetUuid(text: string): Uint8Array {
  return text.includes(':') ? parseAssetId(text).uuid : parseAssetUuid(text)
}

async function start(init: Extract<ToChainWorker, { type: 'init' }>['init']): Promise<void> {
  const genesis = decodeGenesis(init.genesis)
  const v = await webCryptoEd25519Verifier()
  verifier = v
  const kv = await openIdbKvStore(init.dbName)
  // Check signatures natively before the core sees a message; the core then hits the cache.
  const prepare = async (topic: ChainTopic, bytes: Uint8Array): Promise<void> => {
    try {
      if (topic === 'vote') {
        const vote = decodeVote(bytes)
        await v.prepare(vote.validator, voteSignBytes(vote), vote.signature)
      } else if (topic === 'proposal') {
        const p = decodeProposal(bytes)
        const checks: Promise<boolean>[] = [
          v.prepare(p.block.header.proposer, proposalSignBytes(p), p.signature),
        ]
        const lc = p.block.lastCommit
        for (const pc of lc?.precommits ?? []) {
          const vote = {
            chainId: p.block.header.chainId,
            height: lc!.height,
            round: lc!.round,
            type: 'precommit' as const,
            blockHash: lc!.blockHash,
            timestamp: pc.timestamp,
            validator: pc.validator,
          }
          checks.push(v.prepare(pc.validator, voteSignBytes(vote), pc.signature))
        }
        for (const tx of p.block.txs) {
          const d = decodeTx(tx)
          checks.push(v.prepare(d.from, d.signBytes, d.sig))
        }
        await Promise.all(checks)
      } else {
        const d = decodeTx(bytes)
        await v.prepare(d.from, d.signBytes, d.sig)
      }
    } catch {
      // Undecodable: the core drops it and counts the fault.
    }
  }
  service = new LedgerService(
    {
      genesis,
      ...(init.timeouts !== undefined ? { timeouts: init.timeouts } : {}),
    },
    {
      secretKey: init.secretKey,
      kv,
      network,
      verifier: v,
      prepare,
      stateCodec: { encode: encodeLedgerState, decode: decodeLedgerState },
      clock: systemClock,
    },
  )
  await service.start()
  post({ type: 'ready', publicKey: toHex(service.publicKey) })
  const publish = () => {
    if (service !== null) post({ type: 'summary', summary: service.summary() })
  }
  // On every commit (the page throttles its renders); plus a slow tick while nothing commits, so
  // the round and step stay current on the page when the chain waits.
  service.chain.on('commit', publish)
  setInterval(publish, 5_000)
  publish()
}

async function answer<M extends keyof ChainRequests>(
  s: LedgerService,
  method: M,
  params: ChainRequests[M]['params'],
): Promise<ChainRequests[M]['result']> {
  type R = ChainRequests[M]['result']
  const p = params as Record<string, unknown>
  switch (method) {
    case 'summary':
      return s.summary() as R
    case 'register':
      await s.register(p.certificate as ChainRequests['register']['params']['certificate'])
      return null as R
    case 'transfer':
      return {
        txHash: await s.transfer(hexKey(p.to as string), parseCredits(p.amount as string)),
      } as R
    case 'stake':
      return { txHash: await s.stake(parseCredits(p.amount as string)) } as R
    case 'unstake':
      return { txHash: await s.unstake(parseCredits(p.amount as string)) } as R
    case 'attest': {
      const a = params as ChainRequests['attest']['params']
      return { txHash: await s.attest(hexKey(a.subject), a.rttMs, a.coord) } as R
    }
    case 'registerAsset': {
      const a = params as ChainRequests['registerAsset']['params']
      const txHash = await s.registerAsset({
        id: parseAssetId(a.id),
        port: a.port,
        level: a.level,
        share: a.share,
        capacity: assetCapacityOf(a.resources),
        createdUs: a.createdUs,
      })
      return { txHash } as R
    }
    case 'updateAsset': {
      const a = params as ChainRequests['updateAsset']['params']
      const txHash = await s.updateAsset({
        id: parseAssetId(a.id),
        level: a.level,
        share: a.share,
        capacity: assetCapacityOf(a.resources),
      })
      return { txHash } as R
    }
    case 'retireAsset':
      return { txHash: await s.retireAsset(parseAssetId(p.id as string)) } as R
    case 'assets': {
      const a = params as ChainRequests['assets']['params']
      return s.assets({
        ...(a.owner !== undefined ? { owner: hexKey(a.owner) } : {}),
        ...(a.limit !== undefined ? { limit: a.limit } : {}),
        ...(a.includeRetired !== undefined ? { includeRetired: a.includeRetired } : {}),
      }) as R
    }
    case 'asset': {
      const found = await s.findAsset(p.query as string)
      return (
        found === null
          ? null
          : {
              asset: found.asset,
              proof: found.proof === null ? null : encodeProofOfState(found.proof),
            }
      ) as R
    }
    case 'blocks':
      return (await s.recentBlocks(
        Math.min(100, Math.max(1, p.count as number)),
        p.below as number | undefined,
      )) as R
    case 'block':
      return (await s.block(p.height as number)) as R
    case 'tx':
      return (await s.tx(p.hash as string)) as R
    case 'proof': {
      const bundle =
        'account' in p
          ? await s.proofOfState({ account: hexKey(p.account as string) })
          : 'asset' in p
            ? await s.proofOfState({ asset: assetUuid(p.asset as string) })
            : await s.proofOfState({ tx: p.tx as string })
      return (bundle === null ? null : encodeProofOfState(bundle)) as R
    }
    case 'verify': {
      const bytes = p.bundle as Uint8Array
      // Anchor: the bundle's block must be the block this node verified at that height; then the
      // committee its header names is the one this node's chain checked.
      let trusted
      try {
        const bundle = decodeProofOfState(bytes)
        const header = decodeHeader(bundle.header)
        const mine = await s.storedBlock(header.height)
        if (mine !== null && bytesEqual(blockHash(mine.block.header), blockHash(header))) {
          trusted = bundle.committee
        }
      } catch {
        // verifyProofOfState reports the format error.
      }
      return verifyProofOfState(bytes, {
        chainId: s.genesis.chainId,
        verifier: verifier!,
        now: Date.now(),
        ...(trusted ? { trustedCommittee: trusted } : {}),
      }) as R
    }
  }
  throw new TypeError(`unknown method ${String(method)}`)
}

function handle(m: ToChainWorker): void {
  if (m.type === 'init') {
    start(m.init).then(
      () => {
        for (const e of early.splice(0)) handle(e)
      },
      (err: unknown) => {
        const e = err as Error
        post({ type: 'failed', error: { name: e.name, message: e.message } })
      },
    )
    return
  }
  if (service === null) {
    if (m.type !== 'gossip') early.push(m)
    return
  }
  switch (m.type) {
    case 'gossip':
      network.deliver({ topic: m.topic, data: m.data, from: m.from })
      break
    case 'fetched':
      network.settle(m.id, m.ok ? { ok: true, peer: m.peer, blocks: m.blocks } : m)
      break
    case 'serve':
      void network.serve(m.id, m.from, m.to)
      break
    case 'request':
      answer(service, m.method, m.params as never).then(
        (result) => post({ type: 'response', id: m.id, ok: true, result }),
        (err: unknown) => {
          // A refused transaction carries the ledger's own error (name, code): pass it on, so
          // the page can say exactly why (insufficient funds, bad nonce, …).
          const e = err as Error & {
            code?: string
            reason?: { name: string; code?: string; message: string }
          }
          const source = e.reason ?? e
          post({
            type: 'response',
            id: m.id,
            ok: false,
            error: {
              name: source.name,
              ...(source.code !== undefined ? { code: source.code } : {}),
              message: source.message,
            },
          })
        },
      )
      break
  }
}

scope.addEventListener('message', (evt) => handle(evt.data))
