import type { Config } from '../config/load';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The small page a browser sees at `/`: what this relay is and how to connect. */
export function homePage(config: Config, host: string): string {
  const url = config.publicUrl || `ws://${host}`;
  const name = escapeHtml(config.relayName);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${name}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>${name}</h1>
<p>${escapeHtml(config.relayDescription)}</p>
<h2>Connect</h2>
<p>Add <code>${escapeHtml(url)}</code> to your Nostr client's relays.</p>
<p>Relay information (NIP-11): request this page with <code>Accept: application/nostr+json</code>.</p>
</body></html>
`;
}
