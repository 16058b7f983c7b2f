// The dashboard's settlement card: open channels per peer and chain (from the summary dashboard.js polls), and
// the form that records an out-of-band settlement (POST /dashboard/api/settlements, JSON, same origin).
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') el.className = v;
      else el.setAttribute(k, v);
    }
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined) el.append(kid instanceof Node ? kid : String(kid));
    return el;
  }
  const left = (s) => (s === null ? '' : s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : `${Math.floor(s / 60)} min ${s % 60} s`);

  document.addEventListener('dashboard-summary', (e) => {
    const d = e.detail;
    const peers = $('settle-peer');
    if (peers && peers.options.length === 0) for (const p of d.ilp.peers) peers.append(h('option', { value: p.id }, p.id));
    const rows = d.settlement || [];
    $('t-settlement').tBodies[0].replaceChildren(
      ...(rows.length
        ? rows.map((c) =>
            h('tr', { class: c.alert ? 'alert' : '' },
              h('td', {}, c.peer),
              h('td', {}, c.chain),
              h('td', {}, c.direction === 'outgoing' ? 'we pay' : 'pays us'),
              h('td', { class: 'num' }, c.deposit),
              h('td', { class: 'num' }, c.bestVoucher),
              h('td', { class: 'num' }, c.redeemed),
              h('td', { class: 'num' }, c.unredeemed),
              h('td', { title: c.lastTx || '' }, c.lastTxAt ? c.lastTxAt.replace('T', ' ').slice(0, 19) : '–'),
              h('td', {}, c.closeSecondsLeft === null ? '–' : `${c.alert ? '⚠ ' : ''}${left(c.closeSecondsLeft)}`)),
          )
        : [h('tr', { class: 'empty-row' }, h('td', { colspan: '9' }, 'no open channels'))]),
    );
  });

  addEventListener('DOMContentLoaded', () => {
    const form = $('settle-form');
    if (!form) return;
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      const body = { peer: f.get('peer'), direction: f.get('direction'), amount: String(f.get('amount')).trim(), reference: f.get('reference') };
      const out = $('settle-result');
      try {
        const res = await fetch(new URL('/dashboard/api/settlements', location.origin), {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const answer = await res.json();
        out.textContent = res.ok ? `recorded (#${answer.recorded})` : `refused: ${answer.error}`;
        if (res.ok) form.reset();
      } catch (err) {
        out.textContent = `failed: ${err.message}`;
      }
    });
  });
})();
