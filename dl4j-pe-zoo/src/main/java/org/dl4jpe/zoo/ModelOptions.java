package org.dl4jpe.zoo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonValue;

/**
 * The options every zoo model accepts, in named parts: what the data fixes ({@link #numClasses}, {@link #input}),
 * the seed, the {@link Optimiser}, the {@link DropRates} and the {@link Execution} settings. A registered model
 * states its own defaults ({@link Variant}); a caller changes only what it names:
 * {@code Zoo.create("vit_pe_micro_patch4_28", o -> o.withNumClasses(5))}.
 *
 * <p>Defaults ({@link #DEFAULTS}): 1000 classes, 224×224×3 input, seed 42, AdamW at learning rate 1e-3, weight
 * decay 0.05, no dropout, no drop path, workspaces {@link WorkspaceMode#ENABLED}, cache {@link CacheMode#NONE},
 * float parameters.
 *
 * <p>In files (a run's {@code state.json}, sweep records, space files) the options are one flat object keyed by
 * {@link #FIELDS} ({@code numClasses, inputHeight, inputWidth, inputChannels, seed, updater, learningRate,
 * weightDecay, dropout, dropPath, workspaceMode, cacheMode, dataType}); {@link #fields()} and
 * {@link #withFields(Map)} are that view, and the hyperparameter search varies options by these names.
 *
 * @param numClasses outputs of the classifier head (positive)
 * @param input      the input image shape
 * @param seed       seed of the parameter initialisation (and, in training, of data order and dropout)
 * @param optimiser  updater, learning rate and weight decay
 * @param drop       dropout and drop path probabilities
 * @param execution  DL4J workspace and cache modes, data type
 */
