#!/usr/bin/env bash
SIGNAL="${SIGNAL:-TERM}"
PIDS="$(ps ax | grep java | grep -i QuorumPeerMain | grep -v grep | awk '{print $1}')"
if [ -z "$PIDS" ]; then
  echo "No zookeeper server to stop"
  exit 1
fi
kill -s "$SIGNAL" $PIDS
