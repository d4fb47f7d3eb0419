import { compileMasks, DEFAULT_MASKS, masksToJson, tokenize, type CompiledMask, type MaskRule, type MaskRuleJson } from './log-masks.js';

/**
 * Drain: online log template mining with a fixed-depth prefix tree (He, Zhu, Zheng, Lyu, "Drain:
 * An Online Log Parsing Approach with Fixed Depth Tree", ICWS 2017), as maintained in logpai/Drain3
 * (bounded clusters with LRU eviction). Pure: no I/O, no clock, no randomness.
 *
 * A line is masked and tokenised (log-masks.ts), then routed: root → a node per token count → one
 * node per leading token (`depth - 3` of them, never the line's last token; a token with a digit, a
 * mask token, or a token that does not fit under a full node goes to the `<*>` child) → a leaf
 * holding clusters. Among the leaf's clusters the most similar template wins (share of positions
 * where the template's token equals the line's; `<*>` does not count; ties: more `<*>`, then the
 * older cluster); at or above `similarityThreshold` the line joins it and every position that
 * differs becomes `<*>`; otherwise it starts a new cluster.
 *
 * `depth` counts levels as Drain3 and logpai's logparser do, so that their published settings carry
 * over: depth 4 routes on one leading token. The paper's depth is one less for the same tree (its
 * depth 3 routes on one leading token, as our 4 does).
 *
 * Memory is bounded on hostile input: lines are cut at `maxLineLength`, tokens at `maxTokens`, and
 * at most `maxClusters` clusters are kept; the least recently matched is evicted and the tree
 * nodes only it used are removed, so the tree holds at most 1 + `maxClusters` × (depth − 2) nodes.
 */

/** The wildcard of templates. */
export const WILDCARD = '<*>';

/** Settings of a {@link Drain}; every one is optional. */
export interface DrainOptions {
  /** Tree depth, Drain3's convention (leading tokens routed = depth - 3); 3-16. Default 4. */
  readonly depth?: number;
  /** Share of equal tokens (0-1) a line needs to join a cluster. Default 0.4. */
  readonly similarityThreshold?: number;
  /** Children per tree node before further tokens share the `<*>` child; at least 2. Default 100. */
  readonly maxChildren?: number;
  /** Clusters kept; the least recently used is evicted beyond. Default 1000. */
  readonly maxClusters?: number;
  /** Characters of a line kept (longer lines are cut). Default 2048. */
  readonly maxLineLength?: number;
  /** Tokens of a line kept (more are dropped). Default 128. */
  readonly maxTokens?: number;
  /** Masks applied in order before tokenising. Default {@link DEFAULT_MASKS} (no paths; see `defaultMasks({ paths: true })`). */
  readonly masks?: readonly (MaskRule | MaskRuleJson)[];
}

/** Settings with every default applied (fields as in {@link DrainOptions}), masks in their JSON form. */
export interface ResolvedDrainOptions {
  readonly depth: number;
  readonly similarityThreshold: number;
  readonly maxChildren: number;
  readonly maxClusters: number;
  readonly maxLineLength: number;
  readonly maxTokens: number;
  readonly masks: readonly MaskRuleJson[];
}

/** What {@link Drain.add} did with a line. */
export interface AddResult {
  /** The cluster's id: positive, never reused. */
  readonly clusterId: number;
  /** The cluster's template after the line, tokens joined by one space. */
  readonly template: string;
  /** True when the line started a new cluster. */
  readonly isNew: boolean;
  /** Lines the cluster has taken, this one included. */
  readonly size: number;
}

/** The cluster a line belongs to, found without learning. */
export interface MatchResult {
  /** The cluster's id. */
  readonly clusterId: number;
  /** Its template, unchanged by the match. */
  readonly template: string;
  /** Lines it has taken (the matched line not counted). */
  readonly size: number;
  /** Share of the template's tokens equal to the line's (0-1). */
  readonly similarity: number;
}

/** A cluster as {@link Drain.clusters} lists it. */
export interface ClusterInfo {
  /** Positive, never reused. */
  readonly clusterId: number;
  /** Tokens joined by one space; `<*>` where the lines differ, `<NAME>` where a mask applied. */
  readonly template: string;
  /** Lines taken. */
  readonly size: number;
}

