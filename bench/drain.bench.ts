/**
 * Benchmark of Drain (src/services/ai-engine/detect/drain.ts): prints lines per second, asserts
 * nothing. Run: `npx tsx bench/drain.bench.ts`. Median of 5 runs each over 100,000 synthetic lines of
 * 24 events (HDFS, nginx, PostgreSQL, Java, Kubernetes styles, random ids, numbers, addresses and
 * times), and over 100,000 random-word lines (the hostile case: nearly every line a new cluster,
 * LRU eviction on every one).
 */
import { performance } from 'node:perf_hooks';
import { Drain } from '../src/services/ai-engine/detect/drain.js';
import { NewPatternDetector } from '../src/services/ai-engine/detect/new-patterns.js';

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const next = random(7);
const int = (max: number) => Math.floor(next() * max);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const two = (max: number) => String(int(max)).padStart(2, '0');
const ip = () => `10.${int(256)}.${int(256)}.${int(256)}`;
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const iso = () => `2024-01-${String(1 + int(28)).padStart(2, '0')}T${String(int(24)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}.${String(int(1000)).padStart(3, '0')}Z`;
const user = () => pick(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']);
const path = () => `/api/${pick(['users', 'orders', 'carts', 'search', 'login'])}/${int(100000)}`;

const EVENTS: (() => string)[] = [
  () => `081109 ${int(999999)} ${int(400)} INFO dfs.DataNode$DataXceiver: Receiving block blk_${int(2 ** 53) - 2 ** 52} src: /${ip()}:${int(65535)} dest: /${ip()}:50010`,
  () => `081109 ${int(999999)} ${int(400)} INFO dfs.DataNode$PacketResponder: PacketResponder ${int(3)} for block blk_${int(2 ** 53)} terminating`,
  () => `081109 ${int(999999)} ${int(400)} INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: ${ip()}:50010 is added to blk_${int(2 ** 53)} size ${int(67108864)}`,
  () => `081109 ${int(999999)} ${int(400)} WARN dfs.DataNode$DataXceiver: ${ip()}:50010:Got exception while serving blk_${int(2 ** 53)} to /${ip()}:`,
  () => `${ip()} - - [31/Jan/2024:${two(24)}:${two(60)}:${two(60)} +0000] "GET ${path()} HTTP/1.1" ${pick([200, 304, 404, 500])} ${int(50000)} "-" "Mozilla/5.0"`,
  () => `2024/01/31 10:${two(60)}:${two(60)} [error] ${int(64)}#${int(64)}: *${int(1e6)} connect() failed (111: Connection refused) while connecting to upstream, client: ${ip()}, server: api.local, request: "GET ${path()} HTTP/1.1", upstream: "http://${ip()}:8080${path()}", host: "api.local"`,
  () => `2024/01/31 10:${two(60)}:${two(60)} [warn] ${int(64)}#${int(64)}: *${int(1e6)} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/${int(10)}/${int(100)}/${int(1e7)} while reading upstream`,
  () => `${iso()} UTC [${int(65535)}] ERROR:  duplicate key value violates unique constraint "${pick(['users', 'orders', 'sessions'])}_pkey"`,
  () => `${iso()} UTC [${int(65535)}] ERROR:  relation "${pick(['tmp_import', 'audit_2023', 'staging'])}" does not exist at character ${int(400)}`,
  () => `${iso()} UTC [${int(65535)}] FATAL:  password authentication failed for user "${user()}"`,
  () => `${iso()} UTC [${int(65535)}] LOG:  duration: ${int(10000)}.${int(1000)} ms  statement: SELECT * FROM orders WHERE id = ${int(1e6)}`,
  () => `${iso()} UTC [${int(65535)}] LOG:  checkpoint complete: wrote ${int(5000)} buffers (${int(100)}.${int(10)}%); 0 WAL file(s) added, ${int(5)} removed, ${int(5)} recycled`,
  () => `${iso()} ERROR [http-nio-8080-exec-${int(200)}] c.e.OrderService - Order ${uuid()} failed: java.net.SocketTimeoutException: Read timed out after ${int(60)}s`,
  () => `${iso()} ERROR [pool-${int(9)}-thread-${int(16)}] c.e.ReportJob - Report ${int(1e5)} aborted: java.lang.OutOfMemoryError: Java heap space`,
  () => `\tat com.example.${pick(['OrderService', 'CartService', 'UserRepository'])}.${pick(['process', 'load', 'save'])}(${pick(['OrderService', 'CartService'])}.java:${int(900)})`,
  () => `${iso()} WARN [main] o.h.e.j.s.SqlExceptionHelper - SQL Error: 0, SQLState: 08001 connection to ${ip()}:5432 refused`,
  () => `${iso()} INFO [main] c.e.Application - Started Application in ${int(30)}.${int(1000)} seconds (JVM running for ${int(40)}.${int(1000)})`,
  () => `I0131 10:${two(60)}:${two(60)}.${String(int(1e6)).padStart(6, '0')}       1 event.go:${int(400)}] "Event occurred" object="aiops/api-${hex(9)}-${hex(5)}" kind="Pod" reason="BackOff" message="Back-off restarting failed container"`,
  () => `E0131 10:${two(60)}:${two(60)}.${String(int(1e6)).padStart(6, '0')}       1 reflector.go:${int(400)}] failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods?limit=500": dial tcp 10.96.0.1:443: i/o timeout`,
  () => `level=error ts=${iso()} caller=scrape.go:${int(2000)} component="scrape manager" scrape_pool=${pick(['node', 'redis', 'postgres'])} target=http://${ip()}:9100/metrics msg="Scrape failed" err="context deadline exceeded"`,
  () => `level=warn ts=${iso()} caller=notifier.go:${int(600)} component=notifier alertmanager=http://${ip()}:9093/api/v2/alerts count=${int(20)} msg="Error sending alert" err="Post context deadline exceeded"`,
  () => `${int(99)}:M ${int(31)} Jan 2024 10:${two(60)}:${two(60)}.${String(int(1000)).padStart(3, '0')} * Background saving terminated with success`,
  () => `${int(99)}:M ${int(31)} Jan 2024 10:${two(60)}:${two(60)}.${String(int(1000)).padStart(3, '0')} # Client id=${int(1e5)} addr=${ip()}:${int(65535)} closed for overcoming of output buffer limits`,
  () => `[${iso()}][WARN ][o.e.c.r.a.DiskThresholdMonitor] [es-0] high disk watermark [90%] exceeded on [${hex(22)}][es-${int(3)}] free: ${int(100)}gb[${int(10)}.${int(10)}%]`,
];

const LINES = 100_000;
const realistic = Array.from({ length: LINES }, () => pick(EVENTS)());
const word = () => Math.floor(next() * 36 ** 6).toString(36).replace(/\d/g, 'q');
const hostile = Array.from({ length: LINES }, () => Array.from({ length: 1 + int(30) }, word).join(' '));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Lines per second of `run` over `lines`, median of 5 (each run on a fresh setup). */
function rate(lines: readonly string[], setup: () => (line: string) => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const fn = setup();
    const start = performance.now();
    for (const line of lines) fn(line);
    times.push(performance.now() - start);
  }
  return lines.length / (median(times) / 1000);
}
const show = (n: number) => Math.round(n).toLocaleString('en-US');

