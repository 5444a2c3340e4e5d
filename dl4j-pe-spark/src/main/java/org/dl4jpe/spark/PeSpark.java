package org.dl4jpe.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.serializer.JavaSerializer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One-call setup of DL4J's Spark training for networks that contain dl4j-pe's layers.
 *
 * <pre>{@code
 * JavaSparkContext sc = PeSpark.start("local[2]", "my training");          // or new JavaSparkContext(PeSpark.conf(...))
 * SparkComputationGraph net = PeSpark.computationGraph(sc, conf,
 *         new ParameterAveragingTrainingMaster.Builder(2, 32).batchSizePerWorker(32).averagingFrequency(5).build());
 * net.fit(trainingRdd);
 * }</pre>
 *
 * <p>What it takes care of:
 * <ul>
 *   <li>Spark's Java serializer: Kryo with ND4J's registrator crashed on these machines ({@link #conf} sets it,
 *       {@link #computationGraph} refuses Kryo with a message).</li>
 *   <li>Executors on Java 17: Spark's {@code --add-opens} list and {@code -Djdk.reflect.useDirectMethodHandle=false}
 *       ({@link #javaOptions()}), one ND4J native thread per executor task unless {@code OMP_NUM_THREADS} is set,
 *       and the Aeron settings gradient sharing needs ({@code aeron.publication.unblock.timeout=60s}).</li>
 *   <li>Our layers on executors (DL4J issue 8462: custom layers failing to deserialize there): every executor
 *       reads the network's JSON configuration once before training starts; a missing class fails here, naming
 *       the jar to ship (the shaded {@code dl4j-pe-spark-*-spark-app.jar}), instead of deep inside a training
 *       task.</li>
 * </ul>
 */
public final class PeSpark {
    private static final Logger log = LoggerFactory.getLogger(PeSpark.class);
    private static final Pattern LOCAL_CLUSTER =
            Pattern.compile("local-cluster\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,\\s*(\\d+)\\s*]");
    /** How long {@link #start} waits for a local-cluster's executors to register. */
    private static final long EXECUTOR_WAIT_MS = 120_000;

    private PeSpark() {}

    /** The JVM options Spark needs on Java 17 (the module's build writes them; the same list goes to executors). */
    public static List<String> javaOptions() {
        try (InputStream in = PeSpark.class.getResourceAsStream("/org/dl4jpe/spark/java-options.txt")) {
            if (in == null) {
                throw new IllegalStateException("org/dl4jpe/spark/java-options.txt is missing from the class path");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            return Arrays.asList(text.split("\\s+"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A SparkConf for {@code master} with what dl4j-pe needs: Java serializer, executor JVM options, ND4J threads;
     * for {@code local-cluster[N,C,M]} also the class path and Spark home its executor JVMs need when Spark is not
     * installed (executors then run on this JVM's class path).
     */
    public static SparkConf conf(String master, String appName) {
        if (master == null || master.isBlank()) {
            throw new IllegalArgumentException("master is empty; a Spark master is local[N], local-cluster[N,cores,MB],"
                    + " spark://host:port or yarn");
        }
        SparkConf c = new SparkConf().setMaster(master).setAppName(appName);
        c.set("spark.serializer", JavaSerializer.class.getName());
        String executorOpts = String.join(" ", javaOptions()) + " -Daeron.publication.unblock.timeout=60s";
        c.set(
                "spark.executor.extraJavaOptions",
                (c.get("spark.executor.extraJavaOptions", "") + " " + executorOpts).trim());
        String omp = System.getenv("OMP_NUM_THREADS");
        c.setExecutorEnv("OMP_NUM_THREADS", omp != null ? omp : "1");
        // DL4J's training masters block a task per worker; Spark must not kill them as slow
        c.set("spark.speculation", "false");
        c.set("spark.ui.enabled", "false");
        if (master.startsWith("local")) {
            // everything on this machine: keep Spark's traffic on the loopback interface
            c.set("spark.driver.host", "127.0.0.1");
            c.set("spark.driver.bindAddress", "127.0.0.1");
            org.apache.spark.util.Utils.setCustomHostname("127.0.0.1");
        }
        if (master.startsWith("local-cluster")) {
            if (!LOCAL_CLUSTER.matcher(master).matches()) {
                throw new IllegalArgumentException("master = " + master
                        + ": expected local-cluster[executors,cores,MB]," + " such as local-cluster[2,1,2048]");
            }
            if (System.getenv("SPARK_HOME") == null) {
                // Without an installed Spark, a Worker starts executors on this JVM's class path (Spark's testing
                // mode) from a Spark home that only needs an empty jars/ folder and the marker of its Scala version.
                Path home = Path.of(System.getProperty("java.io.tmpdir"), "dl4j-pe-spark-home");
                try {
                    Files.createDirectories(home.resolve("jars"));
                    Files.createDirectories(home.resolve("launcher/target/scala-"
                            + scala.util.Properties.versionNumberString().replaceAll("^(\\d+\\.\\d+).*", "$1")));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot create " + home + ": " + e.getMessage(), e);
                }
                System.setProperty("spark.testing", "true");
                System.setProperty("spark.test.home", home.toString());
            } else {
                c.set("spark.executor.extraClassPath", System.getProperty("java.class.path"));
            }
        }
        return c;
    }

    /**
     * Starts Spark for {@code master} with {@link #conf} (or joins the context spark-submit started); for
     * {@code local-cluster} waits until every executor has registered. Also checks the JVM options of this JVM.
     */
    public static JavaSparkContext start(String master, String appName) {
        checkDriverJvm();
        SparkConf c = conf(master, appName);
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(org.apache.spark.SparkContext.getOrCreate(c));
        sc.setLogLevel("WARN");
        Matcher m = LOCAL_CLUSTER.matcher(master);
        if (m.matches()) {
            awaitExecutors(sc, Integer.parseInt(m.group(1)));
        }
        return sc;
    }

    /** Waits until {@code n} executors have registered with {@code sc}; a clear failure after two minutes. */
    public static void awaitExecutors(JavaSparkContext sc, int n) {
        long end = System.currentTimeMillis() + EXECUTOR_WAIT_MS;
        while (executors(sc) < n) {
            if (System.currentTimeMillis() > end) {
                throw new IllegalStateException("Spark " + sc.master() + ": only " + executors(sc) + " of " + n
                        + " executors registered within " + EXECUTOR_WAIT_MS / 1000 + " s (see the executors' logs"
                        + " in the Spark work directory)");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Spark executors", e);
            }
        }
    }

    /** Executors registered with {@code sc} (the driver not counted; {@code local[N]}: 1). */
    public static int executors(JavaSparkContext sc) {
        int n = sc.sc().getExecutorMemoryStatus().size();
        return sc.isLocal() ? 1 : Math.max(0, n - 1);
    }

    /** Task slots across the executors: what a training master uses as its worker count. */
    public static int workers(JavaSparkContext sc) {
        return sc.defaultParallelism();
    }

    /** A {@link SparkComputationGraph} of {@code conf} trained by {@code tm}, after the checks above. */
    public static SparkComputationGraph computationGraph(
            JavaSparkContext sc, ComputationGraphConfiguration conf, TrainingMaster tm) {
        checkSerializer(sc);
        checkExecutorsRead(sc, conf.toJson(), true);
        return new SparkComputationGraph(sc, conf, tm);
    }

    /** A {@link SparkComputationGraph} around the initialised {@code net} (its parameters and updater state). */
    public static SparkComputationGraph computationGraph(JavaSparkContext sc, ComputationGraph net, TrainingMaster tm) {
        checkSerializer(sc);
        checkExecutorsRead(sc, net.getConfiguration().toJson(), true);
        return new SparkComputationGraph(sc, net, tm);
    }

    /** A {@link SparkDl4jMultiLayer} of {@code conf} trained by {@code tm}, after the checks above. */
    public static SparkDl4jMultiLayer multiLayer(JavaSparkContext sc, MultiLayerConfiguration conf, TrainingMaster tm) {
        checkSerializer(sc);
        checkExecutorsRead(sc, conf.toJson(), false);
        return new SparkDl4jMultiLayer(sc, conf, tm);
    }

    /** A {@link SparkDl4jMultiLayer} around the initialised {@code net}. */
    public static SparkDl4jMultiLayer multiLayer(JavaSparkContext sc, MultiLayerNetwork net, TrainingMaster tm) {
        checkSerializer(sc);
        checkExecutorsRead(sc, net.getLayerWiseConfigurations().toJson(), false);
        return new SparkDl4jMultiLayer(sc, net, tm);
    }

    static void checkSerializer(JavaSparkContext sc) {
        String s = sc.getConf().get("spark.serializer", JavaSerializer.class.getName());
        if (s.contains("Kryo")) {
            throw new IllegalArgumentException("spark.serializer is " + s + ": DL4J's Spark training with ND4J's Kryo"
                    + " registrator crashed with dl4j-pe's networks; use " + JavaSerializer.class.getName()
                    + " (PeSpark.conf sets it)");
        }
    }

    /**
     * Every executor parses {@code json} once (one task per slot): our layer classes must be on its class path.
     * The failure names the class and says how to ship it.
     */
    static void checkExecutorsRead(JavaSparkContext sc, String json, boolean graph) {
        int slots = Math.max(1, workers(sc));
        List<Integer> tasks = new ArrayList<>();
        for (int i = 0; i < slots; i++) {
            tasks.add(i);
        }
        var conf = sc.broadcast(json);
        try {
            sc.parallelize(tasks, slots)
                    .map(i -> {
                        if (graph) {
                            ComputationGraphConfiguration.fromJson(conf.value());
                        } else {
                            MultiLayerConfiguration.fromJson(conf.value());
                        }
                        return i;
                    })
                    .collect();
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "Spark executors cannot read the network configuration (" + rootMessage(e)
                            + "); dl4j-pe's layer classes must be on their class path: spark-submit the shaded application"
                            + " jar (dl4j-pe-cli/target/dl4j-pe-cli-*-spark-app.jar) or add it with spark-submit --jars",
                    e);
        } finally {
            conf.destroy();
        }
    }

    /** Fails early when this JVM lacks the options Spark needs on Java 17 (./pe and the tests set them). */
    static void checkDriverJvm() {
        if (Runtime.version().feature() < 17) {
            return;
        }
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        boolean opened = args.stream().anyMatch(a -> a.contains("java.base/sun.nio.ch=ALL-UNNAMED"));
        if (!opened) {
            log.warn(
                    "this JVM was started without Spark's --add-opens options ({}); Spark may fail with"
                            + " InaccessibleObjectException",
                    String.join(" ", javaOptions()));
        }
    }

    /** The innermost cause of {@code e}: its class and message, for one-line errors. */
    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
