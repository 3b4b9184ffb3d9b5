// Child of webhook-throughput.mjs: one status-callback server on 127.0.0.1 (port 0), printing `{"port":…}` once it
// listens. argv: <variant> <json setup>. Variants: `ours` (createStatusWebhookHandler behind toNodeListener), `bare`
// (node:http parsing the same form and checking the same candidate URLs' HMAC-SHA1, nothing of ours), and
// `ours-ledger` / `bare-ledger` (the same with the ledger write on PostgreSQL: ours through createSmsLedger, the bare
// one as the equivalent single conditional UPDATE).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [variant, setupJson] = process.argv.slice(2);
/** @type {{ tenantId: string, accountSid: string, authToken: string, publicBaseUrl: string, schema?: string, fingerprintKey?: string }} */
const setup = JSON.parse(setupJson);
const withLedger = variant.endsWith('-ledger');

async function openPool() {
  const { default: pg } = await import('pg');
  return new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
}

async function oursListener(pool) {
  const m = await import(pathToFileURL(join(process.env.BENCH_DIST, 'index.js')).href);
  const ledger = pool
    ? m.createSmsLedger({
        db: pool,
        schema: setup.schema,
        cipher: m.createConfigCipher({
          keys: { k1: Buffer.from(setup.fingerprintKey, 'base64') },
          activeKeyId: 'k1',
        }),
      })
    : undefined;
  const handler = m.createStatusWebhookHandler({
    onEvent: () => {},
    loadTwilioAuth: async (t) =>
      t === setup.tenantId ? { accountSid: setup.accountSid, authToken: setup.authToken } : undefined,
    publicBaseUrl: setup.publicBaseUrl,
    ...(ledger ? { ledger } : {}),
  });
  return m.toNodeListener(handler);
}

// The SDK's candidate URLs for a URL without a port (as received, with the default port, then normalized ±port;
// the legacy-query forms equal these for the bench's one-key query), produced lazily: the bare handler stops at the
// first match. The bench signs the URL as received, so both handlers match the first candidate.
function* candidates(url) {
  yield url; // nothing parsed before the first try
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const hostAt = url.indexOf('//') + 2;
  const pathAt = url.indexOf('/', hostAt);
  yield `${url.slice(0, hostAt)}${u.hostname}:${port}${url.slice(pathAt)}`;
  const normalized = u.href;
  yield normalized;
  u.port = port;
  yield u.href;
}

// What the bare UPDATE accepts as an advance: the statuses ranked below the new one (docs/design.md §10's order).
const RANK = { queued: 2, sending: 3, sent: 4, failed: 5, undelivered: 5, delivered: 7 };
const below = (status) => Object.keys(RANK).filter((s) => RANK[s] < RANK[status]);

function bareListener(pool) {
  const table = pool ? `"${setup.schema}".notification_dispatch_log` : '';
  const prefix = '/hooks/sms';
  const respond = (res, status, body) =>
    res
      .writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      })
      .end(body);
  return (req, res) => {
    if (req.method !== 'POST') return respond(res, 405, 'method not allowed');
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const path = req.url ?? '';
      const tenant = /\/twilio\/([^/?]+)/.exec(path)?.[1];
      if (!path.startsWith(prefix) || decodeURIComponent(tenant ?? '') !== setup.tenantId)
        return respond(res, 403, 'forbidden');
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const signature = Buffer.from(String(req.headers['x-twilio-signature'] ?? ''), 'base64');
      let data = '';
      for (const k of [...new Set(params.keys())].sort()) for (const v of params.getAll(k)) data += k + v;
      let ok = false;
      for (const candidate of candidates(setup.publicBaseUrl + path.slice(prefix.length))) {
        const mac = createHmac('sha1', setup.authToken).update(candidate).update(data).digest();
        if (mac.length === signature.length && timingSafeEqual(mac, signature)) {
          ok = true;
          break;
        }
      }
      if (!ok || params.get('AccountSid') !== setup.accountSid) return respond(res, 403, 'forbidden');
      if (!pool) return respond(res, 200, 'OK');
      const status = params.get('MessageStatus');
      const attempt = new URL(path, 'http://x').searchParams.get('sms_attempt');
      try {
        await pool.query(
          `UPDATE ${table} SET state = 'accepted', provider = 'twilio', message_id = $3, status = $4, error = NULL,
             status_at = now(), reason = NULL, updated_at = now()
           WHERE channel = 'sms' AND notification_id IS NOT NULL AND tenant_id = $1 AND attempts @> $2::jsonb
             AND CASE state WHEN 'accepted' THEN status = ANY($5) ELSE state IN ('claimed', 'unknown') END`,
          [
            setup.tenantId,
            JSON.stringify([{ id: attempt, provider: 'twilio' }]),
            params.get('MessageSid'),
            status,
            below(status),
          ],
        );
        respond(res, 200, 'OK');
      } catch {
        respond(res, 500, 'ledger write failed');
      }
    });
  };
}

const pool = withLedger ? await openPool() : undefined;
const listener = variant.startsWith('ours') ? await oursListener(pool) : bareListener(pool);
const server = createServer(listener);
process.on('SIGTERM', () => process.exit(0)); // exits normally, so --cpu-prof writes its profile
// Any line on stdin: print the CPU time used so far (µs), so the bench can report CPU per callback too.
process.stdin.on('data', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${user + system}\n`);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
