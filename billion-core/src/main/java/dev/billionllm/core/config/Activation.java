package dev.billionllm.core.config;

/** MLP activation, from config.json's {@code hidden_act}. */
public enum Activation {
    SILU,
    /** Exact erf-based GELU, which is what transformers' "gelu" means. */
    GELU,
    /** The tanh approximation ("gelu_new", "gelu_pytorch_tanh"). */
    GELU_TANH;

    /** The {@code hidden_act} values {@link #fromHiddenAct} knows, for error messages. */
    public static String supportedNames() {
        return "silu, swish, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast";
    }

    /** Maps a {@code hidden_act} value; null when unknown. */
    public static Activation fromHiddenAct(String name) {
        switch (name) {
            case "silu":
            case "swish":
                return SILU;
            case "gelu":
                return GELU;
            case "gelu_new":
            case "gelu_pytorch_tanh":
            case "gelu_fast":
                return GELU_TANH;
            default:
                return null;
        }
    }
}
