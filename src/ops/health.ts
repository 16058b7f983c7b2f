import { VERSION } from '../version';

export type ServiceName = 'database' | 'ledger' | 'websocket';
export type HealthChecks = Record<ServiceName, () => boolean>;

export interface Health {
  status: 'ok' | 'degraded' | 'error';
  timestamp: string;
  uptime: number;
  version: string;
  services: Record<ServiceName, 'ok' | 'error'>;
}

const safely = (check: () => boolean): boolean => {
  try {
    return check();
  } catch {
    return false;
  }
};

/** Runs each service check; the database down is an error, anything else down is degraded. */
export function health(checks: HealthChecks, startedAt: number): Health {
  const services = {} as Health['services'];
  for (const [name, check] of Object.entries(checks) as [ServiceName, () => boolean][]) {
    services[name] = safely(check) ? 'ok' : 'error';
  }
  const down = Object.values(services).filter((s) => s === 'error').length;
  return {
    status: services.database === 'error' ? 'error' : down > 0 ? 'degraded' : 'ok',
    timestamp: new Date().toISOString(),
    uptime: Math.round((Date.now() - startedAt) / 1000),
    version: VERSION,
    services,
  };
}
