// Types of topics.js for the TypeScript test support.
import type { Admin } from 'kafkajs';

export const TOPIC_APPLICATIONS: 'applications';
export const TOPIC_APPLICATIONS_DLQ: 'applications.dlq';
export const TOPICS: Readonly<{ applications: 'applications'; applicationsDlq: 'applications.dlq' }>;
export function waitForLeaders(admin: Admin, topics: string[], timeoutMs?: number): Promise<void>;
export function ensureTopics(brokers: string[], partitions: number, log: (msg: string) => void): Promise<void>;
