// Local Apollo Gateway for `make up` and the end-to-end tests; docker-compose uses
// the Apollo Router with ../router.yaml instead.
//
// Env: HOST (127.0.0.1), PORT (4000), SUPERGRAPH_PATH (../supergraph.graphql),
//      <SUBGRAPH>_URL, e.g. PRODUCTS_URL / INVENTORY_URL (default: the routing_url
//      composed into the supergraph), SUBGRAPH_TIMEOUT_MS (11000), and like the subgraphs
//      ENVIRONMENT (development | production), ENABLE_INTROSPECTION, ENABLE_GRAPHIQL.
// GraphQL is served on every path except GET /health (liveness, no I/O) and
// GET /explorer-assets/* (GraphiQL's files); a browser's GET / gets GraphiQL. The HTTP
// rules (key, media types, bodies, status codes, request ids) are in edge.mjs.
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import { dirname, extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError } from 'graphql';
import {
  ClientError,
  MISSING_KEY,
  apiKeyOf,
  booleanSetting,
  clientErrorBody,
  errorBody,
  readGraphQLBody,
  requestIdOf,
  responseMediaType,
  statusFor,
  traceContextOf,
} from './edge.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT ?? 4000);
const supergraphPath = resolve(process.env.SUPERGRAPH_PATH || resolve(here, '../supergraph.graphql'));
const environment = process.env.ENVIRONMENT?.trim() || 'development';
if (!['development', 'production'].includes(environment)) {
  console.error(`gateway: ENVIRONMENT must be development or production, not ${JSON.stringify(environment)}`);
  process.exit(1);
}
let introspection, graphiql;
try {
  introspection = booleanSetting('ENABLE_INTROSPECTION') ?? environment !== 'production';
  graphiql = booleanSetting('ENABLE_GRAPHIQL') ?? environment !== 'production';
} catch (err) {
  console.error(`gateway: ${err.message}`);
  process.exit(1);
}
// Above the subgraphs' own 10 s request deadline, so that theirs answers first (with
// TIMEOUT) when it applies; this one is for a subgraph that does not answer at all.
const SUBGRAPH_TIMEOUT_MS = Number(process.env.SUBGRAPH_TIMEOUT_MS?.trim() || 11000);
if (!Number.isInteger(SUBGRAPH_TIMEOUT_MS) || SUBGRAPH_TIMEOUT_MS <= 0) {
  console.error(`gateway: SUBGRAPH_TIMEOUT_MS must be a positive whole number of milliseconds`);
  process.exit(1);
}

function timedOut(name) {
  return new GraphQLError(`The ${name} subgraph did not answer within ${SUBGRAPH_TIMEOUT_MS} ms.`, {
    extensions: { code: 'TIMEOUT' },
  });
}

// Sends the caller's API key, request id and trace context to the subgraph, nothing else,
// and gives up on a subgraph that does not answer within SUBGRAPH_TIMEOUT_MS.
class SubgraphDataSource extends RemoteGraphQLDataSource {
  constructor(options) {
    super(options);
    const fetcher = this.fetcher;
    // The deadline covers the answer's body too, and its timer goes as soon as the body is
    // in: a timer per call left to run for the whole timeout kept every call's request and
    // response alive that long (tens of MiB under load).
    this.fetcher = async (url, init) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), SUBGRAPH_TIMEOUT_MS);
      try {
        const response = await fetcher(url, { ...init, signal: controller.signal });
        const body = await response.text();
        return new Response(body, { status: response.status, headers: [...response.headers] });
      } catch (err) {
        throw controller.signal.aborted ? timedOut(options.name) : err;
      } finally {
        clearTimeout(timer);
      }
    };
  }

  willSendRequest({ request, context }) {
    context.subgraphCalled = true;
    request.http.headers.set('x-api-key', context.apiKey);
    request.http.headers.set('x-request-id', context.requestId);
    // The caller's W3C trace context, so that each subgraph's spans join the caller's trace.
    for (const [name, value] of Object.entries(context.trace)) request.http.headers.set(name, value);
  }
}

let supergraphSdl;
try {
  supergraphSdl = readFileSync(supergraphPath, 'utf8');
} catch (err) {
  console.error(`gateway: cannot read the supergraph (${err.message}); run \`make compose\` first`);
  process.exit(1);
}

const subgraphUrls = new Map();
const gateway = new ApolloGateway({
  supergraphSdl,
  buildService({ name, url }) {
    const override = process.env[`${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`];
    subgraphUrls.set(name, override || url);
    return new SubgraphDataSource({ name, url: override || url });
  },
});

