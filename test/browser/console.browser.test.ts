/**
 * The operations console in a real browser: Debian's chromium (/usr/bin/chromium) driven by
 * playwright-core (no downloaded browser), against the console on 127.0.0.1 over the fake backend
 * (test/services/api-gateway/console-fake.ts). At 1280×800 and at 390×844 (a phone): log in (on
 * the desktop with the keyboard only), see the firing alert and the anomaly with its chart,
 * approve a pending action (the script's confirmation answered), visit every page, log out.
 * Every page: no horizontal scroll at either width, every control labelled, no CSP violation or
 * script error; hostile values stay text. Screenshots go to test-artifacts/console/ (git-ignored).
 * Skipped with a warning without chromium; a failure in CI (CI=true).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/services/kit/run.js';
import { isExecutable, toolsPresent } from '../support/process.js';
import { createFakeBackend, HOSTILE, PASSWORD, startConsole } from '../services/api-gateway/console-fake.js';

// The functions given to page.evaluate run in the browser; the project's lib has no DOM types (module-scoped here).
declare const document: any;
declare const window: any;
declare function getComputedStyle(element: unknown): any;

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../test-artifacts/console');
const present = toolsPresent('the console browser tests', isExecutable(CHROMIUM) ? [] : [CHROMIUM], 'Debian: apt-get install chromium');

const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
} as const;

/** What a page must hold at any width: no horizontal scroll, a label for every control, one h1. */
async function checkPage(page: Page, name: string): Promise<void> {
  const layout = await page.evaluate(() => {
    const controls: any[] = [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')];
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      bodyScrollWidth: document.body.scrollWidth,
      unlabelled: controls.filter((c) => c.tagName === 'BUTTON' ? !c.textContent?.trim() : (c.labels?.length ?? 0) === 0).map((c) => c.outerHTML.slice(0, 80)),
      h1: document.querySelectorAll('h1').length,
      lang: document.documentElement.lang,
      main: document.querySelectorAll('main#main').length,
    };
  });
  expect(layout.scrollWidth, `${name}: page wider than the window`).toBeLessThanOrEqual(layout.innerWidth);
  expect(layout.bodyScrollWidth, `${name}: body wider than the window`).toBeLessThanOrEqual(layout.innerWidth);
  expect(layout.unlabelled, name).toEqual([]);
  expect(layout.h1, name).toBe(1);
  expect(layout.main, name).toBe(1);
  expect(layout.lang).toBe('en');
}

