package dev.billionllm.core.arch;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Checkpoint key templates of one family: for each {@link Module}, the module prefix whose tensors
 * are {@code prefix + ".weight"} and {@code prefix + ".bias"} (the Hugging Face convention), with
 * {@code {layer}} and {@code {head}} standing for the layer and head index. A module a family does
 * not have (GPT-NeoX's separate {@code q_proj}, llama's {@code q_norm}) has no template.
 *
 * <pre>{@code
 * TensorNames names = Architectures.builtIn(Family.LLAMA).tensorNames();
 * names.prefix(Module.Q_PROJ, 3, 0);   // "model.layers.3.self_attn.q_proj"
 * }</pre>
 *
 * @param templates module to prefix template
 */
public record TensorNames(Map<Module, String> templates) {

    /**
     * The modules of a decoder checkpoint, by the names Hugging Face uses for llama (and the
     * fused {@code query_key_value} of GPT-NeoX). {@link #key()} is the name a declaration's
     * {@code tensor_names} object uses.
     */
    public enum Module {
        EMBED_TOKENS,
        LM_HEAD,
        /** The norm after the last layer. */
        NORM,
        INPUT_LAYERNORM,
        POST_ATTENTION_LAYERNORM,
        Q_PROJ,
        K_PROJ,
        V_PROJ,
        /** q, k and v in one tensor, rows grouped per head (GPT-NeoX). */
        QUERY_KEY_VALUE,
        O_PROJ,
        /** Per-head q norm, {@code {head}} in the template (StableLM {@code qk_layernorm}). */
        Q_NORM,
        /** Per-head k norm. */
        K_NORM,
        GATE_PROJ,
        UP_PROJ,
        DOWN_PROJ;

        /** The lower-case name ({@code "q_proj"}). */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The module for a lower-case name, or null. */
        public static Module ofKey(String key) {
            for (Module m : values()) {
                if (m.key().equals(key)) {
                    return m;
                }
            }
            return null;
        }

        /** All keys, for error messages. */
        public static String keys() {
            return Arrays.stream(values()).map(Module::key).collect(Collectors.joining(", "));
        }
    }

    public TensorNames {
        EnumMap<Module, String> copy = new EnumMap<>(Module.class);
        templates.forEach((m, t) -> {
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("tensor name template of " + m.key() + " must not be blank");
            }
            copy.put(m, t);
        });
        templates = java.util.Collections.unmodifiableMap(copy);
    }

    /** Whether the family's checkpoints have {@code module}. */
    public boolean has(Module module) {
        return templates.containsKey(module);
    }

    /**
     * The module prefix for {@code layer} and {@code head}.
     *
     * @throws IllegalStateException when the family has no such module (a switch asks for a part its
     *     tensor names do not describe)
     */
    public String prefix(Module module, int layer, int head) {
        String t = templates.get(module);
        if (t == null) {
            throw new IllegalStateException("these tensor names have no template for \"" + module.key()
                    + "\" (known: " + templates.keySet().stream().map(Module::key).collect(Collectors.joining(", "))
                    + "); a switch needs it, so declare it under \"tensor_names\"");
        }
        return t.replace("{layer}", Integer.toString(layer)).replace("{head}", Integer.toString(head));
    }

    /** A copy with {@code module}'s template replaced (or added). */
    public TensorNames with(Module module, String template) {
        EnumMap<Module, String> copy = new EnumMap<>(Module.class);
        copy.putAll(templates);
        copy.put(module, template);
        return new TensorNames(copy);
    }

    /** A copy without {@code module}. */
    public TensorNames without(Module module) {
        EnumMap<Module, String> copy = new EnumMap<>(Module.class);
        copy.putAll(templates);
        copy.remove(module);
        return new TensorNames(copy);
    }
}
