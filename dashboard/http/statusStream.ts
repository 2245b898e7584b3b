import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '../sessions';
import { statusFragment, type StatusView } from '../views';
import type { DashboardContext, LiveStream } from './context';

/*
 * The live status view: a server-sent event stream that sends the status fragment whenever it changes,
 * and a ping when nothing changed for a while (so proxies keep the connection). Every open view reads
 * through the shared StatusSource, so many pages cost one query per period.
 */

const MAX_STREAMS_PER_SESSION = 4;
const MAX_STREAMS = 200;
const PING_MS = 15_000;

export function tooManyStreams(ctx: DashboardContext, s: Session): boolean {
  const mine = [...ctx.streams].filter((x) => x.sessionId === s.id).length;
  return mine >= MAX_STREAMS_PER_SESSION || ctx.streams.size >= MAX_STREAMS;
}

export async function streamStatus(
  ctx: DashboardContext,
  req: FastifyRequest,
  reply: FastifyReply,
  s: Session,
  viewOf: (result: StatusView['result']) => StatusView,
  workflowId: string,
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    // Tell nginx-style proxies not to buffer the stream.
    'X-Accel-Buffering': 'no',
    ...(reply.getHeaders() as Record<string, string>),
  });
  res.write('retry: 3000\n\n');
  let last = '';
  let lastWrite = Date.now();
  let busy = false;
  const send = (event: string, data: string) => {
    // Each line of the payload is one `data:` line; the browser joins them with newlines again.
    res.write(`event: ${event}\n${data.split('\n').map((l) => `data: ${l}`).join('\n')}\n\n`);
    lastWrite = Date.now();
  };
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      if (ctx.sessions.get(s.id) === null) {
        send('expired', 'session ended');
        stream.close();
        return;
      }
      const html = statusFragment(viewOf(await ctx.status.get(workflowId)));
      if (html !== last) {
        last = html;
        send('status', html);
      } else if (Date.now() - lastWrite >= PING_MS) send('ping', '');
    } catch (err) {
      ctx.onError(`live status: ${(err as Error).message}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), ctx.pollMs);
  const stream: LiveStream = {
    sessionId: s.id,
    close() {
      clearInterval(timer);
      ctx.streams.delete(stream);
      res.end();
    },
  };
  ctx.streams.add(stream);
  req.raw.on('close', () => {
    clearInterval(timer);
    ctx.streams.delete(stream);
  });
  await tick();
}
