import { startRabbitMqServer, startRedisServer } from '@girder-worker/test-helpers';

/**
 * Starts one private redis-server and one private RabbitMQ node on loopback ports for the whole
 * test run (their URLs go to the test files through GW_TEST_REDIS_URL / GW_TEST_AMQP_URL) and
 * stops them at the end.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const [redis, rabbitmq] = await Promise.all([startRedisServer(), startRabbitMqServer()]);
  process.env.GW_TEST_REDIS_URL = redis.url;
  process.env.GW_TEST_AMQP_URL = rabbitmq.url;
  return async () => {
    await Promise.all([redis.stop(), rabbitmq.stop()]);
  };
}
