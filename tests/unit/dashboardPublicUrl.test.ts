import assert from 'node:assert/strict';
import { test } from 'node:test';
import { publicDashboardUrl } from '../../scripts/commands/dashboard';

// REMOTE_IP and REMOTE_PORT name where users reach the dashboard through a reverse proxy.
test('the public dashboard address from REMOTE_IP and REMOTE_PORT, with the local scheme', () => {
  assert.equal(publicDashboardUrl({ REMOTE_IP: undefined, REMOTE_PORT: undefined }, 'http://127.0.0.1:8080/'), null);
  assert.equal(publicDashboardUrl({ REMOTE_IP: 'bot.example.com', REMOTE_PORT: 443 }, 'https://127.0.0.1:8080/'), 'https://bot.example.com:443/');
  assert.equal(publicDashboardUrl({ REMOTE_IP: '10.0.0.5', REMOTE_PORT: undefined }, 'http://127.0.0.1:8080/'), 'http://10.0.0.5/');
  assert.equal(publicDashboardUrl({ REMOTE_IP: 'fd00::5', REMOTE_PORT: 8443 }, 'http://127.0.0.1:8080/'), 'http://[fd00::5]:8443/');
});