const trained = new Drain();
for (const line of realistic) trained.add(line);

console.log(`Drain, ${LINES.toLocaleString('en-US')} lines per run, median of 5 (node ${process.version})`);
console.log(`  realistic lines (${EVENTS.length} events):`);
console.log(`    mask + tokenise only      ${show(rate(realistic, () => (l) => trained.tokens(l)))} lines/s`);
console.log(`    add (learning, fresh)     ${show(rate(realistic, () => { const d = new Drain(); return (l) => d.add(l); }))} lines/s`);
console.log(`    match (trained, no learn) ${show(rate(realistic, () => (l) => trained.match(l)))} lines/s`);
console.log(`    clusters mined: ${trained.stats().clusters} (of ${EVENTS.length} events)`);
console.log('  hostile lines (random words, 1-30 tokens, LRU eviction):');
console.log(`    add                       ${show(rate(hostile, () => { const d = new Drain(); return (l) => d.add(l); }))} lines/s`);

const window = realistic.slice(0, 10_000).concat(Array.from({ length: 50 }, (_, i) => `${iso()} ERROR [main] c.e.Storage - could not write segment ${i} to volume data: No space left on device`));
const detector = new NewPatternDetector(trained);
const detectStart = performance.now();
const found = detector.detect(window);
console.log(`  NewPatternDetector.detect on a window of ${window.length.toLocaleString('en-US')} lines: ${(performance.now() - detectStart).toFixed(0)} ms, ${found.length} new pattern(s)`);

const hostileDrain = new Drain();
for (const line of hostile) hostileDrain.add(line);
const serializeStart = performance.now();
const json = JSON.stringify(hostileDrain.toJSON());
const serializeMs = performance.now() - serializeStart;
const restoreStart = performance.now();
Drain.fromJSON(JSON.parse(json));
console.log(
  `  state at maxClusters (${hostileDrain.stats().clusters} clusters, ${hostileDrain.stats().nodes} nodes): ${(json.length / 1024).toFixed(0)} KiB JSON, toJSON+stringify ${serializeMs.toFixed(0)} ms, parse+fromJSON ${(performance.now() - restoreStart).toFixed(0)} ms`,
);
