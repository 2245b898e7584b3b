import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { redactText } from '../../domain/config/secrets';
import { confirmTradeSignal, defenseModeSignal, killSignal, stopSignal } from '../../workflows/tradingDayApi';
import { csrfOk, refuseForged, refuseReadOnly, requireSession } from '../http/guards';
import { clientOf, field, sendText, todayUtc, validDate } from '../http/request';
import { clip } from '../webLog';
import type { RoutePlugin } from './plugin';

/*
 * Controls (docs/dashboard.md, "Controls"): the same Temporal signals as the CLI, each carrying who sent
 * it and recorded in access.log, only with DASHBOARD_CONTROLS on and a valid form.
 */

interface ControlRequest {
  readonly handle: WorkflowHandle;
  readonly body: unknown;
  /** `dashboard:<user>@<address>`, as the day logs it. */
  readonly by: string;
  readonly reason: string | undefined;
}

/** What a control did (for the page and the log), or why its form was refused before anything was sent. */
type ControlOutcome = { readonly sent: string; readonly detail?: string } | { readonly invalid: string; readonly status: 303 | 400 };

const CONTROLS: Readonly<Record<string, (r: ControlRequest) => Promise<ControlOutcome>>> = {
  async stop(r) {
    await r.handle.signal(stopSignal, { by: r.by, reason: r.reason });
    return { sent: 'Stop sent: positions are being exited and the day will end.' };
  },
  async kill(r) {
    await r.handle.signal(killSignal, { by: r.by, reason: r.reason ?? 'dashboard kill switch' });
    return { sent: 'Kill sent: new entries halted, positions being exited.' };
  },
  async defense(r) {
    const active = field(r.body, 'active');
    if (active !== 'on' && active !== 'off') return { invalid: 'active must be on or off', status: 400 };
    await r.handle.signal(defenseModeSignal, { active: active === 'on', by: r.by, reason: r.reason });
    return { sent: `Defense mode ${active} sent.`, detail: active };
  },
  async confirm(r) {
    const symbol = field(r.body, 'symbol').trim().toUpperCase();
    const decision = field(r.body, 'decision');
    if (!/^[A-Z][A-Z0-9.-]{0,11}$/.test(symbol) || (decision !== 'approve' && decision !== 'reject')) {
      return { invalid: 'A confirmation needs a symbol (letters, digits, . or -) and approve or reject.', status: 303 };
    }
    await r.handle.signal(confirmTradeSignal, { symbol, approve: decision === 'approve', by: r.by });
    return { sent: `${decision === 'approve' ? 'Approval' : 'Rejection'} of ${symbol} sent.`, detail: `${symbol} ${decision}` };
  },
};

export const controlRoutes: RoutePlugin = async (app, { ctx }) => {
  app.post<{ Params: { action: string } }>('/control/:action', async (req, reply) => {
    const s = requireSession(ctx, req, reply);
    if (!s) return reply;
    if (!csrfOk(req, s.csrf)) return refuseForged(ctx, req, reply, s, 'csrf');
    if (!ctx.controlsEnabled) return refuseReadOnly(ctx, reply, s, 'Controls are');
    const action = req.params.action;
    const control = Object.hasOwn(CONTROLS, action) ? CONTROLS[action] : undefined;
    if (control === undefined) return sendText(reply, 404, 'not found');
    const date = validDate(field(req.body, 'date')) ?? todayUtc();
    const workflowId = ctx.dayWorkflowIdFor(date);
    const client = clientOf(req);
    const reason = clip(field(req.body, 'reason').trim(), 200) || undefined;
    const back = () => reply.redirect(`/?date=${encodeURIComponent(date)}`, 303);
    let outcome: ControlOutcome;
    try {
      outcome = await control({ handle: ctx.client.workflow.getHandle(workflowId), body: req.body, by: `dashboard:${clip(s.user, 64)}@${client}`, reason });
    } catch (err) {
      const msg = err instanceof WorkflowNotFoundError ? `no running trading day ${workflowId}` : redactText((err as Error).message ?? String(err), [...ctx.secrets]);
      ctx.webLog.access({ event: 'control', action, outcome: 'failed', user: s.user, client, workflowId, error: clip(msg, 300) });
      s.flash = { kind: 'error', text: `${action} was not sent: ${msg}` };
      return back();
    }
    if ('invalid' in outcome) {
      if (outcome.status === 400) return sendText(reply, 400, outcome.invalid);
      s.flash = { kind: 'error', text: outcome.invalid };
      return back();
    }
    ctx.webLog.access({ event: 'control', action, outcome: 'sent', user: s.user, client, workflowId, detail: outcome.detail, reason });
    ctx.status.invalidate(workflowId);
    s.flash = { kind: 'ok', text: outcome.sent };
    return back();
  });
};
