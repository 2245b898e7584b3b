import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectPath } from '../../activities/projectRoot';

/** The commands whose start-up the bench reports (issue 19 target: first line under 300 ms). */
export const STARTUP_COMMANDS = [['--help'], ['status'], ['check']] as const;

/** Milliseconds from spawning `node scripts/run.js scripts/cli.ts <args>` to its first line on stdout or stderr. */
function firstLineMs(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [projectPath('scripts', 'run.js'), path.join('scripts', 'cli.ts'), ...args], { cwd: projectPath(), env });
    let done = false;
    const onData = (chunk: Buffer) => {
      if (done || !chunk.includes(10)) return;
      done = true;
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
      child.kill();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', () => {
      if (!done) reject(new Error(`cli ${args.join(' ')} printed no line`));
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Median ms to the first line per command, e.g. { cli_help_ms, cli_status_ms, cli_check_ms }. */
export async function measureCliStartup(runs = 5, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const args of STARTUP_COMMANDS) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await firstLineMs(args, env));
    figures[`cli_${args[0].replace(/^-+/, '')}_ms`] = Math.round(median(times));
  }
  return figures;
}
