// A loopback HTTP server that follows the Manager.io /api2 shapes documented in docs/ledger.md, for
// tests of the API client and exporter. Not a test file itself.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAccount {
  key: string;
  name: string;
  code?: string;
}

export interface FakeJournalEntry {
  key: string;
  Date: string;
  Reference: string;
  Narration: string;
  Lines: { Account: string; LineDescription?: string; Debit?: number; Credit?: number }[];
}

export interface FakeManager {
  readonly baseUrl: string;
  readonly token: string;
  readonly accounts: FakeAccount[];
  readonly entries: FakeJournalEntry[];
  readonly requests: { method: string; path: string; auth: string | null }[];
  /** Create the entry, then drop the connection without answering (a lost response), this many times. */
  dropAfterCreate: number;
  /** Answer 503 to this many requests. */
  fail503: number;
  close(): Promise<void>;
}

export async function startFakeManager(opts: { token?: string; accounts?: FakeAccount[]; pageSize?: number } = {}): Promise<FakeManager> {
  const token = opts.token ?? 'FAKE-manager-token-1234';
  const state = {
    accounts: opts.accounts ?? [],
    entries: [] as FakeJournalEntry[],
    requests: [] as { method: string; path: string; auth: string | null }[],
    dropAfterCreate: 0,
    fail503: 0,
  };
  const maxPage = opts.pageSize ?? 50;
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const key = req.headers['x-api-key'];
      state.requests.push({ method: req.method ?? '', path: url.pathname, auth: typeof key === 'string' ? key : null });
      if (state.fail503 > 0) {
        state.fail503 -= 1;
        return send(res, 503, { error: 'busy' });
      }
      if (key !== token) return send(res, 401, { error: 'Unauthorized' });
      const skip = Number(url.searchParams.get('skip') ?? '0');
      const size = Math.min(Number(url.searchParams.get('pageSize') ?? String(maxPage)), maxPage);
      if (req.method === 'GET' && url.pathname === '/api2/chart-of-accounts') {
        return send(res, 200, { chartOfAccounts: state.accounts.slice(skip, skip + size), totalRecords: state.accounts.length });
      }
      if (req.method === 'GET' && url.pathname === '/api2/journal-entries') {
        const page = state.entries.slice(skip, skip + size).map((e) => ({ key: e.key, date: e.Date, reference: e.Reference, narration: e.Narration }));
        return send(res, 200, { journalEntries: page, totalRecords: state.entries.length });
      }
      if (req.method === 'POST' && url.pathname === '/api2/journal-entry-form') {
        let body: FakeJournalEntry;
        try {
          body = JSON.parse(raw) as FakeJournalEntry;
        } catch {
          return send(res, 400, { error: 'body is not JSON' });
        }
        const problems: string[] = [];
        if (!/^\d{4}-\d{2}-\d{2}$/.test(String(body.Date))) problems.push('Date');
        if (typeof body.Reference !== 'string' || typeof body.Narration !== 'string') problems.push('Reference/Narration');
        if (!Array.isArray(body.Lines) || body.Lines.length < 2) problems.push('Lines');
        let d = 0;
        let c = 0;
        for (const l of body.Lines ?? []) {
          if (!state.accounts.some((a) => a.key === l.Account)) problems.push(`unknown Account ${l.Account}`);
          const hasD = typeof l.Debit === 'number';
          const hasC = typeof l.Credit === 'number';
          if (hasD === hasC) problems.push('Debit xor Credit');
          d += Math.round((l.Debit ?? 0) * 100);
          c += Math.round((l.Credit ?? 0) * 100);
        }
        if (d !== c) problems.push('unbalanced');
        if (problems.length > 0) return send(res, 400, { error: problems.join(', ') });
        const entry = { ...body, key: randomUUID() };
        state.entries.push(entry);
        if (state.dropAfterCreate > 0) {
          state.dropAfterCreate -= 1;
          req.socket.destroy();
          return;
        }
        return send(res, 201, { Key: entry.key });
      }
      return send(res, 404, { error: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/api2`,
    token,
    get accounts() {
      return state.accounts;
    },
    get entries() {
      return state.entries;
    },
    get requests() {
      return state.requests;
    },
    get dropAfterCreate() {
      return state.dropAfterCreate;
    },
    set dropAfterCreate(n: number) {
      state.dropAfterCreate = n;
    },
    get fail503() {
      return state.fail503;
    },
    set fail503(n: number) {
      state.fail503 = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The business's chart: every account of the book, keyed by new GUIDs, plus some unrelated accounts. */
export function chartFor(names: readonly string[]): FakeAccount[] {
  return [
    { key: randomUUID(), name: 'Retained earnings' },
    ...names.map((name) => ({ key: randomUUID(), name })),
    { key: randomUUID(), name: 'Suspense' },
  ];
}
