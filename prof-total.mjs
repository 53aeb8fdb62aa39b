import { readFileSync } from 'node:fs';
import { SourceMapConsumer } from 'source-map-js';
const p = JSON.parse(readFileSync(process.argv[2]));
const maps = {};
const consumer = (url) => {
  const file = url.split('/').pop();
  if (!file.endsWith('.js')) return undefined;
  return (maps[file] ??= new SourceMapConsumer(JSON.parse(readFileSync(`${process.argv[3]}/${file}.map`))));
};
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
const totalMemo = new Map();
const total = (id) => { if (totalMemo.has(id)) return totalMemo.get(id); const n = byId.get(id); const t = (self.get(id) ?? 0) + (n.children ?? []).reduce((s, c) => s + total(c), 0); totalMemo.set(id, t); return t; };
const name = (f) => {
  const c = f.url ? consumer(f.url) : undefined;
  if (c && f.lineNumber >= 0) { const o = c.originalPositionFor({ line: f.lineNumber + 1, column: f.columnNumber }); if (o.source) return `${o.name ?? f.functionName}@${o.source.split('/').slice(-2).join('/')}:${o.line}`; }
  return f.functionName || '(anon)';
};
// inclusive time per function name, counting each stack once (avoid recursion double count: approximate by top-most occurrence)
const incl = new Map(); const selfBy = new Map();
const walk = (id, seen) => { const n = byId.get(id); const k = name(n.callFrame); selfBy.set(k, (selfBy.get(k) ?? 0) + (self.get(id) ?? 0)); let s2 = seen; if (!seen.has(k)) { incl.set(k, (incl.get(k) ?? 0) + total(id)); s2 = new Set(seen); s2.add(k); } for (const c of n.children ?? []) walk(c, s2); };
walk(p.nodes[0].id, new Set());
const mode = process.argv[4] ?? 'incl';
const m = mode === 'self' ? selfBy : incl;
for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, +(process.argv[5] ?? 50))) console.log((v / 1000).toFixed(1).padStart(8), k);
