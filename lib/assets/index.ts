/**
 * Assets and addressing (DESIGN.md §5): asset identifiers, global addresses and URIs, capability
 * tokens, privacy settings, measured resources, the remote-memory wire format, proofs of
 * retrievability and the stored bytes of storage assets. Formats and decisions: lib/assets/README.md.
 */
export * from './asset-id'
export * from './global-address'
export * from './capability'
export * from './privacy'
export * from './resources'
export * from './remote-memory'
export * from './retrievability'
export * from './stored-bytes'
export * from './authorize'
