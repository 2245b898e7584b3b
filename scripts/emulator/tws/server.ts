import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { encodeMessage, FrameDecoder, negotiateVersion, SERVER_VERSION, type Field } from '../../../domain/emulator/tws/codec';
import { errorMessage, NO_VALID_ID } from '../../../domain/emulator/tws/replies';
import { parseRequest, type TwsRequest } from '../../../domain/emulator/tws/requests';
import type { EmulatorContext } from '../context';
import type { Journal } from '../journal';
import { ibTime } from './contracts';
import { TwsDesk, type TwsClient } from './desk';

/**
 * The emulator's TWS API port (docs/ibkr.md): the handshake, START_API, one desk shared by every
 * connection, a client id used by a live connection refused with error 326 as TWS does, and the gateway's
 * daily restart: at a configured market instant every connection is dropped and the port refuses
 * connections until the restart is over.
 */

export interface GatewayRestart {
  /** Market instant the gateway goes down. */
  readonly atMs: number;
  /** Market ms it stays down. */
  readonly downMs: number;
}

export interface TwsServerOptions {
  readonly accounts: readonly string[];
  readonly restart?: GatewayRestart;
  /** Real ms between order and quote updates (default 50). */
  readonly pollMs?: number;
}

interface Connection {
  readonly socket: net.Socket;
  readonly decoder: FrameDecoder;
  client: (TwsClient & { clientId: number }) | null;
  version: number | null;
  /** The answer to the request being handled is lost (a dropped connection), though IB acted on it. */
  muted: boolean;
}

/** What tests and the control surface can do to the TWS side. */
export interface TwsControl {
  /** The next request of this type (e.g. `placeOrder`) is carried out, but the connection drops before any answer. */
  dropAfter(requestType: TwsRequest['type']): void;
  /** The next order whose orderRef (the client order id) contains `orderRefPart` is refused: error 201 with `reason`, status Inactive. */
  rejectNextOrder(orderRefPart: string, reason: string): void;
  /** Every connection hears a connectivity notice: 1100 lost, 1101 restored with data lost, 1102 restored. */
  connectivity(code: 1100 | 1101 | 1102): void;
  readonly counts: Readonly<TwsServer['counts']>;
}

const CONNECTIVITY_TEXT: Record<1100 | 1101 | 1102, string> = {
  1100: 'Connectivity between IB and Trader Workstation has been lost.',
  1101: 'Connectivity between IB and TWS has been restored- data lost.',
  1102: 'Connectivity between IB and TWS has been restored- data maintained.',
};

export class TwsServer implements TwsControl {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  readonly desk: TwsDesk;
  private readonly ticker: NodeJS.Timeout;
  /** Connections refused or dropped, for the journal and tests. */
  readonly counts = { connections: 0, refusedClientId: 0, droppedByRestart: 0, refusedDuringRestart: 0, droppedAnswers: 0 };
  private readonly dropNext = new Set<TwsRequest['type']>();

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly journal: Journal,
    private readonly opts: TwsServerOptions,
    private readonly flushEvents: () => void,
  ) {
    this.desk = new TwsDesk(ctx, opts.accounts);
    this.server = net.createServer((socket) => this.accept(socket));
    this.ticker = setInterval(() => this.tick(), opts.pollMs ?? 50);
    this.ticker.unref();
  }

  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  dropAfter(requestType: TwsRequest['type']): void {
    this.dropNext.add(requestType);
  }

  rejectNextOrder(orderRefPart: string, reason: string): void {
    this.desk.rejectNextOrder(orderRefPart, reason);
  }

  connectivity(code: 1100 | 1101 | 1102): void {
    this.record('connectivity', String(code));
    this.desk.broadcast(code, CONNECTIVITY_TEXT[code]);
  }

  /** True while the configured restart window is on. */
  restarting(m = this.ctx.marketNow()): boolean {
    const r = this.opts.restart;
    return r !== undefined && m >= r.atMs && m < r.atMs + r.downMs;
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    if (this.restarting()) {
      this.counts.refusedDuringRestart += 1;
      this.record('connect', 'refused: gateway restarting');
      socket.destroy();
      return;
    }
    this.counts.connections += 1;
    const conn: Connection = { socket, decoder: new FrameDecoder(), client: null, version: null, muted: false };
    this.connections.add(conn);
    socket.on('data', (chunk) => this.receive(conn, chunk));
    socket.on('close', () => this.drop(conn));
    socket.on('error', () => socket.destroy());
  }

  private drop(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    if (conn.client) this.desk.close(conn.client);
  }

  private send(conn: Connection, fields: Field[]): void {
    if (!conn.socket.destroyed && !conn.muted) conn.socket.write(encodeMessage(fields));
  }

  private receive(conn: Connection, chunk: Buffer): void {
    for (const event of conn.decoder.push(chunk)) {
      if (event.kind === 'bad_frame') {
        this.record('frame', `closed: ${event.reason}`);
        conn.socket.destroy();
        return;
      }
      if (event.kind === 'handshake') this.greet(conn, event.range);
      else this.request(conn, parseRequest(event.fields));
    }
  }

  /** The server version and connection time, or a closed socket when the client's range leaves ours out. */
  private greet(conn: Connection, range: { min: number; max: number } | null): void {
    const version = range === null ? null : negotiateVersion(range);
    this.record('handshake', version === null ? `closed: client range ${range ? `${range.min}..${range.max}` : 'unreadable'} excludes server version ${SERVER_VERSION}` : `server version ${version}`);
    if (version === null) {
      conn.socket.destroy();
      return;
    }
    conn.version = version;
    this.send(conn, [version, ibTime(this.ctx.marketNow())]);
  }

  private request(conn: Connection, req: TwsRequest): void {
    if (req.type === 'startApi') return this.start(conn, req.clientId);
    if (conn.client === null) {
      this.record(req.type, 'ignored: before START_API');
      return;
    }
    const drop = this.dropNext.delete(req.type);
    this.record(req.type, drop ? 'answer dropped' : null);
    conn.muted = drop;
    this.desk.handle(conn.client, req);
    this.flushEvents();
    if (drop) {
      this.counts.droppedAnswers += 1;
      conn.socket.destroy();
      this.drop(conn);
    }
  }

  private start(conn: Connection, clientId: number): void {
    const inUse = [...this.connections].some((c) => c !== conn && c.client?.clientId === clientId);
    if (inUse) {
      this.counts.refusedClientId += 1;
      this.record('startApi', `refused: client id ${clientId} in use`);
      this.send(conn, errorMessage(NO_VALID_ID, 326, 'Unable to connect as the client id is already in use. Retry with a unique client id.'));
      conn.socket.end();
      return;
    }
    this.record('startApi', `client id ${clientId}`);
    conn.client = { clientId, marketDataType: 1, send: (fields) => this.send(conn, fields) };
    this.desk.open(conn.client);
  }

  private tick(): void {
    if (this.restarting()) {
      for (const c of [...this.connections]) {
        this.counts.droppedByRestart += 1;
        c.socket.destroy();
        this.drop(c);
      }
      return;
    }
    this.desk.poll();
    this.flushEvents();
  }

  private record(what: string, note: string | null): void {
    this.journal.add({ kind: 'request', realTime: new Date().toISOString(), marketTime: new Date(this.ctx.marketNow()).toISOString(), method: 'TWS', path: what, status: null, fault: note, durationMs: 0 });
  }
}
