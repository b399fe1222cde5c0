// A private broker is up only when it is the one answering: another test's private broker that took the same
// port first must not be mistaken for it (its clients would then talk to the other test's broker, and a SIGSTOP
// or kill of "its" process would stop nothing).
const infra = require('./infra.js') as {
  startPrivateKafka(opts?: { quiet?: boolean; port?: number }): Promise<PrivateKafka>;
  stopPrivateKafka(handle: PrivateKafka): Promise<void>;
};
interface PrivateKafka {
  brokers: string[];
  port: number;
}

jest.setTimeout(180_000);

it("refuses to call a private broker up when another broker holds its port, rather than take the other's answer", async () => {
  const first = await infra.startPrivateKafka({ quiet: true });
  try {
    await expect(infra.startPrivateKafka({ quiet: true, port: first.port })).rejects.toThrow(
      /stopped during start-up|did not answer/,
    );
  } finally {
    await infra.stopPrivateKafka(first);
  }
});