/** Drain's state as JSON ({@link Drain.toJSON}): plain data, round-trips exactly through JSON.stringify/parse. */
export interface DrainState {
  readonly version: 1;
  readonly options: ResolvedDrainOptions;
  /** The id the next new cluster gets. */
  readonly nextId: number;
  /** Clusters evicted so far. */
  readonly evicted: number;
  /** Clusters, least recently used first. */
  readonly clusters: readonly { readonly id: number; readonly template: readonly string[]; readonly size: number }[];
  /** The prefix tree. */
  readonly tree: NodeState;
}

/** A tree node in {@link DrainState}: children as [key, node] pairs in insertion order, or cluster ids at a leaf. */
export interface NodeState {
  readonly children?: readonly (readonly [string, NodeState])[];
  readonly clusterIds?: readonly number[];
}

interface TreeNode {
  readonly children: Map<string, TreeNode>;
  clusterIds: number[];
}

interface Cluster {
  readonly id: number;
  tokens: string[];
  template: string;
  size: number;
  /** The keys from the root to the cluster's leaf (token count first). */
  readonly path: readonly string[];
}

const DEFAULTS = {
  depth: 4,
  similarityThreshold: 0.4,
  maxChildren: 100,
  maxClusters: 1000,
  maxLineLength: 2048,
  maxTokens: 128,
} as const;

const newNode = (): TreeNode => ({ children: new Map(), clusterIds: [] });

/** A token that stands for a value: contains a digit (the paper's rule), is a mask token or the wildcard. */
function isVariable(token: string): boolean {
  if (token.length > 2 && token.charCodeAt(0) === 60 /* < */ && token.charCodeAt(token.length - 1) === 62 /* > */ && /^<[A-Za-z0-9_*]+>$/.test(token)) {
    return true;
  }
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`Drain option ${name} must be an integer ${min}-${max}, found ${String(value)}`);
  }
  return value;
}

function resolveOptions(opts: DrainOptions): { resolved: ResolvedDrainOptions; masks: CompiledMask[] } {
  const similarityThreshold = opts.similarityThreshold ?? DEFAULTS.similarityThreshold;
  if (typeof similarityThreshold !== 'number' || !(similarityThreshold >= 0 && similarityThreshold <= 1)) {
    throw new RangeError(`Drain option similarityThreshold must be a number 0-1, found ${String(similarityThreshold)}`);
  }
  const masks = compileMasks(opts.masks ?? DEFAULT_MASKS);
  const resolved: ResolvedDrainOptions = {
    depth: checkInt('depth', opts.depth ?? DEFAULTS.depth, 3, 16),
    similarityThreshold,
    maxChildren: checkInt('maxChildren', opts.maxChildren ?? DEFAULTS.maxChildren, 2, 100_000),
    maxClusters: checkInt('maxClusters', opts.maxClusters ?? DEFAULTS.maxClusters, 1, 10_000_000),
    maxLineLength: checkInt('maxLineLength', opts.maxLineLength ?? DEFAULTS.maxLineLength, 16, 1 << 20),
    maxTokens: checkInt('maxTokens', opts.maxTokens ?? DEFAULTS.maxTokens, 1, 10_000),
    masks: masksToJson(masks),
  };
  return { resolved, masks };
}

/** A log template miner; see the module comment. */
export class Drain {
  /** The settings in use, defaults applied. */
  readonly options: ResolvedDrainOptions;
  private readonly masks: readonly CompiledMask[];
  private readonly root: TreeNode = newNode();
  /** Clusters by id, least recently used first (a Map keeps insertion order; a use re-inserts). */
  private readonly byId = new Map<number, Cluster>();
  private nextId = 1;
  private evictedCount = 0;

  /** A Drain with no clusters; see {@link DrainOptions} for the defaults. Throws on an invalid option. */
  constructor(opts: DrainOptions = {}) {
    const { resolved, masks } = resolveOptions(opts);
    this.options = resolved;
    this.masks = masks;
  }

  /** The line's tokens after truncation and masking, as the tree sees them. */
  tokens(line: string): string[] {
    return tokenize(line, this.masks, this.options);
  }

