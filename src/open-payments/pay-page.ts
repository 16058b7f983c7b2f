import type { Config } from '../config/load';
import { encodeNpub } from '../payments/npub';
import type { Prices } from '../payments/pricing';
import { topUpForm } from './operator-wallet/top-up-form';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** `amount` smallest units as a decimal figure of the asset, e.g. 1500 at scale 2 → "15.00 USD". */
export function inWords(amount: bigint, assetCode: string, assetScale: number): string {
  const s = amount.toString().padStart(assetScale + 1, '0');
  const whole = s.slice(0, s.length - assetScale);
  const frac = assetScale > 0 ? `.${s.slice(s.length - assetScale).replace(/0+$/, '')}` : '';
  return `${whole}${frac === '.' ? '' : frac} ${assetCode}`;
}

function prices(config: Config, p: Prices): string {
  const w = (a: bigint) => inWords(a, config.assetCode, config.assetScale);
  if (p.isFree) return '<p>This relay is free: writing and reading cost nothing. Money paid here is kept as a balance.</p>';
  const kinds = [...p.kinds].map(([kind, a]) => `<li>an event of kind ${kind}: ${w(a)}</li>`).join('');
  const perByte = p.perByte > 0n ? `, plus ${w(p.perByte)} for each byte of the event` : '';
  return `<p>Reading is free. Each event you publish is paid from your balance here: ${w(p.base)}${perByte}.</p>
${kinds ? `<ul>${kinds}</ul>` : ''}`;
}

/**
 * The page a browser gets at `GET /pay/<pubkey>`: what writing costs, the pubkey's npub, its Open Payments wallet
 * address and payment pointer, how to pay from the wallets people use, and a balance check signed with the
 * browser's Nostr extension (NIP-07 → NIP-98).
 */
export function payPage(config: Config, p: Prices, pubkey: string, origin: string | undefined, host: string): string {
  const npub = encodeNpub(pubkey);
  // Without PUBLIC_URL the pointer names the request's Host header as it came (escaped below, never parsed: a
  // header that is not a host must not throw in a uWS handler).
  const walletAddress = `${origin}/pay/${pubkey}`;
  const pointer = `$${origin ? new URL(origin).host : host}/pay/${pubkey}`;
  const name = escapeHtml(config.relayName);
  const openPayments = origin
    ? `<p>Wallet address (Open Payments): <code>${escapeHtml(walletAddress)}</code><br>
Payment pointer: <code>${escapeHtml(pointer)}</code></p>
<h2>How to pay</h2>
<ul>
<li><b>Interledger Wallet</b> (interledger.app) or <b>GateHub</b>: choose <i>Send</i>, paste the wallet address above as
the recipient and enter an amount in ${escapeHtml(config.assetCode)}. The money arrives in your balance here within seconds.</li>
<li><b>Web Monetization browser extension</b>: connect it to your wallet, then open a page that is monetized with the
payment pointer above (or send a one-time payment to it from the extension).</li>
<li>Any Open Payments or SPSP/STREAM sender can pay the payment pointer directly.</li>
</ul>
<p>Your wallet must be able to reach this relay over Interledger (the operator peers with wallet providers); the
amount arrives in ${escapeHtml(config.assetCode)}.</p>`
    : `<p>Payment pointer (SPSP): <code>${escapeHtml(pointer)}</code></p>
<p>This relay has no public URL configured, so it offers no Open Payments wallet address; STREAM senders can pay the
payment pointer.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Pay ${name}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:4px;word-break:break-all}</style></head>
<body><h1>Pay ${name}</h1>
<p>For the Nostr key <code>${npub}</code>.</p>
<h2>Prices</h2>
${prices(config, p)}
<h2>Where to pay</h2>
${openPayments}
<!-- TOP-UP FORM (issue #17 part B): src/open-payments/operator-wallet/top-up-form.ts -->${topUpForm(config)}
<h2>Your balance</h2>
<p>Only you can see it: it is shown after your Nostr browser extension signs a request (NIP-98).</p>
<button id="bal">Show my balance</button> <span id="out"></span>
<script>
document.getElementById('bal').onclick=async function(){var o=document.getElementById('out');
if(!window.nostr){o.textContent='A Nostr browser extension (NIP-07) is needed.';return;}
try{var u=location.origin+location.pathname.replace(/\\/$/,'')+'/balance';
var e=await window.nostr.signEvent({kind:27235,created_at:Math.floor(Date.now()/1000),tags:[['u',u],['method','GET']],content:''});
var r=await fetch(u,{headers:{Authorization:'Nostr '+btoa(JSON.stringify(e))}});var j=await r.json();
if(!r.ok){o.textContent=j.error||'refused';return;}
var s=String(j.balance).padStart(j.assetScale+1,'0');o.textContent=s.slice(0,s.length-j.assetScale)+(j.assetScale?'.'+s.slice(s.length-j.assetScale):'')+' '+j.assetCode;
}catch(err){o.textContent=String(err);}};
</script>
</body></html>
`;
}
