// Strata's web UI: the expression browser (/graph) and the status pages. Plain JavaScript over
// the HTTP API, with Debian's dygraphs for the charts. Every path is relative, so the UI also
// works behind a reverse proxy that serves Strata under a prefix.
'use strict';

// ---------------------------------------------------------------------------------------------
// Small helpers.

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

class ApiError extends Error {}

async function api(path, params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (Array.isArray(v)) v.forEach((x) => qs.append(k, x));
    else if (v !== undefined && v !== null) qs.append(k, v);
  }
  const url = qs.toString() ? `${path}?${qs}` : path;
  let res;
  try {
    res = await fetch(url, { headers: { Accept: 'application/json' } });
  } catch (e) {
    throw new ApiError(`cannot reach the server: ${e.message}`);
  }
  let body;
  try {
    body = await res.json();
  } catch (e) {
    throw new ApiError(`unexpected response (HTTP ${res.status})`);
  }
  if (body.status !== 'success') throw new ApiError(body.error || `HTTP ${res.status}`);
  return body;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// 'YYYY-MM-DD HH:mm:ss' in UTC, as Prometheus' UI writes end_input and moment_input.
function formatTime(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
         `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

// Accepts 'YYYY-MM-DD HH:mm[:ss]' (UTC), RFC 3339, or Unix seconds; null when empty or bad.
function parseTime(text) {
  if (text === null || text === undefined) return null;
  const s = String(text).trim();
  if (s === '') return null;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(parseFloat(s) * 1000);
  const m = s.match(/^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/);
  if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

const kUnits = [['y', 365 * 86400], ['w', 7 * 86400], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];

// Prometheus durations ('1h30m', '90s', '2d') or plain seconds; null when bad.
function parseDuration(text) {
  const s = String(text || '').trim();
  if (s === '') return null;
  if (/^\d+(\.\d+)?$/.test(s)) return parseFloat(s);
  const re = /(\d+)(ms|y|w|d|h|m|s)/g;
  let total = 0, used = 0, m;
  while ((m = re.exec(s)) !== null) {
    total += +m[1] * (m[2] === 'ms' ? 0.001 : kUnits.find((u) => u[0] === m[2])[1]);
    used += m[0].length;
  }
  return used === s.length && total > 0 ? total : null;
}

function formatDuration(seconds) {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  let rest = Math.round(seconds), out = '';
  for (const [u, n] of kUnits) {
    if (rest >= n) {
      out += `${Math.floor(rest / n)}${u}`;
      rest %= n;
    }
  }
  return out || '0s';
}

function formatBytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0, v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

const fmtInt = (n) => (n === null || n === undefined ? '' : Number(n).toLocaleString('en-US'));
const fmtMs = (ms) => (ms === null || ms === undefined ? '-' : `${formatTime(ms)} UTC`);

// {__name__="x", a="b"} as Prometheus prints a series.
function seriesName(metric) {
  const name = metric.__name__ || '';
  const labels = Object.keys(metric).filter((k) => k !== '__name__').sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`);
  return labels.length || !name ? `${name}{${labels.join(', ')}}` : name;
}

function table(headers, rows) {
  return el('table', {},
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => {
      if (c instanceof Node) return el('td', {}, c);
      const num = typeof c === 'number';
      return el('td', { class: num ? 'num' : '' }, num ? fmtInt(c) : c);
    })))));
}

function showError(container, message) {
  container.replaceChildren(el('div', { class: 'error' }, message));
}

// ---------------------------------------------------------------------------------------------
// Autocomplete of metric names, functions, label names and values.

const kFunctions = ['abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan',
  'atanh', 'avg_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh',
  'count_over_time', 'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'deg',
  'delta', 'deriv', 'exp', 'floor', 'histogram_quantile', 'holt_winters', 'hour', 'idelta',
  'increase', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln', 'log10', 'log2',
  'mad_over_time', 'max_over_time', 'min_over_time', 'minute', 'month', 'pi',
  'predict_linear', 'present_over_time', 'quantile_over_time', 'rad', 'rate', 'resets', 'round',
  'scalar', 'sgn', 'sin', 'sinh', 'sort', 'sort_desc', 'sqrt', 'stddev_over_time',
  'stdvar_over_time', 'sum_over_time', 'tan', 'tanh', 'time', 'timestamp', 'vector', 'year',
  'sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile',
  'count_values', 'group', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  'offset', 'bool', 'and', 'or', 'unless'];

