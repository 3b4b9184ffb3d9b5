import { expect, it } from 'vitest';
import { headerRecord } from './http-response.js';
import { cachedTargetCount, httpTarget, MAX_CACHED_TARGETS } from './http-target.js';

it('httpTarget: parses once per URL (same object), shares one agent per protocol, stays bounded', () => {
  const a = httpTarget('http://127.0.0.1:8080/a?x=1');
  expect(httpTarget('http://127.0.0.1:8080/a?x=1')).toBe(a);
  expect(a.options).toMatchObject({ hostname: '127.0.0.1', port: 8080, path: '/a?x=1', protocol: 'http:' });
  expect(a.secure).toBe(false);
  // Only the keys node:http reads (the agent copies every option per request).
  expect(Object.keys(a.options).sort()).toEqual(['agent', 'hostname', 'path', 'port', 'protocol']);
  expect(Object.keys(httpTarget('https://u:p@example.test/x').options).sort()).toEqual([
    'agent',
    'auth',
    'hostname',
    'path',
    'protocol',
  ]);
  expect(httpTarget('https://u:p@example.test/x').options).toMatchObject({ auth: 'u:p', path: '/x' });
  expect(httpTarget('http://127.0.0.1:8080/b').options.agent).toBe(a.options.agent);
  const s = httpTarget('https://[::1]:8443/c');
  expect(s).toMatchObject({ secure: true, options: { hostname: '::1', port: 8443 } });
  expect(s.options.agent).not.toBe(a.options.agent);
  expect(Object.isFrozen(a.options)).toBe(true);
  expect(() => httpTarget('not a url')).toThrow(TypeError);
  for (let i = 0; i < MAX_CACHED_TARGETS + 10; i++) httpTarget(`http://127.0.0.1:8080/n/${i}`);
  expect(cachedTargetCount()).toBe(MAX_CACHED_TARGETS);
});

it('headerRecord: one string per name, repeated values joined like Headers; Headers when no raw headers', () => {
  const raw = { 'retry-after': '3', 'set-cookie': ['a=1', 'b=2'], skipped: undefined };
  expect(headerRecord({ status: 200, text: '', headers: new Headers(), rawHeaders: raw })).toEqual({
    'retry-after': '3',
    'set-cookie': 'a=1, b=2',
  });
  expect(headerRecord({ status: 200, text: '', headers: new Headers({ 'Retry-After': '5' }) })).toEqual({
    'retry-after': '5',
  });
});
