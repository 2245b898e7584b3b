import type { PositionView } from '../workflows/sessionApi';
import type { DayStatus } from '../workflows/tradingDayApi';
import type { LogEntry, LogKind } from './logSource';
import { positionStop } from './positionStop';
import type { SettingRow } from './settings';
import type { StatusResult } from './statusSource';

/*
 * Server-rendered pages. Everything shown is escaped with `h`; the only script is /static/dashboard.js
 * (the Content-Security-Policy forbids inline scripts), and every page works without it, only without
 * live updates.
 */

export function h(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function money(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const v = Math.abs(n) < 0.005 ? 0 : n;
  return `${v > 0 ? '+' : v < 0 ? '-' : ''}${Math.abs(v).toFixed(2)}`;
}

function pnlClass(n: number): string {
  return n > 0.004 ? 'pos' : n < -0.004 ? 'neg' : 'flat';
}

export function price(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(4);
}

/** `2025-04-09T14:56:00.000Z` as `14:56:00Z` (the date is the page's). */
export function utcTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]}Z` : iso;
}

export type NavItem = 'status' | 'logs' | 'trades' | 'settings';

export interface PageContext {
  readonly title: string;
  readonly nav: NavItem | null;
  readonly user: string | null;
  readonly csrf: string | null;
  readonly assetVersion: string;
  readonly flash?: { readonly kind: 'ok' | 'error'; readonly text: string } | null;
}

export function layout(ctx: PageContext, body: string): string {
  const link = (id: NavItem, href: string, text: string) =>
    `<a href="${href}"${ctx.nav === id ? ' aria-current="page"' : ''}>${text}</a>`;
  const nav =
    ctx.user === null
      ? ''
      : `<nav>${link('status', '/', 'Status')}${link('logs', '/logs', 'Logs')}${link('trades', '/trades', 'Trades')}${link('settings', '/settings', 'Settings')}</nav>
<form method="post" action="/logout" class="logout"><input type="hidden" name="_csrf" value="${h(ctx.csrf)}"><span class="who">${h(ctx.user)}</span> <button type="submit">Log out</button></form>`;
  const flash = ctx.flash ? `<p class="flash ${ctx.flash.kind}" role="status">${h(ctx.flash.text)}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${h(ctx.title)} - TradeBot</title>
<link rel="stylesheet" href="/static/dashboard.css?v=${h(ctx.assetVersion)}">
<script src="/static/dashboard.js?v=${h(ctx.assetVersion)}" defer></script>
</head><body>
<header><strong class="brand">TradeBot</strong>${nav}</header>
<main>${flash}${body}</main>
</body></html>
`;
}

export function loginPage(ctx: PageContext, a: { csrf: string; error: string | null; user: string }): string {
  return layout(
    ctx,
    `<h1>Log in</h1>
${a.error ? `<p class="flash error" role="alert" id="login-error">${h(a.error)}</p>` : ''}
<form method="post" action="/login" class="login">
<input type="hidden" name="_csrf" value="${h(a.csrf)}">
<label>User name <input name="username" autocomplete="username" required value="${h(a.user)}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form>`,
  );
}

export interface StatusView {
  readonly date: string;
  readonly result: StatusResult;
  readonly temporalUiUrl: string | null;
  readonly namespace: string;
  readonly controlsEnabled: boolean;
  readonly csrf: string;
}

