import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, expect, it } from 'vitest';
import { listenWithoutListenerWarning } from './msw-listen.js';

const server = setupServer(http.get('http://msw.test/ping', () => HttpResponse.json({ ok: true })));
afterAll(() => server.close());

it('an msw server answers 25 requests without MaxListenersExceededWarning, and AbortController is restored', async () => {
  const original = globalThis.AbortController;
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    listenWithoutListenerWarning(server, { onUnhandledRequest: 'error' });
    expect(globalThis.AbortController).toBe(original);
    for (let i = 0; i < 25; i++) expect((await fetch('http://msw.test/ping')).status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  expect(warnings).toEqual([]);
});
