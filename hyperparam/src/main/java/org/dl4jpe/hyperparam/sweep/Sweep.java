package org.dl4jpe.hyperparam.sweep;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.api.CandidateGenerator;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.api.TaskCreator;
import org.deeplearning4j.arbiter.optimize.api.data.DataProvider;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;
import org.deeplearning4j.arbiter.optimize.api.termination.MaxCandidatesCondition;
import org.deeplearning4j.arbiter.optimize.api.termination.MaxTimeCondition;
import org.deeplearning4j.arbiter.optimize.api.termination.TerminationCondition;
import org.deeplearning4j.arbiter.optimize.config.OptimizationConfiguration;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.runner.CandidateInfo;
import org.deeplearning4j.arbiter.optimize.runner.CandidateStatus;
import org.deeplearning4j.arbiter.optimize.runner.IOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.LocalOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.listener.BaseStatusListener;
import org.deeplearning4j.arbiter.optimize.runner.listener.StatusListener;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.dl4jpe.hyperparam.model.ModelAxes;
import org.dl4jpe.hyperparam.model.ModelCandidate;
import org.dl4jpe.hyperparam.model.ModelSpace;
import org.dl4jpe.hyperparam.model.ResolvedCandidate;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.ParameterCounts;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.dl4jpe.zoo.data.Normalization;
import org.dl4jpe.zoo.train.EvalResult;
import org.dl4jpe.zoo.train.Evaluator;
import org.dl4jpe.zoo.train.Json;
import org.dl4jpe.zoo.train.Progress;
import org.dl4jpe.zoo.train.Provenance;
import org.dl4jpe.zoo.train.RunConfig;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.RunLock;
import org.dl4jpe.zoo.train.RunState;
import org.dl4jpe.zoo.train.TrainResult;
import org.dl4jpe.zoo.train.Trainer;

/**
 * A hyperparameter sweep over a {@link ModelSpace}: Arbiter's {@link LocalOptimizationRunner} draws candidates
 * from a seeded generator ({@link GeneratorKind}), runs up to {@code parallel} of them at once, and each candidate
 * is built through the zoo and trained by the zoo's {@link Trainer} (progress, a checkpoint every epoch, a stop at a
 * non-finite loss) on the training part of the data, then scored on the held-out validation part
 * ({@link ScoreMetric}).
 *
 * <p>The sweep directory:
 * <pre>
 *   sweep.json            settings and space (what --resume continues)
 *   candidates/cNNNN/     each candidate's run directory (state.json, checkpoint, metrics.csv, curves.png)
 *   records/cNNNN.json    each ended candidate's record, written atomically the moment it ends
 *   results.csv, results.json, results.md   every record (rebuilt after each)
 *   best-model.zip        the best candidate's model (ModelSerializer, with updater state)
 *   report.html, score-per-candidate.png, score-vs-parameters.png
 * </pre>
 *
 * <p>Resume: generators are seeded, so a resumed sweep draws the same candidates in the same order; a candidate
 * whose record exists is not trained again (its recorded result is handed back to the generator), and a candidate
 * interrupted mid-training continues from its last checkpoint. A failing candidate (a configuration the model
 * rejects, a non-finite loss) is recorded as failed with its message and the sweep goes on.
 */
public final class Sweep {
    public static final String DEFINITION = "sweep.json";
    public static final String CANDIDATES = "candidates";
    /** Written into a candidate's run directory before it trains; a trainer of a candidate declares it its own. */
    public static final String CANDIDATE_FILE = "candidate.json";

    /** Events of a running sweep (progress display, tests); called from the candidates' threads. */
    public interface Listener {
        /** Candidate {@code number} of {@code planned} starts training (or continues from its checkpoint). */
        default void started(int number, int planned, ModelCandidate candidate, List<String> axes, boolean continued) {}

        /**
         * Candidate {@code record.candidate()} has ended; {@code earlier} when its record comes from an earlier run
         * of a resumed sweep (nothing was trained).
         */
        default void ended(
                CandidateRecord record, CandidateRecord best, int planned, List<String> axes, boolean earlier) {}

        /** A message for the user. */
        default void message(String text) {}
    }