const completionCache = new Map();

async function cached(key, load) {
  if (!completionCache.has(key)) {
    completionCache.set(key, load().catch((e) => { completionCache.delete(key); throw e; }));
  }
  return completionCache.get(key);
}

const metricNames = () => cached('metrics', async () => (await api('api/v1/label/__name__/values')).data);

function labelNames(metric) {
  return cached(`names:${metric}`, async () =>
    (await api('api/v1/labels', metric ? { 'match[]': metric } : {})).data
      .filter((n) => n !== '__name__'));
}

function labelValues(name, metric) {
  return cached(`values:${name}:${metric}`, async () =>
    (await api(`api/v1/label/${encodeURIComponent(name)}/values`,
      metric ? { 'match[]': metric } : {})).data);
}

// What to complete at the caret: {kind, prefix, from, metric, label}.
function completionContext(text, caret) {
  const before = text.slice(0, caret);
  const open = before.lastIndexOf('{');
  if (open > before.lastIndexOf('}')) {
    const inside = before.slice(open + 1);
    const metric = (before.slice(0, open).match(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$/) || [])[1] || '';
    const v = inside.match(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)$/);
    if (v) return { kind: 'value', label: v[1], metric, prefix: v[3], from: caret - v[3].length };
    const n = inside.match(/(?:^|,)\s*([a-zA-Z_][a-zA-Z0-9_]*)?$/);
    if (n) {
      const p = n[1] || '';
      return { kind: 'label', metric, prefix: p, from: caret - p.length };
    }
    return null;
  }
  const grouping = before.match(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)$/);
  if (grouping) {
    const p = (grouping[1].match(/([a-zA-Z_][a-zA-Z0-9_]*)$/) || ['', ''])[1];
    return { kind: 'label', metric: '', prefix: p, from: caret - p.length };
  }
  const w = before.match(/([a-zA-Z_:][a-zA-Z0-9_:]*)$/);
  if (w) return { kind: 'metric', prefix: w[1], from: caret - w[1].length };
  return null;
}

class Autocomplete {
  constructor(textarea, onAccept) {
    this.ta = textarea;
    this.onAccept = onAccept;
    this.box = el('div', { class: 'autocomplete', hidden: true });
    this.items = [];
    this.sel = 0;
    this.seq = 0;
    textarea.after(this.box);
    textarea.addEventListener('input', () => this.update());
    // Close when focus has really left (a click on an item keeps it: mousedown prevents blur).
    textarea.addEventListener('blur', () => setTimeout(() => {
      if (document.activeElement !== this.ta) this.close();
    }, 150));
    textarea.addEventListener('keydown', (e) => this.key(e), true);
  }

  open() { return !this.box.hidden && this.items.length > 0; }

  close() { this.box.hidden = true; this.items = []; }

  async update() {
    const seq = ++this.seq;
    const ctx = completionContext(this.ta.value, this.ta.selectionStart);
    if (!ctx) return this.close();
    let options = [];
    try {
      if (ctx.kind === 'metric') {
        if (ctx.prefix.length === 0) return this.close();
        const names = await metricNames();
        options = names.map((n) => ({ text: n, hint: 'metric' }))
          .concat(kFunctions.map((f) => ({ text: f, hint: 'function' })));
      } else if (ctx.kind === 'label') {
        options = (await labelNames(ctx.metric)).map((n) => ({ text: n, hint: 'label' }));
      } else {
        options = (await labelValues(ctx.label, ctx.metric)).map((v) => ({ text: v, hint: '', value: true }));
      }
    } catch (e) {
      return this.close();
    }
    if (seq !== this.seq) return;  // A newer keystroke won.
    const p = ctx.prefix.toLowerCase();
    this.items = options.filter((o) => o.text.toLowerCase().startsWith(p) && o.text !== ctx.prefix)
      .slice(0, 50);
    this.ctx = ctx;
    this.sel = 0;
    this.render();
  }

