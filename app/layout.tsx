import type { Metadata } from 'next'
import './globals.css'
import { MeshProvider } from './mesh-provider'
import { NavBar } from './nav-bar'

export const metadata: Metadata = {
  title: 'HyperMesh',
  description: 'Your browser tab is a node of a peer-to-peer compute mesh.',
}

export default function RootLayout({ children }: { children: React.ReactNode }): React.ReactNode {
  return (
    <html lang="en">
      <head>
        {/* The tab's node, a bundle of its own (scripts/build-node.mjs): it starts while the
            site's chunks are still loading. The MeshProvider falls back to the site's bundle. */}
        <script type="module" async src="/node/early.js" />
        <script type="module" async src="/node/boot.js" />
      </head>
      <body className="min-h-screen">
        <MeshProvider>
          <NavBar />
          <main className="mx-auto max-w-6xl px-4 py-6">{children}</main>
        </MeshProvider>
      </body>
    </html>
  )
}
