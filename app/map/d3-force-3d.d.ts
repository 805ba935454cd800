// The one function of d3-force-3d (force-graph's own force engine) the map uses; the package
// ships no types. Same signature as d3-force's forceCollide in two dimensions.
declare module 'd3-force-3d' {
  interface CollideForce<N> {
    (alpha: number): void
    initialize(nodes: N[]): void
    radius(radius: number | ((node: N) => number)): CollideForce<N>
    strength(strength: number): CollideForce<N>
    iterations(iterations: number): CollideForce<N>
  }
  export function forceCollide<N>(radius?: number | ((node: N) => number)): CollideForce<N>
}