  render() {
    if (this.items.length === 0) return this.close();
    this.box.replaceChildren(...this.items.map((o, i) => el('div', {
      class: i === this.sel ? 'sel' : '',
      onmousedown: (e) => { e.preventDefault(); this.accept(i); },
    }, o.text, o.hint ? el('small', {}, o.hint) : null)));
    this.box.hidden = false;
  }

  accept(i) {
    const o = this.items[i];
    const ta = this.ta;
    const end = ta.selectionStart;
    let insert = o.text;
    let after = ta.value.slice(end);
    if (o.value && after.startsWith('"')) after = after.slice(1);
    if (o.value) insert += '"';
    ta.value = ta.value.slice(0, this.ctx.from) + insert + after;
    const caret = this.ctx.from + insert.length;
    ta.setSelectionRange(caret, caret);
    this.close();
    ta.focus();
    if (this.onAccept) this.onAccept();
  }

  key(e) {
    if (!this.open()) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      this.sel = (this.sel + (e.key === 'ArrowDown' ? 1 : this.items.length - 1)) % this.items.length;
      this.render();
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      this.accept(this.sel);
    } else if (e.key === 'Escape') {
      this.close();
    } else {
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
  }
}

// ---------------------------------------------------------------------------------------------
// The expression browser.

const kRanges = ['5m', '15m', '30m', '1h', '2h', '6h', '12h', '1d', '2d', '1w', '2w', '4w', '30d'];

// Prometheus' default step: a point per 250th of the range, at least 1 s.
const autoStep = (rangeSeconds) => Math.max(Math.floor(rangeSeconds / 250), 1);

function panelsFromUrl() {
  const params = new URLSearchParams(window.location.search);
  const panels = [];
  for (let i = 0; i < 100; i++) {
    const p = `g${i}.`;
    if (![...params.keys()].some((k) => k.startsWith(p))) {
      if (i > 0) break;
      continue;
    }
    panels.push({
      expr: params.get(`${p}expr`) || '',
      tab: params.get(`${p}tab`) === '1' ? 1 : 0,
      range: parseDuration(params.get(`${p}range_input`)) || 3600,
      end: parseTime(params.get(`${p}end_input`)),
      moment: parseTime(params.get(`${p}moment_input`)),
      step: parseDuration(params.get(`${p}step_input`)),
      stacked: params.get(`${p}stacked`) === '1',
    });
  }
  if (panels.length === 0) {
    panels.push({ expr: '', tab: 0, range: 3600, end: null, moment: null, step: null, stacked: false });
  }
  return panels;
}

function panelsToUrl(panels) {
  const params = new URLSearchParams();
  panels.forEach((s, i) => {
    const p = `g${i}.`;
    params.set(`${p}expr`, s.expr);
    params.set(`${p}tab`, String(s.tab));
    params.set(`${p}stacked`, s.stacked ? '1' : '0');
    params.set(`${p}range_input`, formatDuration(s.range));
    if (s.end !== null) params.set(`${p}end_input`, formatTime(s.end));
    if (s.moment !== null) params.set(`${p}moment_input`, formatTime(s.moment));
    if (s.step !== null) params.set(`${p}step_input`, String(s.step));
  });
  window.history.replaceState(null, '', `?${params}`);
}

class Panel {
  constructor(browser, state) {
    this.browser = browser;
    this.s = state;
    this.graph = null;
    this.root = el('div', { class: 'panel' });
    this.build();
  }

