import type { Logger } from 'pino';

/** Recent failures kept for the page: enough to see who is guessing, bounded whatever the traffic. */
const KEEP = 10;

export interface FailedLogin {
  at: string;
  ip: string;
}

/**
 * Wrong dashboard credentials: counted, the last few kept for the page, and each one logged (warn) with the
 * client's address. Never the user name or password that was tried: a password typed into the wrong field is
 * still a password.
 */
export class FailedLogins {
  total = 0;
  private readonly recent: FailedLogin[] = [];

  constructor(private readonly log?: Logger) {}

  record(ip: string): void {
    this.total++;
    this.recent.push({ at: new Date().toISOString(), ip });
    if (this.recent.length > KEEP) this.recent.shift();
    this.log?.warn({ ip }, 'dashboard login failed');
  }

  /** Newest first. */
  list(): FailedLogin[] {
    return [...this.recent].reverse();
  }
}
