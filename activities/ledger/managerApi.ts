import type { ManagerJournalEntryForm } from '../../domain/ledger/manager';

/*
 * A small client for Manager.io's HTTP API (the `/api2` endpoints of Manager Server or Cloud).
 * Shapes and auth follow docs/ledger.md (sources listed there):
 * - auth: the access token from Settings > Access Tokens, sent as `X-API-KEY: <token>` (what API clients
 *   of /api2 use) and as `Authorization: Bearer <token>` (what Manager's access-token guide describes);
 * - GET  <base>/chart-of-accounts                 -> { chartOfAccounts: [{ key, name, code? }] }
 * - GET  <base>/journal-entries?skip=&pageSize=   -> { journalEntries: [{ key, reference, ... }], totalRecords? }
 * - POST <base>/journal-entry-form   body { Date, Reference, Narration, Lines: [{ Account, Debit|Credit }] }
 * where <base> is MANAGER_API_URL, e.g. https://manager.example.com/api2.
 */

export class ManagerApiError extends Error {
  constructor(
    message: string,
    /** False for answers a retry cannot change: bad token, missing accounts, a rejected body. */
    readonly retryable: boolean,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'ManagerApiError';
  }
}

export interface ManagerAccountRef {
  readonly key: string;
  readonly name: string;
  readonly code: string | null;
}

export interface ManagerApiOptions {
  /** MANAGER_API_URL: the /api2 base. */
  readonly baseUrl: string;
  /** MANAGER_API_TOKEN. Never put in a message. */
  readonly token: string;
  readonly timeoutMs?: number;
  readonly pageSize?: number;
  readonly fetchImpl?: typeof fetch;
}

type Json = Record<string, unknown>;

function listIn(body: unknown, preferred: string): Json[] {
  if (Array.isArray(body)) return body as Json[];
  if (body && typeof body === 'object') {
    const o = body as Json;
    if (Array.isArray(o[preferred])) return o[preferred] as Json[];
    for (const v of Object.values(o)) if (Array.isArray(v)) return v as Json[];
  }
  return [];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

export class ManagerApiClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: ManagerApiOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  private async request(method: 'GET' | 'POST', pathAndQuery: string, body?: unknown): Promise<unknown> {
    const url = `${this.base}${pathAndQuery}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: {
          'X-API-KEY': this.opts.token,
          Authorization: `Bearer ${this.opts.token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new ManagerApiError(`Manager.io ${method} ${pathAndQuery} failed: ${(err as Error).message}`, true);
    }
    const text = await res.text();
    if (!res.ok) {
      const detail = text.slice(0, 300).replace(/\s+/g, ' ');
      const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
      const hint = res.status === 401 || res.status === 403 ? ' (check MANAGER_API_TOKEN and that it has access to this business)' : '';
      throw new ManagerApiError(`Manager.io ${method} ${pathAndQuery} answered ${res.status}${hint}: ${detail}`, retryable, res.status);
    }
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ManagerApiError(`Manager.io ${method} ${pathAndQuery} did not answer JSON`, true, res.status);
    }
  }

  private async listAll(pathName: string, key: string): Promise<Json[]> {
    const pageSize = this.opts.pageSize ?? 100;
    const out: Json[] = [];
    // Bounded: 10,000 pages is far beyond any book this bot writes.
    for (let page = 0; page < 10_000; page++) {
      const body = await this.request('GET', `${pathName}?skip=${out.length}&pageSize=${pageSize}`);
      const items = listIn(body, key);
      out.push(...items);
      const total = body && typeof body === 'object' && !Array.isArray(body) ? (body as Json).totalRecords : undefined;
      // A server may cap the page below pageSize: stop on the total when it is given, else on an empty page.
      if (items.length === 0 || (typeof total === 'number' && out.length >= total)) return out;
    }
    throw new ManagerApiError(`Manager.io ${pathName} did not stop paging`, false);
  }

  async chartOfAccounts(): Promise<ManagerAccountRef[]> {
    const items = await this.listAll('/chart-of-accounts', 'chartOfAccounts');
    return items
      .map((a) => ({ key: str(a.key ?? a.Key) ?? '', name: str(a.name ?? a.Name) ?? '', code: str(a.code ?? a.Code) }))
      .filter((a) => a.key !== '' && a.name !== '');
  }

  /** Every journal entry Reference the business already has. */
  async journalEntryReferences(): Promise<Set<string>> {
    const items = await this.listAll('/journal-entries', 'journalEntries');
    const refs = new Set<string>();
    for (const e of items) {
      const r = str(e.reference ?? e.Reference);
      if (r !== null) refs.add(r);
    }
    return refs;
  }

  /** Creates one journal entry; returns its key when the server tells it. */
  async createJournalEntry(form: ManagerJournalEntryForm): Promise<string | null> {
    const body = await this.request('POST', '/journal-entry-form', form);
    if (typeof body === 'string') return body;
    if (body && typeof body === 'object') return str((body as Json).Key ?? (body as Json).key);
    return null;
  }
}
