import { loadConfig, type LoadedConfig } from '../../activities/config/loadConfig';
import { isConfigError } from '../../domain/config/configError';
import { redactText, secretValuesOf } from '../../domain/config/secrets';
import type { DashboardContext } from '../http/context';
import { csrfOk, pageCtx, refuseForged, refuseReadOnly, requireSession } from '../http/guards';
import { clientOf, field, sendHtml } from '../http/request';
import type { Session } from '../sessions';
import { editBotSetting, envBotTarget, fileVersion, settingRows } from '../settings';
import { settingsPage } from '../views';
import { clip } from '../webLog';
import type { RoutePlugin } from './plugin';

/*
 * The settings page: the configuration files as they are now (read again on every view), and one
 * `.env_bot` key changed at a time. What the files say here never changes how the running dashboard or
 * worker behaves: both keep the configuration they started with (docs/dashboard.md, "Where each setting
 * comes from").
 */

export const settingsRoutes: RoutePlugin = async (app, { ctx }) => {
  const files = new SettingsFiles(ctx);

  app.get('/settings', async (req, reply) => {
    const s = requireSession(ctx, req, reply);
    if (!s) return reply;
    const problem = await files.reload();
    return sendHtml(reply, renderSettings(ctx, files.current, s, problem));
  });

  app.post('/settings', async (req, reply) => {
    const s = requireSession(ctx, req, reply);
    if (!s) return reply;
    if (!csrfOk(req, s.csrf)) return refuseForged(ctx, req, reply, s, 'csrf');
    if (!ctx.controlsEnabled) return refuseReadOnly(ctx, reply, s, 'Editing is');
    const key = field(req.body, 'key');
    const r = await files.edit(key, field(req.body, 'value'), field(req.body, 'version'));
    if (r.ok) {
      ctx.webLog.access({ event: 'settings', user: s.user, client: clientOf(req), key: r.key, from: r.from, to: r.to });
      s.flash = { kind: 'ok', text: `${r.key} changed from "${r.from}" to "${r.to}". The worker uses it from its next start.` };
    } else {
      ctx.webLog.access({ event: 'settings', outcome: 'refused', user: s.user, client: clientOf(req), key: clip(key) });
      s.flash = { kind: 'error', text: `Not saved: ${r.problems.join('; ')}` };
    }
    return reply.redirect('/settings', 303);
  });
};

/** The files' configuration as last read, and edits made one after another. */
class SettingsFiles {
  current: LoadedConfig;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: DashboardContext) {
    this.current = ctx.config;
  }

  /** Reads the files again; a problem keeps the last valid values and is returned for the page. */
  async reload(): Promise<string | null> {
    try {
      this.current = await loadConfig({
        cwd: this.ctx.projectDir,
        envPath: this.current.sources.env ?? undefined,
        envBotPath: this.current.sources.envBot ?? undefined,
        versionFile: this.current.sources.versionFile,
        processEnv: this.ctx.processEnv,
      });
      return null;
    } catch (err) {
      if (!isConfigError(err)) throw err;
      const secrets = [...this.ctx.secrets, ...secretValuesOf(this.current.env)];
      return redactText(`the configuration files now have problems (showing the last valid values): ${err.problems.join('; ')}`, secrets);
    }
  }

  /** One edit at a time: two saves at once must not both read the same old file. */
  edit(key: string, value: string, version: string): ReturnType<typeof editBotSetting> {
    const run = this.chain.then(() =>
      editBotSetting({ config: this.current, projectDir: this.ctx.projectDir, key, value, version, processEnv: this.ctx.processEnv }),
    );
    this.chain = run.catch(() => undefined);
    return run.then((r) => {
      if (r.ok) this.current = r.config;
      return r;
    });
  }
}

function renderSettings(ctx: DashboardContext, config: LoadedConfig, s: Session, problem: string | null): string {
  const rows = settingRows(config);
  const target = envBotTarget(config, ctx.projectDir);
  const page = pageCtx(ctx, 'Settings', 'settings', s);
  const flash = page.flash ?? (problem ? { kind: 'error' as const, text: problem } : null);
  const src = config.sources;
  const sources = `.env: ${src.env ?? 'none (defaults)'}; .env_bot: ${src.envBot ?? 'none (defaults)'}${src.envBotEncrypted ? ' (encrypted)' : ''}`;
  const editable = ctx.controlsEnabled && target.editable;
  return settingsPage(
    { ...page, flash },
    {
      env: rows.env,
      bot: rows.bot,
      sources,
      csrf: s.csrf,
      edit: editable ? { file: target.file, version: fileVersion(target.file), keys: rows.bot.map((r) => r.key) } : null,
      editNote: ctx.controlsEnabled ? target.why : 'Editing is switched off (read-only dashboard; DASHBOARD_CONTROLS=false).',
    },
  );
}