  build() {
    const s = this.s;
    this.ta = el('textarea', {
      rows: 1, placeholder: 'Expression (press Shift+Enter for newlines)', spellcheck: 'false',
      'aria-label': 'Expression', class: 'expr-input',
    });
    this.ta.value = s.expr;
    this.ta.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        this.execute();
      }
    });
    const wrap = el('div', { class: 'expr-row' }, this.ta,
      el('button', { class: 'primary execute', onclick: () => this.execute() }, 'Execute'),
      el('button', { title: 'Remove this panel', onclick: () => this.browser.remove(this) }, '×'));
    this.ac = new Autocomplete(this.ta);
    this.tabGraph = el('button', { class: 'tab-graph', onclick: () => this.setTab(0) }, 'Graph');
    this.tabTable = el('button', { class: 'tab-table', onclick: () => this.setTab(1) }, 'Table');
    this.rangeInput = el('input', { class: 'range-input', size: 6, list: 'strata-ranges', value: formatDuration(s.range) });
    this.rangeInput.addEventListener('change', () => {
      const d = parseDuration(this.rangeInput.value);
      if (d) s.range = d;
      this.rangeInput.value = formatDuration(s.range);
      this.execute();
    });
    this.endInput = el('input', { class: 'end-input', size: 19, placeholder: 'end (now)', value: s.end !== null ? formatTime(s.end) : '' });
    this.endInput.addEventListener('change', () => {
      s.end = parseTime(this.endInput.value);
      this.endInput.value = s.end !== null ? formatTime(s.end) : '';
      this.execute();
    });
    this.stepInput = el('input', { class: 'step-input', size: 6, placeholder: 'step (auto)', value: s.step !== null ? formatDuration(s.step) : '' });
    this.stepInput.addEventListener('change', () => {
      s.step = parseDuration(this.stepInput.value);
      this.stepInput.value = s.step !== null ? formatDuration(s.step) : '';
      this.execute();
    });
    this.stackedBox = el('input', { type: 'checkbox', class: 'stacked', checked: s.stacked });
    this.stackedBox.addEventListener('change', () => { s.stacked = this.stackedBox.checked; this.execute(); });
    const shift = (dir) => {
      const i = kRanges.map(parseDuration).findIndex((r) => r >= s.range);
      const list = kRanges.map(parseDuration);
      const next = dir < 0 ? list[Math.max(0, (i < 0 ? list.length : i) - 1)]
                           : list[Math.min(list.length - 1, i < 0 ? list.length - 1 : (list[i] === s.range ? i + 1 : i))];
      s.range = next;
      this.rangeInput.value = formatDuration(s.range);
      this.execute();
    };
    this.graphControls = el('div', { class: 'controls' },
      el('button', { title: 'Shorter range', onclick: () => shift(-1) }, '−'), this.rangeInput,
      el('button', { title: 'Longer range', onclick: () => shift(1) }, '+'),
      this.endInput, el('button', { title: 'Now', onclick: () => { this.endInput.value = ''; this.endInput.dispatchEvent(new Event('change')); } }, 'now'),
      this.stepInput, el('label', {}, this.stackedBox, ' stacked'));
    this.momentInput = el('input', { class: 'moment-input', size: 19, placeholder: 'evaluation time (now)', value: s.moment !== null ? formatTime(s.moment) : '' });
    this.momentInput.addEventListener('change', () => {
      s.moment = parseTime(this.momentInput.value);
      this.momentInput.value = s.moment !== null ? formatTime(s.moment) : '';
      this.execute();
    });
    this.tableControls = el('div', { class: 'controls' }, 'Evaluation time: ', this.momentInput);
    this.status = el('div', { class: 'stats' });
    this.messages = el('div', { class: 'messages' });
    this.output = el('div', { class: 'output' });
    this.root.replaceChildren(wrap, el('div', { class: 'tabs' }, this.tabGraph, this.tabTable),
      this.graphControls, this.tableControls, this.messages, this.status, this.output);
    this.showTab();
  }

  setTab(tab) {
    this.s.tab = tab;
    this.showTab();
    this.execute();
  }

  showTab() {
    const g = this.s.tab === 0;
    this.tabGraph.classList.toggle('active', g);
    this.tabTable.classList.toggle('active', !g);
    this.graphControls.hidden = !g;
    this.tableControls.hidden = g;
  }

  async execute() {
    const s = this.s;
    s.expr = this.ta.value;
    this.browser.saveUrl();
    this.ac.close();
    if (this.graph) { this.graph.destroy(); this.graph = null; }
    this.output.replaceChildren();
    this.messages.replaceChildren();
    this.status.textContent = '';
    if (s.expr.trim() === '') return;
    const seq = (this.seq = (this.seq || 0) + 1);
    const began = performance.now();
    try {
      let body, params;
      if (s.tab === 0) {
        const end = s.end !== null ? s.end : Date.now();
        const step = s.step || autoStep(s.range);
        const start = end - s.range * 1000;
        params = { query: s.expr, start: start / 1000, end: end / 1000, step, stats: 'all' };
        body = await api('api/v1/query_range', params);
        if (seq !== this.seq) return;
        const fetched = performance.now();
        this.renderGraph(body.data, start, end, step);
        this.showStats(body, fetched - began, performance.now() - fetched, step);
      } else {
        params = { query: s.expr, stats: 'all' };
        if (s.moment !== null) params.time = s.moment / 1000;
        body = await api('api/v1/query', params);
        if (seq !== this.seq) return;
        const fetched = performance.now();
        this.renderTable(body.data);
        this.showStats(body, fetched - began, performance.now() - fetched, null);
      }
      for (const w of body.warnings || []) this.messages.append(el('div', { class: 'info' }, `Warning: ${w}`));
      for (const i of body.infos || []) this.messages.append(el('div', { class: 'info resolution' }, i));
    } catch (e) {
      if (seq !== this.seq) return;
      this.messages.replaceChildren(el('div', { class: 'error' }, `Error executing query: ${e.message}`));
    }
  }

  showStats(body, fetchMs, renderMs, step) {
    const d = body.data;
    const n = Array.isArray(d.result) ? d.result.length : 1;
    const st = d.stats && d.stats.samples;
    const parts = [`Load time: ${Math.round(fetchMs)}ms`, `Render time: ${Math.round(renderMs)}ms`];
    if (step !== null) parts.push(`Resolution: ${formatDuration(step)}`);
    parts.push(`Result series: ${n}`);
    if (st) parts.push(`Samples read: ${fmtInt(st.totalQueryableSamples)} (peak ${fmtInt(st.peakSamples)})`);
    this.status.textContent = parts.join('   ');
    window.strataLastQuery = { series: n, fetchMs, renderMs, tab: this.s.tab };
  }

  renderTable(data) {
    const rows = [];
    if (data.resultType === 'vector') {
      for (const r of data.result) rows.push([el('span', { class: 'mono' }, seriesName(r.metric)), r.value[1]]);
    } else if (data.resultType === 'matrix') {
      for (const r of data.result) {
        rows.push([el('span', { class: 'mono' }, seriesName(r.metric)),
          el('span', { class: 'mono' }, r.values.map((v) => `${v[1]} @${v[0]}`).join('\n'))]);
      }
    } else {
      rows.push([data.resultType, String(data.result[1])]);
    }
    if (rows.length === 0) {
      this.output.replaceChildren(el('div', { class: 'muted' }, 'Empty query result'));
      return;
    }
    const t = table(['Series', 'Value'], rows);
    t.classList.add('result-table');
    this.output.replaceChildren(t);
  }

  renderGraph(data, start, end, step) {
    if (data.resultType === 'scalar') {
      data = { resultType: 'matrix', result: [{ metric: {}, values: [data.result] }] };
    }
    if (data.resultType !== 'matrix') {
      this.output.replaceChildren(el('div', { class: 'error' }, `cannot graph a ${data.resultType} result`));
      return;
    }
    const series = data.result;
    if (series.length === 0) {
      this.output.replaceChildren(el('div', { class: 'muted' }, 'Empty query result'));
      return;
    }
    // One row per step; steps where a series has no point stay null (gaps, as Prometheus).
    const stepMs = step * 1000;
    const n = Math.floor((end - start) / stepMs) + 1;
    const rows = new Array(n);
    for (let k = 0; k < n; k++) {
      const row = new Array(series.length + 1).fill(null);
      row[0] = new Date(start + k * stepMs);
      rows[k] = row;
    }
    series.forEach((sr, i) => {
      for (const [t, v] of sr.values) {
        const k = Math.round((t * 1000 - start) / stepMs);
        if (k >= 0 && k < n) rows[k][i + 1] = parseFloat(v);
      }
    });
    const names = series.map((sr) => seriesName(sr.metric));
    const div = el('div', { class: 'graph' });
    const hover = el('div', { class: 'hover' });
    const legend = el('div', { class: 'legend' });
    this.output.replaceChildren(el('div', { class: 'graph-wrap' }, div, hover), legend);
    const labels = ['Time'].concat(names.map((_, i) => `s${i}`));
    const g = new Dygraph(div, rows, {
      labels,
      stackedGraph: this.s.stacked,
      fillGraph: this.s.stacked,
      connectSeparatedPoints: false,
      legend: 'never',
      labelsUTC: true,
      highlightSeriesOpts: { strokeWidth: 2, highlightCircleSize: 4 },
      highlightSeriesBackgroundAlpha: 0.6,
      // No fade animation: its timers would outlive a graph destroyed by the next query.
      animateBackgroundFade: false,
      axes: { y: { axisLabelWidth: 60 } },
      highlightCallback: (event, x, points, row, seriesName) => {
        const i = labels.indexOf(seriesName) - 1;
        if (i < 0) return;
        const v = rows[row][i + 1];
        hover.replaceChildren(el('div', {}, `${formatTime(x)} UTC`),
          el('div', {}, el('b', {}, `value: ${v}`)), el('div', {}, names[i]));
        const rect = div.getBoundingClientRect();
        const px = event.clientX - rect.left, py = event.clientY - rect.top;
        hover.style.left = `${Math.min(px + 14, Math.max(0, rect.width - 420))}px`;
        hover.style.top = `${py + 14}px`;
        hover.style.display = 'block';
      },
      unhighlightCallback: () => { hover.style.display = 'none'; },
      zoomCallback: (minX, maxX) => {
        // A selection becomes the new range: query it again at the finer step.
        if (maxX - minX < 1000) return;
        this.s.end = Math.round(maxX);
        this.s.range = Math.max(1, Math.round((maxX - minX) / 1000));
        this.endInput.value = formatTime(this.s.end);
        this.rangeInput.value = formatDuration(this.s.range);
        setTimeout(() => this.execute(), 0);
      },
    });
    this.graph = g;
    const colors = g.getColors();
    legend.replaceChildren(...names.map((name, i) => {
      const item = el('div', { title: 'Click to hide or show' },
        el('span', { class: 'swatch', style: `background:${colors[i]}` }), name);
      item.addEventListener('click', () => {
        const on = !item.classList.toggle('off');
        g.setVisibility(i, on);
      });
      return item;
    }));
  }
}

