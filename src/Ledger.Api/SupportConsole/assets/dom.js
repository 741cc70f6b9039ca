// Building blocks: elements are made with h() and text nodes only (no HTML string is ever parsed), so nothing the API returns
// (reasons, metadata, ids) is ever parsed as markup.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name in element && !name.includes('-') && name !== 'list' && name !== 'form') element[name] = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined && value !== null) element.setAttribute(name, value);
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const numbers = new Intl.NumberFormat('en-US');
export const credits = (n) => (n === null || n === undefined ? '—' : numbers.format(n));

/** An instant as "2026-12-02 19:10:05 UTC": one zone for everyone reading the same screen. */
export function instant(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace('Z', ' UTC');
}

export function time(iso) {
  return h('time', { datetime: iso ?? '' }, instant(iso));
}

export function money(minor, currency) {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: (currency ?? 'usd').toUpperCase() }).format(minor / 100);
  } catch {
    return `${minor} ${currency ?? ''} (minor units)`;
  }
}

export const badge = (text, kind = text) => h('span', { class: `badge ${kind}` }, text);

export function figures(items) {
  return h('dl', { class: 'figures' }, items.map(([label, value, lead]) =>
    h('div', { class: lead ? 'lead' : null }, h('dt', {}, label), h('dd', {}, value))));
}

export function table(caption, headers, rows, { numeric = [] } = {}) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', { class: 'sr-only' }, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((x, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : null }, x)))),
    h('tbody', {}, rows.length === 0
      ? h('tr', {}, h('td', { colSpan: headers.length, class: 'muted' }, 'None.'))
      : rows.map((row) => h('tr', {}, row.map((cell, i) => h('td', { class: numeric.includes(i) ? 'num' : null }, cell)))))));
}

export function card(title, id, ...children) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/** A datetime-local value (read as UTC, the zone every instant here is shown in) to ISO-8601, or null. */
export function toIso(localValue) {
  if (!localValue) return null;
  const d = new Date(`${localValue.length === 16 ? `${localValue}:00` : localValue}Z`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** An ISO instant to a datetime-local value in UTC (seconds kept). */
export function toLocalValue(iso) {
  return iso ? new Date(iso).toISOString().slice(0, 19) : '';
}

export function say(message) {
  const status = document.getElementById('status');
  status.textContent = '';
  // a fresh text node each time so a screen reader announces a repeat of the same message
  requestAnimationFrame(() => { status.textContent = message; });
  document.getElementById('alert').textContent = '';
}

export function warn(message) {
  document.getElementById('alert').textContent = message;
}

/** replaceChildren without the nulls (the DOM would write them as the text "null"). */
export function put(element, ...children) {
  element.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}
