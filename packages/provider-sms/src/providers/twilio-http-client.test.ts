// The SDK httpClient's answer: status, body and the header record (built when read) of a loopback server's
// response, and Retry-After handed to the call context.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTwilioHttpClient, runTwilioCall, type TwilioCallContext } from './twilio-http-client.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('Retry-After', '7');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('Content-Type', 'application/json');
      res.statusCode = 429;
      res.end('{"code":20429}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('request() answers status, body and every header as one string per lower-case name; Retry-After reaches the context', async () => {
  const client = createTwilioHttpClient({ apiBaseUrl: base });
  const ctx: TwilioCallContext = { retryAfterMs: 1 };
  const res = await runTwilioCall(ctx, () =>
    client.request({
      method: 'post',
      uri: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json',
      username: 'AC1',
      password: 'secret',
      data: { To: '+14155552671' },
    }),
  );
  expect(res.statusCode).toBe(429);
  expect(res.body).toBe('{"code":20429}');
  expect(res.headers).toMatchObject({
    'retry-after': '7',
    'set-cookie': 'a=1, b=2',
    'content-type': 'application/json',
  });
  expect(res.headers).toBe(res.headers);
  expect(ctx).toMatchObject({ httpStatus: 429, retryAfterMs: 7000 });
});
