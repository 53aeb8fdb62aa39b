// The one route table of both APIs, Client-Server (http/router.ts) and
// Server-Server (federation/route-registry.ts): it matches request paths
// against the route patterns and ranks the matches the same way for both.
// Patterns and paths are split on `/` first and each path segment is then
// percent-decoded, so a parameter may contain an encoded `/` (state keys,
// transaction ids). `/_matrix/client/r0/` is served as `/_matrix/client/v3/`.
import { methodNotAllowed, unrecognized } from '../errors.ts';

/** What the table needs of a route; each API's route type adds its handler. */
export interface PathRoute {
  readonly method: string;
  /** Path pattern with `{name}` segments, e.g. `/_matrix/client/v3/rooms/{roomId}/state/{type}/{stateKey}`. */
  readonly path: string;
}

/**
 * How strictly parameters are read. 'lenient' (Client-Server, as clients
 * send them): the last parameter may be empty (`/state/{type}/`), a
 * malformed percent-escape stays raw, and a path that matches nothing is
 * tried again with its trailing slash toggled. 'strict' (Server-Server,
 * between servers that follow the spec): every parameter is non-empty and
 * well encoded, and the path must match as sent.
 */
export type ParamRules = 'lenient' | 'strict';

type Segment = { readonly literal: string } | { readonly param: string };

interface CompiledRoute<R extends PathRoute> {
  readonly route: R;
  readonly segments: readonly Segment[];
  /** More literal segments win over parameters when two patterns match. */
  readonly literals: number;
}

export interface RouteMatch<R extends PathRoute> {
  readonly route: R;
  readonly params: Record<string, string>;
}

export class RouteTable<R extends PathRoute> {
  /** The routes by their number of segments: a path is tried only against patterns as long as it (every request asks). */
  private readonly bySegments = new Map<number, CompiledRoute<R>[]>();

  private readonly rules: ParamRules;

  constructor(routes: readonly R[], rules: ParamRules = 'lenient') {
    for (const compiled of routes.map(compile)) {
      const same = this.bySegments.get(compiled.segments.length);
      if (same) same.push(compiled);
      else this.bySegments.set(compiled.segments.length, [compiled]);
    }
    this.rules = rules;
  }

  /**
   * The best route for method and raw path. Throws 404 M_UNRECOGNIZED when no
   * pattern matches the path and 405 M_UNRECOGNIZED when only other methods do.
   * A path that matches nothing is retried with its trailing slash toggled.
   */
  match(method: string, rawPath: string): RouteMatch<R> {
    const segments = splitPath(rawPath, this.rules);
    if (segments === undefined) throw unrecognized();
    const alternate = segments.at(-1) === '' ? segments.slice(0, -1) : [...segments, ''];
    for (const candidate of this.rules === 'lenient' ? [segments, alternate] : [segments]) {
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
    const out: { compiled: CompiledRoute<R>; params: Record<string, string> }[] = [];
    for (const compiled of this.bySegments.get(segments.length) ?? []) {
      const params = matchSegments(compiled.segments, segments, this.rules);
      if (params) out.push({ compiled, params });
    }
    return out;
  }
}

function compile<R extends PathRoute>(route: R): CompiledRoute<R> {
  const segments = route.path.split('/').map((part): Segment => {
    const param = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(part);
    return param ? { param: param[1]! } : { literal: part };
  });
  return { route, segments, literals: segments.filter((s) => 'literal' in s).length };
}

/**
 * Path segments, r0 read as v3, each segment percent-decoded; a malformed
 * escape is kept raw ('lenient') or makes the path match nothing ('strict').
 */
export function splitPath(rawPath: string, rules: ParamRules = 'lenient'): string[] | undefined {
  const path = rawPath.replace(/^\/_matrix\/client\/r0(?=\/|$)/, '/_matrix/client/v3');
  const out: string[] = [];
  for (const segment of path.split('/')) {
    // Most segments have no escape: kept as they are, without the decoder's cost.
    if (!segment.includes('%')) out.push(segment);
    else {
      try {
        out.push(decodeURIComponent(segment));
      } catch {
        if (rules === 'strict') return undefined;
        out.push(segment);
      }
    }
  }
  return out;
}

/** Parameters of a match, or undefined. Only the last parameter may be empty, and only when 'lenient'. */
function matchSegments(
  pattern: readonly Segment[],
  path: readonly string[],
  rules: ParamRules,
): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const segment = pattern[i]!;
    const value = path[i]!;
    if ('literal' in segment) {
      if (segment.literal !== value) return undefined;
    } else {
      if (value === '' && (rules === 'strict' || i !== pattern.length - 1)) return undefined;
      params[segment.param] = value;
    }
  }
  return params;
}
