import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import type { EnvConfig } from '../../domain/config/envSchema';
import { isEmail } from '../../domain/config/fieldTypes';
import { redactText, secretValuesOf } from '../../domain/config/secrets';
import { appendDurable } from '../outputs/atomicFile';
import { outputPaths } from '../outputs/outputPaths';
import { withFileLockSync } from '../ledger/fileLock';
import type { OutputMode } from '../../domain/vocabulary';

/*
 * Alerts (docs/ledger.md, "4. Alerts"): e-mail through SMTP (nodemailer) and an optional Slack-style webhook,
 * for fills, exits, critical errors, the kill switch, defense mode and shutdowns.
 *
 * - Policy: fills only with NOTIFY_ON_FILL, exits only with NOTIFY_ON_EXIT; nothing in TEST_MODE unless
 *   NOTIFY_IN_TEST_MODE. A channel without settings is skipped.
 * - Exactly once per channel: each alert has an id (given, or derived from its content); a channel that
 *   delivered it is recorded in output/state/notify_sent_<mode>.jsonl and is not used again for that id,
 *   so a retry after a partial failure only retries the channel that failed.
 * - Never blocking trading: every outcome is logged to output/logs/alerts_<mode>.log; a failed channel
 *   makes the call throw so that Temporal retries it under a bounded policy, and the workflow catches the
 *   final failure. SMTP and webhook calls have short timeouts.
 * - Never leaking secrets: subject and body pass through redactText with every secret value of .env.
 */

export const NOTIFY_EVENTS = ['fill', 'exit', 'critical', 'kill_switch', 'defense_mode', 'shutdown'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export interface NotifyInput {
  readonly event: NotifyEvent;
  readonly mode: OutputMode;
  readonly subject: string;
  readonly lines: readonly string[];
  /** Idempotency key (e.g. `<workflowId>:fill:<symbol>`); default: a hash of event, mode, subject and lines. */
  readonly eventId?: string;
}

export type ChannelOutcome = 'sent' | 'already_sent' | 'not_configured' | 'suppressed' | 'failed';

export interface NotifyResult {
  readonly eventId: string;
  readonly email: ChannelOutcome;
  readonly webhook: ChannelOutcome;
  /** Why both channels were suppressed, when they were. */
  readonly reason: string | null;
  readonly errors: readonly string[];
}

const EVENT_LABEL: Record<NotifyEvent, string> = {
  fill: 'Fill',
  exit: 'Exit',
  critical: 'CRITICAL',
  kill_switch: 'Kill switch',
  defense_mode: 'Defense mode',
  shutdown: 'Shutdown',
};

/** Why an alert must not be sent under this configuration, or null when it may. */
export function suppressionReason(event: NotifyEvent, bot: Pick<BotConfig, 'TEST_MODE' | 'NOTIFY_IN_TEST_MODE' | 'NOTIFY_ON_FILL' | 'NOTIFY_ON_EXIT'>): string | null {
  if (bot.TEST_MODE && !bot.NOTIFY_IN_TEST_MODE) return 'TEST_MODE is on and NOTIFY_IN_TEST_MODE is false';
  if (event === 'fill' && !bot.NOTIFY_ON_FILL) return 'NOTIFY_ON_FILL is false';
  if (event === 'exit' && !bot.NOTIFY_ON_EXIT) return 'NOTIFY_ON_EXIT is false';
  return null;
}

export function alertEventId(input: NotifyInput): string {
  if (input.eventId && input.eventId.trim() !== '') return input.eventId.trim();
  const h = createHash('sha256').update(JSON.stringify([input.event, input.mode, input.subject, input.lines])).digest('hex');
  return `${input.event}:${h.slice(0, 24)}`;
}

export interface FormattedAlert {
  readonly subject: string;
  readonly text: string;
}

/** Subject and body, secrets removed. One line each for event, mode and UTC time close the body. */
export function formatAlert(input: NotifyInput, env: Partial<EnvConfig>, now: Date): FormattedAlert {
  const secrets = secretValuesOf(env);
  const clean = (s: string) => redactText(String(s), secrets);
  const subject = clean(`[TradeBot ${input.mode.toUpperCase()}] ${EVENT_LABEL[input.event]}: ${input.subject}`).replace(/[\r\n]+/g, ' ').slice(0, 200);
  const body = [
    ...input.lines.map(clean),
    '',
    '--',
    `event: ${input.event}`,
    `mode: ${input.mode}`,
    `time (UTC): ${now.toISOString()}`,
    `host: ${os.hostname()}`,
  ].join('\n');
  return { subject, text: `${body}\n` };
}

export interface NotifierDeps {
  readonly outputDir: string;
  readonly env: EnvConfig;
  readonly bot: BotConfig;
  readonly now?: () => Date;
  /** Overrides for tests or unusual servers (TLS options, timeouts). */
  readonly smtpOptions?: Record<string, unknown>;
  readonly fetchImpl?: typeof fetch;
  readonly webhookTimeoutMs?: number;
}

interface SentRecord {
  readonly id: string;
  readonly channel: 'email' | 'webhook';
  readonly at: string;
}

export function sentStateFile(outputDir: string, mode: OutputMode): string {
  return path.join(outputPaths(outputDir, mode).stateDir, `notify_sent_${mode}.jsonl`);
}

export function alertsLogFile(outputDir: string, mode: OutputMode): string {
  return path.join(outputDir, 'logs', `alerts_${mode}.log`);
}

function readSent(file: string): SentRecord[] {
  if (!fs.existsSync(file)) return [];
  const out: SentRecord[] = [];
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    if (l.trim() === '') continue;
    try {
      out.push(JSON.parse(l) as SentRecord);
    } catch {
      // A torn last line from a crash: the delivery it recorded may be repeated once, never lost.
    }
  }
  return out;
}