class Browser {
  constructor(root) {
    this.root = root;
    this.panels = [];
    this.list = el('div', {});
    root.replaceChildren(
      el('datalist', { id: 'strata-ranges' }, kRanges.map((r) => el('option', { value: r }))),
      this.list,
      el('button', { class: 'add-panel', onclick: () => this.add(null, true) }, 'Add panel'));
    for (const s of panelsFromUrl()) this.add(s, false);
    this.saveUrl();
    for (const p of this.panels) if (p.s.expr) p.execute();
  }

  add(state, focus) {
    const p = new Panel(this, state || { expr: '', tab: 0, range: 3600, end: null, moment: null, step: null, stacked: false });
    this.panels.push(p);
    this.list.append(p.root);
    this.saveUrl();
    if (focus) p.ta.focus();
  }

  remove(panel) {
    if (panel.graph) panel.graph.destroy();
    this.panels = this.panels.filter((p) => p !== panel);
    panel.root.remove();
    if (this.panels.length === 0) this.add(null, true);
    this.saveUrl();
  }

  saveUrl() { panelsToUrl(this.panels.map((p) => p.s)); }
}

// ---------------------------------------------------------------------------------------------
// Status pages.

async function pageStatus(main) {
  const [rt, build] = await Promise.all([api('api/v1/status/runtimeinfo'), api('api/v1/status/buildinfo')]);
  const r = rt.data;
  main.replaceChildren(
    el('h2', {}, 'Runtime information'),
    table(['', ''], [
      ['Start time', r.startTime], ['Working directory', r.CWD],
      ['Rule files last reloaded successfully', String(r.reloadConfigSuccess)],
      ['Last successful rule-file load', r.lastConfigTime],
      ['WAL ranges salvaged at start-up', r.corruptionCount],
      ['Threads', r.goroutineCount], ['Cores', r.GOMAXPROCS],
      ['Storage retention', r.storageRetention]]),
    el('h2', {}, 'Build information'),
    table(['', ''], Object.entries(build.data).map(([k, v]) => [k, String(v)])));
}

