/**
 * A recording JSON server on 127.0.0.1 standing in for a component behind the API gateway (the AI
 * engine, the executor): every request is kept (method, path with query, headers, body, when), and
 * `answer` decides the reply. A request `answer` does not expect (it returns undefined) is a
 * problem: listed in `problems` and answered 404, so a test that asserts `problems` is empty knows
 * the gateway sent exactly what it should.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received. */
export interface Received {
  readonly method: string;
  /** Path and query as sent (`/api/v1/anomalies?active=true`). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Date.now() when the request had arrived in full. */
  readonly at: number;
}

/** A reply: status and JSON body. */
export type Reply = readonly [status: number, body: unknown];

export interface RecordingFake {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly received: Received[];
  /** Requests the fake did not expect, one line each. */
  readonly problems: string[];
  close(): Promise<void>;
}

/** Starts a fake named `name` (for the problem lines) answering with `answer`. */
export async function startRecordingFake(name: string, answer: (r: Received, problem: (text: string) => void) => Reply | undefined): Promise<RecordingFake> {
  const received: Received[] = [];
  const problems: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(r);
      let reply: Reply | undefined;
      try {
        reply = answer(r, (text) => problems.push(`${name}: ${r.method} ${r.url}: ${text}`));
      } catch (error) {
        problems.push(`${name}: ${r.method} ${r.url}: the fake failed: ${(error as Error).message}`);
        reply = [500, { error: 'the fake failed' }];
      }
      if (!reply) {
        problems.push(`${name}: unexpected ${r.method} ${r.url}`);
        reply = [404, { error: `${name} has no ${r.method} ${r.url}` }];
      }
      const body = JSON.stringify(reply[1]);
      res.writeHead(reply[0], { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    problems,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
