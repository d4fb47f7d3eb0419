/**
 * The console's escaping helper (src/services/api-gateway/console/html.ts) with hostile strings in
 * text and attribute contexts, its local-URL builder, the chart's drawing and text alternative,
 * and the rules the templates keep (checked on the sources: double-quoted attributes, no inline
 * style, script or event handler).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartDescription, outsideBand, seriesChart, thinPoints } from '../../../src/services/api-gateway/console/chart.js';
import { age, num } from '../../../src/services/api-gateway/console/format.js';
import { escapeHtml, html, localHref, pathWith, raw } from '../../../src/services/api-gateway/console/html.js';
import { latencyPoints, NOW } from './console-fake.js';

/** What the browser's HTML parser makes of `markup` inside a `<div>` is approximated by the checks below: no tag or attribute can start. */
const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)",
  '</textarea><svg onload=alert(1)>',
  '&lt;already escaped&gt; & &amp;',
  '<!-- comment --><![CDATA[x]]>',
  'javascript:alert(1)',
  'nul\u0000 bell\u0007 del\u007f c1\u0085 lone\ud800 pair😀 bom\ufeff',
];

describe('escapeHtml and html``', () => {
  it('escapes & < > " \' in text and attribute contexts', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    for (const value of HOSTILE) {
      const text = html`<p>${value}</p>`.text;
      const attr = html`<input value="${value}" title="${value}">`.text;
      // No markup character of the value survives: a tag, an attribute or an entity cannot begin.
      expect(text.slice(3, -4)).not.toMatch(/[<>"']/);
      expect(attr).toMatch(/^<input value="[^"<>']*" title="[^"<>']*">$/);
      // Every & starts one of our entities (the value's own & is escaped too).
      expect(text.slice(3, -4).replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
    }
  });

  it('replaces characters HTML does not allow with U+FFFD and keeps the rest (surrogate pairs, BOM)', () => {
    expect(escapeHtml('nul\u0000 bell\u0007 del\u007f c1\u0085 lone\ud800 x')).toBe('nul\ufffd bell\ufffd del\ufffd c1\ufffd lone\ufffd x');
    expect(escapeHtml('low\udc00 pair😀 tab\tnl\ncr\r bom\ufeff')).toBe('low\ufffd pair😀 tab\tnl\ncr\r bom\ufeff');
  });

  it('nests templates without escaping twice, joins arrays, renders nothing for false, null and undefined', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}</p>`.text).toBe('<p><b>&lt;i&gt;</b></p>');
    expect(html`<ul>${['<a>', html`<li>x</li>`, ['b', 1]]}</ul>`.text).toBe('<ul>&lt;a&gt;<li>x</li>b1</ul>');
    expect(html`[${false}${null}${undefined}${0}${true}]`.text).toBe('[0true]');
    expect(html`${Number.NaN}|${Number.POSITIVE_INFINITY}|${-1.5}`.text).toBe('||-1.5');
  });

  it('escapes a string that looks like markup even when it came from an earlier render (only SafeHtml objects pass)', () => {
    const rendered = html`<b>x</b>`.text;
    expect(html`${rendered}`.text).toBe('&lt;b&gt;x&lt;/b&gt;');
    expect(html`${raw('<path d="M0 0"/>')}`.text).toBe('<path d="M0 0"/>');
  });
});

describe('localHref and pathWith', () => {
  it('builds same-origin paths with encoded queries and path segments', () => {
    expect(localHref('/login', { next: '/alerts?x=1&y=<2>', skip: undefined })).toBe('/login?next=%2Falerts%3Fx%3D1%26y%3D%3C2%3E');
    expect(pathWith('/anomalies/series', '../admin', 'a b/c')).toBe('/anomalies/series/..%2Fadmin/a%20b%2Fc');
    expect(pathWith('/users/', 'o\'neil"<x>')).toBe("/users/o'neil%22%3Cx%3E");
  });

  it('refuses anything that is not a local path', () => {
    for (const bad of ['javascript:alert(1)', '//evil.example/', '/\\evil.example', 'https://evil.example/', 'relative', '/a b', '']) {
      expect(() => localHref(bad), bad).toThrow(/not a local path/);
    }
  });
});

describe('the chart', () => {
  const points = latencyPoints();

  it('draws the band, the expected line, the values, marks exactly the points outside the band and shades the anomaly', () => {
    const outside = points.filter(outsideBand);
    expect(outside).toHaveLength(6);
    const svg = seriesChart(points, { size: 'large', id: 'c1', title: 'HTTP p95 latency', unit: 's', labels: { service: 'web' }, anomaly: { id: 'a', kind: 'AnomalyDetected', source: 'metrics', severity: 'critical', component: 'http', namespace: 'ns', labels: {}, summary: 'up', startsAt: NOW - 300_000, value: 1 } }).text;
    expect(svg).toMatch(/<svg class="chart" viewBox="0 0 720 240" role="img" aria-labelledby="c1-title c1-desc"/);
    expect(svg).toContain('<title id="c1-title">HTTP p95 latency: service=&quot;web&quot;</title>');
    expect(svg).toMatch(/<desc id="c1-desc">180 points from 09:01 to 12:00 UTC, values 0\.\d+ to 1\.45 s\. 6 points lie outside the baseline band\. Latest 1\.45 s against a band of/);
    expect(svg.match(/<circle class="mark"/g)).toHaveLength(6);
    expect(svg).toMatch(/<path class="band" d="M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+Z"\/>/);
    expect(svg).toMatch(/<path class="value" d="M[\d. L]+"\/>/);
    expect(svg).toMatch(/<path class="expected" d="M[\d. L]+"\/>/);
    expect(svg).toMatch(/<rect class="window" x="[\d.]+"/);
    // The data table: headers, every outside point, a caption saying what is left out.
    expect(svg).toContain('<details class="chart-data">');
    expect(svg).toMatch(/<th scope="col">Time \(UTC\)<\/th><th scope="col">Value \(s\)<\/th>/);
    expect(svg.match(/<tr class="outside">/g)).toHaveLength(6);
    expect(svg).toMatch(/every \d+th point and every point outside the band/);
    // Only numbers in the geometry: no NaN or undefined from a missing band.
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('breaks the lines where values and the band are missing, and says when there is nothing to draw', () => {
    const gappy = points.slice(0, 40).map((p, i) => (i >= 10 && i < 15 ? { t: p.t, value: null } : i < 5 ? { t: p.t, value: p.value } : p));
    const svg = seriesChart(gappy, { size: 'small', id: 'g', title: 'x', unit: '', labels: {} }).text;
    expect(svg.match(/<path class="value" d="([^"]*)"/)![1]!.match(/M/g)).toHaveLength(2);
    expect(svg.match(/<path class="band" d="([^"]*)"/)![1]!.match(/M/g)).toHaveLength(2);
    expect(svg).not.toMatch(/NaN|undefined/);
    expect(seriesChart([], { size: 'small', id: 'e', title: 'x', unit: '', labels: {} }).text).toContain('No points yet.');
    expect(chartDescription([{ t: NOW, value: 3 }], { unit: 'ms' })).toBe('1 point from 12:00 to 12:00 UTC, values 3 to 3 ms. 0 points lie outside the baseline band. Latest 3 ms (no baseline yet).');
  });

  it('thins long series for drawing but keeps every spike and every point outside the band', () => {
    const long = latencyPoints(NOW, 720);
    const thin = thinPoints(long, 120);
    expect(thin.length).toBeLessThanOrEqual(126);
    expect(thin.filter(outsideBand)).toHaveLength(long.filter(outsideBand).length);
    expect(Math.max(...thin.map((p) => p.value!))).toBe(Math.max(...long.map((p) => p.value!)));
    expect(thin.map((p) => p.t)).toEqual([...thin.map((p) => p.t)].sort((a, b) => a - b));
  });
});

describe('formatting', () => {
  it('writes numbers and ages for people', () => {
    expect([num(0), num(0.25), num(1234.5), num(12_345), num(2_500_000), num(0.0001), num(null), num(Number.NaN)]).toEqual(['0', '0.25', '1235', '12.3k', '2.5M', '1.0e-4', '–', '–']);
    expect([age(NOW - 42_000, NOW), age(NOW - 12 * 60_000, NOW), age(NOW - 185 * 60_000, NOW), age(NOW - 52 * 3_600_000, NOW)]).toEqual(['42 s', '12 min', '3 h 5 min', '2 d 4 h']);
  });
});

describe('the templates of src/services/api-gateway/console/ (read as text)', () => {
  const dir = resolve(__dirname, '../../../src/services/api-gateway/console');
  const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));
  const sources = files(dir).map((f) => ({ f, text: readFileSync(f, 'utf8') }));

  it('finds the pages', () => {
    expect(sources.length).toBeGreaterThanOrEqual(10);
  });

  it('quote every interpolated attribute value, and carry no inline style, script or event handler', () => {
    for (const { f, text } of sources) {
      const templates = text.replace(/^\s*(\/\/|\*|\/\*\*).*$/gm, '');
      expect(templates, f).not.toMatch(/\s[A-Za-z-]+=\$\{/);
      expect(templates, f).not.toMatch(/\sstyle="/);
      expect(templates, f).not.toMatch(/<script(?![^>]*\ssrc=)/);
      expect(templates, f).not.toMatch(/\son[a-z]+="/);
      expect(templates, f).not.toMatch(/\b(href|action|src)="(?!\/|\$\{(localHref|CONSOLE_ASSETS|action)\b|#main")/);
    }
  });

  it('build markup with html`` only: no innerHTML, no string-concatenated tags outside the chart geometry', () => {
    for (const { f, text } of sources) {
      expect(text, f).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
      if (!f.endsWith('chart.ts') && !f.endsWith('html.ts')) expect(text, f).not.toMatch(/raw\(/);
    }
  });
});
