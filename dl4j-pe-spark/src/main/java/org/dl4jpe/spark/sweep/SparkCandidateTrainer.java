package org.dl4jpe.spark.sweep;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.api.java.JavaSparkContext;
import org.dl4jpe.hyperparam.model.ModelAxes;
import org.dl4jpe.hyperparam.model.ModelCandidate;
import org.dl4jpe.hyperparam.model.ResolvedCandidate;
import org.dl4jpe.hyperparam.sweep.CandidateTrainer;
import org.dl4jpe.hyperparam.sweep.Sweep;
import org.dl4jpe.hyperparam.sweep.SweepData;
import org.dl4jpe.hyperparam.sweep.SweepSettings;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.train.EvalResult;
import org.dl4jpe.zoo.train.Json;
import org.dl4jpe.zoo.train.Progress;
import org.dl4jpe.zoo.train.RunConfig;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.RunState;
import org.dl4jpe.zoo.train.TrainResult;
import org.dl4jpe.zoo.train.Trainer;

/**
 * Trains each sweep candidate as one Spark task: the executor resolves the candidate through the zoo, opens the
 * sweep's data itself (the same seeded train/validation split as the driver) and trains it with the zoo's
 * {@link Trainer} into the candidate's run directory; the driver reads the run back and the sweep records it as it
 * records a local candidate. Concurrent candidates ({@code --parallel N}) are concurrent Spark jobs, so N executors
 * train in parallel. A stop request cancels the running tasks; each candidate keeps its last epoch checkpoint and
 * a resumed sweep continues it.
 */
public final class SparkCandidateTrainer implements CandidateTrainer {
    private final JavaSparkContext sc;
    private final AtomicBoolean stopped = new AtomicBoolean();

    public SparkCandidateTrainer(JavaSparkContext sc) {
        this.sc = sc;
    }

    @Override
    public TrainResult train(Task task, Trainer local) {
        Job job = new Job(
                task.number(),
                task.name(),
                task.description(),
                task.candidate(),
                Json.write(task.baseOptions()),
                Json.write(task.config()),
                task.runDir().toAbsolutePath().toString(),
                task.continued(),
                Json.write(task.settings()),
                task.label());
        String group = "pe-sweep-candidate-" + task.number();
        sc.setJobGroup(group, "sweep candidate " + task.number(), true);
        Outcome o;
        try {
            o = sc.parallelize(List.of(job), 1).map(Job::run).collect().get(0);
        } catch (RuntimeException e) {
            if (stopped.get()) {
                return interrupted(task.runDir());
            }
            throw new IllegalStateException(
                    "Spark task of candidate " + task.number() + " failed: " + org.dl4jpe.spark.PeSpark.rootMessage(e),
                    e);
        } finally {
            sc.clearJobGroup();
        }
        if (o.errorClass() != null) {
            if (o.errorClass().endsWith("IllegalArgumentException")
                    || o.errorClass().endsWith("NonFiniteLossException")) {
                throw new IllegalArgumentException(o.errorMessage());
            }
            throw new IllegalStateException(o.errorClass() + ": " + o.errorMessage());
        }
        RunDirectory rd = new RunDirectory(task.runDir());
        RunState state = rd.readState();
        if (o.interrupted()) {
            return new TrainResult(rd.dir(), state, true, null, state.trainableParameters());
        }
        EvalResult eval = o.count() < 0 ? null : new EvalResult(o.count(), o.loss(), o.confusion(), o.classNames());
        return new TrainResult(rd.dir(), state, false, eval, state.trainableParameters());
    }

    private static TrainResult interrupted(Path runDir) {
        RunDirectory rd = new RunDirectory(runDir);
        RunState state = rd.hasState() ? rd.readState() : null;
        return new TrainResult(runDir, state, true, null, state == null ? 0 : state.trainableParameters());
    }

    @Override
    public void requestStop() {
        stopped.set(true);
        sc.cancelAllJobs();
    }

    /** What the executor hands back: the validation evaluation, or the error. */
    record Outcome(
            long count,
            double loss,
            long[][] confusion,
            List<String> classNames,
            boolean interrupted,
            String errorClass,
            String errorMessage)
            implements Serializable {}

    /** One candidate, as an executor needs it (JSON for the zoo's records, which are not Serializable). */
    record Job(
            int number,
            String name,
            String description,
            ModelCandidate candidate,
            String baseOptionsJson,
            String configJson,
            String runDir,
            boolean continued,
            String settingsJson,
            String label)
            implements Serializable {
        private static final Map<String, SweepData> DATA = new ConcurrentHashMap<>();

        Outcome run() {
            try {
                ModelOptions baseOptions = Json.read(baseOptionsJson, ModelOptions.class);
                RunConfig config = Json.read(configJson, RunConfig.class);
                SweepSettings s = Json.read(settingsJson, SweepSettings.class);
                RegisteredModel base = Zoo.registry().get(candidate.baseModel());
                ResolvedCandidate rc = ModelAxes.resolve(base, baseOptions, candidate);
                ModelRegistry own = new ModelRegistry();
                rc.register(own, name, description);
                ModelOptions d = base.defaultOptions();
                SweepSettings.Data sd = s.data();
                String key = sd.spec() + "|" + d.inputChannels() + "x" + d.inputHeight() + "x" + d.inputWidth() + "|"
                        + sd.limitTrain() + "|" + sd.limitTest() + "|" + sd.valFraction() + "|"
                        + s.search().seed();
                SweepData data = DATA.computeIfAbsent(
                        key,
                        k -> SweepData.open(
                                sd.spec(),
                                d.inputChannels(),
                                d.inputHeight(),
                                d.inputWidth(),
                                sd.limitTrain(),
                                sd.limitTest(),
                                sd.valFraction(),
                                s.search().seed()));
                Trainer t = new Trainer(own, System.err, Progress.Style.QUIET)
                        .label(label)
                        .companionFiles(Set.of(Sweep.CANDIDATE_FILE)); // the sweep wrote it before the task
                Path rd = Path.of(runDir);
                TrainResult tr = continued
                        ? t.resume(rd, data.trainerSplit(), 0, Double.NaN)
                        : t.train(config, data.trainerSplit(), rd);
                EvalResult e = tr.finalEvaluation();
                return e == null
                        ? new Outcome(-1, Double.NaN, null, null, tr.interrupted(), null, null)
                        : new Outcome(
                                e.count(),
                                e.loss(),
                                e.confusion(),
                                List.copyOf(e.classNames()),
                                tr.interrupted(),
                                null,
                                null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (RuntimeException e) {
                String m = e.getMessage() == null || e.getMessage().isBlank()
                        ? e.getClass().getSimpleName()
                        : e.getMessage();
                return new Outcome(
                        -1, Double.NaN, null, null, false, e.getClass().getName(), m);
            }
        }
    }
}