// Only the subgraphs know which keys are good (and production's rules for them), and they
// judge every request that reaches one. An answer that needed no subgraph (introspection,
// `{ __typename }`, a document that failed validation) is sent only once one of them has
// accepted the key for `{ __typename }`.
async function keyAccepted(context) {
  const [name, url] = subgraphUrls.entries().next().value;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': context.apiKey, 'x-request-id': context.requestId },
    body: '{"query":"{ __typename }"}',
    signal: AbortSignal.timeout(SUBGRAPH_TIMEOUT_MS),
  }).catch((err) => {
    throw new Error(`${name} did not check the key: ${err.message}`);
  });
  await response.arrayBuffer();
  if (response.status === 401) return false;
  if (response.ok) return true;
  throw new Error(`${name} answered the key check with HTTP ${response.status}`);
}

function masked(requestId) {
  return errorBody('Internal server error', 'INTERNAL_SERVER_ERROR', requestId).errors[0];
}

// An operationName that names no operation, or several operations without one, is the
// client's mistake; the gateway's executor would throw it as a 500.
function operationProblem(document, operationName) {
  const operations = document.definitions.filter((d) => d.kind === 'OperationDefinition');
  if (operationName != null) {
    return operations.some((o) => o.name?.value === operationName)
      ? null
      : `Unknown operation named "${operationName}".`;
  }
  return operations.length > 1 ? 'Must provide operation name if query contains multiple operations.' : null;
}

const operationPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ document, request }) {
        const problem = operationProblem(document, request.operationName);
        if (problem) throw new GraphQLError(problem, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
      },
    };
  },
};

const edgePlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue: context, response }) {
        if (response.body.kind !== 'single') return;
        const result = response.body.singleResult;
        if (!context.subgraphCalled) {
          let accepted;
          try {
            accepted = await keyAccepted(context);
          } catch (err) {
            console.error(`gateway: [${context.requestId}] ${err.message}`);
            response.http.status = 200;
            response.body.singleResult = { data: null, errors: [masked(context.requestId)] };
            return;
          }
          if (!accepted) {
            response.http.status = 200;
            response.body.singleResult = { data: null, errors: errorBody(MISSING_KEY, 'UNAUTHENTICATED').errors };
            return;
          }
        }
        // The gateway's own failures are masked by formatError; the request id finds the log line.
        for (const error of result.errors ?? []) {
          const { code, serviceName } = error.extensions ?? {};
          if (!serviceName && (code === 'INTERNAL_SERVER_ERROR' || code === 'TIMEOUT')) {
            error.extensions.requestId ??= context.requestId;
          }
        }
      },
    };
  },
};

// GraphiQL for the supergraph instead of Apollo's default landing page, which loads
// Sandbox from a CDN and so shows nothing offline: the subgraphs' page and vendored files
// (libs/subgraph_kit/subgraph_kit/static, `make vendor-explorer`), served from here.
const EXPLORER_DIR = resolve(here, '../libs/subgraph_kit/subgraph_kit/static');
const EXPLORER_ASSETS = '/explorer-assets';
const EXPLORER_QUERY = `# supergraph: Ctrl-Enter (or ▶) runs the query.
# The API key goes in the Headers tab below.

query CatalogWithStock {
  products(first: 5) {
    nodes {
      sku
      name
      price { amount currencyCode }
      stock { onHand available lowStock }
      inStock
    }
  }
}
`;
// "secret" is the development default of API_KEY (.env.example); type your key over it.
const EXPLORER_HEADERS = '{\n  "X-API-Key": "secret"\n}';
const CONTENT_TYPES = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
};

function explorerPage() {
  // JSON inside <script>: escape what could end the element or open a comment.
  const config = JSON.stringify({ query: EXPLORER_QUERY, headers: EXPLORER_HEADERS })
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
  const values = { title: 'supergraph', assets: EXPLORER_ASSETS, config };
  return readFileSync(resolve(EXPLORER_DIR, 'graphiql.html'), 'utf8').replace(
    /\{\{(\w+)\}\}/g,
    (_, name) => values[name],
  );
}

const localLandingPage = {
  async serverWillStart() {
    let html;
    try {
      html = explorerPage();
    } catch (err) {
      console.error(`gateway: no GraphiQL page (${err.message}); serving a plain landing page`);
      html =
        '<!doctype html><title>Supergraph gateway</title><h1>Supergraph gateway</h1>' +
        '<p>POST GraphQL queries to this URL (header <code>X-API-Key</code>). ' +
        'Liveness: <a href="/health">/health</a>.</p>';
    }
    return {
      async renderLandingPage() {
        return { html };
      },
    };
  },
};

