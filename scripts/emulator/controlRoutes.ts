import { ZodError } from 'zod';
import { nyIso, sessionPhase } from '../../domain/emulator/clock';
import type { EmulatorContext } from './context';
import type { FaultInjector } from './faults';
import { json, type RouteRequest, type RouteResponse } from './http';
import type { Journal } from './journal';
import { quoteOverrideSchema, zodMessage } from './schemas';
import type { EmulatorStats } from './stats';

/**
 * The control surface under /emulator/ (loopback only, no keys): stats, journal, faults, quote overrides,
 * clock. The same operations are methods of the object startEmulator returns.
 */

export interface ControlDeps {
  readonly ctx: EmulatorContext;
  readonly faults: FaultInjector;
  readonly journal: Journal;
  stats(): EmulatorStats;
}

const invalid = (message: string): RouteResponse => ({ status: 422, body: { error: message } });

export function controlRoute(d: ControlDeps, req: RouteRequest): RouteResponse {
  const key = `${req.method} ${req.path}`;
  switch (key) {
    case 'GET /stats':
      return json(d.stats());
    case 'GET /journal':
      return json(d.journal.list(Number(req.query.get('since') ?? 0) || 0));
    case 'GET /faults':
      return json(d.faults.current);
    case 'POST /faults':
      return setFaults(d, req.body);
    case 'DELETE /faults':
      d.faults.reset();
      return json(d.faults.current);
    case 'POST /quotes':
      return setQuote(d, req.body);
    case 'GET /clock': {
      const m = d.ctx.marketNow();
      return json({ clock: d.ctx.clock, marketTime: nyIso(m), phase: sessionPhase(m) });
    }
    default:
      return { status: 404, body: { error: `${key} is not a control endpoint (GET /emulator/stats, /journal, /faults, /clock; POST /faults, /quotes; DELETE /faults)` } };
  }
}

function setFaults(d: ControlDeps, body: unknown): RouteResponse {
  try {
    return json(d.faults.set((body ?? {}) as never));
  } catch (err) {
    if (err instanceof ZodError) return invalid(zodMessage(err));
    throw err;
  }
}

function setQuote(d: ControlDeps, body: unknown): RouteResponse {
  const parsed = quoteOverrideSchema.safeParse(body);
  if (!parsed.success) return invalid(zodMessage(parsed.error));
  const { symbol, override } = parsed.data;
  if (override === null) d.ctx.quoteOverrides.delete(symbol);
  else d.ctx.quoteOverrides.set(symbol, override);
  return json({ symbol, override });
}
