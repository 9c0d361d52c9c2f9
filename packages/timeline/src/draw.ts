// The page's drawing code: it runs in the browser, from the HTML file alone. `page.ts` embeds this function's
// own source (`drawTimeline.toString()`), so it must stay self-contained: no imports at run time, no helpers
// from outside its body. Types are erased; the TimelineModel is the page's embedded JSON.
import type { TimelineModel } from './model.js';

export function drawTimeline(root: HTMLElement, model: TimelineModel): void {
  const SVG = 'http://www.w3.org/2000/svg';
  const DAY = 86400;
  const LABELS = 150;
  const COLORS: Record<string, string> = {
    none: '#e5e7eb',
    temporary: '#86efac',
    permanent: '#60a5fa',
    sent: '#cbd5e1',
    delivered: '#fde68a',
    accepted: '#4ade80',
    declined: '#fca5a5',
    expired: '#6b7280',
    superseded: '#7c3aed',
    failed: '#dc2626',
    connected: '#16a34a',
    unanswered: '#f59e0b',
    rejected: '#dc2626',
    pending: '#9ca3af',
    refusal: '#b91c1c',
    reconsider_prompted: '#ea580c',
    auto_revoked: '#b91c1c',
  };
  const ACTION: Record<string, string> = {
    send_call_permission_request: 'requests',
    start_call: 'connected calls',
  };

  const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z').replace('T', ' ');
  const el = (name: string, attrs: Record<string, string | number>, parent?: Element, text?: string) => {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    parent?.appendChild(node);
    return node;
  };
  const tip = (node: Element, text: string) => {
    node.setAttribute('data-tip', text);
    el('title', {}, node, text);
    return node;
  };

  // Requests share rows when they do not overlap (Meta allows 2 a week, so a few rows hold months).
  const rows: number[] = [];
  const rowOf = new Map<string, number>();
  for (const r of model.requests) {
    const start = r.segments[0]?.from ?? r.ended?.at ?? model.from;
    const end = r.ended?.at ?? r.segments.at(-1)?.to ?? model.to;
    let row = rows.findIndex((free) => free < start);
    if (row < 0) {
      row = rows.length;
      rows.push(end);
    } else rows[row] = end;
    rowOf.set(r.id, row);
  }

  interface Lane {
    name: string;
    height: number;
    y: number;
    sub?: string;
  }
  const lanes: Lane[] = [];
  let y = 34;
  const lane = (name: string, height: number, sub?: string) => {
    const l: Lane = sub === undefined ? { name, height, y } : { name, height, y, sub };
    lanes.push(l);
    y += height + 10;
    return l;
  };
  const permissionLane = lane('permission', 30);
  const requestLane = lane('requests', Math.max(1, rows.length) * 18 + 4);
  const PERIOD: Record<string, string> = { PT24H: '24 h', P7D: '7 days', P1D: 'day', PT1H: 'hour' };
  const usageLanes = model.usage.map((u) => ({
    series: u,
    lane: lane(
      `${ACTION[u.action] ?? u.action} / ${PERIOD[u.period] ?? u.period}`,
      48,
      `limit ${u.points.at(-1)?.max ?? ''}`,
    ),
  }));
  const callLane = lane('calls', 30);
  const noticeLane = lane('notices', 24);
  const refusalLane = lane('refusals', 30);
  const height = y + 4;

  const controls = root.querySelector('#zoom') as HTMLElement;
  const labels = root.querySelector('#labels') as HTMLElement;
  const scroller = root.querySelector('#plot') as HTMLElement;
  const tooltip = root.querySelector('#tooltip') as HTMLElement;

  // Lane labels stay put while the plot scrolls.
  const labelSvg = el('svg', { width: LABELS, height, class: 'lane-labels' });
  for (const l of lanes) {
    const middle = l.y + l.height / 2 + 4;
    el(
      'text',
      { x: LABELS - 8, y: l.sub ? middle - 7 : middle, 'text-anchor': 'end', class: 'lane-label' },
      labelSvg,
      l.name,
    );
    if (l.sub)
      el(
        'text',
        { x: LABELS - 8, y: middle + 8, 'text-anchor': 'end', class: 'limit-text' },
        labelSvg,
        l.sub,
      );
  }
  labels.appendChild(labelSvg);

  const range = Math.max(1, model.to - model.from);
  const windows = [
    { label: 'all', seconds: range },
    { label: '90 days', seconds: 90 * DAY },
    { label: '30 days', seconds: 30 * DAY },
    { label: '7 days', seconds: 7 * DAY },
    { label: '1 day', seconds: DAY },
    { label: '2 hours', seconds: 7200 },
  ].filter((w, i) => i === 0 || w.seconds < range);

  function draw(windowSeconds: number): void {
    const visible = Math.max(600, scroller.clientWidth - 4);
    const width = Math.round((visible * range) / windowSeconds);
    // A margin at both ends, so a mark at the first or last instant is drawn whole.
    const PAD = 16;
    const x = (t: number) => PAD + ((t - model.from) / range) * (width - 2 * PAD);
    scroller.replaceChildren();
    const svg = el('svg', { width, height, class: 'timeline', role: 'img' });
    scroller.appendChild(svg);

    // Axis: ticks a readable distance apart, labelled by day or by hour.
    const steps = [600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY];
    const step = steps.find((s) => (s / range) * width >= 80) ?? 28 * DAY;
    const axis = el('g', { class: 'axis' }, svg);
    for (let t = Math.ceil(model.from / step) * step; t <= model.to; t += step) {
      el('line', { x1: x(t), x2: x(t), y1: 22, y2: height, class: 'grid' }, axis);
      const text = step < DAY ? iso(t).slice(5, 16) : iso(t).slice(0, 10);
      if (x(t) + 72 < width) el('text', { x: x(t) + 3, y: 16, class: 'tick' }, axis, text);
    }
    for (const l of lanes)
      el('rect', { x: 0, y: l.y - 4, width, height: l.height + 8, class: 'lane-bg' }, svg);

    // Permission bands, the expiry of a temporary grant marked.
    const bands = el('g', { class: 'permission' }, svg);
    for (const b of model.permission) {
      const w = Math.max(1, x(b.to) - x(b.from));
      const detail = `permission ${b.status === 'none' ? 'none' : b.status}\nfrom ${iso(b.from)}\nto ${iso(b.to)}${b.expiresAt === undefined ? '' : `\nexpires ${iso(b.expiresAt)}`}`;
      tip(
        el(
          'rect',
          {
            x: x(b.from),
            y: permissionLane.y,
            width: w,
            height: permissionLane.height,
            fill: COLORS[b.status] ?? '#fff',
            class: `band band-${b.status}`,
          },
          bands,
        ),
        detail,
      );
      if (w > 70)
        el(
          'text',
          { x: x(b.from) + 4, y: permissionLane.y + 19, class: 'band-text' },
          bands,
          b.status === 'none' ? 'no permission' : b.status,
        );
      // The expiry is marked where the grant did run out (not where a revoke or a new grant ended it first).
      if (b.expiresAt !== undefined && b.expiresAt === b.to) {
        const ex = x(b.expiresAt);
        tip(
          el(
            'line',
            {
              x1: ex,
              x2: ex,
              y1: permissionLane.y - 4,
              y2: permissionLane.y + permissionLane.height + 4,
              class: 'expiry',
            },
            bands,
          ),
          `expires ${iso(b.expiresAt)}`,
        );
      }
    }

    // Each request as a bar through its lifecycle; how it ended as a mark at the end.
    const bars = el('g', { class: 'requests' }, svg);
    for (const r of model.requests) {
      const top = requestLane.y + (rowOf.get(r.id) ?? 0) * 18 + 2;
      const g = el('g', { class: 'request-bar' }, bars);
      for (const s of r.segments) {
        const detail = `request ${r.label ? `"${r.label}" ` : ''}${r.id} (${r.channel})\n${s.state} from ${iso(s.from)}${r.ended ? `\n${r.ended.state} at ${iso(r.ended.at)}` : ''}`;
        tip(
          el(
            'rect',
            {
              x: x(s.from),
              y: top,
              width: Math.max(2, x(s.to) - x(s.from)),
              height: 14,
              rx: 3,
              fill: COLORS[s.state] ?? '#ddd',
              class: `request-segment state-${s.state}`,
            },
            g,
          ),
          detail,
        );
      }
      if (r.ended) {
        const ex = x(r.ended.at);
        tip(
          el(
            'path',
            {
              d: `M${ex} ${top} l5 7 l-5 7 l-5 -7 z`,
              fill: COLORS[r.ended.state] ?? '#333',
              class: `request-end end-${r.ended.state}`,
            },
            g,
          ),
          `request ${r.label ? `"${r.label}" ` : ''}${r.id} ${r.ended.state} at ${iso(r.ended.at)}`,
        );
      }
      // The bar's name where the whole bar is long enough to hold it.
      const name = r.label ?? (r.id.length > 22 ? `…${r.id.slice(-20)}` : r.id);
      const start = r.segments[0]?.from ?? model.from;
      const end = r.ended?.at ?? r.segments.at(-1)?.to ?? model.to;
      if (x(end) - x(start) > name.length * 6.5 + 8)
        el('text', { x: x(start) + 4, y: top + 11, class: 'bar-text' }, g, name);
    }

    // Usage of each limit window as a step line, the limit drawn dashed.
    for (const { series, lane: l } of usageLanes) {
      const g = el('g', { class: 'usage' }, svg);
      const max = Math.max(1, ...series.points.map((p) => Math.max(p.used, p.max)));
      const yOf = (v: number) => l.y + l.height - (v / max) * l.height;
      let line = '';
      let area = '';
      let limit = '';
      series.points.forEach((p, i) => {
        const x0 = x(p.at);
        const x1 = x(series.points[i + 1]?.at ?? model.to);
        line += `${i === 0 ? 'M' : 'L'}${x0} ${yOf(p.used)} L${x1} ${yOf(p.used)} `;
        if (p.used > 0)
          area += `M${x0} ${yOf(0)} L${x0} ${yOf(p.used)} L${x1} ${yOf(p.used)} L${x1} ${yOf(0)} Z `;
        limit += `M${x0} ${yOf(p.max)} L${x1} ${yOf(p.max)} `;
        if (x1 - x0 > 3)
          tip(
            el('rect', { x: x0, y: l.y, width: x1 - x0, height: l.height, class: 'usage-hit' }, g),
            `${ACTION[series.action] ?? series.action} in ${series.period}: ${p.used} of ${p.max}\nfrom ${iso(p.at)}${p.used >= p.max ? '\nlimit reached' : ''}`,
          );
      });
      if (area) el('path', { d: area, class: 'usage-area' }, g);
      el('path', { d: limit, class: 'limit-line' }, g);
      el('path', { d: line, class: 'usage-line' }, g);
      // The count over each stretch wide enough to hold it.
      series.points.forEach((p, i) => {
        const x0 = x(p.at);
        const x1 = x(series.points[i + 1]?.at ?? model.to);
        if (x1 - x0 < 22) return;
        el(
          'text',
          {
            x: (x0 + x1) / 2,
            y: Math.max(l.y + 10, yOf(p.used) - 3),
            'text-anchor': 'middle',
            class: `usage-text${p.used >= p.max ? ' at-limit' : ''}`,
          },
          g,
          String(p.used),
        );
      });
    }

    /**
     * Marks closer than a few pixels would hide each other: they are drawn as one group with a count, the
     * group's tooltip listing each (a 90-day history at full width becomes a row of counts).
     */
    function clusters<T extends { at: number }>(items: readonly T[], gap: number): T[][] {
      const groups: T[][] = [];
      for (const item of items) {
        const group = groups.at(-1);
        const head = group?.[0];
        if (group && head && x(item.at) - x(head.at) < gap) group.push(item);
        else groups.push([item]);
      }
      return groups;
    }
    const listed = (lines: string[]) =>
      lines.length > 8
        ? [...lines.slice(0, 8), `… and ${lines.length - 8} more`].join('\n')
        : lines.join('\n');
    /**
     * Text beside each group of marks: the full text where it fits before the next group, else the short
     * one, else none (the tooltip has it all).
     */
    function label<T extends { at: number }>(
      g: Element,
      groups: T[][],
      yy: number,
      full: (group: T[]) => string,
      short: (group: T[]) => string,
    ) {
      groups.forEach((group, i) => {
        const head = group[0] as T;
        const tx = x(head.at) + 10;
        const next = groups[i + 1]?.[0];
        const room = (next === undefined ? width : x(next.at) - 10) - tx;
        const fits = (text: string) => text.length * 6.2 + 4 <= room;
        const text = [full(group), short(group)].find(fits);
        if (text) el('text', { x: tx, y: yy, class: 'marker-text' }, g, text);
      });
    }
    function countBadge(g: Element, cx: number, cy: number, n: number, fill: string, cls: string) {
      const w = 12 + String(n).length * 7;
      el('rect', { x: cx - w / 2, y: cy - 8, width: w, height: 16, rx: 8, fill, class: cls }, g);
      el('text', { x: cx, y: cy + 4, 'text-anchor': 'middle', class: 'badge-text' }, g, `×${n}`);
    }

    // Calls by outcome; user calls as triangles.
    const cy = callLane.y + callLane.height / 2;
    const cg = el('g', { class: 'calls' }, svg);
    const describeCall = (c: TimelineModel['calls'][number]) =>
      `${iso(c.at)} ${c.direction === 'user_initiated' ? 'user call' : 'business call'} ${c.outcome}`;
    for (const group of clusters(model.calls, 34)) {
      const c = group[0] as TimelineModel['calls'][number];
      const cx = x(c.at);
      const cls = `call-marker call-${c.outcome}${c.direction === 'user_initiated' ? ' call-user' : ''}`;
      if (group.length > 1) {
        const counts = new Map<string, number>();
        for (const m of group) {
          const kind = m.direction === 'user_initiated' ? 'user call' : m.outcome;
          counts.set(kind, (counts.get(kind) ?? 0) + 1);
        }
        const main = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'connected';
        const g = el('g', { class: 'call-group' }, cg);
        countBadge(
          g,
          cx,
          cy,
          group.length,
          main === 'user call' ? '#2563eb' : (COLORS[main] ?? '#999'),
          `${cls} call-cluster`,
        );
        const summary = [...counts.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
        tip(g, `${group.length} calls: ${summary}\n${listed(group.map(describeCall))}`);
        continue;
      }
      const detail = `${describeCall(c)}\n${c.id}`;
      let mark: Element;
      if (c.direction === 'user_initiated')
        mark = el('path', { d: `M${cx} ${cy - 7} l7 12 l-14 0 z`, fill: '#2563eb', class: cls }, cg);
      else if (c.outcome === 'rejected')
        mark = el(
          'path',
          {
            d: `M${cx - 6} ${cy - 6} l12 12 M${cx + 6} ${cy - 6} l-12 12`,
            stroke: COLORS.rejected ?? 'red',
            'stroke-width': 3,
            class: cls,
          },
          cg,
        );
      else if (c.outcome === 'unanswered')
        mark = el(
          'circle',
          {
            cx,
            cy,
            r: 6,
            fill: '#fff',
            stroke: COLORS.unanswered ?? 'orange',
            'stroke-width': 3,
            class: cls,
          },
          cg,
        );
      else mark = el('circle', { cx, cy, r: 6, fill: COLORS[c.outcome] ?? '#999', class: cls }, cg);
      tip(mark, detail);
    }

    // Notices: what WhatsApp showed the user because of the unanswered streak.
    const ng = el('g', { class: 'notices' }, svg);
    const noticeText = (n: TimelineModel['notices'][number]) =>
      n.type === 'auto_revoked' ? 'automatic revoke' : 'reconsider prompt';
    const ny = noticeLane.y + 4;
    const noticeGroups = clusters(model.notices, 24);
    for (const group of noticeGroups) {
      const n = group[0] as TimelineModel['notices'][number];
      const nx = x(n.at);
      const worst = group.find((m) => m.type === 'auto_revoked') ?? n;
      const mark = el(
        'path',
        {
          d: `M${nx} ${ny} l8 14 l-16 0 z`,
          fill: COLORS[worst.type] ?? '#f60',
          class: `notice-marker notice-${worst.type}`,
        },
        ng,
      );
      tip(mark, listed(group.map((m) => `${iso(m.at)} ${noticeText(m)} (after call ${m.callId})`)));
    }
    const times = (group: unknown[]) => (group.length > 1 ? ` ×${group.length}` : '');
    label(
      ng,
      noticeGroups,
      ny + 13,
      (group) => `${[...new Set(group.map(noticeText))].join(', ')}${times(group)}`,
      (group) => (group.length > 1 ? `×${group.length}` : ''),
    );

    // Refusals with Meta's error code.
    const rg = el('g', { class: 'refusals' }, svg);
    const ry = refusalLane.y + refusalLane.height / 2;
    const describeRefusal = (r: TimelineModel['refusals'][number]) =>
      `${iso(r.at)} ${r.action === 'start_call' ? 'call' : 'permission request'} refused ${r.code}: ${r.title}${r.source ? ` (${r.source})` : ''}`;
    const refusalGroups = clusters(model.refusals, 24);
    for (const group of refusalGroups) {
      const r = group[0] as TimelineModel['refusals'][number];
      const rx = x(r.at);
      tip(
        el(
          'path',
          {
            d: `M${rx} ${ry - 7} l7 7 l-7 7 l-7 -7 z`,
            fill: COLORS.refusal ?? 'red',
            class: `refusal-marker refusal-${r.code}`,
          },
          rg,
        ),
        listed(group.map(describeRefusal)),
      );
    }
    const codes = (group: TimelineModel['refusals']) => [...new Set(group.map((m) => m.code))].join(', ');
    label(
      rg,
      refusalGroups,
      ry + 4,
      (group) => `${codes(group)}${times(group)}`,
      (group) => (group.length > 1 ? `×${group.length}` : codes(group)),
    );
  }

  let current = windows[0]?.seconds ?? range;
  for (const w of windows) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = w.label;
    button.addEventListener('click', () => {
      const centre = (scroller.scrollLeft + scroller.clientWidth / 2) / Math.max(1, scroller.scrollWidth);
      current = w.seconds;
      draw(current);
      scroller.scrollLeft = centre * scroller.scrollWidth - scroller.clientWidth / 2;
      for (const b of controls.querySelectorAll('button')) b.classList.toggle('active', b === button);
    });
    if (w === windows[0]) button.classList.add('active');
    controls.appendChild(button);
  }

  scroller.addEventListener('mousemove', (event) => {
    const target = (event.target as Element).closest('[data-tip]');
    if (!target) {
      tooltip.hidden = true;
      return;
    }
    tooltip.textContent = target.getAttribute('data-tip');
    tooltip.hidden = false;
    const box = root.getBoundingClientRect();
    tooltip.style.left = `${Math.min(event.clientX - box.left + 14, box.width - 260)}px`;
    tooltip.style.top = `${event.clientY - box.top + 14}px`;
  });
  scroller.addEventListener('mouseleave', () => {
    tooltip.hidden = true;
  });
  window.addEventListener('resize', () => draw(current));
  draw(current);
}
