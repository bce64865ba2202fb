// GraphQL-over-HTTP conformance: graphql-http's server audits against one endpoint.
//
//   node gateway/audit.mjs <url> [Header=value ...]
//   node gateway/audit.mjs http://localhost:4000/ X-API-Key=secret
//
// Prints every audit that is not ok and a count per requirement level; exits 1 when a MUST
// or a SHOULD audit fails (MAY ones are reported only), 2 when the endpoint cannot be audited.
import { auditServer } from 'graphql-http';

const [url, ...pairs] = process.argv.slice(2);
if (!url) {
  console.error('usage: node audit.mjs <url> [Header=value ...]');
  process.exit(2);
}
const extra = Object.fromEntries(
  pairs.map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);

// Every audit request carries the headers given (the API key), over the caller's own headers
// only where the audit sets none of that name.
function fetchWithHeaders(input, init = {}) {
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(extra)) if (!headers.has(name)) headers.set(name, value);
  return fetch(input, { ...init, headers });
}

let results;
try {
  results = await auditServer({ url, fetchFn: fetchWithHeaders });
} catch (err) {
  console.error(`audit: cannot audit ${url}: ${err.message}`);
  process.exit(2);
}

const failed = { MUST: 0, SHOULD: 0, MAY: 0 };
for (const result of results) {
  if (result.status === 'ok') continue;
  failed[result.name.split(' ')[0]] += 1;
  console.log(`${result.status.padEnd(5)} ${result.name}: ${result.reason}`);
}
const passed = results.filter((result) => result.status === 'ok').length;
console.log(
  `audit ${url}: ${passed}/${results.length} ok; failed MUST ${failed.MUST}, ` +
    `SHOULD ${failed.SHOULD}, MAY ${failed.MAY}`,
);
process.exit(failed.MUST + failed.SHOULD > 0 ? 1 : 0);
