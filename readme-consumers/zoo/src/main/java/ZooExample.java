import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.zoo.ZooModel;
import org.dl4jpe.zoo.PeZooModel;
import org.dl4jpe.zoo.Zoo;

public class ZooExample {
    public static void main(String[] args) throws Exception {
        ComputationGraph net = Zoo.create("vit_pe_micro_patch4_28", o -> o.withNumClasses(5).withSeed(7));
        ZooModel<?> zm = PeZooModel.of("resnet_pe_mini_28");    // DL4J's ZooModel API
        ComputationGraph resnet = (ComputationGraph) zm.init();
        System.out.println(net.numParams() + " and " + resnet.numParams() + " parameters");
    }
}
