package org.dl4jpe.cli.sweep;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.dl4jpe.cli.Durations;
import org.dl4jpe.cli.PeCommand;
import org.dl4jpe.cli.spark.ScaleOutSweep;
import org.dl4jpe.hyperparam.model.ModelCandidate;
import org.dl4jpe.hyperparam.model.ModelSpace;
import org.dl4jpe.hyperparam.model.Presets;
import org.dl4jpe.hyperparam.model.SpaceFile;
import org.dl4jpe.hyperparam.sweep.CandidateRecord;
import org.dl4jpe.hyperparam.sweep.GeneratorKind;
import org.dl4jpe.hyperparam.sweep.ScoreMetric;
import org.dl4jpe.hyperparam.sweep.Sweep;
import org.dl4jpe.hyperparam.sweep.SweepDefinition;
import org.dl4jpe.hyperparam.sweep.SweepReport;
import org.dl4jpe.hyperparam.sweep.SweepResult;
import org.dl4jpe.hyperparam.sweep.SweepSettings;
import org.dl4jpe.spark.SparkRuntime;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.train.Interrupts;
import org.dl4jpe.zoo.train.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code pe sweep}: an Arbiter search over a zoo model's architecture and training settings. */
@Command(
        name = "sweep",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "(set by PeCommand from description(): lists the presets and their budgets)")
public final class SweepCommand implements Runnable {
    @ParentCommand
    PeCommand pe;

    @Spec
    CommandSpec spec;

    @Option(names = "--preset", paramLabel = "NAME", description = "A bundled space (see above).")
    String preset;

    @Option(
            names = "--space",
            paramLabel = "FILE",
            description = "A space file (JSON; the format is in"
                    + " hyperparam/README.md, examples in hyperparam/examples/).")
    Path space;

    @Option(
            names = "--resume",
            paramLabel = "DIR",
            description = "Continue the sweep in DIR: finished and failed"
                    + " candidates are not run again, an interrupted one continues from its checkpoint. Only --candidates,"
                    + " --max-time and --parallel may change.")
    Path resume;

    @Option(names = "--print-space", description = "Print the preset's space file (to start one of your own) and exit.")
    boolean printSpace;

    @Option(
            names = "--data",
            paramLabel = "DATA",
            description = "Default: the space's, else fashion-mnist-subset." + " Accepts " + DataSets.ACCEPTED + ".")
    String data;

    @Option(
            names = "--candidates",
            paramLabel = "N",
            description =
                    "Candidates to run (default: the space's, else 6;" + " a grid runs at most its number of points).")
    Integer candidates;

    @Option(
            names = "--generator",
            paramLabel = "KIND",
            description = "random, grid or genetic (default: the" + " space's, else random).")
    GeneratorKind generator;

    @Option(
            names = "--grid-points",
            paramLabel = "N",
            description = "Grid search: values per continuous or integer" + " range (default: "
                    + SweepSettings.DEFAULT_GRID_POINTS + ").")
    Integer gridPoints;

    @Option(
            names = "--max-time",
            paramLabel = "TIME",
            description = "Wall-time budget of this run, such as 30m, 2h,"
                    + " 1h30m: no candidate starts after it, running ones stop after their current batch (resumable; a"
                    + " resumed sweep has the budget given to --resume, none by default).",
            converter = Durations.Seconds.class)
    Long maxTimeSeconds;

    @Option(
            names = "--parallel",
            paramLabel = "N",
            description = "Candidates trained at once, each in its own thread" + " (default: 1).")
    Integer parallel;

    @Option(
            names = "--score",
            paramLabel = "METRIC",
            description = "accuracy (validation accuracy, the default) or" + " loss (validation cross-entropy).")
    ScoreMetric score;

    @Option(
            names = "--seed",
            paramLabel = "N",
            description = "Seed of the generator, the validation split and every"
                    + " candidate's initialisation and data order (default: " + SweepSettings.DEFAULT_SEED + ").")
    Long seed;

    @Option(names = "--epochs", paramLabel = "N", description = "Fix every candidate's epochs (overrides the space).")
    Integer epochs;

    @Option(
            names = "--batch",
            paramLabel = "B",
            description = "Fix every candidate's batch size (overrides the space).")
    Integer batch;

    @Option(
            names = "--limit-train",
            paramLabel = "N",
            description = "Use only the first N training images,"
                    + " class-balanced, before the validation split (default: the space's, else all).")
    Integer limitTrain;

    @Option(
            names = "--limit-test",
            paramLabel = "N",
            description = "Evaluate the best model on the first N test" + " images only (default: all).")
    Integer limitTest;

