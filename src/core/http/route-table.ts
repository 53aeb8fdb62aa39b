// Matches request paths against the route patterns. Patterns and paths are
// split on `/` first and each path segment is then percent-decoded, so a
// parameter may contain an encoded `/` (state keys, transaction ids).
// `/_matrix/client/r0/` is served as `/_matrix/client/v3/`.
import { methodNotAllowed, unrecognized } from '../errors.ts';
import type { Route } from './route.ts';

type Segment = { readonly literal: string } | { readonly param: string };

interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly Segment[];
  /** More literal segments win over parameters when two patterns match. */
  readonly literals: number;
}

export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
}

export class RouteTable {
  private readonly compiled: readonly CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map(compile);
  }

  /**
   * The best route for method and raw path. Throws 404 M_UNRECOGNIZED when no
   * pattern matches the path and 405 M_UNRECOGNIZED when only other methods do.
   * A path that matches nothing is retried with its trailing slash toggled.
   */
  match(method: string, rawPath: string): RouteMatch {
    const segments = splitPath(rawPath);
    const alternate = segments.at(-1) === '' ? segments.slice(0, -1) : [...segments, ''];
    for (const candidate of [segments, alternate]) {
      const matches = this.matching(candidate);
      if (matches.length === 0) continue;
      const sameMethod = matches.filter((m) => m.compiled.route.method === method);
      if (sameMethod.length === 0) throw methodNotAllowed(`${method} is not allowed on this path`);
      const best = sameMethod.reduce((a, b) => (b.compiled.literals > a.compiled.literals ? b : a));
      return { route: best.compiled.route, params: best.params };
    }
    throw unrecognized();
  }

  private matching(segments: readonly string[]) {
    const out: { compiled: CompiledRoute; params: Record<string, string> }[] = [];
    for (const compiled of this.compiled) {
      const params = matchSegments(compiled.segments, segments);
      if (params) out.push({ compiled, params });
    }
    return out;
  }
}

function compile(route: Route): CompiledRoute {
  const segments = route.path.split('/').map((part): Segment => {
    const param = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(part);
    return param ? { param: param[1]! } : { literal: part };
  });
  return { route, segments, literals: segments.filter((s) => 'literal' in s).length };
}

/** Path segments, r0 read as v3, each segment percent-decoded (kept raw when malformed). */
export function splitPath(rawPath: string): string[] {
  const path = rawPath.replace(/^\/_matrix\/client\/r0(?=\/|$)/, '/_matrix/client/v3');
  return path.split('/').map(decodeSegment);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Parameters of a match, or undefined. Only the last parameter may be empty (`/state/{type}/`). */
function matchSegments(
  pattern: readonly Segment[],
  path: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const segment = pattern[i]!;
    const value = path[i]!;
    if ('literal' in segment) {
      if (segment.literal !== value) return undefined;
    } else {
      if (value === '' && i !== pattern.length - 1) return undefined;
      params[segment.param] = value;
    }
  }
  return params;
}