describe.skipIf(!present)('the console in chromium', () => {
  let browser: Browser;
  const services: RunningService[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    for (const s of services) await s.shutdown('test');
  });

  /** A fresh console and browser context; CSP violations, console errors and page errors are collected. */
  async function open(kind: keyof typeof VIEWPORTS, hostile = false, refreshSeconds?: number) {
    const fake = createFakeBackend({ hostile });
    const { service, url } = await startConsole(fake, refreshSeconds ? { refreshSeconds } : {});
    services.push(service);
    const context: BrowserContext = await browser.newContext({ ...VIEWPORTS[kind], baseURL: url, colorScheme: 'light' });
    const page = await context.newPage();
    page.on('console', (m) => {
      // A refused login is answered 401 (the browser logs every 4xx document); anything else is a problem.
      const refusedLogin = /status of 401/.test(m.text()) && new URL(m.location().url).pathname === '/login';
      if (m.type() === 'error' && !refusedLogin) problems.push(`${kind} console: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => problems.push(`${kind} page error: ${e.message}`));
    return { fake, url, context, page };
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: resolve(ARTIFACTS, `${name}.png`), fullPage: true });

  for (const kind of ['desktop', 'phone'] as const) {
    it(`${kind}: logs in, sees the firing alert and the anomaly with its chart, approves a pending action, logs out`, async () => {
      const { fake, page, context } = await open(kind);
      await page.goto('/');
      expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/login?next=%2F');
      await checkPage(page, `${kind} login`);
      await shot(page, `${kind}-login`);

      if (kind === 'desktop') {
        // Keyboard only: the skip link first, then the two fields, then the button; the focus is visible.
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
        expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('username');
        expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
        // A wrong password first: the error is announced (role=alert) and the field marked invalid.
        await page.keyboard.type('admin');
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
        await page.keyboard.type('not the password');
        await page.keyboard.press('Enter');
        await page.waitForURL(/\/login$/);
        expect(await page.getByRole('alert').textContent()).toBe('Wrong username or password.');
        expect(await page.getByLabel('Username').getAttribute('aria-invalid')).toBe('true');
        expect(await page.getByLabel('Username').inputValue()).toBe('admin');
        await shot(page, `${kind}-login-error`);
        await page.keyboard.press('Tab');
        await page.keyboard.press('Tab');
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
        await page.keyboard.type(PASSWORD);
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Log in');
        await page.keyboard.press('Enter');
      } else {
        await page.getByLabel('Username').fill('admin');
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Log in' }).tap();
      }
      await page.waitForURL((u) => u.pathname === '/');

      // The overview: the firing alert, the anomaly with its chart (the spike's 6 points marked), health, approvals.
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
      const alerts = page.locator('section', { has: page.getByRole('heading', { name: 'Firing alerts' }) });
      expect(await alerts.getByText('HighErrorRate').isVisible()).toBe(true);
      const anomalies = page.locator('section', { has: page.getByRole('heading', { name: 'Current anomalies' }) });
      expect(await anomalies.getByRole('heading', { name: 'p95 latency of web left its usual range' }).isVisible()).toBe(true);
      const chart = anomalies.getByRole('img', { name: /HTTP p95 latency: service="web"/ });
      expect(await chart.isVisible()).toBe(true);
      expect(await chart.locator('circle.mark').count()).toBe(6);
      const box = (await chart.boundingBox())!;
      expect(box.width).toBeGreaterThan(kind === 'phone' ? 250 : 300);
      expect(box.width).toBeLessThanOrEqual(VIEWPORTS[kind].viewport.width);
      // The band is drawn with the stylesheet's fill (the CSS loaded under the CSP).
      expect(await chart.locator('path.band').evaluate((p) => getComputedStyle(p).fill)).toBe('rgb(207, 227, 247)');
      expect(await page.getByRole('link', { name: 'Grafana' }).first().getAttribute('href')).toBe('/grafana/');
      await checkPage(page, `${kind} overview`);
      await shot(page, `${kind}-overview`);

      // Approve the live action: the script asks first (it runs under the CSP), the page says so and the row is gone.
      const dialogs: string[] = [];
      page.once('dialog', (d) => (dialogs.push(d.message()), void d.accept()));
      const approve = page.getByRole('button', { name: /^Approve: evict pod/ });
      if (kind === 'phone') await approve.scrollIntoViewIfNeeded();
      await approve.click();
      await page.waitForURL((u) => u.search === '?done=approved');
      expect(dialogs).toEqual(['Approve: evict pod aiops-platform/web-5d8f7-abcde?']);
      expect(await page.getByRole('status').first().textContent()).toContain('Approved.');
      expect(await page.getByRole('button', { name: /^Approve: evict pod/ }).count()).toBe(0);
      expect(fake.calls.filter((c) => c.method === 'approve')).toEqual([{ method: 'approve', actor: 'admin', args: ['3f6c1a52-9a1e-4c1b-8f5e-2b7d7c0e9a11', undefined] }]);
      await shot(page, `${kind}-approved`);

      // Every other page, from the navigation.
      for (const [link, name, path] of [
        ['Alerts', 'alerts', '/alerts'],
        ['Anomalies', 'anomalies', '/anomalies'],
        ['Self-healing', 'self-healing', '/self-healing'],
        ['Users and API keys', 'users', '/users'],
      ] as const) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }).click();
        await page.waitForURL((u) => u.pathname === path);
        await checkPage(page, `${kind} ${name}`);
        await shot(page, `${kind}-${name}`);
      }
      await page.goto('/anomalies');
      await page.getByRole('link', { name: /^Chart/ }).click();
      await page.waitForURL((u) => u.pathname === '/anomalies/series/http-latency-p95');
      expect(await page.getByRole('img', { name: /HTTP p95 latency/ }).count()).toBe(2);
      await page.getByText(/^Data table/).first().click();
      expect(await page.getByRole('table').first().getByRole('columnheader').allTextContents()).toEqual(['Time (UTC)', 'Value (s)', 'Expected', 'Band', 'Score', 'Outside the band']);
      await checkPage(page, `${kind} series`);
      await shot(page, `${kind}-series`);

      // Log out: back to the login page, and the console asks for a login again.
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL((u) => u.pathname === '/login');
      expect(await page.getByRole('status').textContent()).toBe('You are logged out.');
      await page.goto('/self-healing');
      await page.waitForURL((u) => u.pathname === '/login');
      expect(new URL(page.url()).searchParams.get('next')).toBe('/self-healing');
      await context.close();
      expect(problems).toEqual([]);
    });
  }

  it('refreshes a live page in place with the script (no reload)', async () => {
    const { fake, page, context, url } = await open('desktop', false, 5);
    const admin = fake.signIn('admin');
    await context.addCookies([{ name: admin.cookie.split('=')[0]!, value: admin.cookie.split('=')[1]!, url }]);
    await page.goto('/alerts');
    await page.evaluate(() => (window.keptAcrossRefresh = true));
    expect(await page.locator('main').getAttribute('data-refresh')).toBe('5');
    fake.alerts.push({ ...fake.alerts[0]!, labels: { alertname: 'NewlyFiring', severity: 'warning' }, fingerprint: 'ffff000011112222' });
    await page.getByText('NewlyFiring').waitFor({ timeout: 8_000 });
    // The same document: only <main> was replaced.
    expect(await page.evaluate(() => window.keptAcrossRefresh)).toBe(true);
    expect(await page.locator('main#main').count()).toBe(1);
    await context.close();
    expect(problems).toEqual([]);
  });

  it('keeps hostile values as text: no element, handler or dialog from the data', async () => {
    const { fake, page, context, url } = await open('desktop', true);
    const admin = fake.signIn('admin');
    await context.addCookies([{ name: admin.cookie.split('=')[0]!, value: admin.cookie.split('=')[1]!, url }]);
    const dialogs: string[] = [];
    page.on('dialog', (d) => (dialogs.push(d.message()), void d.dismiss()));
    for (const path of ['/', '/alerts', '/anomalies', '/anomalies/series/http-latency-p95', '/self-healing', '/users']) {
      await page.goto(path);
      expect(await page.locator('img, main script, [onerror], [onmouseover]').count(), path).toBe(0);
      expect(await page.locator('main').textContent(), path).toContain(HOSTILE.replace('\u0000', '\ufffd'));
    }
    expect(dialogs).toEqual([]);
    await context.close();
    expect(problems).toEqual([]);
  });
});
