import { describe, expect, it } from 'vitest';
import { Drain, WILDCARD, type DrainState } from '../../../src/services/ai-engine/detect/drain.js';
import { defaultMasks } from '../../../src/services/ai-engine/detect/log-masks.js';
import { NewPatternDetector } from '../../../src/services/ai-engine/detect/new-patterns.js';

/**
 * Drain (log template mining) on hand-made lines in the styles the platform ships (HDFS, nginx,
 * PostgreSQL, Java), its bounds under hostile input, its JSON state, and the new-pattern detector.
 */

/** Deterministic pseudo-random numbers (mulberry32), so that the "random" lines are the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Adds every line, returns the cluster id of each. */
const addAll = (drain: Drain, lines: readonly string[]) => lines.map((line) => drain.add(line).clusterId);

const HDFS_RECEIVING = [
  '081109 203518 143 INFO dfs.DataNode$DataXceiver: Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010',
  '081109 203518 35 INFO dfs.DataNode$DataXceiver: Receiving block blk_7503483334202473044 src: /10.251.215.16:55695 dest: /10.251.215.16:50010',
  '081109 203519 145 INFO dfs.DataNode$DataXceiver: Receiving block blk_-3544583377289625738 src: /10.251.71.16:37631 dest: /10.251.71.16:50010',
];
const HDFS_TERMINATING = [
  '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating',
  '081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 for block blk_-6952295868487656571 terminating',
  '081109 204005 35 INFO dfs.DataNode$PacketResponder: PacketResponder 2 for block blk_8229193803249955061 terminating',
];
const NGINX_UPSTREAM = [
  '2024/01/31 10:00:00 [error] 31#31: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.5, server: api.local, request: "GET /api/users HTTP/1.1", upstream: "http://10.0.1.7:8080/api/users", host: "api.local"',
  '2024/01/31 10:02:17 [error] 32#32: *918 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.3.77, server: api.local, request: "POST /api/orders HTTP/1.1", upstream: "http://10.0.1.8:8080/api/orders", host: "api.local"',
  '2024/01/31 11:45:09 [error] 31#31: *20411 connect() failed (111: Connection refused) while connecting to upstream, client: 2001:db8::17, server: api.local, request: "GET /healthz HTTP/2.0", upstream: "http://[fd00::1]:8080/healthz", host: "api.local"',
];
const POSTGRES_DUPLICATE = [
  '2024-01-31 10:00:00.123 UTC [1234] ERROR:  duplicate key value violates unique constraint "users_pkey"',
  '2024-01-31 10:05:42.007 UTC [88] ERROR:  duplicate key value violates unique constraint "orders_customer_id_key"',
  '2024-02-01 00:00:01.999 UTC [40213] ERROR:  duplicate key value violates unique constraint "sessions_pkey"',
];
const POSTGRES_AUTH = [
  '2024-01-31 10:00:00.123 UTC [1234] FATAL:  password authentication failed for user "app"',
  '2024-01-31 10:00:03.500 UTC [1240] FATAL:  password authentication failed for user "grafana"',
  '2024-01-31 10:00:09.010 UTC [1301] FATAL:  password authentication failed for user "app"',
];
const JAVA_TIMEOUT = [
  '2024-01-31T10:00:00.123Z ERROR [http-nio-8080-exec-1] c.e.OrderService - Order 7f3e9a1c-0b2d-4c1a-9e8f-1234567890ab failed: java.net.SocketTimeoutException: Read timed out after 30000ms',
  '2024-01-31T10:00:04.871Z ERROR [http-nio-8080-exec-17] c.e.OrderService - Order 0d6c1b2e-77aa-4f00-8c3d-abcdefabcdef failed: java.net.SocketTimeoutException: Read timed out after 15s',
  '2024-01-31T10:01:12.000+01:00 ERROR [http-nio-8080-exec-3] c.e.OrderService - Order 11111111-2222-3333-4444-555555555555 failed: java.net.SocketTimeoutException: Read timed out after 2.5s',
];
const JAVA_OOM = [
  '2024-01-31T10:00:00.123Z ERROR [pool-2-thread-1] c.e.ReportJob - Report 4711 aborted: java.lang.OutOfMemoryError: Java heap space',
  '2024-01-31T10:30:00.456Z ERROR [pool-2-thread-4] c.e.ReportJob - Report 4712 aborted: java.lang.OutOfMemoryError: Java heap space',
  '2024-01-31T11:00:00.789Z ERROR [pool-7-thread-2] c.e.ReportJob - Report 90210 aborted: java.lang.OutOfMemoryError: Java heap space',
];
const EVENTS = { HDFS_RECEIVING, HDFS_TERMINATING, NGINX_UPSTREAM, POSTGRES_DUPLICATE, POSTGRES_AUTH, JAVA_TIMEOUT, JAVA_OOM };