public record ModelOptions(
        int numClasses, InputShape input, long seed, Optimiser optimiser, DropRates drop, Execution execution) {

    /**
     * The optimiser.
     *
     * @param updater      the update rule
     * @param learningRate its learning rate (positive, finite)
     * @param weightDecay  weight decay coefficient, decoupled or L2 as {@link UpdaterKind} says (≥ 0, finite)
     */
    public record Optimiser(UpdaterKind updater, double learningRate, double weightDecay) {
        public Optimiser {
            if (updater == null) {
                throw new IllegalArgumentException("updater must not be null (one of adamw, adam, nesterovs, sgd)");
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learningRate " + learningRate + " must be positive and finite");
            }
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("weightDecay " + weightDecay + " must be >= 0 and finite");
            }
        }
    }

    /**
     * Stochastic regularisation inside the model.
     *
     * @param dropout  dropout probability (timm's {@code drop_rate}, in [0, 1))
     * @param dropPath stochastic depth probability of the last block (timm's {@code drop_path_rate}, in [0, 1))
     */
    public record DropRates(double dropout, double dropPath) {
        public static final DropRates NONE = new DropRates(0, 0);

        public DropRates {
            probability("dropout", dropout);
            probability("dropPath", dropPath);
        }

        private static void probability(String field, double value) {
            if (!(value >= 0.0 && value < 1.0)) {
                throw new IllegalArgumentException(field + " " + value + " must be in [0, 1)");
            }
        }
    }

    /**
     * How DL4J runs the model.
     *
     * @param workspaceMode workspace mode for training and inference
     * @param cacheMode     cache mode
     * @param dataType      parameter and activation type (FLOAT; DOUBLE for gradient checks)
     */
    public record Execution(WorkspaceMode workspaceMode, CacheMode cacheMode, DataType dataType) {
        public static final Execution DEFAULT = new Execution(WorkspaceMode.ENABLED, CacheMode.NONE, DataType.FLOAT);

        public Execution {
            if (workspaceMode == null || cacheMode == null || dataType == null) {
                throw new IllegalArgumentException("workspaceMode, cacheMode and dataType must not be null");
            }
            if (!dataType.isFPType()) {
                throw new IllegalArgumentException(
                        "dataType " + dataType + " must be a floating point type (FLOAT, DOUBLE, HALF)");
            }
        }
    }

    /** The seed unless set (a sweep's and the command line's default too). */
    public static final long DEFAULT_SEED = 42L;

    /** The defaults stated in the class comment. */
    public static final ModelOptions DEFAULTS = new ModelOptions(
            1000,
            InputShape.IMAGENET,
            DEFAULT_SEED,
            new Optimiser(UpdaterKind.ADAMW, 1e-3, 0.05),
            DropRates.NONE,
            Execution.DEFAULT);

    /** Validates every field; the message names the option, its value and what is valid. */
    public ModelOptions {
        if (numClasses <= 0) {
            throw new IllegalArgumentException("numClasses " + numClasses + " must be positive");
        }
        if (input == null || optimiser == null || drop == null || execution == null) {
            throw new IllegalArgumentException("input, optimiser, drop and execution must not be null");
        }
    }

    public int inputHeight() {
        return input.height();
    }

    public int inputWidth() {
        return input.width();
    }

    public int inputChannels() {
        return input.channels();
    }

    public UpdaterKind updater() {
        return optimiser.updater();
    }

    public double learningRate() {
        return optimiser.learningRate();
    }

    public double weightDecay() {
        return optimiser.weightDecay();
    }

    public double dropout() {
        return drop.dropout();
    }

    public double dropPath() {
        return drop.dropPath();
    }

    public WorkspaceMode workspaceMode() {
        return execution.workspaceMode();
    }

    public CacheMode cacheMode() {
        return execution.cacheMode();
    }

    public DataType dataType() {
        return execution.dataType();
    }

    public ModelOptions withNumClasses(int v) {
        return new ModelOptions(v, input, seed, optimiser, drop, execution);
    }

    public ModelOptions withInput(InputShape v) {
        return new ModelOptions(numClasses, v, seed, optimiser, drop, execution);
    }

    /** A square input of {@code size}×{@code size} pixels. */
    public ModelOptions withInputSize(int size) {
        return withInputShape(size, size, input.channels());
    }

    public ModelOptions withInputShape(int height, int width, int channels) {
        return withInput(new InputShape(height, width, channels));
    }

    public ModelOptions withInputChannels(int v) {
        return withInputShape(input.height(), input.width(), v);
    }

    public ModelOptions withSeed(long v) {
        return new ModelOptions(numClasses, input, v, optimiser, drop, execution);
    }

    public ModelOptions withOptimiser(Optimiser v) {
        return new ModelOptions(numClasses, input, seed, v, drop, execution);
    }

    public ModelOptions withUpdater(UpdaterKind v) {
        return withOptimiser(new Optimiser(v, optimiser.learningRate(), optimiser.weightDecay()));
    }

    public ModelOptions withLearningRate(double v) {
        return withOptimiser(new Optimiser(optimiser.updater(), v, optimiser.weightDecay()));
    }

    public ModelOptions withWeightDecay(double v) {
        return withOptimiser(new Optimiser(optimiser.updater(), optimiser.learningRate(), v));
    }

    public ModelOptions withDrop(DropRates v) {
        return new ModelOptions(numClasses, input, seed, optimiser, v, execution);
    }

    public ModelOptions withDropout(double v) {
        return withDrop(new DropRates(v, drop.dropPath()));
    }

    public ModelOptions withDropPath(double v) {
        return withDrop(new DropRates(drop.dropout(), v));
    }

    public ModelOptions withExecution(Execution v) {
        return new ModelOptions(numClasses, input, seed, optimiser, drop, v);
    }

    public ModelOptions withWorkspaceMode(WorkspaceMode v) {
        return withExecution(new Execution(v, execution.cacheMode(), execution.dataType()));
    }

    public ModelOptions withCacheMode(CacheMode v) {
        return withExecution(new Execution(execution.workspaceMode(), v, execution.dataType()));
    }

    public ModelOptions withDataType(DataType v) {
        return withExecution(new Execution(execution.workspaceMode(), execution.cacheMode(), v));
    }

    /** Applies {@code change} to these options: the form {@code Zoo.create(name, o -> o.withX(..))} uses. */
    public ModelOptions with(UnaryOperator<ModelOptions> change) {
        ModelOptions changed = change.apply(this);
        if (changed == null) {
            throw new IllegalArgumentException("an options change returned null");
        }
        return changed;
    }

    /** One option by its file name: its Java type, how it is read and how it is changed. */
    private enum Field {
        NUM_CLASSES("numClasses", int.class, ModelOptions::numClasses, (o, v) -> o.withNumClasses((Integer) v)),
        INPUT_HEIGHT(
                "inputHeight",
                int.class,
                ModelOptions::inputHeight,
                (o, v) -> o.withInputShape((Integer) v, o.inputWidth(), o.inputChannels())),
        INPUT_WIDTH(
                "inputWidth",
                int.class,
                ModelOptions::inputWidth,
                (o, v) -> o.withInputShape(o.inputHeight(), (Integer) v, o.inputChannels())),
        INPUT_CHANNELS(
                "inputChannels", int.class, ModelOptions::inputChannels, (o, v) -> o.withInputChannels((Integer) v)),
        SEED("seed", long.class, ModelOptions::seed, (o, v) -> o.withSeed((Long) v)),
        UPDATER("updater", UpdaterKind.class, ModelOptions::updater, (o, v) -> o.withUpdater((UpdaterKind) v)),
        LEARNING_RATE(
                "learningRate", double.class, ModelOptions::learningRate, (o, v) -> o.withLearningRate((Double) v)),
        WEIGHT_DECAY("weightDecay", double.class, ModelOptions::weightDecay, (o, v) -> o.withWeightDecay((Double) v)),
        DROPOUT("dropout", double.class, ModelOptions::dropout, (o, v) -> o.withDropout((Double) v)),
        DROP_PATH("dropPath", double.class, ModelOptions::dropPath, (o, v) -> o.withDropPath((Double) v)),
        WORKSPACE_MODE(
                "workspaceMode",
                WorkspaceMode.class,
                ModelOptions::workspaceMode,
                (o, v) -> o.withWorkspaceMode((WorkspaceMode) v)),
        CACHE_MODE("cacheMode", CacheMode.class, ModelOptions::cacheMode, (o, v) -> o.withCacheMode((CacheMode) v)),
        DATA_TYPE("dataType", DataType.class, ModelOptions::dataType, (o, v) -> o.withDataType((DataType) v));

        final String key;
        final Class<?> type;
        final Function<ModelOptions, Object> get;
        final BiFunction<ModelOptions, Object, ModelOptions> set;

        Field(
                String key,
                Class<?> type,
                Function<ModelOptions, Object> get,
                BiFunction<ModelOptions, Object, ModelOptions> set) {
            this.key = key;
            this.type = type;
            this.get = get;
            this.set = set;
        }

        static Field of(String key) {
            for (Field f : values()) {
                if (f.key.equals(key)) {
                    return f;
                }
            }
            throw new IllegalArgumentException(
                    "options have no field '" + key + "'; the fields: " + String.join(", ", FIELDS));
        }
    }

    /** The options' names in files, in file order. */
    public static final List<String> FIELDS;

    static {
        List<String> names = new ArrayList<>();
        for (Field f : Field.values()) {
            names.add(f.key);
        }
        FIELDS = Collections.unmodifiableList(names);
    }

    /** The Java type of option {@code field} ({@code int.class}, {@code UpdaterKind.class}, ...). */
    public static Class<?> fieldType(String field) {
        return Field.of(field).type;
    }

    /** Every option by its file name, in file order (boxed values; enums as constants). */
    @JsonValue
    public Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Field f : Field.values()) {
            m.put(f.key, f.get.apply(this));
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * These options with the named fields replaced; each value has its field's type ({@link #fieldType}), and the
     * result is validated as a whole.
     */
    public ModelOptions withFields(Map<String, ?> values) {
        Map<Field, Object> byField = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : values.entrySet()) {
            Field f = Field.of(e.getKey());
            Object v = e.getValue();
            Class<?> boxed = f.type == int.class
                    ? Integer.class
                    : f.type == long.class ? Long.class : f.type == double.class ? Double.class : f.type;
            if (!boxed.isInstance(v)) {
                throw new IllegalArgumentException(
                        "option " + f.key + ": value " + v + " is not a " + f.type.getSimpleName());
            }
            byField.put(f, v);
        }
        // the input shape is one part: set its three sides together, so that no intermediate shape is checked
        ModelOptions o = this;
        if (byField.containsKey(Field.INPUT_HEIGHT)
                || byField.containsKey(Field.INPUT_WIDTH)
                || byField.containsKey(Field.INPUT_CHANNELS)) {
            o = o.withInputShape(
                    (Integer) byField.getOrDefault(Field.INPUT_HEIGHT, o.inputHeight()),
                    (Integer) byField.getOrDefault(Field.INPUT_WIDTH, o.inputWidth()),
                    (Integer) byField.getOrDefault(Field.INPUT_CHANNELS, o.inputChannels()));
        }
        for (Map.Entry<Field, Object> e : byField.entrySet()) {
            o = e.getKey().set.apply(o, e.getValue());
        }
        return o;
    }

    /**
     * The options a file states: every field of {@link #FIELDS}, numbers as JSON numbers, enums by name. The
     * message names a missing field or a value of the wrong kind.
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static ModelOptions fromFields(Map<String, Object> file) {
        if (file == null) {
            throw new IllegalArgumentException("options are missing");
        }
        Map<String, Object> typed = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (Field f : Field.values()) {
            Object v = file.get(f.key);
            if (v == null) {
                missing.add(f.key);
            } else {
                typed.put(f.key, fromFile(f, v));
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("options lack field(s) " + String.join(", ", missing));
        }
        return DEFAULTS.withFields(typed);
    }

    private static Object fromFile(Field f, Object v) {
        if (f.type.isEnum()) {
            for (Object c : f.type.getEnumConstants()) {
                if (((Enum<?>) c).name().equals(String.valueOf(v))) {
                    return c;
                }
            }
            List<String> names = new ArrayList<>();
            for (Object c : f.type.getEnumConstants()) {
                names.add(((Enum<?>) c).name());
            }
            throw new IllegalArgumentException(
                    "option " + f.key + ": '" + v + "' is not one of " + String.join(", ", names));
        }
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("option " + f.key + ": '" + v + "' is not a number");
        }
        if (f.type == double.class) {
            return n.doubleValue();
        }
        if (n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException("option " + f.key + ": " + v + " is not a whole number");
        }
        return f.type == int.class ? (Object) Math.toIntExact(n.longValue()) : (Object) n.longValue();
    }

    /**
     * The graph-wide part of a DL4J configuration that these options fix: seed, updater, weight decay,
     * workspace and cache modes, data type. A family starts its {@code graphBuilder()} from here, so every
     * family honours the options the same way.
     */
    public NeuralNetConfiguration.Builder baseConfiguration() {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(updater().create(learningRate()))
                .trainingWorkspaceMode(workspaceMode())
                .inferenceWorkspaceMode(workspaceMode())
                .cacheMode(cacheMode())
                .dataType(dataType());
        if (weightDecay() > 0) {
            if (updater().decoupledWeightDecay()) {
                b.weightDecay(weightDecay());
            } else {
                b.l2(weightDecay());
            }
        }
        return b;
    }
}
