import java.nio.file.Path;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.dl4jpe.hyperparam.model.ModelSpace;
import org.dl4jpe.hyperparam.sweep.Sweep;
import org.dl4jpe.hyperparam.sweep.SweepResult;
import org.dl4jpe.hyperparam.sweep.SweepSettings;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.zoo.Zoo;

public class SweepExample {
    public static void main(String[] args) {
        ModelSpace space = ModelSpace.builder("vit_pe_micro_patch4_28")
                .axis("attention", new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.NONE))
                .axis("mlpTie", new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
                .epochs(1)
                .build();
        SweepResult r = Sweep.start(Zoo.registry(), space, SweepSettings.defaults(), Path.of("runs/tie")).run();
        System.out.println(r.best());
    }
}