describe('masking and tokens', () => {
  it('masks addresses, ids, numbers, durations, timestamps and quoted strings before the tree', () => {
    const drain = new Drain();
    expect(drain.tokens('conn from 10.0.0.1:5432 and fe80::1ff:fe23:4567:890a and ::ffff:192.0.2.1 and 2001:db8:0:0:0:0:2:1')).toEqual(
      ['conn', 'from', '<IP>:<NUM>', 'and', '<IP>', 'and', '<IP>', 'and', '<IP>'],
    );
    expect(drain.tokens('trace 4bf92f3577b34da6a3ce929d0e0e4736 ptr 0x7ffd3a2b req 123e4567-e89b-12d3-a456-426614174000')).toEqual(['trace', '<HEX>', 'ptr', '<HEX>', 'req', '<UUID>']);
    expect(drain.tokens('took 15ms then 2.5s then 1h30m; retry=3 ratio -0.25 big 6.02e23')).toEqual(['took', '<DURATION>', 'then', '<DURATION>', 'then', '<DURATION>;', 'retry=<NUM>', 'ratio', '<NUM>', 'big', '<NUM>']);
    expect(drain.tokens('2024-01-31T10:00:00.123Z | 31/Jan/2024:10:00:00 +0000 | Jan  3 04:05:06 | 2024/01/31 10:00:00')).toEqual(['<TS>', '|', '<TS>', '|', '<TS>', '|', '<TS>']);
    expect(drain.tokens(`user="bob smith" said 'hello world' (can't stop)`)).toEqual(['user=<STR>', 'said', '<STR>', "(can't", 'stop)']);
  });

  it('leaves digits inside words, versions and English alone', () => {
    const drain = new Drain();
    expect(drain.tokens('mount /dev/sda1 ext4 failed on v1.2.3 for pool-2-thread-7 (deadbeef)')).toEqual(['mount', '/dev/sda1', 'ext4', 'failed', 'on', 'v1.2.3', 'for', 'pool-<NUM>-thread-<NUM>', '(deadbeef)']);
  });

  it('masks paths only when asked, and takes custom masks', () => {
    expect(new Drain().tokens('open /var/lib/postgresql/data/base/16384 failed')).toEqual(['open', '/var/lib/postgresql/data/base/<NUM>', 'failed']);
    expect(new Drain({ masks: defaultMasks({ paths: true }) }).tokens('open /var/lib/postgresql/data/base/16384 failed')).toEqual(['open', '<PATH>', 'failed']);
    const custom = new Drain({ masks: [{ name: 'POD', pattern: /\b[a-z]+-[a-z0-9]{5,10}-[a-z0-9]{5}\b/ }] });
    expect(custom.tokens('pod api-7d9f8b6c5-x2kq9 restarted 3 times')).toEqual(['pod', '<POD>', 'restarted', '3', 'times']);
  });

  it('drops ANSI colours and turns control characters into spaces', () => {
    expect(new Drain().tokens('\x1b[31mERROR\x1b[0m\tdisk\x00full\r\n')).toEqual(['ERROR', 'disk', 'full']);
  });
});

