import { connect, type Socket } from 'node:net';
import { createKafka } from '@fcfs/kit/kafka';
import type { ISocketFactory } from 'kafkajs';
import { createTestTopics, freePort, testKafka, testLogger, urls } from '../../../../test/support';
import { produceWithRetry, type ProduceHealth } from './produce';
import { createApplicationsProducer } from './producer';

/**
 * The broker dies the way SIGKILL makes it die mid-herd (the chaos matrix's `broker restart`): a produce request
 * reaches it and is appended, the connection is reset before the answer arrives, and every later connection is
 * refused. The real broker (a topic of this test's own) stays up; only this client's sockets see the fault.
 */
function dyingBroker(closedPort: number) {
  let state: 'up' | 'armed' | 'down' = 'up';
  const sockets = new Set<Socket>();
  const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  const die = () => {
    state = 'down';
    for (const s of sockets) s.destroy(reset());
  };
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    if (state === 'down') return connect({ host: '127.0.0.1', port: closedPort }, onConnect);
    const socket = connect({ host, port }, onConnect);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let produceWritten = false;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      const chunk = args[0];
      // A request: int32 size, int16 api key (0: Produce), ...
      if (state === 'armed' && Buffer.isBuffer(chunk) && chunk.length >= 6 && chunk.readInt16BE(4) === 0) produceWritten = true;
      return write(...args);
    }) as typeof socket.write;
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
    socket.emit = ((event: string | symbol, ...args: unknown[]) => {
      // The broker appended the batch and answered (acks=all): the answer is lost with the broker.
      if (event === 'data' && produceWritten) {
        die();
        return true;
      }
      return emit(event, ...args);
    }) as typeof socket.emit;
    return socket;
  };
  return {
    socketFactory,
    arm: () => void (state = 'armed'),
    back: () => void (state = 'up'),
  };
}

const health: ProduceHealth = { attempt: () => undefined, failed: () => undefined, succeeded: () => undefined };
const record = (value: string) => ({ key: 'event-1', value });

describe('the applications producer across a broker that died mid-request (real Kafka)', () => {
  it('replaces the producer after a failed produce, so the next batch is written rather than taken for a duplicate', async () => {
    const { topic } = await createTestTopics(1);
    const broker = dyingBroker(await freePort());
    const logger = testLogger('producer');
    const kafka = createKafka(
      {
        clientId: 'event-dying-broker',
        brokers: urls.kafkaBrokers,
        socketFactory: broker.socketFactory,
        retry: { initialRetryTime: 50, retries: 2, maxRetryTime: 200 },
      },
      logger,
    );
    const producer = createApplicationsProducer(kafka, topic, logger);
    const admin = testKafka().admin();
    await Promise.all([producer.connect(), admin.connect()]);
    const endOffset = async () => Number((await admin.fetchTopicOffsets(topic))[0]?.high);
    try {
      // A batch lands, but its answer never comes and the broker refuses every retry: the gate gives up,
      // judging from the last attempt (refused) that nothing was written.
      broker.arm();
      const first = await produceWithRetry(producer, [record('first')], Date.now() + 1_000, {
        logger,
        health,
        now: Date.now,
      });
      expect(first).toBe('not-sent');
      expect(await endOffset()).toBe(1);

      // The broker is back; the next batch (the same size, so the same sequence numbers) must be written.
      broker.back();
      const second = await produceWithRetry(producer, [record('second')], Date.now() + 20_000, {
        logger,
        health,
        now: Date.now,
      });
      expect(second).toBe('sent');
      expect(await endOffset()).toBe(2);
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 60_000);
});
