import { pageCtx, requireSession } from '../http/guards';
import { sendHtml } from '../http/request';
import { badFilterPage, tradesPage } from '../trades/tradesPage';
import { queryTrades } from '../trades/tradeQuery';
import type { RoutePlugin } from './plugin';

/** Rows a page shows at most (the API may ask for more). */
export const PAGE_TRADE_LIMIT = 500;

/** The trade history page: filters, the day's realised PnL chart, the trades. */
export const tradesRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/trades', async (req, reply) => {
    const s = requireSession(ctx, req, reply);
    if (!s) return reply;
    const page = pageCtx(ctx, 'Trades', 'trades', s);
    const defaults = { mode: ctx.mode, limit: PAGE_TRADE_LIMIT };
    const r = queryTrades(ctx.trades, req.query, defaults);
    if (!r.ok) return sendHtml(reply, badFilterPage(page, r.problems, { from: null, to: null, strategy: null, broker: null, ...defaults }), 400);
    return sendHtml(reply, tradesPage(page, r));
  });
};