    private final ModelRegistry registry;
    private final ModelSpace space;
    private final SweepSettings settings;
    private final Path dir;
    private final boolean resumed;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Set<Trainer> active = ConcurrentHashMap.newKeySet();
    private final AtomicReference<RuntimeException> fatal = new AtomicReference<>();
    private PrintStream err = System.err;
    private Progress.Style progressStyle = Progress.Style.QUIET;
    private boolean handleInterrupts;
    private Listener listener = new Listener() {};
    private BiConsumer<Integer, Integer> afterIteration = (c, i) -> {};
    private CandidateTrainer candidateTrainer;

    private Sweep(ModelRegistry registry, ModelSpace space, SweepSettings settings, Path dir, boolean resumed) {
        this.registry = registry;
        this.space = space;
        this.settings = settings;
        this.dir = dir;
        this.resumed = resumed;
    }

    /** A new sweep of {@code space} into {@code dir}, which must not hold one yet. */
    public static Sweep start(ModelRegistry registry, ModelSpace space, SweepSettings settings, Path dir) {
        Objects.requireNonNull(space, "space");
        if (Files.exists(dir.resolve(DEFINITION))) {
            throw new IllegalArgumentException("out = " + dir + " already holds a sweep (" + DEFINITION
                    + "); continue it (resume the sweep in " + dir + ") or choose another out directory");
        }
        registry.get(space.baseModel());
        return new Sweep(registry, space, settings, dir, false);
    }

    /** The definition of the sweep in {@code dir}; the message says what is missing. */
    public static SweepDefinition readDefinition(Path dir) {
        Path f = dir.resolve(DEFINITION);
        if (!Files.isRegularFile(f)) {
            throw new InvalidDataException("resume = " + dir + ": no " + DEFINITION + " there (not a sweep directory)");
        }
        SweepDefinition d = Json.readFile(f, SweepDefinition.class, "");
        List<String> problems = d.problems();
        if (!problems.isEmpty()) {
            throw new InvalidDataException(f + " is not a valid sweep definition: " + String.join("; ", problems));
        }
        return d;
    }

    /**
     * Continues the sweep in {@code dir}. {@code space} must be the space it was started with, and
     * {@code settings} its settings except {@code candidates}, {@code maxTimeSeconds} and {@code parallel}, which
     * may change (a larger budget extends the sweep).
     */
    public static Sweep resume(ModelRegistry registry, Path dir, ModelSpace space, SweepSettings settings) {
        SweepDefinition d = readDefinition(dir);
        if (!d.space().equals(space.toString())) {
            throw new IllegalArgumentException(
                    "the space differs from the one the sweep in " + dir + " was started with (" + d.space() + ")");
        }
        SweepSettings s = d.settings();
        SweepSettings expected = s.withBudget(settings.budget());
        if (!expected.equals(settings)) {
            throw new IllegalArgumentException("only candidates, maxTimeSeconds and parallel can change when resuming"
                    + " the sweep in " + dir + "; it was started with " + describe(s));
        }
        return new Sweep(registry, space, settings, dir, true);
    }

    /** Where trainer progress goes and how it is drawn (default: standard error, per-epoch lines only). */
    public Sweep progress(PrintStream err, Progress.Style style) {
        this.err = err;
        this.progressStyle = style;
        return this;
    }

    /** Whether Ctrl-C makes running candidates save a checkpoint after the current batch (command line: yes). */
    public Sweep handleInterrupts(boolean on) {
        this.handleInterrupts = on;
        return this;
    }

    public Sweep listener(Listener l) {
        this.listener = l == null ? new Listener() {} : l;
        return this;
    }

    /** Called with (candidate number, iteration) after every parameter update of every candidate (tests). */
    public Sweep afterIteration(BiConsumer<Integer, Integer> hook) {
        this.afterIteration = hook;
        return this;
    }

    /**
     * Trains candidates with {@code trainer} (elsewhere: Spark tasks) instead of in this process; null: here.
     * Records, resume and the report stay the same.
     */
    public Sweep candidateTrainer(CandidateTrainer trainer) {
        this.candidateTrainer = trainer;
        return this;
    }

    /** No candidate starts any more; running ones stop after their current batch and keep a checkpoint. */
    public void requestStop() {
        stop.set(true);
        for (Trainer t : active) {
            t.requestStop();
        }
        if (candidateTrainer != null) {
            candidateTrainer.requestStop();
        }
    }