  /** Learns a line: joins the most similar cluster (its template generalised) or starts a new one. */
  add(line: string): AddResult {
    const tokens = this.tokens(line);
    const found = this.search(tokens);
    if (found) {
      const cluster = found.cluster;
      let changed = false;
      for (let i = 0; i < tokens.length; i++) {
        if (cluster.tokens[i] !== tokens[i] && cluster.tokens[i] !== WILDCARD) {
          cluster.tokens[i] = WILDCARD;
          changed = true;
        }
      }
      if (changed) cluster.template = cluster.tokens.join(' ');
      cluster.size += 1;
      this.touch(cluster);
      return { clusterId: cluster.id, template: cluster.template, isNew: false, size: cluster.size };
    }
    if (this.byId.size >= this.options.maxClusters) this.evictLeastRecent();
    const cluster = this.insert(tokens);
    return { clusterId: cluster.id, template: cluster.template, isNew: true, size: 1 };
  }

  /** The cluster `add` would put the line in, without changing anything (no learning, no LRU use); undefined when it would start a new one. */
  match(line: string): MatchResult | undefined {
    const found = this.search(this.tokens(line));
    if (!found) return undefined;
    const { cluster, similarity } = found;
    return { clusterId: cluster.id, template: cluster.template, size: cluster.size, similarity };
  }

  /** Every cluster, by id (oldest first). */
  clusters(): ClusterInfo[] {
    return [...this.byId.values()]
      .sort((a, b) => a.id - b.id)
      .map((c) => ({ clusterId: c.id, template: c.template, size: c.size }));
  }

  /** Counts for metrics and tests: clusters kept, clusters evicted so far, tree nodes (root included). */
  stats(): { clusters: number; evicted: number; nodes: number } {
    let nodes = 0;
    const visit = (node: TreeNode): void => {
      nodes += 1;
      for (const child of node.children.values()) visit(child);
    };
    visit(this.root);
    return { clusters: this.byId.size, evicted: this.evictedCount, nodes };
  }

  /** The whole state as plain JSON data; {@link Drain.fromJSON} restores it exactly. */
  toJSON(): DrainState {
    const nodeState = (node: TreeNode): NodeState =>
      node.children.size > 0
        ? { children: [...node.children].map(([key, child]) => [key, nodeState(child)] as const) }
        : { clusterIds: [...node.clusterIds] };
    return {
      version: 1,
      options: { ...this.options, masks: this.options.masks.map((m) => ({ ...m })) },
      nextId: this.nextId,
      evicted: this.evictedCount,
      clusters: [...this.byId.values()].map((c) => ({ id: c.id, template: [...c.tokens], size: c.size })),
      tree: nodeState(this.root),
    };
  }

  /** A Drain from {@link Drain.toJSON}'s data (parsed JSON). Throws an Error that says what is wrong on malformed or inconsistent state. */
  static fromJSON(state: unknown): Drain {
    let drain: Drain;
    try {
      drain = new Drain(optionsOf(state));
    } catch (e) {
      throw new Error(`Drain state: ${(e as Error).message.replace(/^Drain state: /, '')}`);
    }
    const checked = checkState(state as Record<string, unknown>, drain.options);
    drain.nextId = checked.nextId;
    drain.evictedCount = checked.evicted;
    for (const [key, child] of checked.tree.children) drain.root.children.set(key, child);
    for (const cluster of checked.clusters) drain.byId.set(cluster.id, cluster);
    return drain;
  }

  /** Number of leading tokens a line of `n` tokens is routed on. */
  private prefixLength(n: number): number {
    return Math.max(0, Math.min(this.options.depth - 3, n - 1));
  }