    @Option(
            names = "--val-fraction",
            paramLabel = "F",
            description = "Fraction of the training images held out to" + " score candidates (default: "
                    + SweepSettings.DEFAULT_VAL_FRACTION + ").")
    Double valFraction;

    @Option(names = "--out", paramLabel = "DIR", description = "Sweep directory (default: runs/sweep-NAME-TIME).")
    Path out;

    @Mixin
    ScaleOutSweep scaleOut;

    @Override
    public void run() {
        ModelRegistry registry = pe.registry();
        if (printSpace) {
            if (preset == null) {
                throw new IllegalArgumentException("--print-space prints a preset: give --preset NAME");
            }
            pe.out().print(Presets.text(preset));
            pe.out().flush();
            return;
        }
        Sweep sweep;
        if (resume != null) {
            if (preset != null || space != null || out != null) {
                throw new IllegalArgumentException("--resume " + resume + " continues a sweep with its own space and"
                        + " directory; leave out --preset, --space and --out");
            }
            sweep = resumed(registry);
        } else {
            sweep = started(registry);
        }
        runAndReport(sweep);
    }

    private Sweep started(ModelRegistry registry) {
        if ((preset == null) == (space == null)) {
            throw new IllegalArgumentException("give exactly one of --preset NAME (" + String.join(", ", Presets.NAMES)
                    + ") and --space FILE, or --resume DIR");
        }
        SpaceFile file = preset != null ? Presets.load(preset, registry) : SpaceFile.read(space, registry);
        SweepSettings s = SweepSettings.defaults().withSpace(preset, file.text());
        s = applyDefaults(s, file.defaults(), file.source());
        s = applyOptions(s);
        ModelSpace ms = spaceWithOverrides(file.space(), s);
        String name =
                preset != null ? preset : stripExtension(space.getFileName().toString());
        Path dir = out != null
                ? out
                : Path.of(
                        "runs",
                        "sweep-" + name + "-"
                                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        return Sweep.start(registry, ms, s, dir);
    }

    private Sweep resumed(ModelRegistry registry) {
        SweepDefinition d = Sweep.readDefinition(resume);
        SweepSettings s = d.settings();
        if (s.space().spaceJson() == null) {
            throw new IllegalArgumentException("the sweep in " + resume + " was started from Java with a ModelSpace;"
                    + " resume it from Java with Sweep.resume");
        }
        List<String> fixed = new ArrayList<>(PeCommand.given(
                spec, "--data", "--generator", "--grid-points", "--score", "--seed", "--epochs", "--batch"));
        if (limitTrain != null || limitTest != null || valFraction != null) {
            fixed.add("--limit-train/--limit-test/--val-fraction");
        }
        if (!fixed.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", fixed) + " cannot change when resuming (the sweep"
                    + " keeps its settings); with --resume only --candidates, --max-time and --parallel apply");
        }
        SpaceFile file = SpaceFile.parse(s.space().spaceJson(), "the space of the sweep in " + resume, registry);
        if (candidates != null) {
            s = s.withCandidates(candidates);
        }
        s = s.withMaxTimeSeconds(maxTimeSeconds != null ? maxTimeSeconds : 0);
        if (parallel != null) {
            s = s.withParallel(parallel);
        }
        return Sweep.resume(registry, resume, spaceWithOverrides(file.space(), s), s);
    }

    private static ModelSpace spaceWithOverrides(ModelSpace space, SweepSettings s) {
        ModelSpace m = space;
        if (s.overrides().epochs() != null) {
            m = m.withFixed("epochs", s.overrides().epochs());
        }
        if (s.overrides().batchSize() != null) {
            m = m.withFixed("batchSize", s.overrides().batchSize());
        }
        return m;
    }

    private static SweepSettings applyDefaults(SweepSettings s, Map<String, Object> d, String source) {
        try {
            for (Map.Entry<String, Object> e : d.entrySet()) {
                Object v = e.getValue();
                s = switch (e.getKey()) {
                    case "generator" -> s.withGenerator(GeneratorKind.parse(v.toString()));
                    case "candidates" -> s.withCandidates(whole(v));
                    case "gridPoints" -> s.withGridPoints(whole(v));
                    case "data" -> s.withData(v.toString());
                    case "limitTrain" -> s.withLimits(whole(v), s.data().limitTest());
                    case "limitTest" -> s.withLimits(s.data().limitTrain(), whole(v));
                    case "valFraction" -> s.withValFraction(((Number) v).doubleValue());
                    case "score" -> s.withScore(ScoreMetric.parse(v.toString()));
                    case "seed" -> s.withSeed(((Number) v).longValue());
                    default -> throw new IllegalArgumentException("unknown default " + e.getKey());
                };
            }
        } catch (ClassCastException | IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": defaults: " + e.getMessage(), e);
        }
        return s;
    }

