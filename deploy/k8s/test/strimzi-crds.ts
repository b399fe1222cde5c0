// The CustomResourceDefinitions of the pinned Strimzi release, generated from Strimzi's own release
// artifacts on Maven Central by the Maven project in strimzi-crds/ (the way Strimzi's build writes
// its install files). Generated once into node_modules/.cache/strimzi-crds (git-ignored, and out of
// prettier's and eslint's way) and reused while the pom is unchanged.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const PROJECT = join(__dirname, 'strimzi-crds');
const POM = join(PROJECT, 'pom.xml');
const CACHE = join(__dirname, '../../../node_modules/.cache/strimzi-crds');
const MARKER = '.complete';

/** The parts of a CustomResourceDefinition the checks read. */
export interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema: { openAPIV3Schema: Record<string, unknown> } }[];
  };
}

const pomKey = (): string => createHash('sha256').update(readFileSync(POM)).digest('hex');

/** The major version of a `java` binary, or undefined when it does not run. */
function javaMajor(java: string): number | undefined {
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const match = /version "(\d+)/.exec(`${result.stderr ?? ''}${result.stdout ?? ''}`);
  return result.status === 0 && match ? Number(match[1]) : undefined;
}

/** Strimzi 1.x's generator is built for Java 21: STRIMZI_CRD_JAVA, JAVA_HOME, PATH, then /usr/lib/jvm. */
function findJava(): string {
  const candidates = [
    process.env['STRIMZI_CRD_JAVA'],
    process.env['JAVA_HOME'] && join(process.env['JAVA_HOME'], 'bin/java'),
    'java',
  ];
  if (existsSync('/usr/lib/jvm')) {
    for (const dir of readdirSync('/usr/lib/jvm').sort().reverse()) candidates.push(join('/usr/lib/jvm', dir, 'bin/java'));
  }
  for (const java of candidates) {
    if (java && (javaMajor(java) ?? 0) >= 21) return java;
  }
  throw new Error(
    'generating the Strimzi CRDs needs Java 21 or newer (the crd-generator is built for it): set STRIMZI_CRD_JAVA or JAVA_HOME, ' +
      'or install one (apt-get install openjdk-21-jdk-headless)',
  );
}

function generate(): void {
  if (spawnSync('mvn', ['--version'], { encoding: 'utf8' }).error) {
    throw new Error('generating the Strimzi CRDs needs Maven (mvn on PATH): apt-get install maven');
  }
  // A directory of its own, renamed into place when complete: parallel test workers never read half a set.
  const tmp = `${CACHE}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const result = spawnSync('mvn', ['-q', '-B', '-f', POM, 'process-resources', `-Dcrd.java=${findJava()}`, `-Dcrd.dir=${tmp}`], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`generating the Strimzi CRDs failed (mvn -f ${POM} process-resources):\n${output || result.error?.message}`);
  }
  writeFileSync(join(tmp, MARKER), `${pomKey()}\n`);
  rmSync(CACHE, { recursive: true, force: true });
  try {
    renameSync(tmp, CACHE);
  } catch (err) {
    // Another worker renamed its identical set into place first.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(CACHE, MARKER))) throw err;
  }
}

let loaded: Map<string, Crd> | undefined;

/** Strimzi's CRDs by kind (Kafka, KafkaNodePool, KafkaTopic, KafkaUser), generating them on first use. */
export function strimziCrds(): Map<string, Crd> {
  if (loaded) return loaded;
  const marker = join(CACHE, MARKER);
  if (!existsSync(marker) || readFileSync(marker, 'utf8').trim() !== pomKey()) generate();
  loaded = new Map();
  for (const file of readdirSync(CACHE).filter((f) => f.endsWith('.yaml'))) {
    const crd = parse(readFileSync(join(CACHE, file), 'utf8')) as Crd;
    loaded.set(crd.spec.names.kind, crd);
  }
  return loaded;
}
