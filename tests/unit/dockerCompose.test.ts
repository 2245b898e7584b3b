import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import { SERVER_LATENCY_ARGS } from '../../scripts/temporal/devServer';
import { searchAttributeSpecs } from '../../workflows/searchAttributes';

/*
 * Docker does not run here: the files are parsed and checked for what a deployment relies on (pinned
 * images, Temporal's current layout, ports that do not clash, the bot's search attributes, no secrets in
 * the image).
 */

const ROOT = path.resolve(__dirname, '..', '..');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  ports?: string[];
  command?: string[] | string;
  profiles?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  environment?: Record<string, string>;
  volumes?: string[];
}
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.temporal.yml'), 'utf8')) as { services: Record<string, Service> };
const services = compose.services;

/** `host:published:target` port mappings of every service. */
const publishedPorts = () =>
  Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, parts: p.split(':') })));

test('the compose file is Temporal\'s current self-hosted layout, every image pinned to a version', () => {
  assert.deepEqual(Object.keys(services).sort(), ['postgresql', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'tradebot-dashboard', 'tradebot-worker']);
  for (const [name, svc] of Object.entries(services)) {
    assert.ok(svc.image, `${name} has an image`);
    if (svc.image === 'tradebot:local') continue;
    assert.match(svc.image, /^[a-z0-9./-]+:\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?$/, `${name} image ${svc.image} is pinned to a version`);
  }
  const images = Object.values(services).map((s) => s.image ?? '');
  assert.ok(!images.some((i) => i.includes('auto-setup')), 'the deprecated auto-setup image is gone');
  assert.equal(services.temporal.image, 'temporalio/server:1.29.1');
  assert.match(services['temporal-schema'].image ?? '', /^temporalio\/admin-tools:1\.29\.1-/);
  assert.deepEqual(services.temporal.depends_on, { 'temporal-schema': { condition: 'service_completed_successfully' } }, 'the server starts once the schema is set up');
  // The bar loop's timers: the server gets the dev servers' 50 ms timer precision from the mounted file.
  const mount = (services.temporal.volumes ?? []).find((v) => v.includes('dynamicconfig'));
  assert.ok(mount, 'the dynamic config file is mounted');
  const [hostPath, containerPath] = mount.split(':');
  assert.equal(`/etc/temporal/${services.temporal.environment?.DYNAMIC_CONFIG_FILE_PATH}`, containerPath);
  const dynamic = parse(fs.readFileSync(path.join(ROOT, hostPath ?? ''), 'utf8')) as Record<string, { value: unknown }[]>;
  // The same settings as SERVER_LATENCY_ARGS of the dev servers.
  const pairs: Record<string, unknown> = {};
  for (let i = 1; i < SERVER_LATENCY_ARGS.length; i += 2) {
    const [key, value] = (SERVER_LATENCY_ARGS[i] as string).split('=');
    pairs[key as string] = JSON.parse(value as string);
  }
  assert.deepEqual(Object.fromEntries(Object.entries(dynamic).map(([k, v]) => [k, v[0]?.value])), pairs);
});

test('the schema job migrates both databases; the namespace job registers exactly the bot\'s search attributes', () => {
  const schema = String(services['temporal-schema'].command);
  assert.match(schema, /temporal temporal_visibility/);
  assert.match(schema, /update-schema -d "\/etc\/temporal\/schema\/postgresql\/v12\/\$\$dir\/versioned"/);
  const setup = String(services['temporal-namespace'].command);
  const registered = [...setup.matchAll(/--name (\w+) --type (\w+)/g)].map((m) => `${m[1]}=${m[2]}`);
  assert.deepEqual(registered.sort(), searchAttributeSpecs().sort());
});

test('ports are loopback-only and the Web UI does not take the dashboard\'s default port', () => {
  const ports = publishedPorts();
  for (const p of ports) assert.equal(p.parts[0], '127.0.0.1', `${p.name} publishes on loopback only`);
  const published = ports.map((p) => Number(p.parts[1]));
  assert.equal(new Set(published).size, published.length, 'no two services publish the same port');
  const ui = ports.find((p) => p.name === 'temporal-ui');
  assert.ok(ui);
  assert.notEqual(Number(ui.parts[1]), defaultEnvConfig().LOCAL_PORT, 'the UI leaves the dashboard its default port');
  assert.equal(services['tradebot-dashboard'].environment?.TEMPORAL_UI_URL, `http://127.0.0.1:${ui.parts[1]}`, 'the dashboard links to that UI');
});

test('the worker and dashboard run from the project Dockerfile, only with the bot profile; secrets stay out of the image', () => {
  for (const name of ['tradebot-worker', 'tradebot-dashboard']) {
    assert.deepEqual(services[name].profiles, ['bot'], `${name} starts only with --profile bot`);
    assert.equal(services[name].environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  }
  const build = services['tradebot-worker'].build;
  assert.ok(build);
  const dockerfile = fs.readFileSync(path.join(ROOT, build.context, build.dockerfile), 'utf8');
  assert.match(dockerfile, /^FROM node:20\.\d+\.\d+-[a-z]+-slim$/m, 'the base image is pinned');
  assert.match(dockerfile, /npm ci --omit=dev --ignore-scripts/, 'no Temporal CLI build in the image');
  assert.match(dockerfile, /^USER node$/m, 'not run as root');
  const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const secret of ['.env', '.env_bot', '.env_bot.enc', 'output', 'backups']) assert.ok(ignored.includes(secret), `.dockerignore keeps ${secret} out`);
});
