// The operator dashboard: polls /dashboard/api/summary and draws everything by hand (SVG), no libraries.
'use strict';
(() => {
  const POLL_MS = 5000;
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const F = globalThis.DashboardFormat; // format.js: money from integer strings, never floats
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
  /** A chart value (a float of smallest units) as the integer string the money formats take. */
  const whole = (v) => BigInt(Math.round(isFinite(v) ? v : 0)).toString();
  const hhmm = (t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const hhmmss = (t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const dayTime = (t) => new Date(t).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' });
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
  /** A money tile: the short amount with its (SI-prefixed) unit small, the exact amount as its title. */
  function moneyTile(id, str, scale, code) {
    const shown = F.amountShort(str, scale, code);
    const cut = shown.lastIndexOf(' ');
    tile(id, shown.slice(0, cut), shown.slice(cut + 1), F.amountExact(str, scale, code));
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
      label.textContent = fmt(v, true, max);
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
  /** A copy button for `value` (navigator.clipboard needs a secure context; plain http falls back to a selection). */
  function copyButton(value, label) {
    const btn = h('button', { type: 'button', class: 'copy', title: `copy ${label}`, 'aria-label': `copy ${label}`, 'data-copy': value }, 'copy');
    btn.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(value);
      } catch {
        const range = document.createRange();
        range.selectNodeContents(btn.previousElementSibling);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        document.execCommand('copy');
      }
      btn.textContent = 'copied';
      setTimeout(() => (btn.textContent = 'copy'), 1500);
    });
    return btn;
  }

  function render(d) {
    const c = colors();
    const { peer, now, history: hs } = d;
    const scale = peer.assetScale;
    const code = peer.assetCode;
    const money = (str) => F.amountShort(str, scale, code);
    const exact = (str) => F.amountExact(str, scale, code);
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
    moneyTile('k-money-in', d.money.received, scale, code);
    moneyTile('k-revenue', d.money.earned, scale, code);
    const perHour = t.length > 1 ? (hs.revenue[hs.revenue.length - 1] - hs.revenue[0]) / ((t[t.length - 1] - t[0]) / 3.6e6) : 0;
    text('k-revenue-rate', `${money(whole(perHour))} / h lately`);
    moneyTile('k-outstanding', d.money.prepaid, scale, code);
    text('k-ingest', latency(d.latency.ingest.p99));
    text('k-query', `REQ p99 ${latency(d.latency.query.p99)}`);
    if (d.store) {
      text('k-events', int(d.store.events));
      const since = d.store.storedSince > 0 ? ` (+${int(d.store.storedSince)} since)` : '';
      text('k-pubkeys', `${int(d.store.pubkeys)} pubkeys · counted ${hhmm(Date.parse(d.store.at))}${since}`);
      $('k-events').title = `recounted once a minute at most, less often on a big store (took ${d.store.tookMs} ms)`;
    } else {
      text('k-events', '…');
      text('k-pubkeys', 'counting on a read worker');
    }
    const disk = d.disk;
    text('k-disk', disk.free === null ? '–' : bytes(disk.free));
    text('k-backup-needs', `a backup needs ${bytes(disk.backupNeeds)}`);
    $('k-disk').parentElement.classList.toggle('warn', disk.free !== null && disk.free < 2 * disk.backupNeeds);
    tile('k-cpu', now.cpu.toFixed(now.cpu < 10 ? 1 : 0), '%', 'CPU time of the last 5 s, in % of one core');
    text('k-rss', `RSS ${bytes(now.rss)}`);
    tile('k-lag', +now.lagP99.toFixed(1), 'ms', 'event-loop delay p99 over the last 5 s');
    text('k-lag-max', `max ${+now.lagMax.toFixed(1)} ms`);

    const perSec = (v, axis) => (axis ? short(v) : `${short(v)}/s`);
    lineChart('c-throughput', rt, [
      { name: 'received', color: c.blue, values: received, area: true },
      { name: 'stored', color: c.teal, values: stored },
      { name: 'refused', color: c.rose, values: rejected },
    ], perSec);
    text('c-revenue-unit', `cumulative, ${code}`);
    // Money: economic snapshots (kept in the database) before the first in-memory sample, then the samples.
    // Plotted in smallest units; labels come from the integers, with one SI prefix per axis.
    const ec = d.economics;
    const older = ec.t.filter((x) => x < t[0]).length;
    const rev = { t: ec.t.slice(0, older).concat(t), revenue: ec.revenue.slice(0, older).concat(hs.revenue) };
    const moneyFmt = (v, axis, top) => (axis ? F.amountAxis(whole(v), whole(top), scale, code) : money(whole(v)));
    // Earned only: at micro-prices what was received (prepaid) dwarfs it and would flatten its line to 0.
    lineChart('c-revenue', rev.t, [{ name: 'earned', color: c.teal, values: rev.revenue, area: true }], moneyFmt, (v) => niceStep(v, true));
    lineChart('c-connections', t, [
      { name: 'connections', color: c.blue, values: hs.connections, area: true },
      { name: 'subscriptions', color: c.violet, values: hs.subscriptions },
    ], (v) => short(v), (v) => niceStep(v, true));
    lineChart('c-database', t, [
      { name: 'total', color: c.amber, values: hs.dbBytes.map((v, i) => v + hs.walBytes[i]), area: true },
      { name: 'WAL', color: c.blue, values: hs.walBytes },
    ], (v) => bytes(v), bytesStep);
    lineChart('c-process', t, [
      { name: 'CPU %', color: c.violet, values: hs.cpu, area: true },
      { name: 'loop lag p99 ms', color: c.amber, values: hs.lagP99 },
    ], (v) => short(v));

    // Top payers: the full npub, copyable.
    const payers = d.topPayers;
    const topSpent = payers.length ? Number(payers[0].spent) : 0;
    $('t-payers').tBodies[0].replaceChildren(
      ...(payers.length
        ? payers.map((p) =>
            h('tr', {},
              h('td', { class: 'npub' }, h('code', { title: `hex ${p.pubkey}` }, p.npub), copyButton(p.npub, 'npub')),
              h('td', { class: 'num', title: exact(p.spent) }, money(p.spent)),
              h('td', { class: 'num', title: exact(p.balance) }, money(p.balance)),
              h('td', { class: 'bar' }, h('div', { class: 'meter' }, h('i', { style: `width:${topSpent > 0 ? Math.max(2, (Number(p.spent) / topSpent) * 100) : 0}%` })))),
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
              h('td', { class: 'num', title: exact(p.owes) }, money(p.owes)),
              h('td', { class: 'num', title: exact(p.pending) }, money(p.pending)),
              h('td', { class: 'bar', title: `credit limit ${exact(p.limit)}` }, h('div', { class: `meter${used > 90 ? ' full' : used > 70 ? ' warn' : ''}` }, h('i', { style: `width:${used}%` }))));
          })
        : [h('tr', { class: 'empty-row' }, h('td', { colspan: '5' }, 'no ILP peers configured (ILP_PEERS)'))]),
    );
    // Links of each peer: BTP (open connections) and ILP-over-HTTP (state of its endpoint), with their packets.
    const ms = (s) => (s === null ? '–' : s === Infinity ? '>30 s' : `${Math.round(s * 1000)} ms`);
    $('t-links').tBodies[0].replaceChildren(
      ...d.ilp.links.map((l) => {
        const up = l.state === 'connected' || l.state === 'up';
        return h('tr', {},
          h('td', {}, l.peer),
          h('td', {}, l.kind === 'http' ? 'ILP-over-HTTP' : 'BTP'),
          h('td', { title: l.error ?? '' }, h('span', { class: `dot${up ? ' up' : ''}` }), l.state),
          h('td', { class: 'num' }, `${int(l.packets.in.fulfilled)} / ${int(l.packets.in.rejected)}`),
          h('td', { class: 'num' }, `${int(l.packets.out.fulfilled)} / ${int(l.packets.out.rejected)} / ${int(l.packets.out.failed)}`),
          h('td', { class: 'num' }, l.latency ? `${ms(l.latency.p50)} / ${ms(l.latency.p99)}` : '–'));
      }),
    );
    // Packets: fulfilled, F99 (normal STREAM traffic, neutral) and real failures (red), each apart.
    const ilp = d.ilp;
    const failures = Object.entries(ilp.failures).sort((a, b) => b[1] - a[1]);
    $('ilp-results').replaceChildren(
      h('span', { class: 'chip good' }, 'fulfilled', h('b', {}, int(ilp.fulfilled))),
      h('span', { class: 'chip', id: 'ilp-f99', title: 'F99 application error: STREAM answers it to rate probes and closing connections' }, 'F99 STREAM', h('b', {}, int(ilp.applicationErrors))),
      ...failures.map(([k, n]) => h('span', { class: 'chip bad' }, k, h('b', {}, int(n)))),
    );
    text('ilp-failures', failures.length ? `${int(failures.reduce((a, [, n]) => a + n, 0))} failed` : 'no failures');

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
      ['disk', disk.free === null ? 'free space unknown' : `${bytes(disk.free)} free · next backup ${bytes(disk.backupNeeds)}`],
    ];
    if (b.lastFailure) facts.push(['failed', `${new Date(b.lastFailure.at).toLocaleString()}: ${b.lastFailure.message}`]);
    $('backups').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    $('backup-files').replaceChildren(...b.files.slice(0, 10).map((f) => h('li', {}, h('span', {}, f.name), h('span', {}, bytes(f.bytes)))));

    // Off-site backups (BACKUP_URL): how fresh the newest copy is, and the last restore test.
    const o = d.offsite;
    const when = (t) => (t ? new Date(t).toLocaleString() : 'none yet');
    const off = !o
      ? [['state', 'off (BACKUP_URL is empty): the data lives only on this volume']]
      : [
          ['where', `${o.url}${o.encrypted ? '' : ' · NOT encrypted'}`],
          ['newest', o.newestAt ? `${when(o.newestAt)} · ${duration(o.ageSeconds)} ago` : 'none yet'],
          ['database', o.full.last ? `${when(o.full.last.at)} · ${bytes(o.full.last.bytes)}` : `next ${when(o.full.nextAt)}`],
          ['money', o.ledger.last ? when(o.ledger.last.at) : 'no snapshot since start'],
          ['restore test', o.verify.result ? `${when(o.verify.result.at)} · ${o.verify.result.ok ? `passed, ${int(o.verify.result.events)} events` : `FAILED: ${o.verify.result.message}`}` : `next ${when(o.verify.nextAt)}`],
          ...[o.full, o.ledger].filter((j) => j.lastFailure).map((j) => ['failed', `${when(j.lastFailure.at)}: ${j.lastFailure.message}`]),
        ];
    text('offsite-status', o ? o.status : '');
    $('offsite-status').classList.toggle('bad', o?.status === 'degraded');
    $('offsite').replaceChildren(...off.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

    // Failed dashboard logins.
    const fl = d.failedLogins;
    text('logins-total', fl.total === 0 ? 'none since start' : `${int(fl.total)} since start`);
    $('logins').replaceChildren(...fl.recent.map((l) => h('li', {}, h('span', {}, new Date(l.at).toLocaleTimeString()), h('span', { class: 'mono' }, l.ip))));

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

  let lastContact = 0;
  async function poll() {
    clearTimeout(timer);
    try {
      // An absolute URL from location.origin: with user:pass@ in the page's URL a relative fetch would carry the
      // credentials and throw. The browser still sends the Basic credentials it signed in with (same origin).
      const url = new URL(`/dashboard/api/summary?range=${range}`, location.origin);
      const res = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
      if (res.status === 401) throw new Error('not authorized any more: reload the page to sign in');
      if (!res.ok) throw new Error(`the peer answered ${res.status}`);
      last = await res.json();
      render(last);
      document.dispatchEvent(new CustomEvent('dashboard-summary', { detail: last }));
      $('banner').hidden = true;
      document.body.dataset.state = 'ok';
      lastContact = Date.now();
      text('updated', `updated ${hhmmss(lastContact)}`);
    } catch (err) {
      showError(`Cannot update: ${err.message}`);
      text('updated', lastContact ? `no contact since ${hhmmss(lastContact)}` : 'no contact');
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
