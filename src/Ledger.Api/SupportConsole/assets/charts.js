// Stacked bar charts in SVG, drawn from numbers only. Each chart has a text summary (its accessible name) and its data
// as a table under "Data", so nothing is shown only as a picture.
import { h, svg, credits, table } from './dom.js';

/**
 * @param {string} title   what the chart shows
 * @param {string[]} labels  one per bar (days)
 * @param {{name: string, values: number[]}[]} series  stacked in this order, one value per label
 */
export function stackedBars(title, labels, series) {
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + Math.max(0, s.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const width = 640, height = 220, left = 56, bottom = 28, top = 8;
  const plotWidth = width - left - 8, plotHeight = height - bottom - top;
  const step = plotWidth / Math.max(1, labels.length);
  const barWidth = Math.max(2, Math.min(28, step * 0.7));
  const y = (v) => top + plotHeight - (v / max) * plotHeight;

  const bars = [];
  labels.forEach((label, i) => {
    let base = 0;
    series.forEach((s, k) => {
      const v = Math.max(0, s.values[i] ?? 0);
      if (v === 0) return;
      bars.push(svg('rect', {
        class: `s${k % 7}`, x: (left + i * step + (step - barWidth) / 2).toFixed(1), y: y(base + v).toFixed(1),
        width: barWidth.toFixed(1), height: Math.max(1, (v / max) * plotHeight).toFixed(1),
      }, svg('title', {}, `${label} · ${s.name}: ${credits(v)}`)));
      base += v;
    });
  });
  const every = Math.ceil(labels.length / 8);
  const ticks = labels.map((label, i) => (i % every === 0
    ? svg('text', { x: (left + i * step + step / 2).toFixed(1), y: height - 8, 'text-anchor': 'middle' }, label.slice(5))
    : null));
  const summary = `${title}: ${labels.length} days, ${credits(totals.reduce((a, b) => a + b, 0))} in total, `
    + `highest ${credits(Math.max(0, ...totals))} on ${labels[totals.indexOf(Math.max(...totals))] ?? '—'}.`;

  return h('figure', { class: 'chart' },
    svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': summary },
      svg('line', { class: 'axis', x1: left, y1: top + plotHeight, x2: width - 8, y2: top + plotHeight }),
      svg('line', { class: 'axis', x1: left, y1: top, x2: left, y2: top + plotHeight }),
      svg('text', { x: left - 6, y: top + 10, 'text-anchor': 'end' }, credits(max)),
      svg('text', { x: left - 6, y: top + plotHeight, 'text-anchor': 'end' }, '0'),
      bars, ticks),
    h('figcaption', {},
      h('ul', { class: 'legend' }, series.map((s, k) => h('li', {}, h('i', { class: `s${k % 7}`, 'aria-hidden': 'true' }), s.name))),
      h('details', {}, h('summary', {}, 'Data'),
        table(title, ['Day', ...series.map((s) => s.name), 'Total'],
          labels.map((label, i) => [label, ...series.map((s) => credits(s.values[i] ?? 0)), credits(totals[i])]),
          { numeric: series.map((_, k) => k + 1).concat(series.length + 1) }))));
}

/** Horizontal bars for counts by category (accounts by plan, by status). */
export function countBars(title, counts, id) {
  const entries = Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  return h('div', {},
    h('h3', {}, title),
    entries.length === 0 ? h('p', { class: 'muted' }, 'None.') : h('ul', { class: 'blocks', id }, entries.map(([name, n], k) =>
      h('li', { 'data-name': name, 'data-count': n },
        h('div', { class: 'head' }, h('strong', {}, name), h('span', {}, credits(n))),
        h('div', { class: 'bar', 'aria-hidden': 'true' }, barSpan(`s${k % 7}`, n / max))))));
}

export function barSpan(kind, fraction) {
  const span = h('span', { class: kind });
  span.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`; // CSSOM, allowed by the CSP (no style attribute)
  return span;
}

/** Days from..to (UTC, inclusive of from, exclusive of to) as YYYY-MM-DD. */
export function daysBetween(fromIso, toIso) {
  const days = [];
  const end = new Date(toIso);
  for (let d = new Date(fromIso.slice(0, 10) + 'T00:00:00Z'); d < end; d = new Date(d.getTime() + 86400000)) days.push(d.toISOString().slice(0, 10));
  return days;
}
