// @ts-check
/**
 * The parts `npm start` runs (scripts/platform.js), and the environment each gets. Each part's own
 * config schema (its built `dist/config.js`) says where it will listen, so its defaults are stated
 * once, in packages/kit/src/config/shared.ts.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/**
 * What every part gets unless the environment says otherwise. Ports and addresses are not here: the
 * parts' own defaults (packages/kit/src/config/shared.ts) are what this script runs.
 */
const DEFAULT_ENV = Object.freeze({
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
  /** Admins are configured e-mail addresses; this one signs in as admin in development. */
  AUTH_ADMIN_EMAILS: 'admin@fcfs.local',
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
});

/** Per part, so never taken from the shared environment: `AUTH_GRPC_PORT` etc. move one part. */
const PER_PART_KEYS = ['GRPC_HOST', 'GRPC_PORT', 'METRICS_PORT'];

/** @param {string} host */
function hostForUrl(host) {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** @typedef {{ host: string, port: number }} Listener */
/** @typedef {{ grpc?: Listener, metrics?: Listener, http?: Listener }} PartConfig what this script reads of a part's config */
/**
 * Each part's process: `dir` holds its built `config.js` (its own schema, read here as the part reads
 * it), `own` what it gets apart from the shared environment (GRPC_HOST / GRPC_PORT / METRICS_PORT are
 * per part, so they are never taken from the shared environment).
 * @typedef {{ name: 'auth' | 'event' | 'issuer' | 'bff', dir: string, own: Record<string, string> }} Part
 */
/** Services on this machine listen on loopback only. */
const LOCAL = { GRPC_HOST: '127.0.0.1' };
/** @type {Part[]} */
const PARTS = [
  { name: 'auth', dir: 'services/auth', own: LOCAL },
  { name: 'event', dir: 'services/event', own: LOCAL },
  { name: 'issuer', dir: 'services/issuer', own: LOCAL },
  { name: 'bff', dir: 'bff', own: {} },
];
/** @param {Part} part */
const mainOf = (part) => `${part.dir}/dist/main.js`;

function assertBuilt() {
  for (const part of PARTS) {
    if (!fs.existsSync(path.join(ROOT, mainOf(part)))) throw new Error(`${mainOf(part)} is missing: run \`npm run build\` first`);
  }
}

/**
 * The part's configuration as the part itself will read it from `env`; its problems, before it starts.
 * @param {Part} part
 * @param {Record<string, string>} env
 * @returns {PartConfig}
 */
function configOf(part, env) {
  const { configSchema } = require(path.join(ROOT, part.dir, 'dist/config.js'));
  const { describeProblems } = require(path.join(ROOT, 'packages/kit/dist/config/load.js'));
  const result = configSchema.safeParse(env);
  if (!result.success) throw new Error(`${part.name}: ${describeProblems(result.error.issues)}`);
  return result.data;
}

/**
 * The ports the part will hold, and the HTTP server that answers /readyz (the BFF's also serves /graphql).
 * @param {PartConfig} config
 * @returns {{ http: string, ports: [string, Listener][] }}
 */
function listenersOf(config) {
  if (config.http) {
    return { http: `http://${hostForUrl(config.http.host)}:${config.http.port}`, ports: [['HTTP', config.http]] };
  }
  const metrics = /** @type {Listener} */ (config.metrics);
  return {
    http: `http://127.0.0.1:${metrics.port}`,
    ports: [
      ['gRPC', /** @type {Listener} */ (config.grpc)],
      ['metrics', metrics],
    ],
  };
}

/**
 * The environment every part shares, and each part's own with where it will listen, as its config reads
 * that environment. A service moved off its default port (AUTH_GRPC_PORT=..., or `parts.auth.GRPC_PORT`)
 * is found there by the others, unless the caller gave its address.
 * @param {Record<string, string>} given  the infrastructure's and the caller's settings
 * @param {Record<string, string>} overrides  the caller's alone
 * @param {Partial<Record<Part['name'], Record<string, string>>>} partOverrides
 */
function configureParts(given, overrides, partOverrides) {
  /** @type {Record<string, string>} */
  const shared = {};
  for (const [key, value] of Object.entries({ ...DEFAULT_ENV, ...process.env, ...given })) {
    if (value !== undefined && !PER_PART_KEYS.includes(key)) shared[key] = String(value);
  }
  const { DEFAULT_PORTS } = require(path.join(ROOT, 'packages/kit/dist/config/shared.js'));
  /** @param {Part} part @returns {Record<string, string>} */
  const envOf = (part) => {
    /** @type {Record<string, string>} */
    const own = { ...part.own };
    for (const key of PER_PART_KEYS) {
      const specific = process.env[`${part.name.toUpperCase()}_${key}`];
      if (specific) own[key] = specific;
    }
    return { ...shared, ...own, ...(partOverrides[part.name] ?? {}) };
  };
  for (const part of PARTS.filter((p) => p.name !== 'bff')) {
    const key = `${part.name.toUpperCase()}_ADDRESS`;
    const port = configOf(part, envOf(part)).grpc?.port;
    if (overrides[key] === undefined && port !== DEFAULT_PORTS[part.name].grpc) shared[key] = `127.0.0.1:${port}`;
  }
  const configured = PARTS.map((part) => {
    const env = envOf(part);
    return { part, env, ...listenersOf(configOf(part, env)) };
  });
  return { shared, configured };
}

module.exports = { DEFAULT_ENV, PARTS, assertBuilt, configureParts, hostForUrl, mainOf };
