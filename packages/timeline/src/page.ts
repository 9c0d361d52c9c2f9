// One self-contained HTML file: the model as JSON, the drawing code (draw.ts, embedded from its own
// source), CSS and a legend. No external asset: it opens from disk, and `serve` can answer it as is.
import { isoInstant } from '@callpermit/cloud-api';
import { drawTimeline } from './draw.js';
import type { TimelineModel } from './model.js';

const CSS = `
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 16px; color: #111827; background: #fff; }
h1 { font-size: 18px; margin: 0 0 4px; }
.sub { color: #4b5563; margin: 0 0 10px; }
#zoom { margin: 8px 0; }
#zoom button { font: inherit; margin-right: 4px; padding: 2px 10px; border: 1px solid #9ca3af; border-radius: 4px; background: #f9fafb; cursor: pointer; }
#zoom button.active { background: #1f2937; color: #fff; border-color: #1f2937; }
#frame { display: flex; border: 1px solid #d1d5db; border-radius: 6px; position: relative; }
#labels { flex: none; border-right: 1px solid #d1d5db; background: #f9fafb; }
#plot { overflow-x: auto; flex: 1; }
.lane-label { font-size: 12px; fill: #374151; }
.lane-bg { fill: #fafafa; }
.grid { stroke: #e5e7eb; }
.tick { font-size: 11px; fill: #4b5563; }
.band { stroke: #fff; stroke-width: 0.5; }
.band-text, .bar-text { font-size: 11px; fill: #111827; pointer-events: none; }
.expiry { stroke: #111827; stroke-width: 2; stroke-dasharray: 4 3; }
.usage-area { fill: #93c5fd; opacity: 0.45; }
.usage-line { fill: none; stroke: #1d4ed8; stroke-width: 2; }
.limit-line { fill: none; stroke: #dc2626; stroke-width: 1.5; stroke-dasharray: 6 4; }
.usage-text { font-size: 10px; fill: #1d4ed8; }
.usage-text.at-limit { fill: #dc2626; font-weight: 600; }
.limit-text { font-size: 10px; fill: #dc2626; }
.usage-hit { fill: transparent; }
.marker-text { font-size: 11px; fill: #7f1d1d; }
.badge-text { font-size: 10px; font-weight: 600; fill: #fff; pointer-events: none; }
#tooltip { position: absolute; z-index: 2; max-width: 380px; white-space: pre-line; background: #111827; color: #fff; padding: 6px 8px; border-radius: 4px; font-size: 12px; pointer-events: none; }
#legend { margin-top: 12px; display: flex; flex-wrap: wrap; gap: 6px 18px; }
#legend span { display: inline-flex; align-items: center; gap: 6px; }
#legend svg { vertical-align: middle; }
`;

/** The legend: what each colour and mark means. */
const LEGEND: [string, string][] = [
  ['<rect width="18" height="12" fill="#e5e7eb"/>', 'no permission'],
  ['<rect width="18" height="12" fill="#86efac"/>', 'temporary permission'],
  ['<rect width="18" height="12" fill="#60a5fa"/>', 'permanent permission'],
  ['<line x1="9" x2="9" y1="0" y2="12" stroke="#111827" stroke-width="2" stroke-dasharray="4 3"/>', 'expiry'],
  ['<rect width="18" height="12" rx="3" fill="#cbd5e1"/>', 'request sent'],
  ['<rect width="18" height="12" rx="3" fill="#fde68a"/>', 'request delivered'],
  ['<rect width="18" height="12" rx="3" fill="#4ade80"/>', 'request accepted'],
  ['<rect width="18" height="12" rx="3" fill="#fca5a5"/>', 'request declined'],
  ['<path d="M9 0 l5 6 l-5 6 l-5 -6 z" fill="#6b7280"/>', 'request expired'],
  ['<path d="M9 0 l5 6 l-5 6 l-5 -6 z" fill="#7c3aed"/>', 'request superseded'],
  ['<path d="M9 0 l5 6 l-5 6 l-5 -6 z" fill="#dc2626"/>', 'request failed'],
  [
    '<path d="M0 9 L9 9 L9 3 L18 3" fill="none" stroke="#1d4ed8" stroke-width="2"/>',
    'usage in a limit window',
  ],
  [
    '<line x1="0" x2="18" y1="6" y2="6" stroke="#dc2626" stroke-width="1.5" stroke-dasharray="6 4"/>',
    'the limit',
  ],
  ['<circle cx="9" cy="6" r="5" fill="#16a34a"/>', 'connected call'],
  ['<circle cx="9" cy="6" r="4" fill="#fff" stroke="#f59e0b" stroke-width="3"/>', 'unanswered call'],
  ['<path d="M4 1 l10 10 M14 1 l-10 10" stroke="#dc2626" stroke-width="3"/>', 'rejected call'],
  ['<circle cx="9" cy="6" r="5" fill="#9ca3af"/>', 'call, outcome not known yet'],
  ['<path d="M9 0 l6 11 l-12 0 z" fill="#2563eb"/>', 'user call'],
  ['<path d="M9 0 l6 11 l-12 0 z" fill="#ea580c"/>', 'reconsider prompt'],
  ['<path d="M9 0 l6 11 l-12 0 z" fill="#b91c1c"/>', 'automatic revoke'],
  ['<path d="M9 0 l6 6 l-6 6 l-6 -6 z" fill="#b91c1c"/>', 'refused, with its error code'],
];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page for a timeline model: open it from disk, or answer it over HTTP. */
export function timelinePage(model: TimelineModel, title = 'callpermit timeline'): string {
  // `<` escaped so no string in the data can close the script element.
  const data = JSON.stringify(model).replace(/</g, '\\u003c');
  const legend = LEGEND.map(
    ([mark, text]) =>
      `<span><svg width="18" height="12" aria-hidden="true">${mark}</svg>${escapeHtml(text)}</span>`,
  ).join('\n');
  // The empty icon keeps a browser from asking the server for /favicon.ico (behind the API token when served).
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="sub">business ${escapeHtml(model.business)} · user ${escapeHtml(model.user)} · ${isoInstant(model.from)} → ${isoInstant(model.to)} (UTC) · hover any mark for details</p>
<div id="timeline">
<div id="zoom">zoom: </div>
<div id="frame"><div id="labels"></div><div id="plot"></div><div id="tooltip" hidden></div></div>
<div id="legend">
${legend}
</div>
</div>
<script type="application/json" id="timeline-data">${data}</script>
<script>
(${drawTimeline.toString()})(document.getElementById('timeline'), JSON.parse(document.getElementById('timeline-data').textContent));
</script>
</body>
</html>
`;
}
