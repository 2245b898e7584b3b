import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

// Docker does not run here: check that the file parses and every image is pinned to a version.
test('docker-compose.temporal.yml parses and pins every image', () => {
  const file = path.resolve(__dirname, '..', '..', 'docker-compose.temporal.yml');
  const doc = parse(fs.readFileSync(file, 'utf8')) as { services: Record<string, { image?: string }> };
  const services = Object.entries(doc.services);
  assert.deepEqual(services.map(([n]) => n).sort(), ['postgresql', 'temporal', 'temporal-ui']);
  for (const [name, svc] of services) {
    assert.ok(svc.image, `${name} has an image`);
    assert.match(svc.image, /^[a-z0-9./-]+:\d+\.\d+(\.\d+)?$/, `${name} image ${svc.image} is pinned to a version`);
  }
  assert.match(doc.services.temporal.image ?? '', /temporalio\/auto-setup:1\.29\.1/);
});
