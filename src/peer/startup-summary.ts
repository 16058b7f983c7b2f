import type { Config } from '../config/load';
import type { Prices } from '../payments/pricing';
import { VERSION } from '../version';

/**
 * The one line an operator reads at start, in the fields of the log entry: what runs, where, what it charges,
 * who may connect over ILP, and what watches and saves it. Amounts are strings (bigint), in ASSET_CODE/ASSET_SCALE.
 */
export function startupSummary(config: Config, prices: Prices, port: number, verifier: string): Record<string, unknown> {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    version: VERSION,
    url: config.publicUrl || `ws://${host}:${port}`,
    host: config.host,
    port,
    dataDir: config.dataDir,
    prices: prices.isFree
      ? 'free'
      : {
          base: String(prices.base),
          perByte: String(prices.perByte),
          kinds: Object.fromEntries([...prices.kinds].map(([k, p]) => [k, String(p)])),
          unit: config.assetCode,
          scale: config.assetScale,
          freePubkeys: prices.free.size,
        },
    ilpAddress: config.ilpAddress,
    // A peer connects in over BTP (/btp), unless its entry names an ILP-over-HTTP endpoint.
    peers: config.ilpPeers.map((p) => `${p.id} (${'http' in p && p.http ? 'ilp-over-http' : 'btp'})`),
    dashboard: config.dashboardUser && config.dashboardPassword ? '/dashboard' : 'off',
    backups: config.backupInterval > 0 ? `every ${duration(config.backupInterval)} into ${config.dataDir}/backups, keeping ${config.backupKeep}` : 'off',
    offsite: config.backupUrl
      ? `${config.backupUrl}${config.backupEncryptionKey === 'none' ? ' UNENCRYPTED' : ''}: database every ${duration(config.backupOffsiteInterval)}, money every ${duration(config.backupLedgerInterval)} when it moved`
      : 'off',
    verifier,
  };
}

/** 86400 → "1d", 5400 → "90m": the largest unit that divides it, as BACKUP_INTERVAL is written. */
function duration(seconds: number): string {
  for (const [unit, n] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) if (seconds % n === 0) return `${seconds / n}${unit}`;
  return `${seconds}s`;
}