  private search(tokens: readonly string[]): { cluster: Cluster; similarity: number } | undefined {
    let node = this.root.children.get(String(tokens.length));
    const prefix = this.prefixLength(tokens.length);
    for (let i = 0; node && i < prefix; i++) {
      node = node.children.get(tokens[i]!) ?? node.children.get(WILDCARD);
    }
    if (!node) return undefined;
    let best: Cluster | undefined;
    let bestSimilarity = -1;
    let bestWildcards = -1;
    for (const id of node.clusterIds) {
      const cluster = this.byId.get(id)!;
      let same = 0;
      let wildcards = 0;
      for (let i = 0; i < tokens.length; i++) {
        const t = cluster.tokens[i];
        if (t === WILDCARD) wildcards += 1;
        else if (t === tokens[i]) same += 1;
      }
      const similarity = tokens.length === 0 ? 1 : same / tokens.length;
      if (similarity > bestSimilarity || (similarity === bestSimilarity && wildcards > bestWildcards)) {
        best = cluster;
        bestSimilarity = similarity;
        bestWildcards = wildcards;
      }
    }
    return best && bestSimilarity >= this.options.similarityThreshold ? { cluster: best, similarity: bestSimilarity } : undefined;
  }

  /** A new cluster for `tokens`, with its path through the tree (created where missing). */
  private insert(tokens: string[]): Cluster {
    const lengthKey = String(tokens.length);
    const path = [lengthKey];
    let node = this.root.children.get(lengthKey);
    if (!node) {
      node = newNode();
      this.root.children.set(lengthKey, node);
    }
    const prefix = this.prefixLength(tokens.length);
    for (let i = 0; i < prefix; i++) {
      const key = this.childKey(node, tokens[i]!);
      let child = node.children.get(key);
      if (!child) {
        child = newNode();
        node.children.set(key, child);
      }
      path.push(key);
      node = child;
    }
    const cluster: Cluster = { id: this.nextId, tokens: [...tokens], template: tokens.join(' '), size: 1, path };
    this.nextId += 1;
    node.clusterIds.push(cluster.id);
    this.byId.set(cluster.id, cluster);
    return cluster;
  }

  /** The child a token goes to when a cluster is inserted: its own while the node has room (one place kept for `<*>`), else `<*>`. */
  private childKey(node: TreeNode, token: string): string {
    if (isVariable(token)) return WILDCARD;
    if (node.children.has(token)) return token;
    const room = this.options.maxChildren - (node.children.has(WILDCARD) ? 0 : 1);
    return node.children.size < room ? token : WILDCARD;
  }

  private touch(cluster: Cluster): void {
    this.byId.delete(cluster.id);
    this.byId.set(cluster.id, cluster);
  }

  /** Drops the least recently used cluster and the tree nodes left empty. */
  private evictLeastRecent(): void {
    const oldest = this.byId.values().next();
    if (oldest.done) return;
    const cluster = oldest.value;
    this.byId.delete(cluster.id);
    this.evictedCount += 1;
    const nodes: TreeNode[] = [this.root];
    for (const key of cluster.path) nodes.push(nodes[nodes.length - 1]!.children.get(key)!);
    const leaf = nodes[nodes.length - 1]!;
    leaf.clusterIds = leaf.clusterIds.filter((id) => id !== cluster.id);
    for (let i = nodes.length - 1; i > 0; i--) {
      const node = nodes[i]!;
      if (node.children.size > 0 || node.clusterIds.length > 0) break;
      nodes[i - 1]!.children.delete(cluster.path[i - 1]!);
    }
  }
}

