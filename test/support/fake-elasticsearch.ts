import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: string;
}

/** The fake's answer: HTTP status and a JSON body, or a plain-text body (the `_cat` APIs' text format). */
export type FakeAnswer = readonly [number, unknown] | readonly [number, string, 'text'];

/** A recording fake Elasticsearch on 127.0.0.1 (a random port). */
export interface FakeElasticsearch {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests as `METHOD /path?query`. */
  calls(): string[];
  close(): Promise<void>;
}

/** HTTP basic authorization header of a user and password. */
export const basicAuth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * Starts a fake Elasticsearch that records every request and answers as `respond` says. `respond`
 * may answer later (a promise: a slow or hanging server); `close` drops connections still open.
 */
export async function startFakeElasticsearch(respond: (r: RecordedRequest) => FakeAnswer | Promise<FakeAnswer>): Promise<FakeElasticsearch> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const r: RecordedRequest = { method: req.method!, url: req.url!, authorization: req.headers.authorization, body };
      requests.push(r);
      void Promise.resolve(respond(r)).then(([status, answer, format]) => {
        if (res.destroyed) return;
        if (format === 'text') res.writeHead(status, { 'content-type': 'text/plain; charset=UTF-8' }).end(answer);
        else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    calls: () => requests.map((r) => `${r.method} ${r.url}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
