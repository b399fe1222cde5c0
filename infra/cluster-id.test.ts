// The broker's storage is formatted with a fresh cluster id; one that starts with '-' was
// read by Kafka's argument parser as an option and failed the format (1 run in 64).
import { newKafkaClusterId } from './infra';

describe('newKafkaClusterId', () => {
  it('is 22 base64url characters and never starts with "-"', () => {
    const ids = Array.from({ length: 5000 }, () => newKafkaClusterId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    // 5000 draws of 128 random bits: all distinct, and '-' still appears inside ids.
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.some((id) => id.includes('-'))).toBe(true);
  });
});
