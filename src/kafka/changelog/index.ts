export { kafkaChangelog, KafkaChangelogState, type KafkaChangelogOptions } from './kafka-changelog-state.js';
