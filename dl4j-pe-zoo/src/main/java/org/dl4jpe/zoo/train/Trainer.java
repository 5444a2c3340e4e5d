package org.dl4jpe.zoo.train;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.ParameterCounts;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.data.DataSplit;
import org.dl4jpe.zoo.data.ImageBatchIterator;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.dl4jpe.zoo.data.Seeds;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Trains a registered model on a {@link DataSplit}, epoch by epoch, into a {@link RunDirectory}.
 *
 * <ul>
 *   <li>Progress on standard error ({@link Progress}): loss, accuracy, images/s, ETA.</li>
 *   <li>A checkpoint after every epoch and every {@link #checkpointEvery} of training time (default
 *       {@link #DEFAULT_CHECKPOINT_EVERY_SECONDS} s), written crash-safe; {@link #resume} continues from the last
 *       one exactly: the data order (the order of epoch e is drawn from the seed and e), the batch position, the
 *       updater state and the random state (reseeded from the seed, the epoch and the batch before every batch)
 *       are those of an uninterrupted run, so the final weights are the same.</li>
 *   <li>The run directory is locked ({@link RunLock}) while the run writes there, a new run is refused in a
 *       directory holding anything not its own, and a resume verifies state and checkpoint first
 *       ({@link RunDirectory#open}, {@link RunDirectory#readState}, {@link RunDirectory#loadModel}).</li>
 *   <li>Every image's header and the folder structure of both splits are checked before training
 *       ({@link DataSplit#checkImages}); a batch that still fails to load saves what was trained first.</li>
 *   <li>{@link #requestStop()} (and Ctrl-C or SIGTERM, with {@link #handleInterrupts}) ends the run after the
 *       current batch and saves a mid-epoch checkpoint.</li>
 *   <li>A NaN or infinite loss stops the run with {@link NonFiniteLossException}; nothing is saved, so the
 *       last good checkpoint stays as it was.</li>
 * </ul>
 */
public final class Trainer {
    /** Default of {@link #checkpointEvery}: a kill loses at most this much training time. */
    public static final long DEFAULT_CHECKPOINT_EVERY_SECONDS = 300;

    private final ModelRegistry registry;
    private final Progress progress;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private boolean handleInterrupts;
    private String label = "";
    /** 0: the run's training batch size (so that evaluating adds no new input shape to the layers' buffers). */
    private int evalBatchSize = 0;

    private IntConsumer afterIteration = i -> {};
    private Runnable beforeSave = () -> {};
    private LongSupplier clock = System::nanoTime;
    private long checkpointEveryNanos = TimeUnit.SECONDS.toNanos(DEFAULT_CHECKPOINT_EVERY_SECONDS);
    private Set<String> companions = Set.of();
    private EpochFitter epochFitter;

    /**
     * @param registry where model names are looked up
     * @param err      where progress and messages go (standard error in the command line)
     * @param style    progress display
     */
    public Trainer(ModelRegistry registry, PrintStream err, Progress.Style style) {
        this.registry = registry;
        this.progress = new Progress(err, style, 10.0);
    }

    /** Whether Ctrl-C (JVM shutdown) saves a checkpoint at the end of the current batch. */
    public Trainer handleInterrupts(boolean on) {
        this.handleInterrupts = on;
        return this;
    }

    /** A prefix for progress lines ("A", "B" in comparisons). */
    public Trainer label(String label) {
        this.label = label == null ? "" : label;
        return this;
    }

    /**
     * The batch size of the test-set evaluations (default: the run's training batch size, whose arrays the direct
     * engines already hold).
     */
    public Trainer evalBatchSize(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("evalBatchSize " + n + " must be positive");
        }
        this.evalBatchSize = n;
        return this;
    }

    private int evalBatch(RunConfig config) {
        return evalBatchSize > 0 ? evalBatchSize : config.batchSize();
    }

    /** Called with the iteration count after every parameter update (tests use it to interrupt). */
    public Trainer afterIteration(IntConsumer hook) {
        this.afterIteration = hook;
        return this;
    }

    /** Called before every checkpoint is written (fault-injection tests and scripts use it). */
    public Trainer beforeSave(Runnable hook) {
        this.beforeSave = hook;
        return this;
    }

    /** The clock of time-based checkpoints, in nanoseconds (tests give a fake one). */
    public Trainer clock(LongSupplier nanos) {
        this.clock = nanos;
        return this;
    }

    /**
     * A mid-epoch checkpoint whenever this much time has passed since the last one (0: at epoch ends and stops
     * only).
     */
    public Trainer checkpointEvery(long amount, TimeUnit unit) {
        if (amount < 0) {
            throw new IllegalArgumentException("checkpointEvery = " + amount + " " + unit + " must not be negative");
        }
        this.checkpointEveryNanos = unit.toNanos(amount);
        return this;
    }

    /** Files the caller writes into a new run's directory before training, which count as the run's own. */
    public Trainer companionFiles(Set<String> names) {
        this.companions = Set.copyOf(names);
        return this;
    }

    /**
     * Fits whole epochs with {@code fitter} (a distributed engine: Spark, ParallelWrapper) instead of this trainer's
     * batch loop; everything else (checks, evaluation, checkpoints, metrics, curves, resume) stays the same. A stop
     * request then takes effect between epochs. Null: the batch loop.
     */
    public Trainer epochFitter(EpochFitter fitter) {
        this.epochFitter = fitter;
        return this;
    }

    /** Ends the run after the current batch, saving a checkpoint. */
    public void requestStop() {
        stopRequested.set(true);
    }

    /** Opens the data a config names, adapted to its model's input shape and limits. */
    public static DataSplit openData(RunConfig config) {
        ModelOptions o = config.options();
        return DataSets.open(config.data(), o.inputChannels(), o.inputHeight(), o.inputWidth())
                .limit(config.trainLimit(), config.testLimit());
    }

    /** Starts a new run of {@code config} on {@code data} in {@code outDir}, which must not hold a run. */
    public TrainResult train(RunConfig config, DataSplit data, Path outDir) {
        RunDirectory rd = new RunDirectory(outDir, companions);
        RegisteredModel model = registry.get(config.model());
        ImageSource train = data.requireTrain();
        checkClasses(config, data);
        data.checkImages();
        RunLock lock = rd.open(false, "pe train of " + config.model());
        try {
            ComputationGraph net = model.create(config.options());
            applySchedule(net, config, train);
            long trainable = ParameterCounts.trainable(net);
            RunState state = RunState.of(
                    config,
                    RunState.Position.START,
                    List.of(),
                    new RunState.ModelInfo(
                            train.classNames(),
                            new int[] {train.channels(), train.height(), train.width()},
                            trainable,
                            RunDirectory.fingerprint(net)),
                    train.size(),
                    RunState.Status.RUNNING);
            return run(rd, config, data, net, state);
        } finally {
            lock.close();
        }
    }

    /**
     * Continues the run in {@code outDir} from its last checkpoint.
     *
     * @param epochs       new total number of epochs, or 0 to keep the run's
     * @param learningRate new learning rate, or NaN to keep the run's
     */
    public TrainResult resume(Path outDir, DataSplit data, int epochs, double learningRate) {
        RunDirectory rd = new RunDirectory(outDir, companions);
        RunLock lock = rd.open(true, "resuming training");
        try {
            return resume(rd, data, epochs, learningRate);
        } finally {
            lock.close();
        }
    }

    private TrainResult resume(RunDirectory rd, DataSplit data, int epochs, double learningRate) {
        Path outDir = rd.dir();
        RunState state = rd.readState();
        RunConfig config = state.config();
        repairDerivedFiles(rd, state);
        if (epochs > 0 && epochs < state.epochsDone()) {
            throw new IllegalArgumentException("epochs = " + epochs + " is below the " + state.epochsDone()
                    + " epochs the run in " + outDir + " has already trained; give epochs = " + state.epochsDone()
                    + " or more (it is the run's total)");
        }
        if (epochs > 0) {
            config = config.withEpochs(epochs);
        }
        RegisteredModel model = registry.get(config.model());
        long configured = ParameterCounts.trainable(model.configure(config.options()));
        if (configured != state.trainableParameters()) {
            throw new InvalidDataException(rd.stateFile() + ": model " + config.model() + " with the run's options"
                    + " has " + configured + " trainable parameters, but the run recorded "
                    + state.trainableParameters() + "; the state does not describe this run");
        }
        ComputationGraph net = rd.loadModel(state);
        checkClasses(config, data);
        if (!data.requireTrain().classNames().equals(state.classNames())) {
            throw new InvalidDataException(
                    "data = " + data.spec() + " has classes " + data.train().classNames() + " but the run in " + outDir
                            + " was trained on " + state.classNames());
        }
        if (state.trainImages() != null && state.trainImages() != data.train().size()) {
            throw new InvalidDataException("data = " + data.spec() + " has "
                    + data.train().size() + " training"
                    + " images but the run in " + outDir + " was trained on " + state.trainImages() + " ("
                    + config.data() + "); a resumed run continues on the same data (moved: give its new data = path)");
        }
        List<String> changes = new ArrayList<>();
        if (!data.spec().equals(config.data())) {
            changes.add("data " + config.data() + " -> " + data.spec());
            config = config.withData(data.spec());
        }
        if (config.epochs() != state.config().epochs()) {
            changes.add("epochs " + state.config().epochs() + " -> " + config.epochs());
        }
        if (!Double.isNaN(learningRate) && learningRate != config.options().learningRate()) {
            changes.add(String.format(
                    Locale.ROOT, "learningRate %.4g -> %.4g", config.options().learningRate(), learningRate));
            config = config.withOptions(config.options().withLearningRate(learningRate));
            net.setLearningRate(learningRate);
        }
        if (state.epochsDone() >= config.epochs()) {
            progress.message("run in " + outDir + " already has " + state.epochsDone() + " of " + config.epochs()
                    + " epochs; nothing to do (resume with more epochs to train further)");
            EvalResult last = data.test() != null && !state.history().isEmpty()
                    ? Evaluator.evaluate(net, data.test(), evalBatch(config), config.normalization())
                    : null;
            return new TrainResult(outDir, state, false, last, state.trainableParameters());
        }
        applySchedule(net, config, data.requireTrain());
        data.checkImages();
        progress.message(String.format(
                Locale.ROOT,
                "resuming %s from %s: epoch %d of %d%s%s",
                config.model(),
                rd.checkpointFile(state).getFileName(),
                state.epochsDone() + 1,
                config.epochs(),
                state.batchInEpoch() > 0 ? ", batch " + (state.batchInEpoch() + 1) : "",
                changes.isEmpty()
                        ? ""
                        : " (changed, recorded in " + RunDirectory.STATE + ": " + String.join(", ", changes) + ")"));
        state = state.with(config, RunState.Status.RUNNING).withFingerprint(RunDirectory.fingerprint(net));
        return run(rd, config, data, net, state);
    }

    /**
     * Puts the run's learning-rate schedule on {@code net} (before its fingerprint is taken): the same curve on every
     * start of the run, with DL4J's iteration count, which checkpoints keep, saying where on it the run is.
     */
    private static void applySchedule(ComputationGraph net, RunConfig config, ImageSource train) {
        ISchedule schedule = config.schedule()
                .perIteration(
                        config.options().learningRate(),
                        ImageBatchIterator.batchesPerEpoch(train.size(), config.batchSize()),
                        config.epochs());
        if (schedule != null) {
            net.setLearningRate(schedule);
        }
    }

    /**
     * metrics.csv and curves.png follow state.json: a process killed (or a disk that filled up) between the commit
     * of the state and their rewrite left them one epoch behind or missing; they are rebuilt from the state.
     */
    private static void repairDerivedFiles(RunDirectory rd, RunState state) {
        try {
            String csv = RunDirectory.csv(state.history());
            boolean stale = !Files.isRegularFile(rd.metricsFile())
                    || !csv.equals(Files.readString(rd.metricsFile(), java.nio.charset.StandardCharsets.UTF_8));
            if (stale) {
                RunDirectory.writeAtomically(rd.metricsFile(), csv);
            }
            if (!state.history().isEmpty() && (stale || !Files.isRegularFile(rd.curvesFile()))) {
                Charts.trainingCurves(curvesTitle(state.config()), state.history(), rd.curvesFile());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to run directory " + rd.dir() + ": " + e.getMessage(), e);
        }
    }

    private static String curvesTitle(RunConfig config) {
        return config.model() + " on " + config.data();
    }

    private static void checkClasses(RunConfig config, DataSplit data) {
        ImageSource train = data.requireTrain();
        if (config.options().numClasses() != train.numClasses()) {
            throw new IllegalArgumentException("model " + config.model() + " has numClasses "
                    + config.options().numClasses() + " but data = " + data.spec() + " has " + train.numClasses()
                    + " classes");
        }
        if (data.test() != null && !data.test().classNames().equals(train.classNames())) {
            throw new InvalidDataException("data = " + data.spec() + ": the test split's classes "
                    + data.test().classNames() + " differ from the training split's " + train.classNames());
        }
    }

    private TrainResult run(RunDirectory rd, RunConfig config, DataSplit data, ComputationGraph net, RunState start) {
        Interrupts.Guard guard = null;
        if (handleInterrupts) {
            Interrupts.install();
            guard = Interrupts.enter(this::requestStop);
        }
        try {
            return loop(rd, config, data, net, start);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to run directory " + rd.dir() + ": " + e.getMessage(), e);
        } finally {
            if (guard != null) {
                guard.close();
            }
        }
    }

    private TrainResult loop(RunDirectory rd, RunConfig config, DataSplit data, ComputationGraph net, RunState start)
            throws IOException {
        if (epochFitter != null) {
            return loopEpochs(rd, config, data, net, start);
        }
        ImageSource train = data.requireTrain();
        ImageSource test = data.test();
        ModelOptions o = config.options();
        long seed = o.seed();
        ImageBatchIterator it =
                ImageBatchIterator.training(train, config.batchSize(), seed, config.augment(), config.normalization());
        int batches = it.batchesPerEpoch();
        BatchStats stats = new BatchStats(net);
        net.setListeners(stats);

        RunState state = start;
        List<EpochMetrics> history = new ArrayList<>(state.history());
        long iteration = state.iteration();
        EvalResult lastEval = null;
        double runSeconds = 0;
        long runBatches = 0;
        long totalBatches = (long) (config.epochs() - state.epochsDone()) * batches - state.batchInEpoch();
        long lastSave = clock.getAsLong();
        boolean trained = false;

        for (int epoch = state.epochsDone(); epoch < config.epochs(); epoch++) {
            int first = epoch == state.epochsDone() ? state.batchInEpoch() : 0;
            RunState.PartialEpoch partial =
                    first > 0 && state.partial() != null ? state.partial() : new RunState.PartialEpoch(0, 0, 0, 0);
            it.setEpoch(epoch);
            it.skipBatches(first);
            double lossSum = partial.lossSum();
            long correct = partial.correct();
            long seen = partial.seen();
            double epochSeconds = partial.seconds();
            while (it.hasNext()) {
                if (stopRequested.get()) {
                    if (!trained) {
                        return notStarted(rd, state);
                    }
                    return interrupt(
                            rd,
                            net,
                            state,
                            at(epoch, it.position(), iteration, lossSum, correct, seen, epochSeconds),
                            history,
                            lastEval);
                }
                int position = it.position();
                if (checkpointEveryNanos > 0
                        && position > 0
                        && trained
                        && clock.getAsLong() - lastSave >= checkpointEveryNanos) {
                    state = midEpoch(
                            state,
                            at(epoch, position, iteration, lossSum, correct, seen, epochSeconds),
                            history,
                            RunState.Status.RUNNING);
                    save(rd, net, state);
                    lastSave = clock.getAsLong();
                }
                // the random state of every batch (dropout, drop path) depends on (seed, epoch, batch) only, so a
                // run resumed at any batch continues exactly as an uninterrupted one
                Nd4j.getRandom().setSeed(Seeds.mix(seed, ((long) epoch << 20) + position));
                long t0 = System.nanoTime();
                DataSet ds;
                try {
                    ds = it.next();
                } catch (RuntimeException e) {
                    throw keepWhatWasTrained(
                            rd,
                            net,
                            state,
                            at(epoch, position, iteration, lossSum, correct, seen, epochSeconds),
                            history,
                            trained,
                            e);
                }
                int n = ds.numExamples();
                stats.expect(ds.getLabels());
                double reg = net.calcRegularizationScore(true); // score() = data loss + reg, at these params
                net.fit(ds);
                double score = net.score();
                double loss;
                long right;
                if (stats.computed()) {
                    loss = stats.loss();
                    right = stats.correct();
                } else {
                    loss = score - reg;
                    right = correctOf(net, ds);
                }
                iteration++;
                if (!Double.isFinite(loss) || !Double.isFinite(score)) {
                    throw nonFinite(
                            rd,
                            state,
                            config,
                            epoch,
                            it.position(),
                            batches,
                            iteration,
                            Double.isFinite(loss) ? score : loss);
                }
                double dt = (System.nanoTime() - t0) / 1e9;
                epochSeconds += dt;
                runSeconds += dt;
                runBatches++;
                lossSum += loss * n;
                correct += right;
                seen += n;
                double eta = runSeconds / runBatches * (totalBatches - runBatches);
                progress.update(
                        label,
                        epoch + 1,
                        config.epochs(),
                        it.position(),
                        batches,
                        lossSum / seen,
                        reg,
                        correct / (double) seen,
                        seen / epochSeconds,
                        eta);
                trained = true;
                afterIteration.accept((int) iteration);
            }
            if (stopRequested.get()) {
                return interrupt(
                        rd,
                        net,
                        state,
                        at(epoch, it.position(), iteration, lossSum, correct, seen, epochSeconds),
                        history,
                        lastEval);
            }
            net.incrementEpochCount();
            Ended e = endEpoch(
                    rd,
                    config,
                    test,
                    net,
                    state,
                    history,
                    epoch,
                    iteration,
                    lossSum / seen,
                    correct / (double) seen,
                    epochSeconds,
                    seen);
            state = e.state();
            lastEval = e.eval();
            lastSave = clock.getAsLong();
        }
        return finish(rd, config, test, net, state, history, lastEval);
    }

    /** {@link #loop} with an {@link EpochFitter}: one call per epoch. */
    private TrainResult loopEpochs(
            RunDirectory rd, RunConfig config, DataSplit data, ComputationGraph net, RunState start)
            throws IOException {
        ImageSource train = data.requireTrain();
        ImageSource test = data.test();
        int batches = ImageBatchIterator.training(
                        train, config.batchSize(), config.options().seed(), false, config.normalization())
                .batchesPerEpoch();
        RunState state = start;
        List<EpochMetrics> history = new ArrayList<>(state.history());
        long iteration = state.iteration();
        EvalResult lastEval = null;
        for (int epoch = state.epochsDone(); epoch < config.epochs(); epoch++) {
            if (stopRequested.get()) {
                return interrupt(rd, net, state, at(epoch, 0, iteration, 0, 0, 0, 0), history, lastEval);
            }
            int first = epoch == start.epochsDone() ? start.batchInEpoch() : 0;
            RunState.PartialEpoch partial =
                    first > 0 && start.partial() != null ? start.partial() : new RunState.PartialEpoch(0, 0, 0, 0);
            EpochFitter.Fit fit = epochFitter.fit(net, train, config, epoch, first);
            net = fit.net();
            iteration += fit.iterations();
            if (!Double.isFinite(fit.trainLoss())) {
                throw nonFinite(rd, state, config, epoch, batches, batches, iteration, fit.trainLoss());
            }
            long seen = partial.seen() + fit.images();
            double loss = (partial.lossSum() + fit.trainLoss() * fit.images()) / seen;
            double accuracy = Double.isNaN(fit.trainAccuracy())
                    ? Double.NaN
                    : (partial.correct() + fit.trainAccuracy() * fit.images()) / seen;
            net.getConfiguration().setEpochCount(epoch + 1);
            Ended e = endEpoch(
                    rd,
                    config,
                    test,
                    net,
                    state,
                    history,
                    epoch,
                    iteration,
                    loss,
                    accuracy,
                    partial.seconds() + fit.seconds(),
                    seen);
            state = e.state();
            lastEval = e.eval();
        }
        return finish(rd, config, test, net, state, history, lastEval);
    }

    /** What {@link #endEpoch} leaves: the committed state and the test evaluation (null without a test set). */
    private record Ended(RunState state, EvalResult eval) {}

    /** The end of an epoch: test evaluation, metrics, checkpoint and state, curves, the progress line. */
    private Ended endEpoch(
            RunDirectory rd,
            RunConfig config,
            ImageSource test,
            ComputationGraph net,
            RunState state,
            List<EpochMetrics> history,
            int epoch,
            long iteration,
            double trainLoss,
            double trainAccuracy,
            double epochSeconds,
            long seen)
            throws IOException {
        EvalResult lastEval = null;
        double testLoss = Double.NaN;
        double testAcc = Double.NaN;
        double regularization = net.calcRegularizationScore(true);
        if (test != null) {
            try {
                lastEval = Evaluator.evaluate(net, test, evalBatch(config), config.normalization());
            } catch (RuntimeException e) {
                // keep the epoch: saved without its test metrics, then the error
                history.add(new EpochMetrics(
                        epoch + 1,
                        trainLoss,
                        regularization,
                        trainAccuracy,
                        Double.NaN,
                        Double.NaN,
                        epochSeconds,
                        seen / epochSeconds));
                RunState kept = state.next(
                        config,
                        RunState.Position.afterEpoch(epoch + 1, iteration),
                        history,
                        RunState.Status.INTERRUPTED);
                save(rd, net, kept);
                throw new InvalidDataException(
                        "evaluating epoch " + (epoch + 1) + " on the test split failed: "
                                + e.getMessage() + "; the epoch is kept in " + rd.checkpointFile(kept)
                                + " (continue: resume the run in "
                                + rd.dir() + ")",
                        e);
            }
            testLoss = lastEval.loss();
            testAcc = lastEval.accuracy();
        }
        EpochMetrics m = new EpochMetrics(
                epoch + 1,
                trainLoss,
                regularization,
                trainAccuracy,
                testLoss,
                testAcc,
                epochSeconds,
                seen / epochSeconds);
        history.add(m);
        boolean last = epoch + 1 == config.epochs();
        state = state.next(
                config,
                RunState.Position.afterEpoch(epoch + 1, iteration),
                history,
                last ? RunState.Status.FINISHED : RunState.Status.RUNNING);
        save(rd, net, state);
        Charts.trainingCurves(curvesTitle(config), history, rd.curvesFile());
        progress.epochDone(String.format(
                Locale.ROOT,
                "%sepoch %d/%d train loss %.4f%s acc %s | test loss %.4f acc %.4f | %.1f s, %.0f img/s",
                label.isEmpty() ? "" : label + " ",
                epoch + 1,
                config.epochs(),
                m.trainLoss(),
                m.regularization() > 0 ? String.format(Locale.ROOT, " (+%.4f reg)", m.regularization()) : "",
                Double.isNaN(m.trainAccuracy())
                        ? "-" // engines that do not measure it (Spark, ParallelWrapper)
                        : String.format(Locale.ROOT, "%.4f", m.trainAccuracy()),
                testLoss,
                testAcc,
                epochSeconds,
                m.imagesPerSecond()));
        return new Ended(state, lastEval);
    }

    /** After the last epoch: the final evaluation if none was made, and the state marked finished. */
    private TrainResult finish(
            RunDirectory rd,
            RunConfig config,
            ImageSource test,
            ComputationGraph net,
            RunState state,
            List<EpochMetrics> history,
            EvalResult lastEval)
            throws IOException {
        if (lastEval == null && test != null && !history.isEmpty()) {
            lastEval = Evaluator.evaluate(net, test, evalBatch(config), config.normalization());
        }
        if (!state.finished() && state.epochsDone() >= config.epochs()) {
            state = state.with(config, RunState.Status.FINISHED);
            rd.writeState(state);
        }
        return new TrainResult(rd.dir(), state, false, lastEval, state.trainableParameters());
    }

    /** Where a run stands within epoch {@code epoch} (0-based), before batch {@code position}, with its tallies. */
    private static RunState.Position at(
            int epoch, int position, long iteration, double lossSum, long correct, long seen, double epochSeconds) {
        return RunState.Position.inEpoch(
                epoch, position, iteration, new RunState.PartialEpoch(lossSum, correct, seen, epochSeconds));
    }

    private TrainResult interrupt(
            RunDirectory rd,
            ComputationGraph net,
            RunState state,
            RunState.Position here,
            List<EpochMetrics> history,
            EvalResult lastEval)
            throws IOException {
        RunState s = midEpoch(state, here, history, RunState.Status.INTERRUPTED);
        save(rd, net, s);
        progress.message("interrupted: stopped at epoch " + (here.epochsDone() + 1) + ", batch "
                + here.batchInEpoch() + "; checkpoint "
                + rd.checkpointFile(s) + " saved; continue: resume the run in " + rd.dir());
        return new TrainResult(rd.dir(), s, true, lastEval, s.trainableParameters());
    }

    /** A stop before this process trained a batch: nothing new to save. */
    private TrainResult notStarted(RunDirectory rd, RunState state) {
        progress.message(
                state.checkpoint() == null
                        ? "interrupted before training started: nothing was saved in " + rd.dir()
                        : "interrupted before training continued: the run in " + rd.dir()
                                + " is unchanged; continue: resume the" + " run in " + rd.dir());
        return new TrainResult(
                rd.dir(),
                state.with(state.config(), RunState.Status.INTERRUPTED),
                true,
                null,
                state.trainableParameters());
    }

    private static RunState midEpoch(
            RunState state, RunState.Position here, List<EpochMetrics> history, RunState.Status status) {
        return state.next(state.config(), here, history, status);
    }

    private void save(RunDirectory rd, ComputationGraph net, RunState state) throws IOException {
        beforeSave.run();
        rd.save(net, state);
    }

    /** A batch failed to load: saves what this process trained (when it trained anything), then says so. */
    private RuntimeException keepWhatWasTrained(
            RunDirectory rd,
            ComputationGraph net,
            RunState state,
            RunState.Position here,
            List<EpochMetrics> history,
            boolean trained,
            RuntimeException e) {
        if (!trained) {
            return e;
        }
        try {
            RunState s = midEpoch(state, here, history, RunState.Status.INTERRUPTED);
            save(rd, net, s);
            String m = e.getMessage() + "; what was trained is kept in " + rd.checkpointFile(s)
                    + " (fix the data, then continue: resume the run in " + rd.dir() + ")";
            return e instanceof IllegalArgumentException
                    ? new InvalidDataException(m, e)
                    : new IllegalStateException(m, e);
        } catch (IOException | RuntimeException saveFailure) {
            e.addSuppressed(saveFailure);
            return e;
        }
    }

    private NonFiniteLossException nonFinite(
            RunDirectory rd,
            RunState state,
            RunConfig config,
            int epoch,
            int batch,
            int batches,
            long iteration,
            double loss) {
        String where = String.format(
                Locale.ROOT,
                "the training loss became %s at epoch %d, batch %d of %d " + "(iteration %d)",
                Double.isNaN(loss) ? "NaN" : loss > 0 ? "+Infinity" : "-Infinity",
                epoch + 1,
                batch,
                batches,
                iteration);
        Path last = state.checkpoint() == null ? null : rd.checkpointFile(state);
        String keep = last == null
                ? "no checkpoint had been saved yet"
                : "the last good checkpoint " + last + " (epoch " + state.epochsDone()
                        + (state.batchInEpoch() > 0 ? ", batch " + state.batchInEpoch() : "") + ") is kept unchanged";
        String lr = String.format(Locale.ROOT, "%.3g", config.options().learningRate());
        String hint = last == null
                ? "lower learningRate = " + lr + " and start again"
                : "continue from it with a lower learning rate: resume the run in " + rd.dir()
                        + " with learningRate below " + lr;
        progress.message("training stopped: " + where);
        return new NonFiniteLossException("training stopped: " + where + "; " + keep + "; " + hint, last);
    }

    private static long correctOf(ComputationGraph net, DataSet ds) {
        float[][] p = net.outputSingle(false, ds.getFeatures()).toFloatMatrix();
        float[][] y = ds.getLabels().toFloatMatrix();
        long c = 0;
        for (int i = 0; i < p.length; i++) {
            if (Evaluator.argmax(p[i]) == Evaluator.argmax(y[i])) {
                c++;
            }
        }
        return c;
    }
}
