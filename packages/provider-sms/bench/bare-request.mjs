// The "physical limit" baseline of the send figures: a bare keep-alive `node:http` POST of a fixed body to
// the same loopback emulator, whose JSON answer is read and parsed — nothing of ours in the way.
import http from 'node:http';

/**
 * Returns a function that POSTs `body` with `headers` to `url` over its own keep-alive agent (256 sockets, LIFO,
 * like the package's transport, without its 4 s idle timeout) and resolves the parsed JSON answer; a status other
 * than `expectStatus`, or an answer `check` refuses, rejects: a failing emulator answer cannot pass for a fast one.
 */
export function bareJsonPost(url, headers, body, { expectStatus, check = () => true }) {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' });
  const payload = Buffer.from(body, 'utf8');
  const options = {
    hostname: u.hostname,
    port: u.port,
    path: `${u.pathname}${u.search}`,
    method: 'POST',
    headers: { ...headers, 'content-length': String(payload.length) },
    agent,
  };
  const post = () =>
    new Promise((resolve, reject) => {
      const req = http.request(options, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          try {
            const json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (res.statusCode !== expectStatus || !check(json))
              reject(new Error(`bare POST answered ${res.statusCode}: ${JSON.stringify(json)}`));
            else resolve(json);
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  post.close = () => agent.destroy();
  return post;
}
