package dev.billionllm.core.adapter;

import dev.billionllm.core.arch.Parameter;
import dev.billionllm.core.arch.ParameterLayout;
import dev.billionllm.core.config.ModelConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every linear module of a model that LoRA can adapt, under its Hugging Face module name, and where
 * it lives in this library's projections. The PyTorch backend fuses q/k/v and gate/up into one
 * matrix per layer ({@link dev.billionllm.core.internal.model.LinearHook} roles); a module is a row range of
 * such a projection, so a delta on {@code q_proj} touches exactly the q rows.
 *
 * <pre>{@code
 * for (LoraTargets.Module m : LoraTargets.of(config).modules()) {
 *     if (loraConfig.targets(m.name(), m.layer())) { ... }
 * }
 * }</pre>
 */
public final class LoraTargets {

    /**
     * One adaptable module.
     *
     * @param name PEFT module name, e.g. {@code model.layers.0.self_attn.q_proj}; its weight is {@code name + ".weight"}
     * @param layer decoder layer index
     * @param role the {@link dev.billionllm.core.internal.model.LinearHook} role of the projection holding it
     * @param offset first output row of the module inside that projection
     * @param outFeatures output rows
     * @param inFeatures input features
     * @param perHeadQkv GPT-NeoX {@code query_key_value}: rows stored per head as {@code [q_h, k_h, v_h]},
     *     which the loader regroups to {@code [all q | all k | all v]}; a delta must be regrouped the same way
     */
    public record Module(String name, int layer, String role, long offset, long outFeatures, long inFeatures,
            boolean perHeadQkv) {

        /** The last part of the name ({@code q_proj}), which PEFT target lists usually give. */
        public String shortName() {
            return name.substring(name.lastIndexOf('.') + 1);
        }
    }

    private final ModelConfig config;
    private final List<Module> modules;

    private LoraTargets(ModelConfig config, List<Module> modules) {
        this.config = config;
        this.modules = List.copyOf(modules);
    }

    /**
     * The modules of {@code config}'s architecture, layer by layer in checkpoint order, read from
     * its one description ({@link ParameterLayout}): each part of a projection's weight is a module,
     * its rows following the parts before it.
     */
    public static LoraTargets of(ModelConfig c) {
        ParameterLayout layout = new ParameterLayout(c);
        List<Module> out = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            for (ParameterLayout.Projection p : layout.layer(i).projections()) {
                Parameter w = p.weight();
                boolean perHead = w.assembly() == Parameter.Assembly.PER_HEAD_INTERLEAVED;
                long offset = 0;
                for (Parameter.Part part : w.parts()) {
                    out.add(new Module(part.prefix(), i, p.role(), offset, part.rows(), w.shape()[1], perHead));
                    offset += part.rows();
                }
            }
        }
        return new LoraTargets(c, out);
    }

    public ModelConfig config() {
        return config;
    }

    public List<Module> modules() {
        return modules;
    }

    /** The modules {@code lora} adapts, by name. */
    public Map<String, Module> selected(LoraConfig lora) {
        Map<String, Module> m = new LinkedHashMap<>();
        for (Module module : modules) {
            if (lora.targets(module.name(), module.layer())) {
                m.put(module.name(), module);
            }
        }
        return m;
    }

    /** The module named {@code name}, or null. */
    public Module find(String name) {
        for (Module m : modules) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        return null;
    }

    /** Short names every layer has ({@code q_proj}, ... or {@code query_key_value}, ...), for error messages and help. */
    public List<String> shortNames() {
        List<String> s = new ArrayList<>();
        for (Module m : modules) {
            if (m.layer() == 0) {
                s.add(m.shortName());
            }
        }
        return s;
    }
}