const stateError = (what: string): never => {
  throw new Error(`Drain state: ${what}`);
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The options of state written by {@link Drain.toJSON} (the Drain constructor checks their values). */
function optionsOf(state: unknown): DrainOptions {
  if (!isObject(state)) return stateError('expected an object');
  if (state.version !== 1) return stateError(`version must be 1, found ${JSON.stringify(state.version)}`);
  if (!isObject(state.options)) return stateError('options must be an object');
  const masks = state.options.masks;
  if (!Array.isArray(masks) || !masks.every((m) => isObject(m) && typeof m.name === 'string' && typeof m.pattern === 'string' && typeof m.flags === 'string')) {
    return stateError('options.masks must be a list of { name, pattern, flags } strings');
  }
  return { ...(state.options as DrainOptions), masks: masks as MaskRuleJson[] };
}

/** The clusters and tree of state written by {@link Drain.toJSON}, every field checked and the tree checked against the clusters. */
function checkState(state: Record<string, unknown>, opts: ResolvedDrainOptions): { nextId: number; evicted: number; clusters: Cluster[]; tree: TreeNode } {
  const fail = stateError;
  const int = (v: unknown, what: string, min = 0): number =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? v : fail(`${what} must be an integer ≥ ${min}, found ${JSON.stringify(v)}`);

  const nextId = int(state.nextId, 'nextId', 1);
  const evicted = int(state.evicted, 'evicted');
  if (!Array.isArray(state.clusters)) return fail('clusters must be a list');
  if (state.clusters.length > opts.maxClusters) return fail(`${state.clusters.length} clusters, more than maxClusters ${opts.maxClusters}`);

  const clusters = new Map<number, { id: number; tokens: string[]; size: number }>();
  state.clusters.forEach((c: unknown, i) => {
    if (!isObject(c)) return fail(`clusters.${i} must be an object`);
    const id = int(c.id, `clusters.${i}.id`, 1);
    if (id >= nextId) fail(`clusters.${i}.id ${id} is not below nextId ${nextId}`);
    if (clusters.has(id)) fail(`cluster id ${id} appears twice`);
    const template = c.template;
    if (!Array.isArray(template) || template.length > opts.maxTokens || !template.every((t) => typeof t === 'string' && t !== '' && !/\s/.test(t))) {
      return fail(`clusters.${i}.template must be a list of at most ${opts.maxTokens} tokens without spaces`);
    }
    clusters.set(id, { id, tokens: [...(template as string[])], size: int(c.size, `clusters.${i}.size`, 1) });
  });

  const placed = new Map<number, Cluster>();
  const node = (n: unknown, path: string[]): TreeNode => {
    const where = path.length === 0 ? 'tree' : `tree node ${JSON.stringify(path)}`;
    if (!isObject(n)) return fail(`${where} must be an object`);
    const result = newNode();
    const leafDepth = path.length === 0 ? -1 : 1 + Math.max(0, Math.min(opts.depth - 3, Number(path[0]) - 1));
    if (path.length === leafDepth) {
      if (n.children !== undefined) return fail(`${where} is a leaf and cannot have children`);
      const ids = n.clusterIds ?? [];
      if (!Array.isArray(ids)) return fail(`${where}.clusterIds must be a list`);
      for (const raw of ids) {
        const id = int(raw, `${where}.clusterIds`, 1);
        const c = clusters.get(id) ?? fail(`${where} names cluster ${id}, which is not in clusters`);
        if (placed.has(id)) fail(`cluster ${id} is in two leaves`);
        if (String(c.tokens.length) !== path[0]) fail(`cluster ${id} has ${c.tokens.length} tokens but sits under length ${path[0]}`);
        path.slice(1).forEach((key, i) => {
          if (key !== WILDCARD && key !== c.tokens[i]) fail(`cluster ${id} sits under ${JSON.stringify(key)} but its token ${i} is ${JSON.stringify(c.tokens[i])}`);
        });
        const cluster: Cluster = { ...c, template: c.tokens.join(' '), path: [...path] };
        placed.set(id, cluster);
        result.clusterIds.push(id);
      }
      return result;
    }
    if (n.clusterIds !== undefined && !(Array.isArray(n.clusterIds) && n.clusterIds.length === 0)) return fail(`${where} is not a leaf and cannot hold clusters`);
    const children = n.children ?? [];
    if (!Array.isArray(children)) return fail(`${where}.children must be a list`);
    const limit = path.length === 0 ? opts.maxTokens + 1 : opts.maxChildren;
    if (children.length > limit) return fail(`${where} has ${children.length} children, more than ${limit}`);
    for (const entry of children) {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') return fail(`${where}.children must be [key, node] pairs`);
      const key = entry[0];
      if (path.length === 0 && !(/^(0|[1-9]\d*)$/.test(key) && Number(key) <= opts.maxTokens)) return fail(`token count key ${JSON.stringify(key)} is not 0-${opts.maxTokens}`);
      if (result.children.has(key)) return fail(`${where} has the key ${JSON.stringify(key)} twice`);
      result.children.set(key, node(entry[1], [...path, key]));
    }
    return result;
  };
  const tree = node(state.tree, []);
  for (const id of clusters.keys()) if (!placed.has(id)) fail(`cluster ${id} is in no leaf`);
  return { nextId, evicted, clusters: [...clusters.keys()].map((id) => placed.get(id)!), tree };
}