    public Path dir() {
        return dir;
    }

    public SweepSettings settings() {
        return settings;
    }

    public ModelSpace space() {
        return space;
    }

    /** Runs (or continues) the sweep until its budget is spent, its time is up, or a stop is requested. */
    public SweepResult run() {
        long startNanos = System.nanoTime();
        BooleanSupplier timeUp = () -> settings.budget().maxTimeSeconds() > 0
                && System.nanoTime() - startNanos
                        >= TimeUnit.SECONDS.toNanos(settings.budget().maxTimeSeconds());
        RegisteredModel base = registry.get(space.baseModel());
        ModelOptions defaults = base.defaultOptions();
        SweepSettings.Data d = settings.data();
        SweepData data = SweepData.open(
                d.spec(),
                defaults.inputChannels(),
                defaults.inputHeight(),
                defaults.inputWidth(),
                d.limitTrain(),
                d.limitTest(),
                d.valFraction(),
                settings.search().seed());
        try (RunLock lock = RunLock.acquire(dir, "pe sweep")) {
            return run(data, startNanos, timeUp);
        }
    }

    /** Sweep directory entries of this class (and the report's) names; a new sweep refuses a directory with others. */
    private static final java.util.regex.Pattern OWN = java.util.regex.Pattern.compile(
            "sweep\\.json|candidates|records|results\\.(csv|json|md)|best-model\\.(zip|json)|report\\.html"
                    + "|[a-z-]+\\.png|" + java.util.regex.Pattern.quote(RunLock.FILE));

