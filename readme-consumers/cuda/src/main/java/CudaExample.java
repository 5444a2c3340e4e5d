import org.dl4jpe.layers.TiedSelfAttention;
import org.nd4j.linalg.factory.Nd4j;

public class CudaExample {
    public static void main(String[] args) {
        System.out.println("backend: " + Nd4j.getBackend().getClass().getSimpleName());
        System.out.println(TiedSelfAttention.builder(64, 4).build());
    }
}
