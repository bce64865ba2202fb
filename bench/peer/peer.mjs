// The reference peer of `make bench`: the subgraphs' read schemas served the common Node way,
// @apollo/subgraph + @apollo/server, one process, a DataLoader per request, on the SQLite file
// the service reads (better-sqlite3). PEER=products: Product (its catalog fields), product,
// products (a connection), _entities; PEER=inventory: Product { stock inStock }, _entities.
// It answers scenarios 1 and 2 as the services do (bench/scenarios.py checks it), and
// re-implements only what those answers need; HOST, PORT, DATABASE_URL, API_KEY as a subgraph.
import http from "node:http";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { buildSubgraphSchema } from "@apollo/subgraph";
import Database from "better-sqlite3";
import DataLoader from "dataloader";
import { parse } from "graphql";

const env = process.env;
const db = new Database(env.DATABASE_URL.replace(/^sqlite:\/\/\//, ""), { readonly: true });
db.pragma("busy_timeout = 5000");
const toHex = (id) => id.replaceAll("-", "").toLowerCase();
const toId = (hex) => hex.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
const iso = (stored) => stored.replace(" ", "T") + "+00:00"; // SQLite keeps UTC without zone
const valid = (id) => typeof id === "string" && /^[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}$/i.test(id);

// One statement for a batch of ids, in the order asked (null where none).
function batch(sql, key, before = () => []) {
  return async (ids) => {
    const wanted = ids.filter(valid).map(toHex);
    const rows = wanted.length ? db.prepare(sql(wanted.length)).all(...before(), ...wanted) : [];
    const found = new Map(rows.map((row) => [row[key], row]));
    return ids.map((id) => (valid(id) ? found.get(toHex(id)) ?? null : null));
  };
}

const federation = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])';
const peers = {
  products: {
    typeDefs: `${federation}
      type Money { amount: String! currencyCode: String! }
      type Product @key(fields: "id") {
        id: ID! sku: String! name: String! description: String price: Money! status: String!
        createdAt: String! updatedAt: String!
      }
      type PageInfo @shareable { hasNextPage: Boolean! endCursor: String }
      type ProductConnection { nodes: [Product!]! pageInfo: PageInfo! totalCount: Int! }
      type Query { product(id: ID!): Product products(first: Int! = 20, after: String): ProductConnection! }`,
    loader: () => batch((n) => `SELECT * FROM products WHERE id IN (${"?,".repeat(n).slice(0, -1)})`, "id"),
    resolvers: {
      Query: {
        product: (_, { id }, { loader }) => loader.load(id),
        products: (_, { first, after }) => {
          const from = after ? JSON.parse(Buffer.from(after, "base64url")) : [];
          const where = after ? "WHERE (created_at, id) < (?, ?)" : "";
          const rows = db
            .prepare(`SELECT * FROM products ${where} ORDER BY created_at DESC, id DESC LIMIT ?`)
            .all(...from, first + 1);
          const last = rows[Math.min(first, rows.length) - 1];
          const endCursor = last && Buffer.from(JSON.stringify([last.created_at, last.id])).toString("base64url");
          return {
            nodes: rows.slice(0, first),
            pageInfo: { hasNextPage: rows.length > first, endCursor },
            totalCount: () => db.prepare("SELECT COUNT(*) AS n FROM products").get().n,
          };
        },
      },
      Product: {
        __resolveReference: ({ id }, { loader }) => loader.load(id),
        id: (row) => toId(row.id),
        price: (row) => ({ amount: (row.price_minor / 100).toFixed(2), currencyCode: row.currency_code }),
        createdAt: (row) => iso(row.created_at),
        updatedAt: (row) => iso(row.updated_at),
      },
    },
  },
  inventory: {
    typeDefs: `${federation}
      type StockLevel { onHand: Int! available: Int! lowStock: Boolean! }
      type Product @key(fields: "id") { id: ID! stock: StockLevel! inStock: Boolean! }`,
    // A product's levels, each with its unexpired ACTIVE holds summed (SQLite keeps UTC text).
    loader: () =>
      batch(
        (n) => `SELECT l.product_id, json_group_array(json_object('location', l.location_id,
            'active', c.active, 'onHand', l.on_hand, 'reorderPoint', l.reorder_point,
            'reserved', (SELECT COALESCE(SUM(h.quantity), 0) FROM reservations h
              WHERE h.product_id = l.product_id AND h.location_id = l.location_id
              AND h.status = 'ACTIVE' AND h.expires_at > ?))) AS levels
          FROM stock_levels l JOIN locations c ON c.id = l.location_id
          WHERE l.product_id IN (${"?,".repeat(n).slice(0, -1)}) GROUP BY l.product_id`,
        "product_id",
        () => [new Date().toISOString().replace("T", " ").replace("Z", "000")],
      ),
    resolvers: {
      Product: {
        __resolveReference: async ({ id }, { loader }) => {
          const row = await loader.load(id);
          return { id, levels: row ? JSON.parse(row.levels) : [] };
        },
        stock: ({ levels }) => {
          const level = levels.find((l) => l.location === "00000000000040008000000000000001");
          const available = level ? Math.max(level.onHand - level.reserved, 0) : 0;
          return { onHand: level?.onHand ?? 0, available, lowStock: !!level && available <= level.reorderPoint };
        },
        inStock: ({ levels }) => levels.some((l) => l.active && l.onHand - l.reserved > 0),
      },
    },
  },
};

const peer = peers[env.PEER];
const schema = buildSubgraphSchema({ typeDefs: parse(peer.typeDefs), resolvers: peer.resolvers });
const server = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
await server.start();
http
  .createServer(async (request, response) => {
    if (request.url === "/health") return response.end('{"status":"ok"}');
    if (request.headers["x-api-key"] !== env.API_KEY) {
      response.writeHead(401).end('{"errors":[{"message":"missing or wrong API key"}]}');
      return;
    }
    let body = "";
    for await (const chunk of request) body += chunk;
    const answer = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: request.method,
        headers: new Map(Object.entries(request.headers)),
        search: "",
        body: JSON.parse(body),
      },
      context: async () => ({ loader: new DataLoader(peer.loader(), { maxBatchSize: 1000 }) }),
    });
    response.writeHead(answer.status ?? 200, Object.fromEntries(answer.headers));
    response.end(answer.body.kind === "complete" ? answer.body.string : "");
  })
  .listen(Number(env.PORT), env.HOST ?? "127.0.0.1");
