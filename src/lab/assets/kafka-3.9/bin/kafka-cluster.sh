#!/usr/bin/env bash
# Cluster ids, the brokers a cluster knows (list-endpoints, Kafka 4), unregistering a broker.
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.ClusterTool "$@"
