package dev.billionllm.core.adapter;

import dev.billionllm.core.BillionException;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.io.safetensors.DType;
import dev.billionllm.core.io.safetensors.SafetensorsFile;
import dev.billionllm.core.io.safetensors.SafetensorsWriter;
import dev.billionllm.core.io.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A LoRA adapter: its {@link LoraConfig} and, per adapted module, {@code A [r, in]} and
 * {@code B [out, r]} as fp32, read from and written to a PEFT folder ({@value LoraConfig#FILE} and
 * {@value #WEIGHTS_FILE}, tensors named {@code base_model.model.<module>.lora_A.weight}).
 *
 * <pre>{@code
 * LoraAdapter adapter = LoraAdapter.load(Path.of("testdata/tiny-tinyllama-lora-peft"));
 * adapter.checkAgainst(LoraTargets.of(config));   // names and shapes fit this model
 * adapter.save(Path.of("out/adapter"));           // atomically, PEFT layout
 * }</pre>
 */
public final class LoraAdapter {
    /** Tensor file PEFT reads and writes. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** PEFT's prefix: the {@code PeftModel} wraps the {@code LoraModel}, which wraps the base model. */
    public static final String PREFIX = "base_model.model.";

    private static final Pattern TENSOR = Pattern.compile("base_model\\.model\\.(.+)\\.lora_([AB])\\.weight");

    /**
     * One module's matrices, row-major.
     *
     * @param a {@code [rank, in]}
     * @param b {@code [out, rank]}
     */
    public record Weights(int rank, long in, long out, float[] a, float[] b) {
        public Weights {
            if ((long) a.length != rank * in || (long) b.length != out * rank) {
                throw new IllegalArgumentException("LoRA matrices of rank " + rank + " need " + rank * in + " and "
                        + out * rank + " values, got " + a.length + " and " + b.length);
            }
        }
    }

    private final LoraConfig config;
    private final Map<String, Weights> modules; // PEFT module name -> weights, in checkpoint order

    /** @param modules PEFT module name to weights */
    public LoraAdapter(LoraConfig config, Map<String, Weights> modules) {
        this.config = config;
        this.modules = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(modules));
    }

    public LoraConfig config() {
        return config;
    }

    /** Adapted modules by PEFT module name ({@code model.layers.0.self_attn.q_proj}). */
    public Map<String, Weights> modules() {
        return modules;
    }

    /** {@link LoraConfig#scaling} of module {@code name}. */
    public double scaling(String name) {
        return config.scaling(name);
    }

    /**
     * Reads a PEFT adapter folder.
     *
     * @throws ConfigException for a missing or unsupported {@value LoraConfig#FILE}
     * @throws WeightLoadException for a missing weights file, a tensor that is not a LoRA matrix
     *     (DoRA magnitudes, embeddings, biases), or an A without its B
     */
    public static LoraAdapter load(Path dir) {
        Path configFile = dir.resolve(LoraConfig.FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new ConfigException(dir + ": no " + LoraConfig.FILE + "; expected a PEFT LoRA adapter folder");
        }
        LoraConfig config = LoraConfig.parse(ModelConfigParser.readJson(configFile), configFile.toString());
        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weightsFile)) {
            String hint = Files.isRegularFile(dir.resolve("adapter_model.bin"))
                    ? " (adapter_model.bin is a pickle; save the adapter with safe_serialization=True)" : "";
            throw new WeightLoadException(dir + ": no " + WEIGHTS_FILE + hint);
        }
        Map<String, float[]> as = new LinkedHashMap<>();
        Map<String, float[]> bs = new LinkedHashMap<>();
        Map<String, long[]> aShapes = new LinkedHashMap<>();
        Map<String, long[]> bShapes = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(weightsFile)) {
            for (TensorInfo info : file.tensors()) {
                Matcher m = TENSOR.matcher(info.name());
                if (!m.matches()) {
                    throw new WeightLoadException(weightsFile + ": tensor \"" + info.name() + "\" is not a LoRA matrix "
                            + "(base_model.model.<module>.lora_A.weight / lora_B.weight); adapters with other trained "
                            + "tensors (DoRA magnitudes, embeddings, biases) are not supported");
                }
                if (info.shape().length != 2) {
                    throw new WeightLoadException(weightsFile + ": tensor \"" + info.name() + "\" has shape "
                            + Arrays.toString(info.shape()) + "; LoRA matrices are 2-D");
                }
                boolean isA = m.group(2).equals("A");
                (isA ? as : bs).put(m.group(1), file.floats(info.name()));
                (isA ? aShapes : bShapes).put(m.group(1), info.shape());
            }
        }
        Map<String, Weights> modules = new LinkedHashMap<>();
        for (String name : as.keySet()) {
            if (!bs.containsKey(name)) {
                throw new WeightLoadException(weightsFile + ": " + name + " has lora_A but no lora_B");
            }
            long[] a = aShapes.get(name);
            long[] b = bShapes.get(name);
            if (a[0] != b[1]) {
                throw new WeightLoadException(weightsFile + ": " + name + ": lora_A " + Arrays.toString(a) + " and lora_B "
                        + Arrays.toString(b) + " disagree on the rank");
            }
            if (a[0] != config.rank(name)) {
                throw new WeightLoadException(weightsFile + ": " + name + " has rank " + a[0] + " but "
                        + LoraConfig.FILE + " says r=" + config.rank(name) + " (check r and rank_pattern)");
            }
            modules.put(name, new Weights((int) a[0], a[1], b[0], as.get(name), bs.get(name)));
        }
        for (String name : bs.keySet()) {
            if (!as.containsKey(name)) {
                throw new WeightLoadException(weightsFile + ": " + name + " has lora_B but no lora_A");
            }
        }
        if (modules.isEmpty()) {
            throw new WeightLoadException(weightsFile + ": no LoRA tensors");
        }
        return new LoraAdapter(config, modules);
    }

    /**
     * Checks that every matrix belongs to a module of this model with the right shape and that the
     * config selects exactly these modules.
     *
     * @throws WeightLoadException naming the module, the expected and actual shapes
     */
    public void checkAgainst(LoraTargets targets) {
        for (Map.Entry<String, Weights> e : modules.entrySet()) {
            LoraTargets.Module m = targets.find(e.getKey());
            if (m == null) {
                throw new WeightLoadException("adapter module " + e.getKey() + " is not a linear layer of this "
                        + targets.config().family().modelType() + " model (its modules per layer: "
                        + targets.shortNames() + "); was it trained for another architecture?");
            }
            Weights w = e.getValue();
            if (w.in() != m.inFeatures() || w.out() != m.outFeatures()) {
                throw new WeightLoadException("adapter module " + e.getKey() + ": lora_A is [" + w.rank() + ", " + w.in()
                        + "] and lora_B [" + w.out() + ", " + w.rank() + "], but the model's layer is [" + m.outFeatures()
                        + ", " + m.inFeatures() + "] (out, in); the adapter belongs to another base model ("
                        + config.baseModel() + ")");
            }
        }
        for (String name : targets.selected(config).keySet()) {
            if (!modules.containsKey(name)) {
                throw new WeightLoadException("adapter config targets " + name + " but " + WEIGHTS_FILE
                        + " has no matrices for it");
            }
        }
    }

    /** Like {@link #save(Path, Map)} with no extra files. */
    public void save(Path dir) {
        save(dir, Map.of());
    }

    /**
     * Writes {@value LoraConfig#FILE}, {@value #WEIGHTS_FILE} and {@code extraFiles} (name to UTF-8
     * text, e.g. a trainer state) into {@code dir} atomically: everything goes to a sibling
     * temporary folder that then replaces {@code dir} whole, so a crash leaves either the old
     * adapter or the new one, never a mix. Other files in {@code dir} are not kept.
     */
    public void save(Path dir, Map<String, String> extraFiles) {
        Path abs = dir.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".partial");
        Path old = abs.resolveSibling(abs.getFileName() + ".old");
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            for (Map.Entry<String, Weights> e : modules.entrySet()) {
                Weights m = e.getValue();
                w.addFloats(PREFIX + e.getKey() + ".lora_A.weight", DType.F32, new long[] {m.rank(), m.in()}, m.a());
                w.addFloats(PREFIX + e.getKey() + ".lora_B.weight", DType.F32, new long[] {m.out(), m.rank()}, m.b());
            }
            w.write(tmp.resolve(WEIGHTS_FILE));
            Files.writeString(tmp.resolve(LoraConfig.FILE), config.toJson(), StandardCharsets.UTF_8);
            for (Map.Entry<String, String> e : extraFiles.entrySet()) {
                Files.writeString(tmp.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
            }
            deleteTree(old);
            if (Files.exists(abs)) {
                Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } catch (IOException e) {
            throw new BillionException("cannot write the adapter to " + dir + ": " + e, e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path f : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(f);
            }
        }
    }
}
