// The operator dashboard: polls /dashboard/api/summary and draws everything by hand (SVG), no libraries.
'use strict';
(() => {
  const POLL_MS = 5000;
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  let range = 3600;
  let last = null;
  let timer = 0;

  // ---- DOM helpers (text only: nothing from the server is parsed as HTML) ----
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') el.className = v;
      else if (k === 'style') el.style.cssText = v;
      else el.setAttribute(k, v);
    }
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined) el.append(kid instanceof Node ? kid : String(kid));
    return el;
  }
  function s(tag, attrs) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    return el;
  }
  const text = (id, value) => {
    const el = $(id);
    if (el) el.textContent = value;
  };

  // ---- formats ----
  const nf = new Intl.NumberFormat('en-US');
  const int = (n) => nf.format(Math.round(n));
  function short(n) {
    const a = Math.abs(n);
    if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 0 : 1) + 'G';
    if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e3) return (n / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k';
    if (a >= 10 || Number.isInteger(n)) return String(Math.round(n));
    return n.toFixed(a >= 1 ? 1 : 2);
  }
  function bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
    return (i === 0 ? String(n) : n.toFixed(n >= 100 ? 0 : 1)) + ' ' + units[i];
  }
  function duration(sec) {
    const d = Math.floor(sec / 86400), hr = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60);
    if (d > 0) return `${d}d ${hr}h`;
    if (hr > 0) return `${hr}h ${m}m`;
    if (m > 0) return `${m}m ${Math.floor(sec % 60)}s`;
    return `${Math.floor(sec)}s`;
  }
  function latency(sec) {
    if (sec === null || sec === undefined) return '–';
    if (!isFinite(sec)) return '> 5 s';
    return sec < 0.001 ? `≤ ${Math.round(sec * 1e6)} µs` : sec < 1 ? `≤ ${+(sec * 1000).toFixed(2)} ms` : `≤ ${sec} s`;
  }
  /** An exact decimal string in the smallest unit → "1,234.5 USD" (at most 6 decimals unless it would read 0). */
  function amount(str, scale, code) {
    let neg = false;
    let digits = String(str);
    if (digits.startsWith('-')) (neg = true), (digits = digits.slice(1));
    digits = digits.padStart(scale + 1, '0');
    const whole = digits.slice(0, digits.length - scale) || '0';
    let frac = scale > 0 ? digits.slice(digits.length - scale) : '';
    const trimmed = frac.replace(/0+$/, '');
    frac = trimmed.length > 6 && /[1-9]/.test(trimmed.slice(0, 6)) ? trimmed.slice(0, 6) : trimmed;
    return `${neg ? '−' : ''}${nf.format(BigInt(whole))}${frac ? '.' + frac : ''} ${code}`;
  }
  const units = (str, scale) => Number(str) / 10 ** scale;
  const hhmm = (t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const hhmmss = (t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const dayTime = (t) => new Date(t).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  /** Short form: 4 significant digits, k/M beyond a thousand. */
  function amountShort(str, scale, code) {
    const v = Number(str) / 10 ** scale;
    const a = Math.abs(v);
    const text = a >= 1000 ? short(v) : a === 0 ? '0' : v.toPrecision(4).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
    return code ? `${text} ${code}` : text;
  }
  /** Grid steps for byte charts fall on round numbers of KiB, MiB or GiB. */
  function bytesStep(v) {
    const unit = 1024 ** Math.max(0, Math.min(4, Math.floor(Math.log(Math.max(v, 1)) / Math.log(1024))));
    return Math.max(1, niceStep(v / unit, false) * unit);
  }
  /** A tile value: the number large, its unit small. */
  function tile(id, value, unit, title) {
    const el = $(id);
    el.replaceChildren(value, h('small', {}, unit));
    if (title) el.title = title;
  }

  /** Per-second rates between consecutive samples of a running total (a restart's drop counts as 0). */
  function rates(t, v) {
    const out = [];
    for (let i = 1; i < t.length; i++) {
      const dt = (t[i] - t[i - 1]) / 1000;
      out.push(dt > 0 ? Math.max(0, (v[i] - v[i - 1]) / dt) : 0);
    }
    return out;
  }

  /** A round step for 4 grid intervals covering `v`: 1, 2, 2.5 or 5 × 10^n (whole numbers for counts). */
  function niceStep(v, whole) {
    if (!(v > 0)) return whole ? 1 : 0.25;
    const raw = v / 4;
    const p = 10 ** Math.floor(Math.log10(raw));
    for (const m of whole && p < 10 ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]) if (m * p >= raw) return whole ? Math.max(1, m * p) : m * p;
    return 10 * p;
  }

  // ---- charts ----
  /**
   * Draws a line chart of `series` ([{name, color, values}]) against times `t` into the element with id `id`.
   * `fmt` formats axis and tooltip values.
   */
  function lineChart(id, t, series, fmt, step = (v) => niceStep(v, false)) {
    const box = $(id);
    const width = Math.max(box.clientWidth, 240);
    const height = 176;
    const pad = { l: 52, r: 10, t: 8, b: 22 };
    const w = width - pad.l - pad.r;
    const ht = height - pad.t - pad.b;
    const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': box.parentElement.querySelector('figcaption').textContent });
    const all = series.flatMap((x) => x.values).filter((v) => isFinite(v));
    const max = 4 * step(Math.max(0, ...all));
    const t0 = t[0];
    const t1 = t[t.length - 1];
    const x = (ti) => pad.l + (t1 > t0 ? ((ti - t0) / (t1 - t0)) * w : w);
    const y = (v) => pad.t + ht - (v / max) * ht;

    const grid = s('g', { class: 'grid' });
    const axis = s('g', { class: 'axis' });
    for (let i = 0; i <= 4; i++) {
      const v = (max / 4) * i;
      grid.append(s('line', { x1: pad.l, x2: pad.l + w, y1: y(v), y2: y(v) }));
      const label = s('text', { x: pad.l - 8, y: y(v) + 3.5, 'text-anchor': 'end' });
      label.textContent = fmt(v, true);
      axis.append(label);
    }
    if (t.length > 1) {
      const clock = t1 - t0 < 10 * 60_000 ? hhmmss : t1 - t0 > 36 * 3600_000 ? dayTime : hhmm;
      for (let i = 0; i <= 4; i++) {
        const ti = t0 + ((t1 - t0) / 4) * i;
        const label = s('text', { x: x(ti), y: height - 5, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' });
        label.textContent = clock(ti);
        axis.append(label);
      }
    }
    svg.append(grid, axis);

    if (t.length < 2) {
      const note = s('text', { x: pad.l + w / 2, y: pad.t + ht / 2, 'text-anchor': 'middle', class: 'empty' });
      note.textContent = 'collecting samples…';
      svg.append(note);
    }
    for (const ser of series) {
      if (ser.values.length < 2) continue;
      const pts = ser.values.map((v, i) => `${x(t[i]).toFixed(1)},${y(isFinite(v) ? v : 0).toFixed(1)}`);
      if (ser.area) {
        svg.append(s('path', { class: 'area', fill: ser.color, d: `M${x(t[0]).toFixed(1)},${y(0)}L${pts.join('L')}L${x(t[t.length - 1]).toFixed(1)},${y(0)}Z` }));
      }
      svg.append(s('path', { class: 'line', stroke: ser.color, d: `M${pts.join('L')}`, 'data-series': ser.name }));
    }
    const cursor = s('line', { class: 'cursor', y1: pad.t, y2: pad.t + ht, visibility: 'hidden' });
    svg.append(cursor);

    const legend = h('div', { class: 'legend' }, series.map((ser) => h('span', { style: `--c:${ser.color}` }, ser.name, h('b', {}, ser.values.length ? fmt(ser.values[ser.values.length - 1]) : '–'))));
    const tip = h('div', { class: 'tip', hidden: '' });
    box.replaceChildren(svg, legend, tip);

    svg.addEventListener('mousemove', (ev) => {
      if (t.length < 2) return;
      const r = svg.getBoundingClientRect();
      const px = ((ev.clientX - r.left) / r.width) * width;
      let best = 0;
      for (let i = 1; i < t.length; i++) if (Math.abs(x(t[i]) - px) < Math.abs(x(t[best]) - px)) best = i;
      cursor.setAttribute('x1', x(t[best]));
      cursor.setAttribute('x2', x(t[best]));
      cursor.setAttribute('visibility', 'visible');
      tip.replaceChildren(h('div', { class: 'muted' }, hhmmss(t[best])), ...series.map((ser) => h('div', {}, h('span', { style: `color:${ser.color}` }, '● '), `${ser.name} `, h('b', {}, fmt(ser.values[best])))));
      tip.hidden = false;
      const left = (x(t[best]) / width) * box.clientWidth;
      tip.style.left = `${Math.min(left + 12, box.clientWidth - tip.offsetWidth - 4)}px`;
      tip.style.top = '8px';
    });
    svg.addEventListener('mouseleave', () => {
      cursor.setAttribute('visibility', 'hidden');
      tip.hidden = true;
    });
  }

  function colors() {
    const cs = getComputedStyle(document.documentElement);
    const c = (name) => cs.getPropertyValue(name).trim();
    return { teal: c('--teal'), blue: c('--blue'), amber: c('--amber'), rose: c('--rose'), violet: c('--violet'), muted: c('--muted') };
  }

  // ---- rendering ----
  function render(d) {
    const c = colors();
    const { peer, now, history: hs } = d;
    const scale = peer.assetScale;
    const code = peer.assetCode;
    document.title = `${peer.name} · dashboard`;
    text('name', peer.name);
    text('address', peer.ilpAddress);
    text('version', peer.version);
    text('uptime', duration(peer.uptime));

    // Rates over the last interval of the history (the last point is "now").
    const t = hs.t;
    const rt = t.slice(1);
    const received = rates(t, hs.received);
    const stored = rates(t, hs.stored);
    const rejected = rates(t, hs.rejected);
    const lastRate = (r) => (r.length ? r[r.length - 1] : 0);
    text('k-rate', short(lastRate(received)));
    text('k-received', `${int(now.received)} received · ${int(now.rejected)} refused`);
    text('k-stored-rate', short(lastRate(stored)));
    text('k-stored', `${int(now.stored)} stored since start`);
    text('k-connections', int(now.connections));
    text('k-subscriptions', `${int(now.subscriptions)} subscriptions`);
    text('k-db', bytes(now.dbBytes + now.walBytes));
    text('k-wal', `file ${bytes(now.dbBytes)} · WAL ${bytes(now.walBytes)}`);
    tile('k-revenue', amountShort(now.revenue, scale), code, amount(now.revenue, scale, code));
    const perHour = t.length > 1 ? ((hs.revenue[hs.revenue.length - 1] - hs.revenue[0]) / ((t[t.length - 1] - t[0]) / 3.6e6)) : 0;
    text('k-revenue-rate', `${amountShort(String(Math.round(perHour)), scale, code)} / h lately`);
    tile('k-outstanding', amountShort(now.outstanding, scale), code, amount(now.outstanding, scale, code));
    text('k-ingest', latency(d.latency.ingest.p99));
    text('k-query', `REQ p99 ${latency(d.latency.query.p99)}`);

    const perSec = (v, axis) => (axis ? short(v) : `${short(v)}/s`);
    lineChart('c-throughput', rt, [
      { name: 'received', color: c.blue, values: received, area: true },
      { name: 'stored', color: c.teal, values: stored },
      { name: 'refused', color: c.rose, values: rejected },
    ], perSec);
    text('c-revenue-unit', `cumulative, ${code}`);
    // Revenue: economic snapshots (kept in the database) before the first in-memory sample, then the samples.
    const ec = d.economics;
    const older = ec.t.filter((x) => x < t[0]).length;
    const rev = { t: ec.t.slice(0, older).concat(t), revenue: ec.revenue.slice(0, older).concat(hs.revenue), outstanding: ec.outstanding.slice(0, older).concat(hs.outstanding) };
    lineChart('c-revenue', rev.t, [{ name: 'earned', color: c.teal, values: rev.revenue.map((v) => v / 10 ** scale), area: true }], (v) => short(v));
    lineChart('c-connections', t, [
      { name: 'connections', color: c.blue, values: hs.connections, area: true },
      { name: 'subscriptions', color: c.violet, values: hs.subscriptions },
    ], (v) => short(v), (v) => niceStep(v, true));
    lineChart('c-database', t, [
      { name: 'total', color: c.amber, values: hs.dbBytes.map((v, i) => v + hs.walBytes[i]), area: true },
      { name: 'WAL', color: c.blue, values: hs.walBytes },
    ], (v) => bytes(v), bytesStep);

    // Top payers.
    const payers = d.topPayers;
    const topSpent = payers.length ? units(payers[0].spent, scale) : 0;
    $('t-payers').tBodies[0].replaceChildren(
      ...(payers.length
        ? payers.map((p) =>
            h('tr', {},
              h('td', { class: 'mono', title: p.pubkey }, `${p.pubkey.slice(0, 8)}…${p.pubkey.slice(-4)}`),
              h('td', { class: 'num', title: amount(p.spent, scale, code) }, amountShort(p.spent, scale, code)),
              h('td', { class: 'num', title: amount(p.balance, scale, code) }, amountShort(p.balance, scale, code)),
              h('td', { class: 'bar' }, h('div', { class: 'meter' }, h('i', { style: `width:${topSpent > 0 ? Math.max(2, (units(p.spent, scale) / topSpent) * 100) : 0}%` })))),
          )
        : [h('tr', { class: 'empty-row' }, h('td', { colspan: '4' }, 'nobody has paid for an event yet'))]),
    );

    // Peers and their positions.
    const peers = d.ilp.peers;
    $('t-peers').tBodies[0].replaceChildren(
      ...(peers.length
        ? peers.map((p) => {
            const limit = Number(p.limit);
            const used = limit > 0 ? Math.min(100, (Math.max(0, Number(p.owes) + Number(p.pending)) / limit) * 100) : 0;
            return h('tr', {},
              h('td', {}, p.id),
              h('td', {}, h('span', { class: `dot${p.connections > 0 ? ' up' : ''}` }), p.connections > 0 ? `${p.connections} open` : 'offline'),
              h('td', { class: 'num', title: amount(p.owes, scale, code) }, amountShort(p.owes, scale, code)),
              h('td', { class: 'num', title: amount(p.pending, scale, code) }, amountShort(p.pending, scale, code)),
              h('td', { class: 'bar', title: `credit limit ${amount(p.limit, scale, code)}` }, h('div', { class: `meter${used > 90 ? ' full' : used > 70 ? ' warn' : ''}` }, h('i', { style: `width:${used}%` }))));
          })
        : [h('tr', { class: 'empty-row' }, h('td', { colspan: '5' }, 'no ILP peers configured (ILP_PEERS)'))]),
    );
    const results = Object.entries(d.ilp.results).sort((a, b) => b[1] - a[1]);
    $('ilp-results').replaceChildren(
      ...(results.length ? results.map(([k, n]) => h('span', { class: `chip ${k === 'fulfilled' ? 'good' : 'bad'}` }, k, h('b', {}, int(n)))) : [h('span', { class: 'muted' }, 'no packets yet')]),
    );

    // Refusals.
    const refusals = Object.entries(d.refusals.rejected).sort((a, b) => b[1] - a[1]);
    $('refusals').replaceChildren(
      ...refusals.map(([k, n]) => h('span', { class: 'chip bad' }, k, h('b', {}, int(n)))),
      h('span', { class: 'chip' }, 'duplicate', h('b', {}, int(d.refusals.duplicates))),
    );

    // Backups.
    const b = d.backups;
    const facts = [
      ['last', b.last ? `${new Date(b.last.at).toLocaleString()} · ${bytes(b.last.bytes)}` : 'none yet'],
      ['next', b.running ? 'running now' : b.nextAt ? new Date(b.nextAt).toLocaleString() : 'not scheduled (BACKUP_INTERVAL=0)'],
      ['kept', `${b.files.length} of ${b.keep}`],
    ];
    if (b.lastFailure) facts.push(['failed', `${new Date(b.lastFailure.at).toLocaleString()}: ${b.lastFailure.message}`]);
    $('backups').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    $('backup-files').replaceChildren(...b.files.slice(0, 10).map((f) => h('li', {}, h('span', {}, f.name), h('span', {}, bytes(f.bytes)))));

    // Recent errors.
    $('t-errors').tBodies[0].replaceChildren(
      ...(d.errors.length
        ? d.errors.slice(0, 20).map((e) =>
            h('tr', {},
              h('td', { class: 'num' }, new Date(e.time).toLocaleTimeString()),
              h('td', {}, h('span', { class: `level ${e.level}` }, e.level)),
              h('td', {}, e.msg, e.detail ? h('span', { class: 'muted' }, ` — ${e.detail}`) : null)),
          )
        : [h('tr', { class: 'empty-row' }, h('td', { colspan: '3' }, 'no warnings or errors logged since start'))]),
    );
  }

  function showError(message) {
    const banner = $('banner');
    banner.textContent = message;
    banner.hidden = false;
    document.body.dataset.state = 'error';
  }

  async function poll() {
    clearTimeout(timer);
    try {
      const res = await fetch(`/dashboard/api/summary?range=${range}`, { cache: 'no-store', credentials: 'same-origin' });
      if (res.status === 401) throw new Error('not authorized any more: reload the page to sign in');
      if (!res.ok) throw new Error(`the peer answered ${res.status}`);
      last = await res.json();
      render(last);
      $('banner').hidden = true;
      document.body.dataset.state = 'ok';
      text('updated', `updated ${hhmmss(Date.now())}`);
    } catch (err) {
      showError(`Cannot update: ${err.message}`);
      text('updated', 'no contact');
    } finally {
      timer = setTimeout(poll, POLL_MS);
    }
  }

  window.addEventListener('error', (ev) => showError(`Dashboard error: ${ev.message}`));
  window.addEventListener('unhandledrejection', (ev) => showError(`Dashboard error: ${ev.reason}`));
  document.addEventListener('DOMContentLoaded', () => {
    for (const btn of document.querySelectorAll('.range button')) {
      btn.addEventListener('click', () => {
        range = Number(btn.dataset.range);
        for (const b of document.querySelectorAll('.range button')) b.setAttribute('aria-pressed', String(b === btn));
        poll();
      });
    }
    let resize = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resize);
      resize = setTimeout(() => last && render(last), 150);
    });
    poll();
  });
})();
