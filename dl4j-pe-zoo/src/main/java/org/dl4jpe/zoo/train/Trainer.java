package org.dl4jpe.zoo.train;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
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

/**
 * Trains a registered model on a {@link DataSplit}, epoch by epoch, into a {@link RunDirectory}.
 *
 * <ul>
 *   <li>Progress on standard error ({@link Progress}): loss, accuracy, images/s, ETA.</li>
 *   <li>A checkpoint after every epoch, written crash-safe; {@link #resume} continues from the last one
 *       with the same data order (the order of epoch e is drawn from the seed and e; a run stopped mid-epoch
 *       continues at the batch where it stopped).</li>
 *   <li>{@link #requestStop()} (and Ctrl-C, with {@link #handleInterrupts}) ends the run after the current
 *       batch and saves a mid-epoch checkpoint.</li>
 *   <li>A NaN or infinite loss stops the run with {@link NonFiniteLossException}; nothing is saved, so the
 *       last good checkpoint stays as it was.</li>
 * </ul>
 */
public final class Trainer {
    private final ModelRegistry registry;
    private final Progress progress;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private boolean handleInterrupts;
    private String label = "";
    private int evalBatchSize = 256;
    private IntConsumer afterIteration = i -> { };
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

    public Trainer evalBatchSize(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("evalBatchSize " + n + " must be positive");
        }
        this.evalBatchSize = n;
        return this;
    }

    /** Called with the iteration count after every parameter update (tests use it to interrupt). */
    public Trainer afterIteration(IntConsumer hook) {
        this.afterIteration = hook;
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
        RunDirectory rd = new RunDirectory(outDir);
        if (rd.hasState()) {
            throw new IllegalArgumentException("--out " + outDir + " already holds a run (" + RunDirectory.STATE
                    + "); continue it with --resume " + outDir + " or choose another --out");
        }
        RegisteredModel model = registry.get(config.model());
        ImageSource train = data.requireTrain();
        checkClasses(config, data);
        ComputationGraph net = model.create(config.options());
        long trainable = ParameterCounts.trainable(net);
        RunState state = new RunState(RunState.FORMAT, config, null, 0, 0, 0, null, List.of(), train.classNames(),
                new int[] {train.channels(), train.height(), train.width()}, trainable, "running",
                Provenance.current());
        return run(rd, config, data, net, state);
    }

    /**
     * Continues the run in {@code outDir} from its last checkpoint.
     *
     * @param epochs       new total number of epochs, or 0 to keep the run's
     * @param learningRate new learning rate, or NaN to keep the run's
     */
    public TrainResult resume(Path outDir, DataSplit data, int epochs, double learningRate) {
        RunDirectory rd = new RunDirectory(outDir);
        RunState state = rd.readState();
        RunConfig config = state.config();
        if (epochs > 0) {
            config = config.withEpochs(epochs);
        }
        ComputationGraph net = rd.loadModel(state);
        if (!Double.isNaN(learningRate)) {
            config = config.withOptions(config.options().withLearningRate(learningRate));
            net.setLearningRate(learningRate);
        }
        checkClasses(config, data);
        if (!data.requireTrain().classNames().equals(state.classNames())) {
            throw new InvalidDataException("--data " + data.spec() + " has classes " + data.train().classNames()
                    + " but the run in " + outDir + " was trained on " + state.classNames());
        }
        if (state.epochsDone() >= config.epochs()) {
            progress.message("run in " + outDir + " already has " + state.epochsDone() + " of " + config.epochs()
                    + " epochs; nothing to do (give --epochs N to train further)");
        } else {
            progress.message(String.format(Locale.ROOT, "resuming %s from %s: epoch %d of %d%s", config.model(),
                    rd.checkpointFile(state).getFileName(), state.epochsDone() + 1, config.epochs(),
                    state.batchInEpoch() > 0 ? ", batch " + (state.batchInEpoch() + 1) : ""));
        }
        state = new RunState(state.format(), config, state.checkpoint(), state.epochsDone(), state.batchInEpoch(),
                state.iteration(), state.partial(), state.history(), state.classNames(), state.inputShape(),
                state.trainableParameters(), "running", state.provenance());
        return run(rd, config, data, net, state);
    }

    private static void checkClasses(RunConfig config, DataSplit data) {
        ImageSource train = data.requireTrain();
        if (config.options().numClasses() != train.numClasses()) {
            throw new IllegalArgumentException("model " + config.model() + " has numClasses "
                    + config.options().numClasses() + " but --data " + data.spec() + " has " + train.numClasses()
                    + " classes");
        }
        if (data.test() != null && !data.test().classNames().equals(train.classNames())) {
            throw new InvalidDataException("--data " + data.spec() + ": the test split's classes "
                    + data.test().classNames() + " differ from the training split's " + train.classNames());
        }
    }

    private TrainResult run(RunDirectory rd, RunConfig config, DataSplit data, ComputationGraph net,
                            RunState start) {
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = null;
        if (handleInterrupts) {
            hook = new Thread(() -> {
                stopRequested.set(true);
                progress.message("interrupted: saving a checkpoint after the current batch ...");
                try {
                    finished.await(5, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "pe-save-on-interrupt");
            Runtime.getRuntime().addShutdownHook(hook);
        }
        try {
            return loop(rd, config, data, net, start);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to run directory " + rd.dir() + ": " + e.getMessage(), e);
        } finally {
            finished.countDown();
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // shutting down: the hook is running and is released by the latch
                }
            }
        }
    }

    private TrainResult loop(RunDirectory rd, RunConfig config, DataSplit data, ComputationGraph net,
                             RunState start) throws IOException {
        if (epochFitter != null) {
            return loopEpochs(rd, config, data, net, start);
        }
        ImageSource train = data.requireTrain();
        ImageSource test = data.test();
        ModelOptions o = config.options();
        long seed = o.seed();
        ImageBatchIterator it = ImageBatchIterator.training(train, config.batchSize(), seed, config.augment(),
                config.normalization());
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

        for (int epoch = state.epochsDone(); epoch < config.epochs(); epoch++) {
            int first = epoch == state.epochsDone() ? state.batchInEpoch() : 0;
            RunState.PartialEpoch partial = first > 0 && state.partial() != null ? state.partial()
                    : new RunState.PartialEpoch(0, 0, 0, 0);
            it.setEpoch(epoch);
            it.skipBatches(first);
            Nd4j.getRandom().setSeed(Seeds.mix(seed, ((long) epoch << 20) + first));
            double lossSum = partial.lossSum();
            long correct = partial.correct();
            long seen = partial.seen();
            double epochSeconds = partial.seconds();
            while (it.hasNext()) {
                if (stopRequested.get()) {
                    return interrupt(rd, net, state, epoch, it.position(), iteration, lossSum, correct, seen,
                            epochSeconds, history, lastEval);
                }
                long t0 = System.nanoTime();
                DataSet ds = it.next();
                int n = ds.numExamples();
                stats.expect(ds.getLabels());
                net.fit(ds);
                double score = net.score();
                double loss;
                long right;
                if (stats.computed()) {
                    loss = stats.loss();
                    right = stats.correct();
                } else {
                    loss = score;
                    right = correctOf(net, ds);
                }
                iteration++;
                if (!Double.isFinite(loss) || !Double.isFinite(score)) {
                    throw nonFinite(rd, state, config, epoch, it.position(), batches, iteration,
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
                progress.update(label, epoch + 1, config.epochs(), it.position(), batches, lossSum / seen,
                        correct / (double) seen, seen / epochSeconds, eta);
                afterIteration.accept((int) iteration);
            }
            if (stopRequested.get()) {
                return interrupt(rd, net, state, epoch, it.position(), iteration, lossSum, correct, seen,
                        epochSeconds, history, lastEval);
            }
            net.incrementEpochCount();
            Ended e = endEpoch(rd, config, test, net, state, history, epoch, iteration, lossSum / seen,
                    correct / (double) seen, epochSeconds, seen);
            state = e.state();
            lastEval = e.eval();
        }
        return finish(rd, config, test, net, state, history, lastEval);
    }

    /** {@link #loop} with an {@link EpochFitter}: one call per epoch. */
    private TrainResult loopEpochs(RunDirectory rd, RunConfig config, DataSplit data, ComputationGraph net,
                                   RunState start) throws IOException {
        ImageSource train = data.requireTrain();
        ImageSource test = data.test();
        int batches = ImageBatchIterator.training(train, config.batchSize(), config.options().seed(), false,
                config.normalization()).batchesPerEpoch();
        RunState state = start;
        List<EpochMetrics> history = new ArrayList<>(state.history());
        long iteration = state.iteration();
        EvalResult lastEval = null;
        for (int epoch = state.epochsDone(); epoch < config.epochs(); epoch++) {
            if (stopRequested.get()) {
                return interrupt(rd, net, state, epoch, 0, iteration, 0, 0, 0, 0, history, lastEval);
            }
            int first = epoch == start.epochsDone() ? start.batchInEpoch() : 0;
            RunState.PartialEpoch partial = first > 0 && start.partial() != null ? start.partial()
                    : new RunState.PartialEpoch(0, 0, 0, 0);
            EpochFitter.Fit fit = epochFitter.fit(net, train, config, epoch, first);
            net = fit.net();
            iteration += fit.iterations();
            if (!Double.isFinite(fit.trainLoss())) {
                throw nonFinite(rd, state, config, epoch, batches, batches, iteration, fit.trainLoss());
            }
            long seen = partial.seen() + fit.images();
            double loss = (partial.lossSum() + fit.trainLoss() * fit.images()) / seen;
            double accuracy = Double.isNaN(fit.trainAccuracy()) ? Double.NaN
                    : (partial.correct() + fit.trainAccuracy() * fit.images()) / seen;
            net.getConfiguration().setEpochCount(epoch + 1);
            Ended e = endEpoch(rd, config, test, net, state, history, epoch, iteration, loss, accuracy,
                    partial.seconds() + fit.seconds(), seen);
            state = e.state();
            lastEval = e.eval();
        }
        return finish(rd, config, test, net, state, history, lastEval);
    }

    /** What {@link #endEpoch} leaves: the committed state and the test evaluation (null without a test set). */
    private record Ended(RunState state, EvalResult eval) {
    }

    /** The end of an epoch: test evaluation, metrics, checkpoint and state, curves, the progress line. */
    private Ended endEpoch(RunDirectory rd, RunConfig config, ImageSource test, ComputationGraph net, RunState state,
                           List<EpochMetrics> history, int epoch, long iteration, double trainLoss,
                           double trainAccuracy, double epochSeconds, long seen) throws IOException {
        EvalResult lastEval = null;
        double testLoss = Double.NaN;
        double testAcc = Double.NaN;
        if (test != null) {
            lastEval = Evaluator.evaluate(net, test, evalBatchSize, config.normalization());
            testLoss = lastEval.loss();
            testAcc = lastEval.accuracy();
        }
        EpochMetrics m = new EpochMetrics(epoch + 1, trainLoss, trainAccuracy, testLoss, testAcc,
                epochSeconds, seen / epochSeconds);
        history.add(m);
        boolean last = epoch + 1 == config.epochs();
        state = new RunState(RunState.FORMAT, config, RunDirectory.checkpointName(epoch + 1, 0), epoch + 1, 0,
                iteration, null, history, state.classNames(), state.inputShape(), state.trainableParameters(),
                last ? "finished" : "running", Provenance.current());
        rd.save(net, state);
        Charts.trainingCurves(config.model() + " on " + config.data(), history, rd.curvesFile());
        progress.epochDone(String.format(Locale.ROOT,
                "%sepoch %d/%d train loss %.4f acc %.4f | test loss %.4f acc %.4f | %.1f s, %.0f img/s",
                label.isEmpty() ? "" : label + " ", epoch + 1, config.epochs(), m.trainLoss(),
                m.trainAccuracy(), testLoss, testAcc, epochSeconds, m.imagesPerSecond()));
        return new Ended(state, lastEval);
    }

    /** After the last epoch: the final evaluation if none was made, and the state marked finished. */
    private TrainResult finish(RunDirectory rd, RunConfig config, ImageSource test, ComputationGraph net,
                               RunState state, List<EpochMetrics> history, EvalResult lastEval) throws IOException {
        if (lastEval == null && test != null && !history.isEmpty()) {
            lastEval = Evaluator.evaluate(net, test, evalBatchSize, config.normalization());
        }
        if (!"finished".equals(state.status()) && state.epochsDone() >= config.epochs()) {
            state = new RunState(state.format(), config, state.checkpoint(), state.epochsDone(), 0, state.iteration(),
                    null, state.history(), state.classNames(), state.inputShape(), state.trainableParameters(),
                    "finished", state.provenance());
            rd.writeState(state);
        }
        return new TrainResult(rd.dir(), state, false, lastEval, state.trainableParameters());
    }

    private TrainResult interrupt(RunDirectory rd, ComputationGraph net, RunState state, int epoch, int position,
                                  long iteration, double lossSum, long correct, long seen, double epochSeconds,
                                  List<EpochMetrics> history, EvalResult lastEval) throws IOException {
        RunState s = new RunState(RunState.FORMAT, state.config(), RunDirectory.checkpointName(epoch, position), epoch,
                position, iteration, position > 0 ? new RunState.PartialEpoch(lossSum, correct, seen, epochSeconds)
                : null, history, state.classNames(), state.inputShape(), state.trainableParameters(), "interrupted",
                Provenance.current());
        rd.save(net, s);
        progress.message("stopped at epoch " + (epoch + 1) + ", batch " + position + "; checkpoint "
                + rd.checkpointFile(s) + "; continue with --resume " + rd.dir());
        return new TrainResult(rd.dir(), s, true, lastEval, s.trainableParameters());
    }

    private NonFiniteLossException nonFinite(RunDirectory rd, RunState state, RunConfig config, int epoch,
                                             int batch, int batches, long iteration, double loss) {
        String where = String.format(Locale.ROOT, "the training loss became %s at epoch %d, batch %d of %d "
                + "(iteration %d)", Double.isNaN(loss) ? "NaN" : loss > 0 ? "+Infinity" : "-Infinity", epoch + 1,
                batch, batches, iteration);
        Path last = state.checkpoint() == null ? null : rd.checkpointFile(state);
        String keep = last == null
                ? "no checkpoint had been saved yet"
                : "the last good checkpoint " + last + " (epoch " + state.epochsDone()
                        + (state.batchInEpoch() > 0 ? ", batch " + state.batchInEpoch() : "") + ") is kept unchanged";
        String lr = String.format(Locale.ROOT, "%.3g", config.options().learningRate());
        String hint = last == null
                ? "lower --lr (now " + lr + ") and start again"
                : "continue from it with a lower learning rate: --resume " + rd.dir() + " --lr <below " + lr + ">";
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