async function pageFlags(main) {
  const flags = (await api('api/v1/status/flags')).data;
  const filter = el('input', { placeholder: 'Filter by flag name or value', size: 40 });
  const holder = el('div', {});
  const draw = () => {
    const f = filter.value.toLowerCase();
    holder.replaceChildren(table(['Flag', 'Value'], Object.entries(flags)
      .filter(([k, v]) => !f || k.toLowerCase().includes(f) || String(v).toLowerCase().includes(f))
      .map(([k, v]) => [el('code', {}, `--${k}`), el('code', {}, v)])));
  };
  filter.addEventListener('input', draw);
  main.replaceChildren(el('h2', {}, 'Command-line flags'), filter, holder);
  draw();
}

async function pageTsdb(main) {
  const d = (await api('api/v1/status/tsdb', { limit: 10 })).data;
  const h = d.headStats;
  const empty = h.numSeries === 0;
  const list = (title, key, bytes) => [el('h3', {}, title),
    table(['Name', bytes ? 'Bytes' : 'Count'], d[key].map((e) => [el('code', {}, e.name), bytes ? formatBytes(e.value) : e.value]))];
  main.replaceChildren(
    el('h2', {}, 'Head (in-memory block) statistics'),
    table(['Series', 'Label pairs', 'Chunks', 'Min time', 'Max time'],
      [[h.numSeries, h.numLabelPairs, h.chunkCount, empty ? '-' : fmtMs(h.minTime), empty ? '-' : fmtMs(h.maxTime)]]),
    el('h2', {}, 'Cardinality'),
    ...list('Top 10 metric names by series', 'seriesCountByMetricName'),
    ...list('Top 10 label names by value count', 'labelValueCountByLabelName'),
    ...list('Top 10 label names by memory used', 'memoryInBytesByLabelName', true),
    ...list('Top 10 label pairs by series', 'seriesCountByLabelValuePair'));
}