export function temporalRunUrl(base: string | null, namespace: string, workflowId: string): string | null {
  if (base === null) return null;
  return `${base.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The live part of the status page: re-rendered and pushed whenever it changes. */
export function statusFragment(v: StatusView): string {
  const r = v.result;
  const ui = temporalRunUrl(v.temporalUiUrl, v.namespace, r.workflowId);
  const uiLink = ui ? `<a href="${h(ui)}" rel="noopener noreferrer" target="_blank" id="temporal-link">Open ${h(r.workflowId)} in the Temporal Web UI</a>` : `<span>${h(r.workflowId)}</span>`;
  if (r.kind === 'missing') {
    return `<h1>Trading day ${h(v.date)}</h1><p class="badges"><span class="badge state-idle" id="day-state">no day</span></p>
<p>No trading day workflow <code>${h(r.workflowId)}</code> for ${h(v.date)} yet: the Schedule starts one on trading days, or run <code>npm run cli -- day --date ${h(v.date)}</code>.</p>`;
  }
  if (r.kind === 'error') {
    return `<h1>Trading day ${h(v.date)}</h1><p class="badges"><span class="badge state-halted" id="day-state">unknown</span></p>
<p class="flash error">Cannot read the status of <code>${h(r.workflowId)}</code>: ${h(r.message)}</p><p>${uiLink}</p>`;
  }
  const s = r.status;
  const positions = s.sessions.flatMap((x) => x.positions.map((p) => ({ ...p, session: x.strategy })));
  const total = s.realizedPnl + s.unrealizedPnl;
  const brokers = Object.entries(s.brokerConnectivity);
  const pending = s.sessions.filter((x) => x.pendingConfirmation !== null);
  const card = (label: string, value: string, id: string, cls = '') => `<div class="card${cls ? ` ${cls}` : ''}"><span class="label">${label}</span><span class="value" id="${id}">${value}</span></div>`;
  return `<h1>Trading day ${h(s.date)}</h1>
<p class="badges">
<span class="badge state-${h(s.state)}" id="day-state">${h(s.state)}</span>
${s.testMode ? '<span class="badge test" id="test-mode">TEST_MODE</span>' : '<span class="badge live">LIVE TRADING</span>'}
${s.defenseMode ? '<span class="badge defense" id="defense-mode">DEFENSE MODE</span>' : '<span class="badge muted" id="defense-mode">defense off</span>'}
<span class="badge muted">${h(s.mode)}</span>
${r.running ? '<span class="badge muted">running</span>' : '<span class="badge muted">finished</span>'}
${s.killed ? '<span class="badge halted">killed</span>' : ''}${s.stopped ? '<span class="badge muted">stopped</span>' : ''}
</p>
<div class="cards">
${card('Session', h(s.currentSession ?? '-'), 'current-session')}
${card('Signals / entries / exits', `${s.signals} / ${s.entries} / ${s.exits}`, 'counts')}
${card('Realised PnL', money(s.realizedPnl), 'realized-pnl', pnlClass(s.realizedPnl))}
${card('Unrealised PnL', money(s.unrealizedPnl), 'unrealized-pnl', pnlClass(s.unrealizedPnl))}
${card('Total PnL', money(total), 'total-pnl', pnlClass(total))}
${card('Retries / errors', `${s.retries} / ${s.errors}`, 'retries-errors', s.errors > 0 ? 'neg' : '')}
${card('Connectivity', [...brokers, ['data', s.dataConnectivity ?? 'unknown'] as const].map(([b, c]) => `${h(b)}: <span class="conn-${h(c)}">${h(c)}</span>`).join(', '), 'brokers')}
</div>
${s.haltReason ? `<p class="flash error">Halted: ${h(s.haltReason)}</p>` : ''}
${pending.length > 0 ? pendingBlock(pending.map((x) => ({ session: x.strategy, symbol: x.pendingConfirmation ?? '' })), v) : ''}
<h2>Open positions</h2>
${
  positions.length === 0
    ? '<p id="no-positions">No open positions.</p>'
    : // Most important columns first: on a phone the rest scrolls sideways. Entry and current are both the
      // held instrument's (an inverse ETF or a put is estimated from its underlying, marked with "est.").
      `<div class="scroll"><table id="positions"><thead><tr><th>Ticker</th><th class="num">Size</th><th class="num">Entry</th><th class="num" title="price of the instrument held; est.: estimated from the underlying">Current</th><th class="num">Unrealised PnL</th><th>Side</th><th>Underlying</th><th class="num" title="latest close of the underlying">Underlying price</th><th>Session</th><th class="num" title="the stop held at the broker">Stop</th></tr></thead><tbody>
${positions
  .map(
    (p) =>
      `<tr><td>${h(p.ticker)}</td><td class="num">${h(p.size)}</td><td class="num">${price(p.entryPrice)}</td><td class="num">${price(p.currentPrice)}${p.currentPriceEstimated ? ' <span class="est">est.</span>' : ''}</td><td class="num ${pnlClass(p.unrealizedPnl)}">${money(p.unrealizedPnl)}</td><td>${h(p.side)}</td><td>${h(p.underlying)}</td><td class="num">${p.underlyingPrice === undefined ? '' : price(p.underlyingPrice)}</td><td>${h(p.session)}</td>${stopCell(p, p.session)}</tr>`,
  )
  .join('\n')}
</tbody></table></div>`
}
<h2>Sessions</h2>
${sessionsTable(s)}
${s.warnings.length > 0 ? `<h2>Warnings</h2><ul class="warnings">${s.warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul>` : ''}
<p>${uiLink}</p>`;
}

/** Last column, so the columns before it keep their places for scripts that read the table. */
function stopCell(p: PositionView, session: DayStatus['sessions'][number]['strategy']): string {
  const stop = positionStop(p, session);
  const text =
    stop.kind === 'fixed' ? price(stop.price) : stop.kind === 'trailing' ? `${stop.long ? '&ge;' : '&le;'} ${price(stop.floor)} <span class="est">trail ${stop.trailPercent}%</span>` : stop.kind;
  return `<td class="num stop" title="${h(stop.why)}">${stop.kind === 'unknown' ? '-' : text}</td>`;
}

function sessionsTable(s: DayStatus): string {
  const names = [...new Set([...Object.keys(s.scheduledStarts), ...s.sessions.map((x) => x.strategy)])];
  if (names.length === 0) return '<p>No session is planned for this day.</p>';
  const rows = names.map((name) => {
    const x = s.sessions.find((y) => y.strategy === name);
    const scheduled = x?.scheduledStart ?? s.scheduledStarts[name as keyof typeof s.scheduledStarts] ?? null;
    return `<tr${s.currentSession === name ? ' class="current"' : ''}><td>${h(name)}</td><td>${h(x?.state ?? 'waiting')}</td><td>${h(utcTime(scheduled))}</td><td>${h(utcTime(x?.actualStart))}</td><td class="num">${x?.signals ?? 0}</td><td class="num">${x?.entries ?? 0}</td><td class="num">${x?.exits ?? 0}</td><td class="num ${pnlClass(x?.realizedPnl ?? 0)}">${money(x?.realizedPnl ?? 0)}</td><td class="num">${x?.errors ?? 0}</td></tr>`;
  });
  return `<div class="scroll"><table id="sessions"><thead><tr><th>Session</th><th>State</th><th>Scheduled (UTC)</th><th>Actual (UTC)</th><th class="num">Signals</th><th class="num">Entries</th><th class="num">Exits</th><th class="num">Realised</th><th class="num">Errors</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>`;
}

function pendingBlock(items: { session: string; symbol: string }[], v: StatusView): string {
  return `<h2>Waiting for confirmation</h2><ul class="pending">${items
    .map(
      (p) =>
        `<li><strong>${h(p.symbol)}</strong> (${h(p.session)})${
          v.controlsEnabled
            ? ` ${controlForm('confirm', v, `<input type="hidden" name="symbol" value="${h(p.symbol)}"><input type="hidden" name="decision" value="approve">`, 'Approve', '')}${controlForm('confirm', v, `<input type="hidden" name="symbol" value="${h(p.symbol)}"><input type="hidden" name="decision" value="reject">`, 'Reject', '')}`
            : ''
        }</li>`,
    )
    .join('')}</ul>`;
}

function controlForm(action: string, v: { csrf: string; date: string }, fields: string, label: string, confirmText: string, cls = ''): string {
  return `<form method="post" action="/control/${action}" class="inline"${confirmText ? ` data-confirm="${h(confirmText)}"` : ''}><input type="hidden" name="_csrf" value="${h(v.csrf)}"><input type="hidden" name="date" value="${h(v.date)}">${fields}<button type="submit"${cls ? ` class="${cls}"` : ''}>${label}</button></form>`;
}

export function statusPage(ctx: PageContext, v: StatusView): string {
  const controls = v.controlsEnabled
    ? `<section class="controls" aria-label="Controls"><h2>Controls</h2>
${controlForm('stop', v, '', 'Stop the day', 'Exit every position and end the day?', 'warn')}
${controlForm('kill', v, '<input name="reason" placeholder="reason (optional)" maxlength="200">', 'Kill switch', 'Halt new entries at once and exit every position?', 'danger')}
${controlForm('defense', v, '<input type="hidden" name="active" value="on">', 'Defense mode on', '')}
${controlForm('defense', v, '<input type="hidden" name="active" value="off">', 'Defense mode off', '')}
${controlForm('confirm', v, '<input name="symbol" placeholder="SYMBOL" maxlength="12" required><select name="decision"><option value="approve">approve</option><option value="reject">reject</option></select>', 'Answer', '')}
</section>`
    : '<p class="muted">Controls are switched off (read-only dashboard; DASHBOARD_CONTROLS=false).</p>';
  const q = `date=${encodeURIComponent(v.date)}`;
  return layout(
    ctx,
    `<form method="get" action="/" class="date"><label>Day <input type="date" name="date" value="${h(v.date)}"></label> <button type="submit">Show</button> <a href="/trades?${q}" id="day-trades">Trades and PnL chart</a> <span class="muted" id="updated" aria-live="polite"></span></form>
<section id="live" data-events="/events?${q}" data-poll="/status/fragment?${q}">
${statusFragment(v)}
</section>
${controls}`,
  );
}

export function logsFragment(entries: readonly LogEntry[]): string {
  if (entries.length === 0) return '<p id="no-logs">No log events yet.</p>';
  return `<div class="scroll"><table id="logs"><thead><tr><th>Time (UTC)</th><th>Source</th><th>Event</th><th>Symbol</th><th>Message</th><th>Detail</th></tr></thead><tbody>
${entries
  .map(
    (e) =>
      `<tr class="kind-${h(e.kind)}"><td class="nowrap">${h(e.timestamp.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</td><td>${h(e.source)}</td><td>${h(e.event)}</td><td>${h(e.symbol)}</td><td>${h(e.message)}</td><td class="detail">${h(e.detail)}</td></tr>`,
  )
  .join('\n')}
</tbody></table></div>`;
}

export function logsPage(ctx: PageContext, a: { kind: LogKind | 'all'; entries: readonly LogEntry[]; mode: string }): string {
  const tab = (k: LogKind | 'all', text: string) => `<a href="/logs?kind=${k}"${a.kind === k ? ' aria-current="page"' : ''}>${text}</a>`;
  return layout(
    ctx,
    `<h1>Logs <span class="muted">(${h(a.mode)})</span></h1>
<p class="tabs">${tab('all', 'All')} ${tab('strategy', 'Strategy')} ${tab('alert', 'Alerts')} ${tab('error', 'Errors')}</p>
<section id="live-logs" data-poll="/logs/fragment?kind=${h(a.kind)}">
${logsFragment(a.entries)}
</section>`,
  );
}

export function settingsPage(
  ctx: PageContext,
  a: {
    env: readonly SettingRow[];
    bot: readonly SettingRow[];
    sources: string;
    edit: { file: string; version: string; keys: readonly string[] } | null;
    editNote: string | null;
    csrf: string;
  },
): string {
  const table = (id: string, rows: readonly SettingRow[]) =>
    `<div class="scroll"><table id="${id}"><thead><tr><th>Key</th><th>Value</th><th>From</th></tr></thead><tbody>
${rows.map((r) => `<tr><td><code>${h(r.key)}</code></td><td class="value">${h(r.value)}</td><td class="muted">${h(r.origin)}</td></tr>`).join('\n')}
</tbody></table></div>`;
  const edit = a.edit
    ? `<section class="controls"><h2>Change a .env_bot value</h2>
<p class="muted">Checked with the same validation as a start; written to ${h(a.edit.file)} only when the whole configuration is valid. A running day keeps the configuration it started with; the worker reads the new file when it restarts.</p>
<form method="post" action="/settings" class="edit">
<input type="hidden" name="_csrf" value="${h(a.csrf)}"><input type="hidden" name="version" value="${h(a.edit.version)}">
<label>Key <select name="key">${a.edit.keys.map((k) => `<option>${h(k)}</option>`).join('')}</select></label>
<label>Value <input name="value" maxlength="1000"></label>
<button type="submit">Validate and save</button>
</form></section>`
    : a.editNote
      ? `<p class="muted">${h(a.editNote)}</p>`
      : '';
  return layout(
    ctx,
    `<h1>Settings</h1>
<p class="muted">${h(a.sources)}. Secrets are shown as &lt;hidden&gt;.</p>
${edit}
<h2>.env_bot (trading behaviour)</h2>
${table('bot-settings', a.bot)}
<h2>.env (infrastructure)</h2>
${table('env-settings', a.env)}`,
  );
}

export function errorPage(ctx: PageContext, title: string, text: string): string {
  return layout(ctx, `<h1>${h(title)}</h1><p>${h(text)}</p><p><a href="/">Back to the status page</a></p>`);
}
