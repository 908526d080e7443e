import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FleetApiError, FleetClient } from '../../src/extension/fleetClient';

describe('extension/fleetClient (server errors become FleetApiError with the server\'s words)', () => {
  let server: Server;
  let url: string;
  const seen: { method?: string; url?: string; auth?: string; body?: string }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        if (req.url?.startsWith('/api/v1/releases/r1/rollback')) {
          res.writeHead(409, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'must-approve-target', message: 'Approve 1.2.2 first.' }, plan: { targetVersion: null, mustApproveVersion: '1.2.2', affectedClients: 3 } }));
        } else if (req.url?.startsWith('/api/v1/reports/clients.csv')) {
          res.writeHead(403, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'forbidden', message: 'Viewers cannot export.' } }));
        } else if (req.url?.startsWith('/api/v1/clients')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ items: [], total: 0 }));
        } else {
          res.writeHead(500);
          res.end('boom');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('sends the bearer token and only the query parameters that are set', async () => {
    const c = new FleetClient(url + '/', 'tok');
    await c.clients({ q: 'WS-1', group: '', state: 'failed', limit: 10 });
    const last = seen[seen.length - 1];
    assert.equal(last.auth, 'Bearer tok');
    assert.equal(last.url, '/api/v1/clients?q=WS-1&state=failed&limit=10');
  });

  it('a 409 carries the server message, code and body (the rollback plan)', async () => {
    const c = new FleetClient(url, 'tok');
    const err = await c.rollback('r1', { approveTarget: false }).catch((e) => e);
    assert.ok(err instanceof FleetApiError);
    assert.equal(err.status, 409);
    assert.equal(err.code, 'must-approve-target');
    assert.equal(err.message, 'Approve 1.2.2 first.');
    assert.equal((err.body as { plan: { mustApproveVersion: string } }).plan.mustApproveVersion, '1.2.2');
    assert.equal(seen[seen.length - 1].body, '{"approveTarget":false}');
  });

  it('errors on streamed responses are read from the stream', async () => {
    const err = await new FleetClient(url, 'tok').clientsCsv('failed').catch((e) => e);
    assert.equal(err.status, 403);
    assert.equal(err.message, 'Viewers cannot export.');
  });

  it('a non-JSON error still reads well; an unreachable server says so', async () => {
    const err = await new FleetClient(url, 'tok').summary().catch((e) => e);
    assert.equal(err.status, 500);
    assert.match(err.message, /answered 500/);
    const down = await new FleetClient('http://127.0.0.1:1', 'tok', 2000).health().catch((e) => e);
    assert.equal(down.status, 0);
    assert.equal(down.code, 'unreachable');
    assert.match(down.message, /Cannot reach the fleet server at http:\/\/127\.0\.0\.1:1/);
  });
});
