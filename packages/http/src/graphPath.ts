// Graph API paths as callers send them: `/v1/{node}/…` (callpermit's prefix), `/vNN.N/{node}/…` (Meta's version
// segment) and `/{node}/…` (none; Meta's SDKs drop it for some calls). Segments are decoded and empty ones
// dropped, so `//123/Messages/` is read as Meta would read it: the guard cannot be walked around by spelling.
import { businessIdProblem } from '@callpermit/core';

/** A Graph path, normalised. */
export interface GraphPath {
  /** `callpermit` for `/v1/`, `versioned` for `/vNN.N/`, `bare` for none. */
  readonly prefix: 'callpermit' | 'versioned' | 'bare';
  /** Meta's version segment, forwarded as given; undefined for `/v1/` and bare paths. */
  readonly version: string | undefined;
  /** The node: a phone number id or WABA id (or any Graph object id). */
  readonly node: string;
  /** The segments after the node, as given (a lone edge in lower case). */
  readonly rest: readonly string[];
  /** `rest[0]` in lower case when there is exactly one segment after the node: the edge. */
  readonly edge: string | undefined;
  /** `/{node}/{rest…}`: what follows the version upstream. */
  readonly path: string;
}

export const GRAPH_VERSION = /^v\d+\.\d+$/;

/**
 * Why a node is not a Graph object id (a phone number id, a WABA id: 64-bit integers, so core's rule for a
 * business phone number id), or undefined.
 */
export function nodeProblem(node: string): string | undefined {
  return businessIdProblem(node);
}

/** The Graph path of a request path, or undefined when it is none (no node). */
export function parseGraphPath(pathname: string): GraphPath | undefined {
  let segments: string[];
  try {
    segments = pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  let prefix: GraphPath['prefix'] = 'bare';
  let version: string | undefined;
  if (segments[0] === 'v1') {
    prefix = 'callpermit';
    segments.shift();
  } else if (segments[0] !== undefined && GRAPH_VERSION.test(segments[0])) {
    prefix = 'versioned';
    version = segments.shift();
  }
  const [node, ...given] = segments;
  if (node === undefined) return undefined;
  // An edge is read in lower case (Meta's edges are), and forwarded so: `Calls` is decided as `calls`.
  const rest = given.length === 1 ? [(given[0] as string).toLowerCase()] : given;
  return {
    prefix,
    version,
    node,
    rest,
    edge: rest.length === 1 ? rest[0] : undefined,
    path: `/${[node, ...rest].map(encodeURIComponent).join('/')}`,
  };
}
