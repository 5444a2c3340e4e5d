package org.dl4jpe.cli;

import static org.dl4jpe.cli.PeRunner.assertBadInput;
import static org.dl4jpe.cli.PeRunner.pe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.dl4jpe.cli.PeRunner.Run;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.ParameterCounts;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.resnet.ResNetConfig;
import org.dl4jpe.zoo.resnet.ResNetFamily;
import org.dl4jpe.zoo.train.ResultsCsv;
import org.dl4jpe.zoo.vit.VitConfig;
import org.dl4jpe.zoo.vit.VitFamily;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pe compare} with model arguments that override axes (an accuracy-size front), and {@code pe plot-front}. */
class CompareFrontTest {
    @TempDir
    Path tmp;

    /** The trainable parameters of the ViT {@code base} with another embedDim and depth, built by the family. */
    private static long vitParameters(String base, int embedDim, int depth) {
        RegisteredModel m = Zoo.registry().get(base);
        VitConfig c = (VitConfig) m.config();
        VitConfig other =
                new VitConfig(c.patchSize(), embedDim, depth, c.numHeads(), c.mlpRatio(), c.attention(), c.mlpTie());
        ModelOptions o = m.defaultOptions().withNumClasses(10);
        return ParameterCounts.trainable(new VitFamily().configure(other, o));
    }

    @Test
    void overriddenModelsTrainAndTheirRowsCarryTheSpecAndTheBuiltModelsParameters() throws IOException {
        Path out = tmp.resolve("front");
        Path results = tmp.resolve("results.csv");
        String small = "vit_micro_patch4_28@embedDim=8@depth=1";
        String large = "vit_micro_patch4_28@embedDim=16@depth=1";
        String tied = "vit_pe_micro_patch4_28@embedDim=16@depth=1";
        Run c = pe(
                "compare",
                small,
                large,
                tied,
                "--epochs",
                "1",
                "--batch",
                "50",
                "--limit-train",
                "100",
                "--limit-test",
                "50",
                "--out",
                out.toString(),
                "--results",
                results.toString());
        assertEquals(0, c.code(), c.toString());
        long pSmall = vitParameters("vit_micro_patch4_28", 8, 1);
        long pLarge = vitParameters("vit_micro_patch4_28", 16, 1);
        long pTied = vitParameters("vit_pe_micro_patch4_28", 16, 1);
        assertTrue(pSmall < pLarge && pTied < pLarge, pSmall + " " + pLarge + " " + pTied);
        assertNotEquals(Zoo.registry().get("vit_micro_patch4_28").trainableParameters(), pLarge);

        List<Map<String, String>> rows = ResultsCsv.read(results);
        assertEquals(3, rows.size(), rows.toString());
        assertEquals(
                List.of(small, large, tied),
                rows.stream().map(r -> r.get("model")).toList());
        assertEquals(
                List.of(Long.toString(pSmall), Long.toString(pLarge), Long.toString(pTied)),
                rows.stream().map(r -> r.get("parameters")).toList());
        assertEquals(out.resolve(large).toString(), rows.get(1).get("run_dir"));
        assertTrue(Files.exists(out.resolve(large).resolve("state.json")));
        assertTrue(c.out().contains(small) && c.out().contains(String.format("%,d", pLarge)), c.out());
        assertNotNull(ImageIO.read(out.resolve(PlotFrontCommand.FRONT_PNG).toFile()));
        assertTrue(Files.readString(out.resolve("compare.md")).contains("](front.png)"));

        // An overridden model's run is a run like any other: pe eval loads it from its checkpoint.
        Run eval = pe("eval", out.resolve(large).toString(), "--limit-test", "50");
        assertEquals(0, eval.code(), eval.toString());
        assertTrue(eval.out().contains("accuracy"), eval.out());

        // Run again: the overridden models' runs are read back, not trained again, and their rows keep the
        // provenance of the process that trained them (here, as if an earlier revision had).
        Path state = out.resolve(large).resolve("state.json");
        String json = Files.readString(state);
        String revision = rows.get(1).get("git_revision");
        assertTrue(json.contains("\"gitRevision\" : \"" + revision + "\""), json);
        Files.writeString(
                state, json.replace("\"gitRevision\" : \"" + revision + "\"", "\"gitRevision\" : \"0ld0ne\""));
        Run again = pe(
                "compare",
                small,
                large,
                tied,
                "--epochs",
                "1",
                "--batch",
                "50",
                "--limit-train",
                "100",
                "--limit-test",
                "50",
                "--out",
                out.toString(),
                "--results",
                results.toString());
        assertEquals(0, again.code(), again.toString());
        assertEquals(
                3,
                again.errLines().stream()
                        .filter(l -> l.contains("already trained in"))
                        .count(),
                again.err());
        List<Map<String, String>> reread = ResultsCsv.read(results);
        assertEquals(3, reread.size());
        assertEquals("0ld0ne", reread.get(1).get("git_revision"), "the row of the run read back");
        assertEquals(revision, reread.get(0).get("git_revision"));
    }

