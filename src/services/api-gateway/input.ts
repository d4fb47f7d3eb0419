/**
 * Request bodies of the gateway's own routes: JSON objects or HTML forms
 * (`application/x-www-form-urlencoded`), read once per request (the CSRF check may read the form
 * before the route does), at most {@link INPUT_LIMIT} bytes.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError, readBody } from '../kit/server.js';

/** Largest body of the gateway's own routes: 64 KiB. */
export const INPUT_LIMIT = 64 * 1024;

/** A parsed body: its kind and fields (a form's fields are strings; its first value of a name wins). */
export interface Input {
  readonly kind: 'json' | 'form' | 'empty';
  readonly fields: Readonly<Record<string, unknown>>;
}

const read = new WeakMap<IncomingMessage, Promise<Input>>();

/** The media type of the request, lower case, without parameters. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

async function parse(req: IncomingMessage): Promise<Input> {
  const type = mediaType(req);
  const body = await readBody(req, INPUT_LIMIT);
  if (body.length === 0 && type === '') return { kind: 'empty', fields: {} };
  if (type === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'request body is not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'request body must be a JSON object');
    return { kind: 'json', fields: value as Record<string, unknown> };
  }
  if (type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(body.toString('utf8'))) if (!(name in fields)) fields[name] = value;
    return { kind: 'form', fields };
  }
  throw new HttpError(415, 'send application/json or application/x-www-form-urlencoded');
}

/** The request's body, parsed once (later calls get the same result). */
export function readInput(req: IncomingMessage): Promise<Input> {
  let input = read.get(req);
  if (!input) {
    input = parse(req);
    read.set(req, input);
  }
  return input;
}

/** A string field of at most `max` characters: undefined when absent or null, 400 when not a string or longer. */
export function stringField(input: Input, name: string, max: number): string | undefined {
  const value = input.fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `${name}: expected a string`);
  if (value.length > max) throw new HttpError(400, `${name}: at most ${max} characters`);
  return value;
}
