import { NetworkError } from '../../../domain/errors/errorClasses';
import type { IbApiLike, IbListener } from './ibApi';

/** A request waiting for its answers; an error event or a dropped socket rejects it through here. */
export interface Pending {
  readonly reqId: number;
  reject(err: Error): void;
}

export interface RequestSpec<T> {
  what: string;
  reqId: number;
  send: (api: IbApiLike) => void;
  events: Record<string, IbListener>;
  endEvent: string;
  endHasNoId?: boolean;
  result: () => T;
  cancel?: (api: IbApiLike) => void;
  /** Resolve with what arrived when the time is up instead of failing (snapshots, imbalance windows). */
  resolveOnTimeout?: boolean;
  timeoutMs?: number;
}

/**
 * Sends a request and collects its answers until `endEvent` (matched by reqId unless `endHasNoId`).
 * `events` handlers receive the raw event arguments; the first argument is the reqId for keyed events.
 * While it waits, the request is in `pending` under its reqId.
 */
export function collect<T>(api: IbApiLike, spec: RequestSpec<T>, pending: Map<number, Pending>, defaultTimeoutMs: number): Promise<T> {
  const timeoutMs = spec.timeoutMs ?? defaultTimeoutMs;
  return new Promise<T>((resolve, reject) => {
    const wrapped = Object.entries(spec.events);
    const onEnd = (id?: number) => {
      if (!spec.endHasNoId && id !== spec.reqId) return;
      finish();
      resolve(spec.result());
    };
    const timer = setTimeout(() => {
      finish();
      spec.cancel?.(api);
      if (spec.resolveOnTimeout) resolve(spec.result());
      else reject(new NetworkError(`ibkr: ${spec.what} got no answer within ${timeoutMs} ms`, { provider: 'ibkr', code: 'timeout' }));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      pending.delete(spec.reqId);
      for (const [e, fn] of wrapped) api.off(e, fn);
      api.off(spec.endEvent, onEnd);
    };
    const fail = (err: Error) => {
      finish();
      spec.cancel?.(api);
      reject(err);
    };
    pending.set(spec.reqId, { reqId: spec.reqId, reject: fail });
    for (const [e, fn] of wrapped) api.on(e, fn);
    api.on(spec.endEvent, onEnd);
    spec.send(api);
  });
}
