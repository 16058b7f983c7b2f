import type { Config } from '../config/load';
import type { Prices } from '../payments/pricing';
import { pageUrl } from './nip11';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function pricing(config: Config, prices: Prices, host: string): string {
  if (prices.isFree) return '<h2>Writing</h2><p>This relay is free to write to and to read from.</p>';
  const unit = `${escapeHtml(config.assetCode)} (scale ${config.assetScale}: amounts are integers in units of 10<sup>-${config.assetScale}</sup>)`;
  const rows = [
    `<tr><td>each stored event</td><td>${prices.base}</td></tr>`,
    ...[...prices.kinds].map(([kind, p]) => `<tr><td>kind ${kind}</td><td>${p}</td></tr>`),
    `<tr><td>plus, per byte of the event's NIP-01 serialization</td><td>${prices.perByte}</td></tr>`,
  ].join('');
  const h = escapeHtml(host);
  // Served over plain http unless PUBLIC_URL says wss://: the links must use the scheme that reaches this page.
  const page = new URL(pageUrl(config, host));
  const secure = page.protocol === 'https:';
  const origin = escapeHtml(page.origin);
  const kind1 = prices.kinds.get(1) ?? prices.base;
  return `<h2>Prices</h2>
<p>Reading is free. Writing an event is paid from the prepaid balance of its author, in ${unit}. An event's price is
its kind's price (or the one for every stored event) plus the per-byte price times the size of its NIP-01
serialization in bytes: a 300-byte kind-1 event costs ${kind1} + 300 × ${prices.perByte} = ${kind1 + 300n * prices.perByte}.</p>
<table>${rows}</table>
<h2>Pay</h2>
<p>Every pubkey has a payment pointer: <code>$${h}/pay/&lt;pubkey&gt;</code>. Money streamed to it (SPSP + STREAM over
Interledger) credits that pubkey's balance at once, packet by packet.</p>
<form id="pp"><label>Your pubkey (hex or npub): <input name="pk" size="66" autocomplete="off"></label> <button>Show</button></form>
<p id="out"></p>
<p>To pay with a STREAM wallet: give it the payment pointer; or connect an <code>ilp-protocol-stream</code> client over
<code>ilp-plugin-btp</code> to <code>btp+${secure ? 'wss' : 'ws'}://:&lt;token&gt;@${escapeHtml(page.host)}/btp</code> (tokens are issued by the operator), fetch
<code>${origin}/pay/&lt;pubkey&gt;</code> and send to its <code>destination_account</code> with its
<code>shared_secret</code>. A STREAM connection opened that way can also carry NIP-01 messages, one per line.</p>
<script>document.getElementById('pp').onsubmit=function(e){e.preventDefault();var k=this.pk.value.trim();
document.getElementById('out').textContent=k?'$'+location.host+'/pay/'+k:'';};</script>`;
}

/** The small page a browser sees at `/`: what this relay is, how to connect and how to pay. */
export function homePage(config: Config, prices: Prices, host: string): string {
  const url = config.publicUrl || `ws://${host}`;
  const name = escapeHtml(config.relayName);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${name}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:4px}td{padding:.2rem .8rem .2rem 0}</style></head>
<body><h1>${name}</h1>
<p>${escapeHtml(config.relayDescription)}</p>
<h2>Connect</h2>
<p>Add <code>${escapeHtml(url)}</code> to your Nostr client's relays.</p>
<p>Relay information (NIP-11): request this page with <code>Accept: application/nostr+json</code>.</p>
${pricing(config, prices, host)}
</body></html>
`;
}