// GET /explorer-assets/<file>: a file of EXPLORER_DIR (never outside it), revalidated by ETag.
async function sendAsset(req, res, name) {
  let path;
  try {
    path = resolve(EXPLORER_DIR, decodeURIComponent(name));
  } catch {
    path = null; // malformed %-escape
  }
  const type = path && CONTENT_TYPES[extname(path)];
  const info = type && path.startsWith(EXPLORER_DIR + sep) ? await stat(path).catch(() => null) : null;
  if (!info?.isFile()) return send(req, res, 404, { errors: [{ message: 'Not found' }] });
  const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers = { 'content-type': type, 'cache-control': 'no-cache', etag };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    return res.end();
  }
  const body = await readFile(path);
  res.writeHead(200, { ...headers, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const httpServer = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error('gateway: request failed:', err);
    if (!res.headersSent) send(req, res, 500, { errors: [{ message: 'Internal server error' }] });
    else res.end();
  });
});

const server = new ApolloServer({
  gateway,
  introspection,
  includeStacktraceInErrorResponses: false,
  stopOnTerminationSignals: false, // handled below so that we exit with 0
  formatError(formatted) {
    const { response, ...extensions } = formatted.extensions ?? {};
    // Gateway-side failures (subgraph unreachable, bad response) name internal URLs:
    // log them, answer with a generic message. Errors that a subgraph returned carry
    // serviceName and pass through with their message and extensions.code.
    if (extensions.code === 'INTERNAL_SERVER_ERROR' && !extensions.serviceName) {
      console.error(`gateway: ${formatted.message}`);
      return { ...formatted, message: 'Internal server error', extensions };
    }
    // A subgraph's non-2xx answer keeps its code (e.g. UNAUTHENTICATED for 401);
    // the raw HTTP response (URL and body) the gateway attaches is dropped.
    if (!response) return formatted;
    // Keep the subgraph's own message (e.g. "Missing or wrong X-API-Key.") over the
    // gateway's "401: Unauthorized" for errors a subgraph answered with an HTTP status.
    const upstream = response.body?.errors?.[0]?.message;
    return { ...formatted, message: typeof upstream === 'string' ? upstream : formatted.message, extensions };
  },
  plugins: [
    ApolloServerPluginDrainHttpServer({ httpServer }),
    graphiql ? localLandingPage : ApolloServerPluginLandingPageDisabled(),
    operationPlugin,
    edgePlugin,
  ],
});

function send(req, res, status, body) {
  res.writeHead(status, { 'content-type': responseMediaType(req) });
  res.end(JSON.stringify(body));
}


async function handle(req, res) {
  const url = new URL(req.url, 'http://gateway');
  if (url.pathname === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
    return send(req, res, 200, { status: 'ok' });
  }
  const isRead = req.method === 'GET' || req.method === 'HEAD';
  if (url.pathname.startsWith(`${EXPLORER_ASSETS}/`) && isRead && graphiql) {
    return sendAsset(req, res, url.pathname.slice(EXPLORER_ASSETS.length + 1));
  }
  const requestId = requestIdOf(req);
  res.setHeader('x-request-id', requestId);
  const isGraphQL = req.method === 'POST' || (isRead && url.searchParams.has('query'));
  if (isRead && !isGraphQL && !graphiql) {
    return send(req, res, 404, { errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
  }

  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }

  let body;
  if (req.method === 'POST') {
    try {
      body = await readGraphQLBody(req);
    } catch (err) {
      if (!(err instanceof ClientError)) throw err;
      if (err.status === 413) res.setHeader('connection', 'close'); // don't wait for the rest of the upload
      return send(req, res, err.status, clientErrorBody(err));
    }
    headers.set('content-type', 'application/json');
  }
  const apiKey = apiKeyOf(req);
  if (isGraphQL && apiKey === null) {
    return send(req, res, 200, { data: null, ...errorBody(MISSING_KEY, 'UNAUTHENTICATED') });
  }

  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: url.search, body },
    context: async () => ({ apiKey, requestId, trace: traceContextOf(req), subgraphCalled: false }),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  if (response.body.kind === 'complete') {
    res.statusCode = statusFor(response.status ?? 200, response.headers, response.body.string);
    return res.end(response.body.string);
  }
  res.statusCode = response.status ?? 200;
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

async function shutdown(signal) {
  console.log(`gateway: ${signal} received, stopping`);
  try {
    await server.stop(); // drains and closes httpServer, stops the gateway
    process.exit(0);
  } catch (err) {
    console.error('gateway: error while stopping:', err);
    process.exit(1);
  }
}
process.once('SIGINT', () => shutdown('SIGINT'));
process.once('SIGTERM', () => shutdown('SIGTERM'));

await server.start();
httpServer.on('error', (err) => {
  console.error(`gateway: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
httpServer.listen(port, host, () => {
  const { port: actual } = httpServer.address();
  const shownHost = host.includes(':') ? `[${host}]` : host;
  console.log(`gateway ready at http://${shownHost}:${actual}/`);
});
