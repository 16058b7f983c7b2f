import type { Config } from '../../config/load';

/**
 * The pay page's top-up form (when OPERATOR_WALLET_ADDRESS is set): an amount in ASSET_CODE, sent to
 * `POST /pay/<pubkey>/top-ups`; the answer is shown as the incoming payment's URL and its QR code, to paste or scan
 * into the recipient field of the wallet's "Send" form. Empty when top-ups are off.
 */
export function topUpForm(config: Config): string {
  if (!config.operatorWalletAddress) return '';
  const code = config.assetCode.replace(/[^A-Za-z0-9]/g, '');
  return `<h2>Top up through the operator's wallet</h2>
<p>No Interledger peering needed: the relay creates a payment request at its operator's wallet, you pay it from
yours, and your balance here is credited once the wallet has received it.</p>
<form id="topup"><label>Amount (${code}) <input id="topup-amount" inputmode="decimal" required size="10"></label>
<button>Create payment request</button></form>
<div id="topup-out"></div>
<script>
document.getElementById('topup').onsubmit=async function(ev){ev.preventDefault();var o=document.getElementById('topup-out');
var scale=${config.assetScale};var v=document.getElementById('topup-amount').value.trim();var m=/^(\\d+)(?:\\.(\\d*))?$/.exec(v);
if(!m||(m[2]||'').length>scale){o.textContent='Enter an amount such as 5 or 5.50 (at most '+scale+' decimals).';return;}
var units=(m[1]+(m[2]||'').padEnd(scale,'0')).replace(/^0+(?=\\d)/,'');
try{var u=location.origin+location.pathname.replace(/\\/$/,'')+'/top-ups';
var r=await fetch(u,{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify({amount:units})});var j=await r.json();
if(!r.ok){o.textContent=j.error||'refused';return;}
o.innerHTML='';var p=document.createElement('p');p.textContent='In your wallet choose Send and paste (or scan) this payment request as the recipient. It is open until '+new Date(j.expiresAt).toLocaleTimeString()+'.';
var c=document.createElement('code');c.textContent=j.incomingPayment;var img=document.createElement('img');img.alt='QR code of the payment request';img.width=220;
img.src=u+'/qr.svg?incomingPayment='+encodeURIComponent(j.incomingPayment);o.append(p,c,document.createElement('br'),img);
}catch(err){o.textContent=String(err);}};
</script>`;
}
