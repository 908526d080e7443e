// A bare TCP client for tests that must misbehave as a real client would: send half a request, never read.
import net from 'node:net';

export interface RawSocket {
  socket: net.Socket;
  /** Everything received so far (only while reading). */
  received(): string;
  /** Resolves when the server closes the connection (or it is reset), with what was received. */
  closed: Promise<string>;
  write(data: string | Buffer): void;
  destroy(): void;
}

export async function openRaw(port: number, opts: { read?: boolean } = {}): Promise<RawSocket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  let buf = '';
  const closed = new Promise<string>((resolve) => {
    socket.on('error', () => {});
    socket.on('close', () => resolve(buf));
  });
  if (opts.read === false) socket.pause(); // never read: the kernel buffers fill and the server's writes pile up
  else socket.on('data', (d) => { buf += d.toString('latin1'); });
  return { socket, received: () => buf, closed, write: (d) => socket.write(d), destroy: () => socket.destroy() };
}

/** Resolves true when the promise settles within ms (a bound for the test to fail on, not a timing assertion). */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const r = await Promise.race([p.then(() => true), new Promise<boolean>((res) => { t = setTimeout(() => res(false), ms); })]);
  clearTimeout(t);
  return r;
}
