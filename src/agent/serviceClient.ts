// The user's side of the privileged service: one request per connection over the local socket
// (src/core/serviceWire.ts). It can ask what is pending, answer, and say the program exited — nothing else.
import net from 'node:net';
import type { ServiceRequest, ServiceResponse } from '../core/serviceWire';
import { AgentFailure } from './errors';

export async function askService(socket: string, req: ServiceRequest, timeoutMs = 15 * 60_000): Promise<ServiceResponse> {
  return new Promise((resolve, reject) => {
    const conn = net.createConnection(socket);
    let buf = '';
    const fail = (why: string) => {
      conn.destroy();
      reject(new AgentFailure(`Cannot reach the update service at ${socket}: ${why}`));
    };
    conn.setTimeout(timeoutMs, () => fail('no answer'));
    conn.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EACCES' ? 'permission denied (is this user in the service\'s group?)' : (e.code ?? e.message)));
    conn.on('connect', () => conn.write(`${JSON.stringify(req)}\n`));
    conn.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      conn.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as ServiceResponse);
      } catch {
        reject(new AgentFailure(`The update service at ${socket} answered something that is not JSON`));
      }
    });
    conn.on('end', () => {
      if (!buf.includes('\n')) fail('the connection closed without an answer');
    });
  });
}