async function pageStorage(main) {
  const d = (await api('api/v1/status/storage')).data;
  const out = [el('h2', {}, 'Storage'), el('p', {}, 'Data directory: ', el('code', {}, d.dataDir))];
  if (d.head) {
    const h = d.head;
    out.push(el('h3', {}, 'Head (memory + WAL)'), table(
      ['Series', 'Chunks', 'Chunk bytes', 'Memory (estimate)', 'WAL on disk', 'Min time', 'Max time'],
      [[h.series, h.chunks, formatBytes(h.chunkBytes), formatBytes(h.memoryBytes), formatBytes(h.walBytes), fmtMs(h.minTime), fmtMs(h.maxTime)]]));
  }
  if (d.warm) {
    const w = d.warm;
    out.push(el('h3', {}, 'Warm tier (RocksDB)'),
      table(['On disk', 'Series ids', 'Partitions'], [[formatBytes(w.diskBytes), w.series, w.partitions.length]]),
      table(['Partition (UTC day)', 'Min time', 'Max time', 'Chunks', 'Samples'],
        w.partitions.map((p) => [fmtMs(p.start), fmtMs(p.minTime), fmtMs(p.maxTime), p.chunks, p.samples])));
  }
  if (d.cold) {
    const c = d.cold;
    const res = (ms) => (ms === 0 ? 'raw' : formatDuration(ms / 1000));
    out.push(el('h3', {}, 'Cold tier (blocks)'),
      table(['Blocks', 'This node', 'Bytes', 'Series', 'Samples', 'Min time', 'Max time'],
        [[c.blocks, c.ownBlocks, formatBytes(c.bytes), c.series, c.samples, fmtMs(c.minTime), fmtMs(c.maxTime)]]),
      table(['Resolution', 'Blocks', 'Bytes', 'Samples (windows when downsampled)'],
        c.byResolution.map((r) => [res(r.resolutionMs), r.blocks, formatBytes(r.bytes), r.samples])));
  }
  main.replaceChildren(...out);
}

