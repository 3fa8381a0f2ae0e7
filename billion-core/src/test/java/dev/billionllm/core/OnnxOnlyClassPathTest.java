package dev.billionllm.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.backend.Backend;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.testing.ChildJvm;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * billion-core with ONNX Runtime as its only engine: the class path of this test minus every
 * {@code ai.djl.pytorch} jar (engine, JNI, libtorch natives), which is what a user gets who
 * depends on billion-core plus onnxruntime-engine (README, "Dependencies"). A child JVM loads the
 * bundled ONNX fixture through {@link Model#load(Path, LoadOptions)} and generates the same ids as
 * this JVM.
 */
class OnnxOnlyClassPathTest {
    private static final GenerationConfig GREEDY = GenerationConfig.builder().optMaxNewTokens(8).build();

    @Test
    void coreRunsAModelWithOnlyOnnxRuntime() throws Exception {
        List<String> classPath = ChildJvm.testClassPath(jar -> !jar.replace('\\', '/').contains("/ai/djl/pytorch/"));
        assertThat(ChildJvm.testClassPath(jar -> true)).as("this JVM has PyTorch").hasSizeGreaterThan(classPath.size());
        Path onnx = Fixtures.dir("tiny-tinyllama-onnx");
        Path safetensors = Fixtures.dir("tiny-tinyllama");

        ChildJvm.Result r = ChildJvm.run(Child.class.getName(), classPath, Map.of(), onnx.toString(),
                safetensors.toString());

        assertThat(r.code()).as(r.err()).isZero();
        List<Integer> expected;
        try (Model m = Model.load(onnx, LoadOptions.builder().optBackend("onnxruntime").build())) {
            expected = m.generator().generate("the cat sat on", GREEDY).tokenIds();
        }
        assertThat(r.out()).contains("pytorch classes: absent")
                .contains("backends: [onnxruntime]")
                .contains("ids: " + expected)
                // A safetensors folder says which dependency would run it.
                .contains("safetensors: ").contains("pytorch-engine");
    }

    /** Runs in the child JVM. */
    public static final class Child {
        public static void main(String[] args) {
            try {
                Class.forName("ai.djl.pytorch.engine.PtEngine");
                System.out.println("pytorch classes: present");
            } catch (ClassNotFoundException e) {
                System.out.println("pytorch classes: absent");
            }
            System.out.println("backends: " + Backends.all().stream().map(Backend::name).collect(Collectors.toList()));
            try (Model m = Model.load(Path.of(args[0]), LoadOptions.builder().optBackend("onnxruntime").build())) {
                System.out.println("ids: " + m.generator().generate("the cat sat on", GREEDY).tokenIds());
            }
            try (Model m = Model.load(Path.of(args[1]))) {
                System.out.println("safetensors: loaded on " + m.backend());
            } catch (BillionException e) {
                System.out.println("safetensors: " + e.getMessage());
            }
        }
    }
}
