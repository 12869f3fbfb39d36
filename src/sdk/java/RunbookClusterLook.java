// One look at a Kafka cluster in one JVM, for readKafkaCluster (src/sdk/kafka-cluster.ts): every
// partition's leader, replicas and ISR with the topics' own min.insync.replicas (printed as
// kafka-topics.sh --describe prints them, so one parser reads both), the live brokers, and the
// active controller. Kafka's own tools need a JVM each for this (kafka-topics.sh,
// kafka-broker-api-versions.sh, zookeeper-shell.sh or kafka-metadata-quorum.sh): three JVM starts
// per look, most of a rolling restart's CPU on a small host, since a gate looks every second.
//
// Run with the host's Kafka libs on the class path (kafka-run-class.sh, CLASSPATH=<dir of this
// class>). Compiled for Java 8 against kafka-clients 3.5 and ZooKeeper 3.6 (the oldest we
// support) by `npm run gen:cluster-look`; the ZooKeeper classes are touched only in zk mode, so
// Kafka 4, which ships none, never loads them.
//
//   RunbookClusterLook BOOTSTRAP none|quorum|zk [ZOOKEEPER_CONNECT]
//
// Output: the describe lines, then `Alive: 1,2,3`, then `Controller: N` when asked and known.
// A failure to read the topics prints `Error: ...` and exits 1; the controller is best effort.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;

public final class RunbookClusterLook {
  private static final int ZOOKEEPER_WAIT_MS = 10_000;

  public static void main(String[] args) {
    if (args.length < 2) {
      System.out.println("Error: usage: RunbookClusterLook BOOTSTRAP none|quorum|zk [ZOOKEEPER_CONNECT]");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    StringBuilder out = new StringBuilder();
    try (Admin admin = Admin.create(props)) {
      describe(admin, out);
      List<String> alive = new ArrayList<>();
      for (Node n : admin.describeCluster().nodes().get()) alive.add(String.valueOf(n.id()));
      out.append("Alive: ").append(String.join(",", alive)).append('\n');
      String controller = null;
      if (args[1].equals("quorum")) controller = quorumLeader(admin);
      else if (args[1].equals("zk") && args.length > 2) controller = ZooKeeperController.read(args[2]);
      if (controller != null) out.append("Controller: ").append(controller).append('\n');
    } catch (Throwable e) {
      System.out.print(out);
      System.out.println("Error: " + message(e));
      System.exit(1);
    }
    System.out.print(out);
    System.out.flush();
    // The admin client's threads are closed; nothing else should keep the JVM, but a lingering
    // ZooKeeper event thread must not make a look hang.
    System.exit(0);
  }

  private static void describe(Admin admin, StringBuilder out) throws Exception {
    Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
    Map<String, TopicDescription> topics = new TreeMap<>(admin.describeTopics(names).allTopicNames().get());
    List<ConfigResource> resources = new ArrayList<>();
    for (String name : topics.keySet()) resources.add(new ConfigResource(ConfigResource.Type.TOPIC, name));
    Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
    for (TopicDescription t : topics.values()) {
      List<TopicPartitionInfo> partitions = t.partitions();
      int rf = partitions.isEmpty() ? 0 : partitions.get(0).replicas().size();
      out.append("Topic: ").append(t.name()).append("\tPartitionCount: ").append(partitions.size())
          .append("\tReplicationFactor: ").append(rf).append("\tConfigs: ");
      Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t.name()));
      ConfigEntry minIsr = c == null ? null : c.get("min.insync.replicas");
      if (minIsr != null && minIsr.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) {
        out.append("min.insync.replicas=").append(minIsr.value());
      }
      out.append('\n');
      for (TopicPartitionInfo p : partitions) {
        Node leader = p.leader();
        out.append("\tTopic: ").append(t.name()).append("\tPartition: ").append(p.partition())
            .append("\tLeader: ").append(leader == null || leader.id() < 0 ? "none" : String.valueOf(leader.id()))
            .append("\tReplicas: ").append(ids(p.replicas())).append("\tIsr: ").append(ids(p.isr())).append('\n');
      }
    }
  }

  /** The KRaft quorum's leader, asked through the brokers (as kafka-metadata-quorum.sh does); null when unknown. */
  private static String quorumLeader(Admin admin) {
    try {
      int leader = admin.describeMetadataQuorum().quorumInfo().get().leaderId();
      return leader < 0 ? null : String.valueOf(leader);
    } catch (Exception e) {
      System.err.println("no quorum leader: " + message(e));
      return null;
    }
  }

  private static String ids(Collection<Node> nodes) {
    List<String> out = new ArrayList<>();
    for (Node n : nodes) out.add(String.valueOf(n.id()));
    return String.join(",", out);
  }

  private static String message(Throwable e) {
    Throwable cause = e;
    while ((cause instanceof ExecutionException || cause.getMessage() == null) && cause.getCause() != null) cause = cause.getCause();
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }

  /** ZooKeeper's /controller, as zookeeper-shell.sh reads it; null when there is none or ZooKeeper does not answer. */
  private static final class ZooKeeperController {
    private static final Pattern BROKER_ID = Pattern.compile("\"brokerid\":(\\d+)");

    static String read(String connect) {
      org.apache.zookeeper.ZooKeeper zk = null;
      try {
        CountDownLatch connected = new CountDownLatch(1);
        zk = new org.apache.zookeeper.ZooKeeper(connect, ZOOKEEPER_WAIT_MS, event -> {
          if (event.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) connected.countDown();
        });
        if (!connected.await(ZOOKEEPER_WAIT_MS, TimeUnit.MILLISECONDS)) {
          System.err.println("no controller: ZooKeeper did not answer at " + connect);
          return null;
        }
        byte[] data = zk.getData("/controller", false, null);
        Matcher m = BROKER_ID.matcher(new String(data, StandardCharsets.UTF_8));
        return m.find() ? m.group(1) : null;
      } catch (org.apache.zookeeper.KeeperException.NoNodeException e) {
        return null;
      } catch (Exception e) {
        System.err.println("no controller: " + message(e));
        return null;
      } finally {
        if (zk != null) {
          try {
            zk.close();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    }
  }
}
