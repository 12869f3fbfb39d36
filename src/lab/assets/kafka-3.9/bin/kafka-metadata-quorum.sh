#!/usr/bin/env bash
# The KRaft controller quorum: leader, voters, observers, lag.
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.MetadataQuorumCommand "$@"
