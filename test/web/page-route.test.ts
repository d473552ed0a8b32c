/** `GET /` and the page's files through the server's HTTP handler, on a real socket. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../src/server/http.js';
import type { InfoService } from '../../src/server/info.js';
import { PAGE_CSP, isPagePath, pageDir } from '../../src/server/page.js';

let server: Server;
let base: string;

beforeAll(async () => {
  const health = { state: 'ready' as const, height: 1, time: 1, lagMs: 0, clients: 0, subscriptions: 0, eventsPerSecond: 0, source: 'simulated' as const };
  server = createServer(httpHandler({ health: () => health, info: {} as InfoService }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('the page route', () => {
  it('knows only the page files', () => {
    for (const p of ['/', '/index.html', '/app.js', '/app.css']) expect(isPagePath(p)).toBe(true);
    for (const p of ['/ws', '/info', '/../package.json', '/app.ts', '/web/app.js']) expect(isPagePath(p)).toBe(false);
  });

  it('serves the built page with a strict CSP that allows nothing but this origin', async () => {
    expect(pageDir(), 'run `npm run build` first').not.toBeNull();
    const res = await fetch(`${base}/?token=abc`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(PAGE_CSP).toContain("default-src 'none'");
    expect(PAGE_CSP).not.toMatch(/unsafe|https?:|\*/);
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/app.js">');
    // Nothing in the page points anywhere else.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const js = await fetch(`${base}/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await js.text()).length).toBeGreaterThan(1000);
    const css = await fetch(`${base}/app.css`);
    expect(await css.text()).not.toMatch(/url\((?!data:)|@import/);
    const head = await fetch(`${base}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses other methods, and leaves other paths to the 404', async () => {
    const post = await fetch(`${base}/`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect((await fetch(`${base}/app.ts`)).status).toBe(404);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});
