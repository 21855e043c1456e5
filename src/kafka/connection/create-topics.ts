import type { Admin, ITopicConfig } from 'kafkajs';

/** How long {@link createTopicsWithLeaders} waits for every new partition to have a leader. */
const LEADER_WAIT_MS = 30_000;
const LEADER_POLL_MS = 100;

/**
 * Creates topics (those that exist are left as they are) and waits until every partition of each
 * has a leader, so the first produce or fetch finds it.
 *
 * kafkajs' own `waitForLeaders` gives up with "This server does not host this topic-partition"
 * when the broker does not know a topic it just created, which a busy KRaft broker reports for a
 * moment: here metadata is polled until the leaders are there, for at most 30 s.
 * @param admin a connected kafkajs admin client.
 * @param topics the topics, as `admin.createTopics` takes them.
 * @returns whether any topic was created.
 * @throws Error naming the topic when its partitions have no leaders after 30 s.
 * @example await createTopicsWithLeaders(admin, [{ topic: 'clicks', numPartitions: 3 }])
 */
export async function createTopicsWithLeaders(admin: Admin, topics: ITopicConfig[]): Promise<boolean> {
  const created = await admin.createTopics({ topics, waitForLeaders: false });
  const deadline = Date.now() + LEADER_WAIT_MS;
  for (const { topic, numPartitions } of topics) {
    for (;;) {
      const ready = await admin.fetchTopicMetadata({ topics: [topic] }).then(
        ({ topics: [meta] }) =>
          meta !== undefined &&
          meta.partitions.length > 0 &&
          (numPartitions === undefined || numPartitions < 0 || meta.partitions.length >= numPartitions) &&
          meta.partitions.every((p) => p.leader >= 0),
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline)
        throw new Error(`topic ${topic}: its partitions have no leader ${LEADER_WAIT_MS / 1000} s after it was created`);
      await new Promise((resolve) => setTimeout(resolve, LEADER_POLL_MS));
    }
  }
  return created;
}
