// The integration tests must run on the Kafka that production runs: the local broker's jars
// (infra/kafka/pom.xml, also the Testcontainers image tag) and the Strimzi Kafka resource name
// one version, so a bump of either without the other fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kafkaVersion } from './infra';

describe('the local Kafka version', () => {
  it('is the version deploy/k8s runs (the Strimzi Kafka resource)', () => {
    const file = path.join(__dirname, '..', 'deploy', 'k8s', 'base', 'kafka.yaml');
    const kafka = parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS() as { kind?: string; spec?: { kafka?: { version?: string } } } | null)
      .find((d) => d?.kind === 'Kafka');
    expect(kafka?.spec?.kafka?.version).toMatch(/^4\.\d+\.\d+$/);
    expect(kafkaVersion()).toBe(kafka?.spec?.kafka?.version);
  });
});
