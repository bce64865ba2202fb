// The gateway's HTTP edge: the same rules as the subgraphs' (libs/subgraph_kit/.../web):
// one X-API-Key, one media type for POST bodies, a JSON object with a bounded document,
// GraphQL-shaped error bodies, request ids, and the GraphQL-over-HTTP status codes.
import { randomUUID } from 'node:crypto';

export const MAX_BODY_BYTES = 1024 * 1024; // the subgraphs' body limit
export const MAX_DOCUMENT_CHARACTERS = 100_000; // the subgraphs' document limit
export const JSON_MEDIA_TYPE = 'application/json';
export const GRAPHQL_RESPONSE_MEDIA_TYPE = 'application/graphql-response+json';
export const MISSING_KEY = 'Missing or wrong X-API-Key.';

const CODES = { 400: 'BAD_REQUEST', 404: 'NOT_FOUND', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };
// Request errors (the document never ran): with application/json the spec recommends 200,
// with application/graphql-response+json a 4xx, which Apollo Server already answers.
const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

/** A client mistake, answered with `status` and a GraphQL-shaped body. */
export class ClientError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function errorBody(message, code, requestId) {
  const extensions = requestId ? { code, requestId } : { code };
  return { errors: [{ message, extensions }] };
}

export function clientErrorBody(error) {
  return errorBody(error.message, CODES[error.status] ?? 'BAD_REQUEST');
}

/** The media type of a Content-Type header, without parameters, lower-cased. */
export function mediaType(header) {
  return (header ?? '').split(';', 1)[0].trim().toLowerCase();
}

/** The media type to answer in: graphql-response+json when the client accepts it. */
export function responseMediaType(req) {
  const accepted = (req.headers.accept ?? '').split(',').map(mediaType);
  return accepted.includes(GRAPHQL_RESPONSE_MEDIA_TYPE) ? GRAPHQL_RESPONSE_MEDIA_TYPE : JSON_MEDIA_TYPE;
}

/** The caller's request id (printable, at most 64 characters), or a new one. */
export function requestIdOf(req) {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\x21-\x7e]{1,64}$/.test(given) ? given : randomUUID().replaceAll('-', '');
}

/** The caller's W3C trace context headers (traceparent, tracestate), when it sent one each. */
export function traceContextOf(req) {
  const trace = {};
  for (const name of ['traceparent', 'tracestate']) {
    const values = req.headersDistinct[name] ?? [];
    if (values.length === 1) trace[name] = values[0];
  }
  return trace;
}

/**
 * The API key of the request, as the subgraphs read it: exactly one X-API-Key header, the
 * whitespace around it stripped; null when there is none, several or an empty one.
 */
export function apiKeyOf(req) {
  const values = req.headersDistinct['x-api-key'] ?? [];
  if (values.length !== 1) return null;
  const key = values[0].replace(/^[ \t]+|[ \t]+$/g, '');
  return key === '' ? null : key;
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ClientError(413, 'The request body exceeds 1 MiB.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The body of a GraphQL POST: a JSON object whose document is within the limit. */
export async function readGraphQLBody(req) {
  if (mediaType(req.headers['content-type']) !== JSON_MEDIA_TYPE) {
    throw new ClientError(415, `A GraphQL POST must be sent as ${JSON_MEDIA_TYPE}.`);
  }
  const raw = await readBody(req);
  let body;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw new ClientError(400, 'The request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ClientError(400, 'The request body must be a JSON object.');
  }
  if (typeof body.query === 'string' && body.query.length > MAX_DOCUMENT_CHARACTERS) {
    throw new ClientError(413, `The GraphQL document exceeds ${MAX_DOCUMENT_CHARACTERS} characters.`);
  }
  return body;
}

/**
 * The status to answer Apollo Server's response with: 200 instead of 400 for a request
 * error under application/json, as the GraphQL-over-HTTP spec recommends for that media type.
 */
export function statusFor(status, headers, body) {
  if (status !== 400 || mediaType(headers.get('content-type')) !== JSON_MEDIA_TYPE) return status;
  try {
    const { data, errors } = JSON.parse(body);
    const requestError = data === undefined && errors?.length && errors.every((e) => REQUEST_ERROR_CODES.has(e.extensions?.code));
    return requestError ? 200 : status;
  } catch {
    return status;
  }
}

/** A boolean setting as the subgraphs read one; undefined when unset or empty. */
export function booleanSetting(name) {
  const value = (process.env[name] ?? '').trim().toLowerCase();
  if (value === '') return undefined;
  if (['1', 'true', 't', 'yes', 'y', 'on'].includes(value)) return true;
  if (['0', 'false', 'f', 'no', 'n', 'off'].includes(value)) return false;
  throw new Error(`${name} must be true or false, not ${JSON.stringify(process.env[name])}`);
}
