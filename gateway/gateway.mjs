// Local Apollo Gateway for `make up` and the end-to-end tests; docker-compose uses
// the Apollo Router with ../router.yaml instead.
//
// Env: HOST (127.0.0.1), PORT (4000), SUPERGRAPH_PATH (../supergraph.graphql),
//      <SUBGRAPH>_URL, e.g. PRODUCTS_URL / INVENTORY_URL (default: the routing_url
//      composed into the supergraph).
// GraphQL is served on every path except GET /health (liveness, no I/O) and
// GET /explorer-assets/* (GraphiQL's files); a browser's GET / gets GraphiQL.
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import { dirname, extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';

const here = dirname(fileURLToPath(import.meta.url));
const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT ?? 4000);
const supergraphPath = resolve(process.env.SUPERGRAPH_PATH || resolve(here, '../supergraph.graphql'));
const MAX_BODY_BYTES = 1024 * 1024; // same 1 MiB limit as the subgraphs

// Forward the caller's API key to every subgraph request; nothing else is forwarded.
class ApiKeyDataSource extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context?.apiKey) request.http.headers.set('x-api-key', context.apiKey);
  }
}

let supergraphSdl;
try {
  supergraphSdl = readFileSync(supergraphPath, 'utf8');
} catch (err) {
  console.error(`gateway: cannot read the supergraph (${err.message}); run \`make compose\` first`);
  process.exit(1);
}

const gateway = new ApolloGateway({
  supergraphSdl,
  buildService({ name, url }) {
    const override = process.env[`${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`];
    return new ApiKeyDataSource({ url: override || url });
  },
});

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
  if (!info?.isFile()) return send(res, 404, { errors: [{ message: 'Not found' }] });
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
    if (!res.headersSent) send(res, 500, { errors: [{ message: 'Internal server error' }] });
    else res.end();
  });
});

const server = new ApolloServer({
  gateway,
  introspection: true,
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
  plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), localLandingPage],
});

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://gateway');
  if (url.pathname === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
    return send(res, 200, { status: 'ok' });
  }
  if (url.pathname.startsWith(`${EXPLORER_ASSETS}/`) && (req.method === 'GET' || req.method === 'HEAD')) {
    return sendAsset(req, res, url.pathname.slice(EXPLORER_ASSETS.length + 1));
  }

  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }

  let body;
  if (req.method === 'POST') {
    const raw = await readBody(req);
    if (raw === null) {
      res.setHeader('connection', 'close'); // don't wait for the rest of the upload
      return send(res, 413, { errors: [{ message: 'Request body exceeds 1 MiB' }] });
    }
    body = raw;
    if (/^application\/(graphql-response\+)?json\b/i.test(headers.get('content-type') ?? '')) {
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, 400, { errors: [{ message: 'Request body is not valid JSON' }] });
      }
    }
  }

  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: url.search, body },
    context: async () => ({ apiKey: headers.get('x-api-key') }),
  });
  res.statusCode = response.status ?? 200;
  for (const [key, value] of response.headers) res.setHeader(key, value);
  if (response.body.kind === 'complete') return res.end(response.body.string);
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