    /** Deletes the temporary files ({@code .NAME.tmp}) of a write that was cut short, in the directory and records/. */
    private void removeTemporaryFiles() throws IOException {
        for (Path d : List.of(dir, dir.resolve(RecordStore.RECORDS))) {
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> s = Files.list(d)) {
                for (Path p : s.toList()) {
                    String n = p.getFileName().toString();
                    if (n.startsWith(".") && n.endsWith(".tmp")) {
                        String inner = n.substring(1, n.length() - 4);
                        if (OWN.matcher(inner).matches() || inner.matches("c\\d{4}\\.json")) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            }
        }
    }

    private SweepResult run(SweepData data, long startNanos, BooleanSupplier timeUp) {
        try {
            if (!resumed) {
                if (Files.exists(dir.resolve(DEFINITION))) {
                    throw new IllegalArgumentException("out = " + dir + " already holds a sweep (" + DEFINITION
                            + "); continue it (resume the sweep in " + dir + ") or choose another out directory");
                }
                try (Stream<Path> s = Files.list(dir)) {
                    List<String> foreign = s.map(p -> p.getFileName().toString())
                            .filter(n -> !OWN.matcher(n).matches() && !(n.startsWith(".") && n.endsWith(".tmp")))
                            .sorted()
                            .toList();
                    if (!foreign.isEmpty()) {
                        throw new IllegalArgumentException("out = " + dir + " is not empty and holds no sweep (no "
                                + DEFINITION + "): "
                                + String.join(", ", foreign.subList(0, Math.min(10, foreign.size())))
                                + "; a new sweep needs a new or empty directory, so that no file"
                                + " of yours is replaced or deleted");
                    }
                }
            }
            removeTemporaryFiles();
            if (!resumed) {
                // only once the data has opened: a sweep that cannot start leaves no sweep.json behind
                RunDirectory.writeAtomically(
                        dir.resolve(DEFINITION), Json.writeLine(SweepDefinition.of(settings, space.toString())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + dir + ": " + e.getMessage(), e);
        }
        RegisteredModel base = registry.get(space.baseModel());
        ModelOptions defaults = base.defaultOptions();
        ModelOptions options = defaults.withNumClasses(data.train().numClasses())
                .withSeed(settings.search().seed());
        RecordStore store = new RecordStore(dir, settings.search().score()).load();
        store.check(settings, space.searchedAxes().contains("seed"));
        ScoreFunction scoreFunction = settings.search().score().scoreFunction();
        CandidateGenerator inner = settings.search()
                .generator()
                .create(
                        space,
                        scoreFunction,
                        settings.candidates(),
                        settings.search().gridPoints(),
                        settings.search().seed());
        int planned = inner instanceof GridSearchCandidateGenerator g
                ? Math.min(settings.candidates(), g.getTotalNumCandidates())
                : settings.candidates();
        BudgetedGenerator generator = new BudgetedGenerator(inner, settings.candidates(), stop, timeUp);
        List<String> axes = space.searchedAxes();
        listener.message(String.format(
                Locale.ROOT,
                "%s %d candidates of %s (%s search; searched: %s) on %s: %d"
                        + " training, %d validation images; score: %s; into %s%s",
                resumed ? "resuming sweep of" : "sweep of",
                planned,
                space.baseModel(),
                settings.search().generator().cliName(),
                axes.isEmpty() ? "nothing" : String.join(", ", axes),
                data.spec(),
                data.train().size(),
                data.validation().size(),
                settings.search().score().label(),
                dir,
                settings.budget().maxTimeSeconds() > 0
                        ? "; time budget " + settings.budget().maxTimeSeconds() + " s"
                        : ""));

        List<TerminationCondition> conditions = new ArrayList<>();
        conditions.add(new MaxCandidatesCondition(settings.candidates()));
        conditions.add(generator.endCondition());
        if (settings.budget().maxTimeSeconds() > 0) {
            conditions.add(new MaxTimeCondition(settings.budget().maxTimeSeconds(), TimeUnit.SECONDS));
        }
        OptimizationConfiguration conf = new OptimizationConfiguration.Builder()
                .candidateGenerator(generator)
                .dataProvider(data)
                .scoreFunction(scoreFunction)
                .terminationConditions(conditions)
                .build();
        CandidateRunner candidates = new CandidateRunner(base, options, data, store, planned, axes, timeUp);
        LocalOptimizationRunner runner =
                new LocalOptimizationRunner(settings.budget().parallel(), conf, candidates);
        runner.addListeners(candidates.generationFailures());
        runner.execute();
        if (fatal.get() != null) {
            throw fatal.get();
        }

        List<CandidateRecord> records = store.all();
        boolean complete = records.size() >= planned;
        String endReason = complete
                ? "complete"
                : stop.get() ? "stopped" : timeUp.getAsBoolean() ? "time budget reached" : "search space exhausted";
        CandidateRecord best = store.best();
        EvalResult bestTest = null;
        if (best != null && data.test() != null && !stop.get()) {
            listener.message("evaluating the best candidate (" + best.candidate() + ") on the test split ("
                    + data.test().size() + " images) ...");
            bestTest = Evaluator.evaluate(store.loadBest(best), data.test(), 256, Normalization.UNIT);
        }
        SweepResult result = new SweepResult(dir, records, axes, best, bestTest, planned, complete, endReason);
        try {
            store.writeResults();
            SweepReport.write(result, settings, space, data);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the sweep report to " + dir + ": " + e.getMessage(), e);
        }
        return result;
    }

    /** The settings as one line for messages. */
    static String describe(SweepSettings s) {
        return String.format(
                Locale.ROOT,
                "%s, generator = %s, candidates = %d, data = %s, seed = %d, score = %s,"
                        + " limitTrain = %d, limitTest = %d, valFraction = %s%s%s",
                s.space().preset() != null
                        ? "preset = " + s.space().preset()
                        : s.space().spaceJson() != null ? "a space file" : "a Java space",
                s.search().generator().cliName(),
                s.candidates(),
                s.data().spec(),
                s.search().seed(),
                s.search().score().cliName(),
                s.data().limitTrain(),
                s.data().limitTest(),
                s.data().valFraction(),
                s.overrides().epochs() != null ? ", epochs = " + s.overrides().epochs() : "",
                s.overrides().batchSize() != null
                        ? ", batchSize = " + s.overrides().batchSize()
                        : "");
    }

    /** Each Arbiter task: one candidate, trained through the zoo. */
    private final class CandidateRunner implements TaskCreator {
        private final RegisteredModel base;
        private final ModelOptions options;
        private final SweepData data;
        private final RecordStore store;
        private final int planned;
        private final List<String> axes;
        private final BooleanSupplier timeUp;

        CandidateRunner(
                RegisteredModel base,
                ModelOptions options,
                SweepData data,
                RecordStore store,
                int planned,
                List<String> axes,
                BooleanSupplier timeUp) {
            this.base = base;
            this.options = options;
            this.data = data;
            this.store = store;
            this.planned = planned;
            this.axes = axes;
            this.timeUp = timeUp;
        }

        @Override
        public Callable<OptimizationResult> create(
                Candidate candidate,
                DataProvider dataProvider,
                ScoreFunction scoreFunction,
                List<StatusListener> statusListeners,
                IOptimizationRunner runner) {
            return () -> run(candidate);
        }

        @Override
        public Callable<OptimizationResult> create(
                Candidate candidate,
                Class<? extends DataSource> dataSource,
                Properties dataSourceProperties,
                ScoreFunction scoreFunction,
                List<StatusListener> statusListeners,
                IOptimizationRunner runner) {
            throw new UnsupportedOperationException("a sweep gives its data as a DataProvider");
        }

        /** Records candidates that the generator failed to produce (Arbiter does not run a task for them). */
        StatusListener generationFailures() {
            return new BaseStatusListener() {
                @Override
                public void onCandidateStatusChange(
                        CandidateInfo info, IOptimizationRunner runner, OptimizationResult result) {
                    if (result == null && info.getCandidateStatus() == CandidateStatus.Failed) {
                        int number = info.getIndex() + 1;
                        String why = firstLine(info.getExceptionStackTrace());
                        CandidateRecord r = record(
                                number,
                                null,
                                CandidateRecord.Status.FAILED,
                                "the generator could not produce this candidate: " + why,
                                null,
                                null,
                                null,
                                null,
                                0,
                                0,
                                Instant.now(),
                                null);
                        CandidateRecord best = store.commit(r, null);
                        listener.ended(r, best, planned, axes, false);
                    }
                }
            };
        }

        private OptimizationResult run(Candidate candidate) {
            int number = candidate.getIndex() + 1;
            ModelCandidate mc = (ModelCandidate) candidate.getValue();
            String key = mc.key();
            CandidateRecord earlier = store.get(number);
            if (earlier != null) {
                if (key.equals(earlier.key())) {
                    listener.ended(earlier, store.best(), planned, axes, true);
                    return result(candidate, earlier);
                }
                return fail(
                        candidate,
                        new IllegalStateException("candidate " + number + " of the resumed sweep in "
                                + dir + " is " + mc.describe(axes) + " but its record says " + earlier.choices()
                                + "; the generator did not repeat its sequence (a genetic search with parallel above 1"
                                + " depends on the order in which results arrive), so the sweep cannot be resumed; start a"
                                + " new one"));
            }
            CandidateRecord same = store.finishedWithKey(key, number);
            if (same != null) {
                Instant now = Instant.now();
                CandidateRecord r = same.toBuilder()
                        .candidate(number)
                        .message("same configuration as candidate " + same.candidate() + ": its result is reused,"
                                + " not trained again")
                        .timing(new CandidateRecord.Timing(0, 0, now.toString(), now.toString()))
                        .provenance(Provenance.current())
                        .build();
                CandidateRecord best = store.commit(r, null);
                listener.ended(r, best, planned, axes, false);
                return result(candidate, r);
            }
            if (stop.get() || timeUp.getAsBoolean()) {
                return cancelled(candidate);
            }
            return train(candidate, number, mc);
        }

        private OptimizationResult train(Candidate candidate, int number, ModelCandidate mc) {
            Instant started = Instant.now();
            long t0 = System.nanoTime();
            String name = String.format(Locale.ROOT, "candidate_%04d", number);
            String runDir = CANDIDATES + "/" + String.format(Locale.ROOT, "c%04d", number);
            Path rd = dir.resolve(runDir);
            ResolvedCandidate rc = null;
            Long trainable = null;
            Long total = null;
            Trainer trainer = null;
            try {
                rc = ModelAxes.resolve(base, options, mc);
                ComputationGraphConfiguration conf = rc.configure();
                trainable = ParameterCounts.trainable(conf);
                total = ParameterCounts.total(conf);
                boolean continued = prepareRunDirectory(rd, mc);
                listener.started(number, planned, mc, axes, continued);
                ModelRegistry own = new ModelRegistry();
                rc.register(own, name, "sweep candidate " + number + " of " + base.name() + ": " + mc.describe(axes));
                Trainer t = new Trainer(own, err, progressStyle)
                        .label("c" + number)
                        .handleInterrupts(handleInterrupts)
                        .companionFiles(Set.of(CANDIDATE_FILE));
                trainer = t;
                t.afterIteration(i -> {
                    if (stop.get() || timeUp.getAsBoolean()) {
                        t.requestStop();
                    }
                    afterIteration.accept(number, i);
                });
                active.add(t);
                if (stop.get()) {
                    return cancelled(candidate);
                }
                RunConfig rcfg = new RunConfig(
                        name,
                        rc.options(),
                        data.spec(),
                        rc.epochs(),
                        rc.batchSize(),
                        data.augment(),
                        Normalization.UNIT,
                        0,
                        0);
                TrainResult tr = candidateTrainer != null
                        ? candidateTrainer.train(
                                new CandidateTrainer.Task(
                                        number,
                                        name,
                                        "sweep candidate " + number + " of " + base.name() + ": " + mc.describe(axes),
                                        mc,
                                        options,
                                        rcfg,
                                        rd,
                                        continued,
                                        settings,
                                        "c" + number),
                                t)
                        : continued
                                ? t.resume(rd, data.trainerSplit(), 0, Double.NaN)
                                : t.train(rcfg, data.trainerSplit(), rd);
                if (tr.interrupted()) {
                    return cancelled(candidate);
                }
                EvalResult val = tr.finalEvaluation();
                if (val == null) {
                    throw new IllegalStateException("candidate " + number + " trained but has no validation result");
                }
                double score = settings.search().score().of(val);
                CandidateRecord r = record(
                        number,
                        mc,
                        CandidateRecord.Status.FINISHED,
                        null,
                        rc,
                        trainable,
                        total,
                        new double[] {score, val.accuracy(), val.loss()},
                        tr.trainSeconds(),
                        (System.nanoTime() - t0) / 1e9,
                        started,
                        runDir);
                CandidateRecord best = store.commit(r, rd.resolve(tr.state().checkpoint()));
                listener.ended(r, best, planned, axes, false);
                return result(candidate, r);
            } catch (IOException e) {
                return fail(
                        candidate,
                        new UncheckedIOException("cannot prepare the run directory " + rd + ": " + e.getMessage(), e));
            } catch (RuntimeException | Error e) {
                if (e instanceof VirtualMachineError vme && !(e instanceof OutOfMemoryError)) {
                    throw vme;
                }
                String message = e.getMessage() == null || e.getMessage().isBlank()
                        ? e.getClass().getSimpleName()
                        : e.getMessage();
                if (!(e instanceof IllegalArgumentException)
                        && !(e instanceof org.dl4jpe.zoo.train.NonFiniteLossException)) {
                    message = e.getClass().getSimpleName() + ": " + message;
                }
                CandidateRecord r = record(
                        number,
                        mc,
                        CandidateRecord.Status.FAILED,
                        message,
                        rc,
                        trainable,
                        total,
                        null,
                        0,
                        (System.nanoTime() - t0) / 1e9,
                        started,
                        Files.isDirectory(rd) ? runDir : null);
                CandidateRecord best = store.commit(r, null);
                listener.ended(r, best, planned, axes, false);
                return result(candidate, r);
            } finally {
                if (trainer != null) {
                    active.remove(trainer);
                }
            }
        }

        /**
         * Makes {@code rd} ready for {@code mc}: true when it holds a checkpoint of this very candidate to continue
         * from; otherwise it is emptied (a run of another configuration, or one that never saved an epoch).
         */
        private boolean prepareRunDirectory(Path rd, ModelCandidate mc) throws IOException {
            Path marker = rd.resolve(CANDIDATE_FILE);
            if (Files.isDirectory(rd)) {
                RunDirectory run = new RunDirectory(rd);
                boolean same = false;
                if (Files.isRegularFile(marker)) {
                    Map<?, ?> m = Json.mapper().readValue(marker.toFile(), Map.class);
                    same = mc.key().equals(m.get("key"));
                }
                if (same && run.hasState()) {
                    RunState s = run.readState();
                    if (s.checkpoint() != null && Files.isRegularFile(run.checkpointFile(s))) {
                        return true;
                    }
                }
                deleteRecursively(rd);
            }
            Files.createDirectories(rd);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", mc.key());
            m.put("baseModel", mc.baseModel());
            m.put("choices", exactChoices(mc));
            RunDirectory.writeAtomically(marker, Json.writeLine(m));
            return false;
        }

        private CandidateRecord record(
                int number,
                ModelCandidate mc,
                CandidateRecord.Status status,
                String message,
                ResolvedCandidate rc,
                Long trainable,
                Long total,
                double[] scores,
                double trainSeconds,
                double wallSeconds,
                Instant started,
                String runDir) {
            long seed = rc != null ? rc.options().seed() : options.seed();
            return CandidateRecord.builder(number, status)
                    .message(message)
                    .drawn(new CandidateRecord.Drawn(
                            base.name(),
                            base.family(),
                            mc == null ? Map.of() : exactChoices(mc),
                            mc == null ? null : mc.key()))
                    .resolved(
                            rc == null
                                    ? CandidateRecord.Resolved.unresolved(seed)
                                    : new CandidateRecord.Resolved(
                                            components(rc.config()),
                                            exact(rc.options().fields()),
                                            rc.batchSize(),
                                            rc.epochs(),
                                            seed))
                    .score(
                            scores == null
                                    ? CandidateRecord.Score.none(
                                            settings.search().score().cliName())
                                    : new CandidateRecord.Score(
                                            settings.search().score().cliName(), scores[0], scores[1], scores[2]))
                    .size(new CandidateRecord.Size(trainable, total))
                    .timing(new CandidateRecord.Timing(
                            trainSeconds,
                            wallSeconds,
                            started.toString(),
                            Instant.now().toString()))
                    .runDirectory(runDir)
                    .provenance(Provenance.current())
                    .build();
        }

        private OptimizationResult result(Candidate candidate, CandidateRecord r) {
            long now = System.currentTimeMillis();
            CandidateStatus status = r.finished() ? CandidateStatus.Complete : CandidateStatus.Failed;
            CandidateInfo info = new CandidateInfo(
                    candidate.getIndex(),
                    status,
                    r.score().value(),
                    now,
                    now,
                    now,
                    candidate.getFlatParameters(),
                    r.finished() ? null : r.message());
            return new OptimizationResult(
                    candidate, r.finished() ? r.score().value() : null, candidate.getIndex(), null, info, null);
        }

        /** Stops the sweep because of {@code e}, which {@link #run()} then throws. */
        private OptimizationResult fail(Candidate candidate, RuntimeException e) {
            fatal.compareAndSet(null, e);
            requestStop();
            return cancelled(candidate);
        }

        private OptimizationResult cancelled(Candidate candidate) {
            long now = System.currentTimeMillis();
            CandidateInfo info = new CandidateInfo(
                    candidate.getIndex(),
                    CandidateStatus.Cancelled,
                    null,
                    now,
                    now,
                    now,
                    candidate.getFlatParameters(),
                    null);
            return new OptimizationResult(candidate, null, candidate.getIndex(), null, info, null);
        }
    }

    static Map<String, String> exactChoices(ModelCandidate mc) {
        return exact(mc.choices());
    }

    /** {@code values} as exact text, in their order. */
    static Map<String, String> exact(Map<String, ?> values) {
        Map<String, String> m = new LinkedHashMap<>();
        values.forEach((k, v) -> m.put(k, ModelCandidate.exact(v)));
        return m;
    }

    /** A record's components as exact text, in declaration order. */
    static Map<String, String> components(Object record) {
        Map<String, String> m = new LinkedHashMap<>();
        if (record == null || !record.getClass().isRecord()) {
            if (record != null) {
                m.put("value", String.valueOf(record));
            }
            return m;
        }
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            try {
                m.put(c.getName(), ModelCandidate.exact(c.getAccessor().invoke(record)));
            } catch (ReflectiveOperationException e) {
                m.put(c.getName(), "?");
            }
        }
        return m;
    }

    static String firstLine(String text) {
        if (text == null || text.isBlank()) {
            return "unknown error";
        }
        String line = text.strip().lines().findFirst().orElse(text);
        return line.length() > 300 ? line.substring(0, 300) + " ..." : line;
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