function wasSent(file: string, id: string, channel: SentRecord['channel']): boolean {
  return readSent(file).some((r) => r.id === id && r.channel === channel);
}

function markSent(file: string, id: string, channel: SentRecord['channel'], now: Date): void {
  withFileLockSync(file, () => {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const prefix = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
    appendDurable(file, `${prefix}${JSON.stringify({ id, channel, at: now.toISOString() })}\n`);
  });
}

function logOutcome(deps: NotifierDeps, mode: OutputMode, rec: Record<string, unknown>): void {
  const secrets = [...secretValuesOf(deps.env)];
  appendDurable(alertsLogFile(deps.outputDir, mode), `${redactText(JSON.stringify(rec), secrets)}\n`);
}

function fromAddress(env: EnvConfig): string {
  if (env.SMTP_USER && isEmail(env.SMTP_USER)) return env.SMTP_USER;
  const first = (env.ALERT_EMAIL ?? '').split(',')[0]?.trim();
  return first && isEmail(first) ? first : `tradebot@${os.hostname()}`;
}

function smtpTransport(deps: Pick<NotifierDeps, 'env' | 'smtpOptions'>) {
  const { env } = deps;
  return nodemailer.createTransport({
    host: env.SMTP_HOST,
    port: env.SMTP_PORT,
    secure: env.SMTP_PORT === 465,
    auth: env.SMTP_USER && env.SMTP_PASS ? { user: env.SMTP_USER, pass: env.SMTP_PASS } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
    ...(deps.smtpOptions ?? {}),
  });
}

export async function sendEmail(deps: NotifierDeps, alert: FormattedAlert): Promise<void> {
  const transport = smtpTransport(deps);
  try {
    await transport.sendMail({ from: `TradeBot <${fromAddress(deps.env)}>`, to: deps.env.ALERT_EMAIL, subject: alert.subject, text: alert.text });
  } finally {
    transport.close();
  }
}

/** The SMTP server greets, and accepts the login when one is configured (`check`); nothing is sent. */
export async function verifySmtp(deps: Pick<NotifierDeps, 'env' | 'smtpOptions'>): Promise<void> {
  const transport = smtpTransport(deps);
  try {
    await transport.verify();
  } finally {
    transport.close();
  }
}

export async function sendWebhook(deps: NotifierDeps, alert: FormattedAlert): Promise<void> {
  const url = deps.env.ALERT_WEBHOOK_URL as string;
  const res = await (deps.fetchImpl ?? fetch)(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text: `*${alert.subject}*\n${alert.text}` }),
    signal: AbortSignal.timeout(deps.webhookTimeoutMs ?? 10_000),
  });
  if (!res.ok) throw new Error(`webhook answered ${res.status}`);
}

export class NotifyDeliveryError extends Error {
  constructor(
    message: string,
    readonly result: NotifyResult,
  ) {
    super(message);
    this.name = 'NotifyDeliveryError';
  }
}

/**
 * Sends one alert on every configured channel that has not delivered it yet. Throws NotifyDeliveryError
 * when a channel failed (after logging it), so the caller can retry; suppressed or unconfigured alerts
 * return normally.
 */
export async function notify(deps: NotifierDeps, input: NotifyInput): Promise<NotifyResult> {
  const now = (deps.now ?? (() => new Date()))();
  const eventId = alertEventId(input);
  const reason = suppressionReason(input.event, deps.bot);
  const alert = formatAlert(input, deps.env, now);
  if (reason !== null) {
    // Logged all the same, so a TEST_MODE run shows which alerts a live day would have sent.
    logOutcome(deps, input.mode, { timestamp: now.toISOString(), eventId, event: input.event, channel: 'none', outcome: 'suppressed', reason, subject: alert.subject });
    return { eventId, email: 'suppressed', webhook: 'suppressed', reason, errors: [] };
  }
  const sentFile = sentStateFile(deps.outputDir, input.mode);
  fs.mkdirSync(path.dirname(sentFile), { recursive: true });
  const secrets = secretValuesOf(deps.env);
  const errors: string[] = [];
  const channel = async (name: 'email' | 'webhook', configured: boolean, send: () => Promise<void>): Promise<ChannelOutcome> => {
    if (!configured) return 'not_configured';
    if (wasSent(sentFile, eventId, name)) return 'already_sent';
    try {
      await send();
    } catch (err) {
      const msg = redactText(`${name}: ${(err as Error).message}`, secrets);
      errors.push(msg);
      logOutcome(deps, input.mode, { timestamp: now.toISOString(), eventId, event: input.event, channel: name, outcome: 'failed', error: msg });
      return 'failed';
    }
    markSent(sentFile, eventId, name, now);
    logOutcome(deps, input.mode, { timestamp: now.toISOString(), eventId, event: input.event, channel: name, outcome: 'sent', subject: alert.subject });
    return 'sent';
  };
  const email = await channel('email', !!(deps.env.SMTP_HOST && deps.env.ALERT_EMAIL), () => sendEmail(deps, alert));
  const webhook = await channel('webhook', !!deps.env.ALERT_WEBHOOK_URL, () => sendWebhook(deps, alert));
  const result: NotifyResult = { eventId, email, webhook, reason: null, errors };
  if (email === 'failed' || webhook === 'failed') throw new NotifyDeliveryError(`alert ${eventId} not delivered: ${errors.join('; ')}`, result);
  return result;
}
