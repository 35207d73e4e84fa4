/**
 * The supply chain as a picture: steps and inspections as nodes, MATCH rules as edges labelled with
 * their patterns (from the step whose artifacts are matched to the item whose rule matches them).
 * Mermaid and DOT for docs; one self-contained HTML file with an inline SVG (no scripts, no network)
 * for people. Names and patterns come from signed but possibly hostile input: all text is escaped.
 */
import type { Layout } from '../metadata/index.js';
import { parseRule } from '../rules/index.js';

export type NodeStatus = 'pass' | 'fail' | 'unknown';

export interface GraphNode {
  id: string;
  name: string;
  kind: 'step' | 'inspection';
  status: NodeStatus;
  layer: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  label: string;
}

export interface LayoutGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** A verify `--json` report, as far as the graph needs it. */
export interface ReportLike {
  /** `ok: false` without `failure`: verification stopped before this item (shown as unknown). */
  steps?: { name: string; ok: boolean; failure?: unknown }[];
  inspections?: { name: string; ok: boolean; failure?: unknown }[];
  failure?: unknown;
}

export function layoutGraph(layout: Layout, report?: ReportLike): LayoutGraph {
  const items = [
    ...layout.steps.map((s) => ({ item: s, kind: 'step' as const })),
    ...layout.inspect.map((i) => ({ item: i, kind: 'inspection' as const })),
  ];
  const status = new Map<string, NodeStatus>();
  for (const r of [...(report?.steps ?? []), ...(report?.inspections ?? [])])
    status.set(r.name, r.ok ? 'pass' : r.failure ? 'fail' : 'unknown');
  const nodes: GraphNode[] = items.map(({ item, kind }, i) => ({
    id: `n${i}`,
    name: item.name,
    kind,
    status: status.get(item.name) ?? 'unknown',
    layer: 0,
  }));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const edges: GraphEdge[] = [];
  for (const { item } of items) {
    for (const [kind, rules] of [
      ['materials', item.expectedMaterials],
      ['products', item.expectedProducts],
    ] as const) {
      for (const raw of rules) {
        let rule;
        try {
          rule = parseRule(raw);
        } catch {
          continue;
        }
        if (rule.type !== 'match') continue;
        const from = byName.get(rule.destinationStep);
        const to = byName.get(item.name)!;
        if (!from || from === to) continue;
        const label = `${rule.pattern}${rule.sourcePrefix ? ` in ${rule.sourcePrefix}` : ''} (${rule.destinationType} → ${kind})`;
        const existing = edges.find((e) => e.from === from.id && e.to === to.id);
        if (existing) existing.label += `, ${label}`;
        else edges.push({ from: from.id, to: to.id, label });
      }
    }
  }
  // Layers: longest path from a source (cycles are cut by bounding the passes).
  for (let pass = 0; pass < nodes.length; pass++) {
    let changed = false;
    for (const e of edges) {
      const a = nodes.find((n) => n.id === e.from)!;
      const b = nodes.find((n) => n.id === e.to)!;
      if (b.layer < a.layer + 1 && a.layer + 1 < nodes.length) {
        b.layer = a.layer + 1;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return { nodes, edges };
}

const mermaidText = (s: string) =>
  `"${s.replace(/"/g, '#quot;').replace(/[<>]/g, (c) => (c === '<' ? '#lt;' : '#gt;'))}"`;

export function toMermaid(g: LayoutGraph): string {
  const lines = ['flowchart LR'];
  for (const n of g.nodes)
    lines.push(
      `  ${n.id}${n.kind === 'step' ? `[${mermaidText(n.name)}]` : `{{${mermaidText(`inspection: ${n.name}`)}}}`}`
    );
  for (const e of g.edges) lines.push(`  ${e.from} -->|${mermaidText(e.label)}| ${e.to}`);
  const cls = {
    pass: 'fill:#d4f7d4,stroke:#2a7a2a',
    fail: 'fill:#f9d0d0,stroke:#a32020',
    unknown: 'fill:#eeeeee,stroke:#666666',
  };
  for (const s of ['pass', 'fail'] as const) {
    const ids = g.nodes.filter((n) => n.status === s).map((n) => n.id);
    if (ids.length) lines.push(`  classDef ${s} ${cls[s]}`, `  class ${ids.join(',')} ${s}`);
  }
  return `${lines.join('\n')}\n`;
}

const dotText = (s: string) =>
  `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

export function toDot(g: LayoutGraph): string {
  const color = { pass: '#d4f7d4', fail: '#f9d0d0', unknown: '#eeeeee' };
  const lines = [
    'digraph supply_chain {',
    '  rankdir=LR;',
    '  node [style=filled, fontname="Helvetica"];',
  ];
  for (const n of g.nodes)
    lines.push(
      `  ${n.id} [label=${dotText(n.kind === 'inspection' ? `inspection: ${n.name}` : n.name)}, shape=${n.kind === 'step' ? 'box' : 'hexagon'}, fillcolor="${color[n.status]}"];`
    );
  for (const e of g.edges) lines.push(`  ${e.from} -> ${e.to} [label=${dotText(e.label)}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

const html = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!
  );

export function toHTML(g: LayoutGraph, title = 'Supply chain'): string {
  const W = 200;
  const H = 54;
  const GX = 170;
  const GY = 46;
  const layers = new Map<number, typeof g.nodes>();
  for (const n of g.nodes) layers.set(n.layer, [...(layers.get(n.layer) ?? []), n]);
  const pos = new Map<string, { x: number; y: number }>();
  for (const [layer, ns] of layers)
    ns.forEach((n, i) => pos.set(n.id, { x: 40 + layer * (W + GX), y: 90 + i * (H + GY) }));
  const columns = Math.max(...[...layers.keys()].map((l) => l + 1), 1);
  // No gap after the last column: a three-step chain fits a 1200 px window.
  const width = 80 + columns * W + (columns - 1) * GX;
  const height = 120 + Math.max(...[...layers.values()].map((ns) => ns.length), 1) * (H + GY);
  const fill = { pass: '#d4f7d4', fail: '#f9d0d0', unknown: '#f2f2f2' };
  const stroke = { pass: '#2a7a2a', fail: '#a32020', unknown: '#777777' };
  const parts: string[] = [];
  for (const e of g.edges) {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    const [x1, y1, x2, y2] = [a.x + W, a.y + H / 2, b.x, b.y + H / 2];
    // About 5.5 px per character at font-size 10: stay inside the gap between boxes (full text in <title>).
    const label = e.label.length > 28 ? `${e.label.slice(0, 27)}…` : e.label;
    const span = Math.round((b.x - a.x) / (W + GX));
    if (span > 1) {
      // An edge over other layers arcs above the boxes in between.
      const top = Math.min(a.y, b.y) - 30;
      parts.push(
        `<path d="M${a.x + W / 2},${a.y} C${a.x + W / 2},${top} ${b.x + W / 2},${top} ${b.x + W / 2},${b.y}" fill="none" stroke="#555" stroke-width="1.5" stroke-dasharray="4 3" marker-end="url(#arrow)"/>`
      );
      parts.push(
        `<text x="${(a.x + b.x + W) / 2}" y="${top + 18}" text-anchor="middle" font-size="10" fill="#333"><title>${html(e.label)}</title>${html(label)}</text>`
      );
      continue;
    }
    parts.push(
      `<path d="M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}" fill="none" stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"/>`
    );
    parts.push(
      `<text x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 - 6}" text-anchor="middle" font-size="10" fill="#333"><title>${html(e.label)}</title>${html(label)}</text>`
    );
  }
  for (const n of g.nodes) {
    const { x, y } = pos.get(n.id)!;
    const rx = n.kind === 'step' ? 6 : 24;
    const mark = n.status === 'pass' ? '✓ ' : n.status === 'fail' ? '✗ ' : '';
    parts.push(
      `<g><rect x="${x}" y="${y}" width="${W}" height="${H}" rx="${rx}" fill="${fill[n.status]}" stroke="${stroke[n.status]}" stroke-width="2"/>`
    );
    parts.push(
      `<text x="${x + W / 2}" y="${y + 23}" text-anchor="middle" font-size="15" font-weight="bold" fill="#111">${html(mark + n.name)}</text>`
    );
    parts.push(
      `<text x="${x + W / 2}" y="${y + 42}" text-anchor="middle" font-size="11" fill="#555">${n.kind}</text></g>`
    );
  }
  const legend = `<p class="legend"><span style="background:${fill.pass}">✓ verified</span> <span style="background:${fill.fail}">✗ failed</span> <span style="background:${fill.unknown}">not verified</span> — arrows: MATCH rules (artifacts flowing from one step to the next)</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#111}h1{font-size:20px}.legend span{padding:2px 8px;border-radius:4px;margin-right:6px}</style>
</head><body>
<h1>${html(title)}</h1>
${legend}
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" style="max-width:100%;height:auto" role="img" aria-label="${html(title)}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>
${parts.join('\n')}
</svg>
</body></html>
`;
}