function graphLink(expr) {
  return el('a', { href: `graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=1` }, el('code', {}, expr));
}

async function pageRules(main) {
  const groups = (await api('api/v1/rules')).data.groups;
  const out = [el('h2', {}, 'Rules')];
  if (groups.length === 0) out.push(el('p', { class: 'muted' }, 'No rule groups are loaded (--rules.file).'));
  for (const g of groups) {
    out.push(el('h3', {}, `${g.name} `, el('span', { class: 'muted' },
      `${g.file} · every ${formatDuration(g.interval)} · last evaluation ${Math.round(g.evaluationTime * 1000)}ms`)));
    out.push(table(['Rule', 'State', 'Health', 'Last error', 'Last evaluation', 'Took'],
      g.rules.map((r) => [
        el('div', {}, el('b', {}, r.type === 'alerting' ? `alert: ${r.name}` : `record: ${r.name}`),
          el('div', {}, 'expr: ', graphLink(r.query))),
        r.state ? el('span', { class: `state-${r.state}` }, r.state) : '',
        el('span', { class: `health-${r.health}` }, r.health), r.lastError || '', r.lastEvaluation,
        `${(r.evaluationTime * 1000).toFixed(1)}ms`])));
  }
  main.replaceChildren(...out);
}

async function pageAlerts(main) {
  const groups = (await api('api/v1/rules', { type: 'alert' })).data.groups;
  const rules = groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
  const count = (s) => rules.filter((r) => r.state === s).length;
  const out = [el('h2', {}, 'Alerts'),
    el('p', {}, el('span', { class: 'state-firing' }, `firing (${count('firing')})`), '  ',
      el('span', { class: 'state-pending' }, `pending (${count('pending')})`), '  ',
      el('span', { class: 'state-inactive' }, `inactive (${count('inactive')})`))];
  if (rules.length === 0) out.push(el('p', { class: 'muted' }, 'No alerting rules are loaded.'));
  for (const r of rules) {
    const details = el('details', { open: r.state !== 'inactive' },
      el('summary', {}, el('span', { class: `state-${r.state}` }, `${r.name} (${(r.alerts || []).length} active)`),
        el('span', { class: 'muted' }, ` group ${r.group}`)),
      el('div', {}, 'expr: ', graphLink(r.query), r.duration ? ` for ${formatDuration(r.duration)}` : ''),
      (r.alerts || []).length ? table(['Labels', 'State', 'Active since', 'Value'],
        r.alerts.map((a) => [el('code', {}, seriesName(a.labels)), el('span', { class: `state-${a.state}` }, a.state), a.activeAt, a.value])) : null);
    out.push(details);
  }
  main.replaceChildren(...out);
}

// ---------------------------------------------------------------------------------------------

const kPages = {
  graph: (main) => new Browser(main),
  status: pageStatus,
  flags: pageFlags,
  'tsdb-status': pageTsdb,
  storage: pageStorage,
  rules: pageRules,
  alerts: pageAlerts,
};

async function main() {
  const page = window.location.pathname.split('/').filter(Boolean).pop() || 'graph';
  const root = document.getElementById('main');
  for (const a of document.querySelectorAll('#nav a[data-page]')) {
    a.classList.toggle('active', a.dataset.page === page);
  }
  const draw = kPages[page] || kPages.graph;
  document.title = `Strata · ${page}`;
  try {
    await draw(root);
  } catch (e) {
    showError(root, `Error loading this page: ${e.message}`);
  }
}

main();