    private static int whole(Object v) {
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException("value " + v + " is not a whole number");
        }
        return n.intValue();
    }

    private SweepSettings applyOptions(SweepSettings s) {
        if (data != null) {
            s = s.withData(data);
        }
        if (candidates != null) {
            s = s.withCandidates(candidates);
        }
        if (generator != null) {
            s = s.withGenerator(generator);
        }
        if (gridPoints != null) {
            s = s.withGridPoints(gridPoints);
        }
        if (maxTimeSeconds != null) {
            s = s.withMaxTimeSeconds(maxTimeSeconds);
        }
        if (parallel != null) {
            s = s.withParallel(parallel);
        }
        if (score != null) {
            s = s.withScore(score);
        }
        if (seed != null) {
            s = s.withSeed(seed);
        }
        if (epochs != null) {
            s = s.withEpochs(epochs);
        }
        if (batch != null) {
            s = s.withBatchSize(batch);
        }
        if (limitTrain != null || limitTest != null) {
            s = s.withLimits(
                    limitTrain != null ? limitTrain : s.data().limitTrain(),
                    limitTest != null ? limitTest : s.data().limitTest());
        }
        if (valFraction != null) {
            s = s.withValFraction(valFraction);
        }
        return s;
    }

    private void runAndReport(Sweep sweep) {
        SweepSettings s = sweep.settings();
        Progress.Style style = s.budget().parallel() > 1 ? Progress.Style.QUIET : Progress.Style.detect();
        sweep.progress(pe.libraryErr(), style)
                .handleInterrupts(pe.handleInterrupts())
                .listener(new ProgressLines(s.search().score()));
        Interrupts.Guard guard = null;
        if (pe.handleInterrupts()) {
            Interrupts.install();
            guard = Interrupts.enter(() -> {
                sweep.requestStop();
                pe.err()
                        .println("interrupted: running candidates save a checkpoint after their current batch;"
                                + " continue with: pe sweep --resume " + sweep.dir());
            });
        }
        SweepResult r;
        SparkRuntime spark = null;
        try {
            spark = scaleOut.configure(sweep, pe);
            r = sweep.run();
        } finally {
            if (spark != null) {
                try {
                    spark.close();
                } catch (RuntimeException e) {
                    pe.err().println("pe sweep: closing " + spark + " failed: " + e.getMessage());
                }
            }
            if (guard != null) {
                guard.close();
            }
        }
        report(r, s);
    }

    private void report(SweepResult r, SweepSettings s) {
        pe.out().print(SweepReport.text(r, s.search().score()));
        CandidateRecord best = r.best();
        if (best != null) {
            pe.out().println();
            pe.out()
                    .printf(
                            Locale.ROOT,
                            "best        candidate %d: %s %s, %,d parameters%n",
                            best.candidate(),
                            s.search().score().label(),
                            scoreText(s.search().score(), best.score().value()),
                            best.trainableParameters());
            if (r.bestTest() != null) {
                pe.out()
                        .printf(
                                Locale.ROOT,
                                "test        accuracy %.2f%% on %d test images (not used to choose it)%n",
                                100 * r.bestTest().accuracy(),
                                r.bestTest().count());
            }
            pe.out().println("best model  " + r.dir().resolve("best-model.zip"));
        }
        pe.out().println("report      " + r.dir().resolve(SweepReport.HTML));
        pe.out()
                .println("records     " + r.dir().resolve("results.csv") + ", "
                        + r.dir().resolve("results.json"));
        pe.out().flush();
        if (!r.complete()) {
            pe.err()
                    .println("sweep " + r.endReason() + " after " + r.records().size() + " of " + r.planned()
                            + " candidates"
                            + (r.endReason().equals("search space exhausted")
                                    ? ""
                                    : "; continue with: pe sweep --resume " + r.dir()));
        }
        if (best == null) {
            throw new IllegalArgumentException(
                    "no candidate succeeded (" + r.records().size() + " of " + r.planned()
                            + " ended, none finished); see the messages in the table and "
                            + r.dir().resolve("results.csv"));
        }
    }

    static String scoreText(ScoreMetric m, Double v) {
        if (v == null || v.isNaN()) {
            return "-";
        }
        return m == ScoreMetric.ACCURACY
                ? String.format(Locale.ROOT, "%.2f%%", 100 * v)
                : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String stripExtension(String n) {
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** Progress on standard error: "candidate i/N ...", and the best so far after each. */
    private final class ProgressLines implements Sweep.Listener {
        private final ScoreMetric metric;

        ProgressLines(ScoreMetric metric) {
            this.metric = metric;
        }

        @Override
        public synchronized void started(
                int number, int planned, ModelCandidate candidate, List<String> axes, boolean continued) {
            pe.err()
                    .println("candidate " + number + "/" + planned
                            + (continued ? " continues from its checkpoint" : " starts")
                            + (axes.isEmpty() ? "" : ": " + candidate.describe(axes)));
        }

        @Override
        public synchronized void ended(
                CandidateRecord r, CandidateRecord best, int planned, List<String> axes, boolean earlier) {
            StringBuilder sb = new StringBuilder("candidate ")
                    .append(r.candidate())
                    .append('/')
                    .append(planned);
            if (r.finished()) {
                sb.append(earlier ? " finished in an earlier run: " : " finished: ")
                        .append(metric.label())
                        .append(' ')
                        .append(scoreText(metric, r.score().value()));
                if (r.trainableParameters() != null) {
                    sb.append(String.format(Locale.ROOT, ", %,d parameters", r.trainableParameters()));
                }
                if (!earlier) {
                    sb.append(String.format(Locale.ROOT, ", %.0f s", r.timing().wallSeconds()));
                }
            } else {
                sb.append(earlier ? " failed in an earlier run: " : " FAILED: ").append(r.message());
            }
            if (best != null) {
                sb.append(" | best so far: candidate ")
                        .append(best.candidate())
                        .append(" (")
                        .append(scoreText(metric, best.score().value()))
                        .append(')');
            }
            pe.err().println(sb);
        }

        @Override
        public synchronized void message(String text) {
            pe.err().println(text);
        }
    }

    /** The help text of {@code pe sweep}, with each preset and its default budget (PeCommand sets it). */
    public static String[] description() {
        List<String> lines = new ArrayList<>();
        lines.add("Search the architecture and training settings of a zoo model with Arbiter (random, grid or"
                + " genetic search). Each candidate is built through the zoo, trained on the training part of --data"
                + " and scored on a held-out validation part; the best model is evaluated on the test split.");
        lines.add("Progress goes to standard error (candidate i/N, best so far); the table of candidates to standard"
                + " output. --out gets every candidate's record (results.csv, results.json: configuration, seed,"
                + " score, parameters, time, DL4J and Java versions, git revision), best-model.zip and report.html"
                + " (score per candidate, score against parameter count). Ctrl-C stops after the current batch;"
                + " --resume DIR continues without redoing finished candidates; a failing candidate is recorded and"
                + " the sweep goes on.");
        lines.add("Presets (each sized for a 2-core CPU: the shipped Fashion-MNIST subset, 1 epoch per candidate;"
                + " expect a few minutes per candidate on 2 cores, much less on a GPU):");
        ModelRegistry registry = Zoo.registry();
        for (String name : Presets.NAMES) {
            String line;
            try {
                SpaceFile f = Presets.load(name, registry);
                Map<String, Object> d = f.defaults();
                line = String.format(
                        Locale.ROOT,
                        "  %s: %s. Default budget: %s candidates (%s search), %s, %s.",
                        name,
                        f.description(),
                        d.getOrDefault("candidates", 6),
                        d.getOrDefault("generator", "random"),
                        d.containsKey("limitTrain")
                                ? "the first " + d.get("limitTrain") + " training images of "
                                        + d.getOrDefault("data", "fashion-mnist-subset")
                                : "all of " + d.getOrDefault("data", "fashion-mnist-subset"),
                        f.space().axes().get("epochs") instanceof FixedValue<?> e
                                ? e.getValue() + " epoch(s) per" + " candidate"
                                : "searched epochs");
            } catch (RuntimeException e) {
                line = "  " + name + ": unavailable here (" + e.getMessage() + ")";
            }
            lines.add(line);
        }
        lines.add("Examples:");
        lines.add("  pe sweep --preset vit-micro-tie --out runs/tie");
        lines.add("  pe sweep --preset vit-micro-tie --data fashion-mnist --limit-train 5000 --candidates 12"
                + " --max-time 1h --parallel 2");
        lines.add("  pe sweep --space my-space.json --generator grid --score loss");
        lines.add("  pe sweep --resume runs/tie --candidates 10");
        lines.add("  pe sweep --preset vit-micro-tie --print-space > my-space.json");
        return lines.toArray(new String[0]);
    }
}
