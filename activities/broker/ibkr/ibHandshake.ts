import { ConfigError, NetworkError } from '../../../domain/errors/errorClasses';
import { IB_CODES, type IbApiLike, type IbListener } from './ibApi';

export interface HandshakeTarget {
  /** TWS/IB Gateway by host, port and client id, as error messages name it. */
  readonly where: string;
  readonly clientId: number;
  readonly timeoutMs: number;
}

/**
 * Opens the socket and waits for the two messages that start a session: the next valid order id and
 * the managed accounts. Fails on a refused connection, a client id in use, a socket closed early or no
 * answer in time; the handshake's own listeners are gone when it settles.
 */
export function handshake(api: IbApiLike, to: HandshakeTarget): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const seen = { id: false, accounts: false };
    const timer = setTimeout(() => fail(new NetworkError(`ibkr: no answer from ${to.where} within ${to.timeoutMs} ms; is it running with the API enabled?`, { provider: 'ibkr', code: 'timeout' })), to.timeoutMs);
    const fail = (err: Error) => {
      cleanup();
      reject(err);
    };
    const got = (what: keyof typeof seen) => () => {
      seen[what] = true;
      if (seen.id && seen.accounts) {
        cleanup();
        resolve();
      }
    };
    const onError = (err: Error | string, code: number) => {
      const failure = handshakeFailure(to, err, code);
      if (failure) fail(failure);
    };
    const listeners: [string, IbListener][] = [
      ['nextValidId', got('id')],
      ['managedAccounts', got('accounts')],
      ['error', onError],
      // @stoqey/ib emits TWS messages without a request id (326 among them) as 'info', not 'error'.
      ['info', (message: string, code: number) => onError(message, code)],
      // A socket closed before the handshake finished (TWS closes it after 326, a restarting gateway at once).
      ['disconnected', () => {
        setImmediate(() => fail(new NetworkError(`ibkr: ${to.where} closed the connection during the handshake; is it restarting, or is the client id in use?`, { provider: 'ibkr', code: String(IB_CODES.NOT_CONNECTED) })));
      }],
    ];
    const cleanup = () => {
      clearTimeout(timer);
      for (const [event, fn] of listeners) api.off(event, fn);
    };
    for (const [event, fn] of listeners) api.on(event, fn);
    api.connect(to.clientId);
  });
}

/** The handshake errors that end it; any other code is left to the session's own listeners. */
function handshakeFailure(to: HandshakeTarget, err: Error | string, code: number): Error | null {
  if (code === IB_CODES.CONNECT_FAIL || code === IB_CODES.NOT_CONNECTED) {
    return new NetworkError(`ibkr: cannot connect to ${to.where}: ${messageOf(err) || 'connection failed'}; is TWS or IB Gateway running with "Enable ActiveX and Socket Clients" on?`, { provider: 'ibkr', code: String(code), cause: err });
  }
  if (code === IB_CODES.CLIENT_ID_IN_USE) {
    return new ConfigError(`ibkr: ${to.where} refused the connection: client id ${to.clientId} is already in use; set another IBKR_CLIENT_ID in .env`);
  }
  return null;
}

function messageOf(err: Error | string | undefined): string {
  return typeof err === 'string' ? err : (err?.message ?? '');
}
