/**
 * Entry of the tab's node bundle (scripts/build-node.mjs → public/node/boot.js), loaded `async`
 * from the root layout's <head>: the node starts as soon as this file has downloaded, without
 * waiting for the site's chunks or for React. The site reads the node's state through the shared
 * store (lib/client/store.ts).
 */
import { startNode } from './node-runtime'

void startNode().catch(() => undefined)