describe('clustering', () => {
  it('puts lines that differ only in ids, numbers, addresses and times into one cluster per event, with the right template', () => {
    const drain = new Drain();
    for (const lines of Object.values(EVENTS)) expect(new Set(addAll(drain, lines)).size).toBe(1);
    expect(drain.clusters().map((c) => [c.template, c.size])).toEqual([
      ['<NUM> <NUM> <NUM> INFO dfs.DataNode$DataXceiver: Receiving block blk_<NUM> src: /<IP>:<NUM> dest: /<IP>:<NUM>', 3],
      ['<NUM> <NUM> <NUM> INFO dfs.DataNode$PacketResponder: PacketResponder <NUM> for block blk_<NUM> terminating', 3],
      ['<TS> [error] <NUM>#<NUM>: *<NUM> connect() failed (<NUM>: Connection refused) while connecting to upstream, client: <IP>, server: api.local, request: <STR>, upstream: <STR>, host: <STR>', 3],
      ['<TS> UTC [<NUM>] ERROR: duplicate key value violates unique constraint <STR>', 3],
      ['<TS> UTC [<NUM>] FATAL: password authentication failed for user <STR>', 3],
      ['<TS> ERROR [http-nio-<NUM>-exec-<NUM>] c.e.OrderService - Order <UUID> failed: java.net.SocketTimeoutException: Read timed out after <DURATION>', 3],
      ['<TS> ERROR [pool-<NUM>-thread-<NUM>] c.e.ReportJob - Report <NUM> aborted: java.lang.OutOfMemoryError: Java heap space', 3],
    ]);
  });

  it('keeps different events apart, whatever the order of the lines', () => {
    const all = Object.entries(EVENTS).flatMap(([event, lines]) => lines.map((line) => ({ event, line })));
    const shuffled = [...all].sort((a, b) => a.line.length % 7 - b.line.length % 7 || a.line.localeCompare(b.line));
    const drain = new Drain();
    const clusterOf = new Map<string, Set<number>>();
    for (const { event, line } of shuffled) {
      const set = clusterOf.get(event) ?? new Set();
      set.add(drain.add(line).clusterId);
      clusterOf.set(event, set);
    }
    expect([...clusterOf.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(new Set([...clusterOf.values()].map((ids) => [...ids][0])).size).toBe(Object.keys(EVENTS).length);
    expect(drain.clusters()).toHaveLength(Object.keys(EVENTS).length);
  });

  it('generalises a template with <*> where a token varies, and reports new clusters and sizes', () => {
    const drain = new Drain();
    expect(drain.add('session opened for user alice by sshd')).toEqual({ clusterId: 1, template: 'session opened for user alice by sshd', isNew: true, size: 1 });
    expect(drain.add('session opened for user bob by sshd')).toEqual({ clusterId: 1, template: 'session opened for user <*> by sshd', isNew: false, size: 2 });
    expect(drain.add('session opened for user carol by cron')).toEqual({ clusterId: 1, template: 'session opened for user <*> by <*>', isNew: false, size: 3 });
    expect(drain.add('disk quota exceeded on volume data')).toMatchObject({ clusterId: 2, isNew: true, size: 1 });
  });

  it('joins a cluster at the similarity threshold and starts a new one below it', () => {
    const lax = new Drain();
    lax.add('cache miss for key users');
    expect(lax.match('cache hit in tier two')).toBeUndefined(); // 1 of 5 tokens equal: 0.2
    expect(lax.add('cache hit for tier two')).toMatchObject({ clusterId: 1, isNew: false, template: 'cache <*> for <*> <*>' }); // 2 of 5: 0.4
    const strict = new Drain({ similarityThreshold: 0.9 });
    strict.add('cache miss for key users');
    expect(strict.add('cache miss for key orders').isNew).toBe(true); // 4 of 5: 0.8
    expect(strict.add('cache miss for key users').isNew).toBe(false);
  });

  it('routes on depth - 3 leading tokens (Drain3 convention): depth 5 separates lines by their second token', () => {
    const lines = ['GET alpha done fine', 'GET beta done fine'];
    expect(new Set(addAll(new Drain({ depth: 4 }), lines)).size).toBe(1);
    expect(new Set(addAll(new Drain({ depth: 5 }), lines)).size).toBe(2);
  });

  it('routes leading tokens with digits through <*>, so they can merge', () => {
    const drain = new Drain();
    expect(drain.add('node1 joined the ring').clusterId).toBe(drain.add('node22 joined the ring').clusterId);
    expect(drain.clusters()[0]!.template).toBe('<*> joined the ring');
  });

  it('sends further leading tokens to <*> once a node has maxChildren children', () => {
    const drain = new Drain({ maxChildren: 3 });
    addAll(drain, ['alpha starts now', 'beta starts now', 'gamma starts now', 'delta starts now']);
    const byLength = drain.toJSON().tree.children!.find(([key]) => key === '3')![1];
    expect(byLength.children!.map(([key]) => key)).toEqual(['alpha', 'beta', WILDCARD]);
    // gamma and delta share the <*> leaf and merge (2 of 3 tokens equal).
    expect(drain.clusters().map((c) => c.template)).toEqual(['alpha starts now', 'beta starts now', '<*> starts now']);
  });

  it('match() finds the cluster add() would use, without learning or refreshing it', () => {
    const drain = new Drain({ maxClusters: 2 });
    drain.add('worker 1 started job 17');
    drain.add('backup of volume data finished');
    const before = JSON.stringify(drain.toJSON());
    expect(drain.match('worker 9 started job 44')).toEqual({ clusterId: 1, template: 'worker <NUM> started job <NUM>', size: 1, similarity: 1 });
    expect(drain.match('completely different words here now')).toBeUndefined();
    expect(JSON.stringify(drain.toJSON())).toBe(before);
    // match() did not refresh cluster 1: it is still the least recently used and goes first.
    drain.add('a third event of six tokens');
    expect(drain.clusters().map((c) => c.clusterId)).toEqual([2, 3]);
  });
});

describe('bounds and hostile input', () => {
  it('keeps at most maxClusters clusters, and a tree as small, under 10,000 random lines', () => {
    const next = random(42);
    const word = () => Math.floor(next() * 36 ** 6).toString(36).replace(/\d/g, 'x');
    const drain = new Drain();
    let created = 0;
    for (let i = 0; i < 10_000; i++) {
      const length = 1 + Math.floor(next() * 30);
      if (drain.add(Array.from({ length }, word).join(' ')).isNew) created += 1;
    }
    const stats = drain.stats();
    expect(created).toBeGreaterThan(5_000);
    expect(stats.clusters).toBe(1_000);
    expect(stats.evicted).toBe(created - 1_000);
    // Root, then per cluster at most its length node and one leading-token node (depth 4).
    expect(stats.nodes).toBeLessThanOrEqual(1 + 2 * 1_000);
    expect(JSON.stringify(drain.toJSON()).length).toBeLessThan(2_000_000);
  });

  it('evicts the least recently used cluster and the tree nodes only it used', () => {
    const drain = new Drain({ maxClusters: 2 });
    const first = drain.add('alpha event one');
    drain.add('beta event two words');
    drain.add('alpha event one'); // refreshes cluster 1
    drain.add('gamma event three words here');
    expect(drain.clusters().map((c) => c.clusterId)).toEqual([first.clusterId, 3]);
    expect(drain.toJSON().tree.children!.map(([key]) => key)).toEqual(['3', '5']);
    expect(drain.stats()).toEqual({ clusters: 2, evicted: 1, nodes: 5 });
  });

  it('takes empty lines, a 1 MB line, unicode, control characters and odd tokens without throwing', () => {
    const drain = new Drain();
    const hostile = [
      '',
      '   \t  ',
      'x'.repeat(1 << 20),
      'ERROR '.repeat(200_000),
      `${'a'.repeat(2047)}😀tail`,
      'ошибка: соединение с 10.0.0.1 потеряно 🔥 連線逾時 خطأ',
      'e\u0301\u0301\u0301 zero\u200bwidth \ufeffbom \ud800 lone surrogate',
      '\x00\x01\x02\x1b[2J\x1b]0;title\x07\x7f\x9b',
      '__proto__ constructor prototype toString hasOwnProperty',
      '<*> <*> <NUM> <> < > <<*>>',
      '"unterminated quote and \'another',
      Array.from({ length: 5_000 }, (_, i) => `t${i % 10}z`).join(' '),
    ];
    for (const line of hostile) {
      const added = drain.add(line);
      expect(added.template.length).toBeLessThanOrEqual(2048);
      expect(drain.match(line)?.clusterId).toBe(added.clusterId);
    }
    expect(drain.add('').template).toBe('');
    expect(drain.tokens('ERROR '.repeat(200_000))).toHaveLength(128);
    expect(drain.tokens(`${'a'.repeat(2047)}😀tail`)).toEqual(['a'.repeat(2047)]);
    expect(() => Drain.fromJSON(JSON.parse(JSON.stringify(drain.toJSON())))).not.toThrow();
  });

  it('masks a 1 MB line in bounded time (the line is cut first)', () => {
    const drain = new Drain();
    const start = performance.now();
    for (let i = 0; i < 20; i++) drain.add(`"${'1.2.3.4 '.repeat(131_072)}`);
    expect(performance.now() - start).toBeLessThan(2_000);
  });

  it('rejects invalid settings with the reason', () => {
    expect(() => new Drain({ depth: 2 })).toThrow(/depth must be an integer 3-16, found 2/);
    expect(() => new Drain({ similarityThreshold: 1.5 })).toThrow(/similarityThreshold must be a number 0-1/);
    expect(() => new Drain({ maxClusters: 0 })).toThrow(/maxClusters/);
    expect(() => new Drain({ masks: [{ name: 'bad name', pattern: 'x' }] })).toThrow(/mask 0: name must be/);
    expect(() => new Drain({ masks: [{ name: 'E', pattern: 'a*' }] })).toThrow(/matches the empty string/);
    expect(() => new Drain({ masks: [{ name: 'P', pattern: '(' }] })).toThrow(/mask 0 \(P\)/);
  });
});

describe('JSON state', () => {
  /** A corpus with every event, some variation and evictions (maxClusters 5 < 7 events). */
  const corpus = [...Object.values(EVENTS).flat(), 'session opened for user alice by sshd', 'session opened for user bob by cron', 'node7 joined the ring'];

  it('round-trips exactly through JSON and then matches and learns identically', () => {
    const original = new Drain({ maxClusters: 5, depth: 5, masks: defaultMasks({ paths: true }) });
    addAll(original, corpus);
    const state = original.toJSON();
    const restored = Drain.fromJSON(JSON.parse(JSON.stringify(state)));
    expect(restored.toJSON()).toEqual(state);
    expect(restored.options).toEqual(original.options);
    expect(restored.stats()).toEqual(original.stats());
    const probes = [...corpus].reverse().concat('brand new line of text', 'session opened for user dave by sshd', '');
    for (const line of probes) expect(restored.match(line)).toEqual(original.match(line));
    for (const line of probes) expect(restored.add(line)).toEqual(original.add(line));
    expect(restored.toJSON()).toEqual(original.toJSON());
  });

  it('rejects malformed or inconsistent state, saying what is wrong', () => {
    const drain = new Drain();
    addAll(drain, corpus);
    const good = (): DrainState & Record<string, unknown> => JSON.parse(JSON.stringify(drain.toJSON()));
    expect(() => Drain.fromJSON(null)).toThrow('Drain state: expected an object');
    expect(() => Drain.fromJSON({ ...good(), version: 2 })).toThrow(/version must be 1/);
    expect(() => Drain.fromJSON({ ...good(), options: { ...good().options, depth: 1 } })).toThrow(/Drain state: Drain option depth/);
    expect(() => Drain.fromJSON({ ...good(), clusters: good().clusters.slice(1) })).toThrow(/names cluster 1, which is not in clusters/);
    expect(() => Drain.fromJSON({ ...good(), clusters: [...good().clusters, { id: 99, template: ['x'], size: 1 }], nextId: 100 })).toThrow(/cluster 99 is in no leaf/);
    expect(() => Drain.fromJSON({ ...good(), nextId: 1 })).toThrow(/is not below nextId 1/);
    expect(() => Drain.fromJSON({ ...good(), tree: { children: [['3', { children: 'x' }]] } })).toThrow(/children must be a list/);
    const wrongToken = good();
    const session = wrongToken.clusters.find((c) => c.template[0] === 'session')!;
    (session.template as string[])[0] = 'something-else';
    expect(() => Drain.fromJSON(wrongToken)).toThrow(`cluster ${session.id} sits under "session" but its token 0 is "something-else"`);
  });
});

describe('NewPatternDetector', () => {
  const baseline = () => {
    const drain = new Drain();
    for (const lines of Object.values(EVENTS)) addAll(drain, lines);
    return drain;
  };
  const diskFull = (n: number) =>
    Array.from({ length: n }, (_, i) => `2024-02-01T08:00:0${i}.000Z ERROR [main] c.e.Storage - could not write segment ${1000 + i} to volume pvc-${i}a7: No space left on device`);
  const known = [
    '2024-02-01T08:00:00.000Z ERROR [http-nio-8080-exec-9] c.e.OrderService - Order 99999999-2222-3333-4444-555555555555 failed: java.net.SocketTimeoutException: Read timed out after 45s',
    '2024-02-01 08:00:00.001 UTC [5] FATAL:  password authentication failed for user "postgres"',
    '2024/02/01 08:00:00 [error] 40#40: *7 connect() failed (111: Connection refused) while connecting to upstream, client: 10.9.9.9, server: api.local, request: "GET / HTTP/1.1", upstream: "http://10.0.1.9:8080/", host: "api.local"',
  ];

  it('flags a new error template only once it has k hits in the window, with its first line as example', () => {
    const detector = new NewPatternDetector(baseline());
    expect(detector.minHits).toBe(3);
    expect(detector.detect([...known, ...diskFull(2)])).toEqual([]);
    expect(detector.detect([...known, ...diskFull(3), ...known])).toEqual([
      {
        template: '<TS> ERROR [main] c.e.Storage - could not write segment <NUM> to volume <*> No space left on device',
        hits: 3,
        example: diskFull(1)[0],
      },
    ]);
  });

  it('never flags known templates, however many hits they have, and leaves the baseline unchanged', () => {
    const drain = baseline();
    const before = JSON.stringify(drain.toJSON());
    const detector = new NewPatternDetector(drain, { minHits: 1 });
    expect(detector.detect(Array.from({ length: 50 }, (_, i) => known[i % known.length]!))).toEqual([]);
    expect(JSON.stringify(drain.toJSON())).toBe(before);
  });

  it('observe() teaches the baseline the window, so a pattern is new only once', () => {
    const detector = new NewPatternDetector(baseline());
    expect(detector.observe(diskFull(4))).toHaveLength(1);
    expect(detector.observe(diskFull(5))).toEqual([]);
  });

  it('orders patterns by hits and reports at most maxPatterns', () => {
    const detector = new NewPatternDetector(baseline(), { minHits: 2, maxPatterns: 2 });
    const tls = (n: number) => Array.from({ length: n }, (_, i) => `TLS handshake with 10.1.2.${i} failed: certificate has expired`);
    const dns = (n: number) => Array.from({ length: n }, (_, i) => `lookup redis-${i}.svc on 10.96.0.10:53: no such host`);
    const patterns = detector.detect([...tls(2), ...dns(4), ...diskFull(3), 'one-off line that stays alone']);
    expect(patterns.map((p) => [p.hits, p.template])).toEqual([
      [4, 'lookup redis-<NUM>.svc on <IP>:<NUM>: no such host'],
      [3, '<TS> ERROR [main] c.e.Storage - could not write segment <NUM> to volume <*> No space left on device'],
    ]);
  });

  it('rejects a minHits below 1', () => {
    expect(() => new NewPatternDetector(new Drain(), { minHits: 0 })).toThrow(/minHits must be an integer ≥ 1, found 0/);
  });
});