    @Test
    void aResNetListOverrideBuildsTheNarrowerModel() {
        ModelSpec s = ModelSpec.parse("resnet_mini_28@midWidths=8,16,32", Zoo.registry());
        RegisteredModel base = Zoo.registry().get("resnet_mini_28");
        ResNetConfig c = (ResNetConfig) base.config();
        ResNetConfig narrow = new ResNetConfig(c.stem(), c.blocks(), List.of(8, 16, 32), c.strides(), c.sharing());
        ModelOptions o = base.defaultOptions();
        assertEquals(
                ParameterCounts.trainable(new ResNetFamily().configure(narrow, o)),
                s.registry().get(s.name()).trainableParameters());
        assertTrue(s.overridden() && s.base() == base);
        assertEquals("resnet_mini_28", ModelSpec.baseName(s.spec()));
    }

    @Test
    void badSpecsNameTheArgumentTheAxisTheValueAndWhatIsValid() {
        assertBadInput(
                pe("compare", "tiny_cnn_28", "vit_micro_patch4_28@embedDim=4x"),
                "model argument 'vit_micro_patch4_28@embedDim=4x'",
                "embedDim",
                "'4x'",
                "a whole number");
        assertBadInput(
                pe("compare", "tiny_cnn_28", "vit_micro_patch4_28@width=2"),
                "model argument 'vit_micro_patch4_28@width=2'",
                "axis 'width'",
                "embedDim",
                "numHeads");
        assertBadInput(pe("compare", "tiny_cnn_28", "vit_micro_patch4_28@embedDim"), "'embedDim' is not axis=value");
        assertBadInput(
                pe("compare", "tiny_cnn_28", "vit_micro_patch4_28@learningRate=0.1"),
                "axis learningRate is a training option",
                "set it with its flag");
        assertBadInput(
                pe("compare", "tiny_cnn_28", "vit_micro_patch4_28@embedDim=50"),
                "model argument 'vit_micro_patch4_28@embedDim=50'",
                "do not make a valid vit_micro_patch4_28",
                "numHeads 4 does not divide embedDim 50");
        assertBadInput(
                pe("compare", "tiny_cnn_28", "resnet_mini_28@midWidths=8,x,32"),
                "model argument 'resnet_mini_28@midWidths=8,x,32'",
                "midWidths",
                "'x'");
        assertBadInput(pe("compare", "tiny_cnn_28", "vit_nope@embedDim=8"), "'vit_nope' is not registered");
    }

    @Test
    void plotFrontDrawsTwoSeriesFromAResultsFileAndRejectsOthers() throws IOException {
        Path csv = tmp.resolve("results.csv");
        StringBuilder sb = new StringBuilder(String.join(",", ResultsCsv.HEADER)).append('\n');
        String[][] runs = {
            {"vit_micro_patch4_28@embedDim=32", "30000", "1", "0.80"},
            {"vit_micro_patch4_28@embedDim=32", "30000", "2", "0.81"},
            {"vit_micro_patch4_28", "100000", "1", "0.84"},
            {"vit_pe_micro_patch4_28@embedDim=48", "20000", "1", "0.79"},
            {"vit_pe_micro_patch4_28", "50000", "1", "0.83"}
        };
        for (String[] r : runs) {
            sb.append(String.format(
                    "%s,%s,%s,1,100,50,%s,50,adam,0.001,0.0,constant,false,1.0,fashion-mnist-subset,"
                            + "runs/%s-%s,abc,2026-12-02T02:00:00Z%n",
                    r[0], r[1], r[2], r[3], r[0], r[2]));
        }
        Files.writeString(csv, sb);
        Map<String, Map<Long, double[]>> series = new java.util.LinkedHashMap<>();
        for (Map<String, String> row : ResultsCsv.read(csv)) {
            PlotFrontCommand.add(
                    series,
                    row.get("model"),
                    Long.parseLong(row.get("parameters")),
                    Double.parseDouble(row.get("test_accuracy")));
        }
        assertEquals(List.of("vit_micro_patch4_28", "vit_pe_micro_patch4_28"), List.copyOf(series.keySet()));
        assertEquals(2, series.get("vit_micro_patch4_28").get(30000L).length);

        Path png = tmp.resolve("plots").resolve("front.png");
        Run r = pe("plot-front", "--results", csv.toString(), "--out", png.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.out());
        assertTrue(r.err().contains("2 series, 5 runs"), r.err());
        assertNotNull(ImageIO.read(png.toFile()));

        // A second budget in the same file is its own series, not a point of the first one's front.
        Files.writeString(
                csv,
                sb.toString()
                        + sb.toString()
                                .lines()
                                .skip(1)
                                .limit(1)
                                .map(l -> l.replace(",1,100,50,", ",2,100,50,").replace("runs/", "runs/e2/"))
                                .findFirst()
                                .orElseThrow()
                        + "\n");
        Run budgets = pe("plot-front", "--results", csv.toString(), "--out", png.toString());
        assertEquals(0, budgets.code(), budgets.toString());
        assertTrue(budgets.err().contains("3 series, 6 runs"), budgets.err());

        Path notResults = tmp.resolve("other.csv");
        Files.writeString(notResults, "a,b\n1,2\n");
        assertBadInput(
                pe("plot-front", "--results", notResults.toString()), "--results " + notResults, "not a results file");
        assertBadInput(pe("plot-front", "--results", tmp.resolve("none.csv").toString()), "no such file");
    }
}
