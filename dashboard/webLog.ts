import path from 'node:path';
import { appendDurable } from '../activities/outputs/atomicFile';

/*
 * The dashboard's own logs (docs/dashboard.md, "Security"), JSON lines, fsync'd:
 * - auth_failures.log: every refused login (wrong credentials, lockout, bad CSRF token), with the client
 *   address and the user name tried (never the password);
 * - access.log: successful logins and logouts, and every control or settings change with who made it.
 */

export interface WebLogPaths {
  readonly authFailures: string;
  readonly access: string;
}

export function webLogPaths(logDir: string): WebLogPaths {
  return { authFailures: path.join(logDir, 'auth_failures.log'), access: path.join(logDir, 'access.log') };
}

export type WebLogRecord = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** Caps what a client sent before it is logged, so a huge field cannot bloat the log. */
export function clip(s: unknown, max = 80): string {
  const t = typeof s === 'string' ? s : s === undefined || s === null ? '' : String(s);
  return t.length > max ? `${t.slice(0, max)}...` : t;
}

export class WebLog {
  readonly paths: WebLogPaths;

  constructor(
    logDir: string,
    private readonly onError: (message: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.paths = webLogPaths(logDir);
  }

  authFailure(rec: WebLogRecord): void {
    this.write(this.paths.authFailures, rec);
  }

  access(rec: WebLogRecord): void {
    this.write(this.paths.access, rec);
  }

  private write(file: string, rec: WebLogRecord): void {
    try {
      // JSON.stringify escapes control characters, so a crafted user name cannot forge a log line.
      appendDurable(file, `${JSON.stringify({ timestamp: this.now().toISOString(), ...rec })}\n`);
    } catch (err) {
      // A full disk must not take the dashboard down; the failure is reported instead.
      this.onError(`cannot write ${file}: ${(err as Error).message}`);
    }
  }
}
