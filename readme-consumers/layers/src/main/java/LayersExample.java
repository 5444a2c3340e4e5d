import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.ClassTokenPool;
import org.dl4jpe.layers.NetworkSummary;
import org.dl4jpe.layers.PatchEmbedding;
import org.dl4jpe.layers.TransformerBlock;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

public class LayersExample {
    public static void main(String[] args) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .updater(new Adam(1e-3))
                .list()
                .layer(PatchEmbedding.builder(28, 28, 1, 4, 64).build())
                .layer(TransformerBlock.builder(64, 4).build())
                .layer(ClassTokenPool.builder().build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(28, 28, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        System.out.println(NetworkSummary.of(net, InputType.convolutional(28, 28, 1)));
    }
}
