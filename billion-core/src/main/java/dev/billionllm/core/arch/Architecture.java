package dev.billionllm.core.arch;

import dev.billionllm.core.arch.TensorNames.Module;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.MlpKind;
import dev.billionllm.core.config.NormKind;
import java.util.Objects;

/**
 * One decoder architecture as data: how its config.json is read and how its checkpoint is laid out.
 * Both backends build every family from this record and a {@link dev.billionllm.core.config.ModelConfig};
 * no code branches on a family's name. The built-in rows are in {@link Architectures}; a model of an
 * unknown {@code model_type} can be declared as a copy of one with some values changed
 * ({@link ArchitectureDeclaration}).
 *
 * <p>A switch that config.json may set is a {@link Flag} / {@link Value} / {@link Text}: the key
 * transformers' configuration class reads, and the default that class uses when the key is absent.
 * A switch the family fixes has no key.
 *
 * <pre>{@code
 * Architecture qwen2 = Architectures.builtIn(Family.QWEN2);
 * Architecture mine = qwen2.toBuilder().setModelType("my_model")
 *         .optTieWordEmbeddings(Flag.fixed(true)).build();
 * }</pre>
 *
 * @param modelType config.json's {@code model_type}
 * @param family the built-in family this is, or was declared like
 * @param normKind RMSNorm or LayerNorm (LayerNorm bias tensors are read when present)
 * @param mlpKind gated ({@code down(act(gate) * up)}) or plain ({@code down(act(up))})
 * @param qkvLayout separate q/k/v projections or one per-head interleaved tensor
 * @param parallelNormShared with parallel residual, the MLP reads the input norm's output (StableLM,
 *     which has no {@code post_attention_layernorm} then) instead of its own norm (GPT-NeoX)
 * @param hiddenAct the activation name ({@code hidden_act})
 * @param normEps epsilon of every norm
 * @param ropeTheta base of the rotary frequencies (see {@code ModelConfigParser} for
 *     {@code rope_parameters})
 * @param partialRotaryFactor fraction of each head that is rotated
 * @param kvHeadsKey key of the key/value head count, or null when the family has as many as query
 *     heads (GPT-NeoX)
 * @param qkvBias q, k and v projections carry biases
 * @param outputBias the attention output projection carries a bias
 * @param mlpBias MLP projections carry biases
 * @param qkNorm per-head LayerNorm on q and k before the rotation
 * @param parallelResidual {@code x + attn(n1(x)) + mlp(n2(x))} instead of sequential blocks
 * @param tieWordEmbeddings the output projection is the embedding matrix
 * @param tensorNames checkpoint key templates
 */
public record Architecture(
        String modelType,
        Family family,
        NormKind normKind,
        MlpKind mlpKind,
        QkvLayout qkvLayout,
        boolean parallelNormShared,
        Text hiddenAct,
        Value normEps,
        Value ropeTheta,
        Value partialRotaryFactor,
        String kvHeadsKey,
        Flag qkvBias,
        Flag outputBias,
        Flag mlpBias,
        Flag qkNorm,
        Flag parallelResidual,
        Flag tieWordEmbeddings,
        TensorNames tensorNames) {

    /** How q, k and v are stored. */
    public enum QkvLayout {
        /** {@code q_proj}, {@code k_proj}, {@code v_proj}. */
        SEPARATE,
        /**
         * One {@code query_key_value} tensor whose output rows are grouped per head as
         * {@code [q_h; k_h; v_h]} (GPT-NeoX views the output as {@code [heads, 3 * head_dim]}).
         * Needs as many key/value heads as query heads.
         */
        PER_HEAD_INTERLEAVED
    }

    /**
     * A boolean switch.
     *
     * @param key config.json key, or null when the value is fixed
     * @param fallback the value when the key is absent (or the fixed value)
     */
    public record Flag(String key, boolean fallback) {
        public static Flag fixed(boolean value) {
            return new Flag(null, value);
        }

        public static Flag key(String key, boolean fallback) {
            return new Flag(Objects.requireNonNull(key), fallback);
        }
    }

    /** A number switch; see {@link Flag}. */
    public record Value(String key, double fallback) {
        public static Value fixed(double value) {
            return new Value(null, value);
        }

        public static Value key(String key, double fallback) {
            return new Value(Objects.requireNonNull(key), fallback);
        }
    }

    /** A text switch; see {@link Flag}. */
    public record Text(String key, String fallback) {
        public Text {
            Objects.requireNonNull(fallback, "fallback");
        }

        public static Text fixed(String value) {
            return new Text(null, value);
        }

        public static Text key(String key, String fallback) {
            return new Text(Objects.requireNonNull(key), fallback);
        }
    }

    public Architecture {
        require(modelType != null && !modelType.isBlank(), "model_type must not be blank");
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(normKind, "normKind");
        Objects.requireNonNull(mlpKind, "mlpKind");
        Objects.requireNonNull(qkvLayout, "qkvLayout");
        Objects.requireNonNull(hiddenAct, "hiddenAct");
        Objects.requireNonNull(normEps, "normEps");
        Objects.requireNonNull(ropeTheta, "ropeTheta");
        Objects.requireNonNull(partialRotaryFactor, "partialRotaryFactor");
        Objects.requireNonNull(qkvBias, "qkvBias");
        Objects.requireNonNull(outputBias, "outputBias");
        Objects.requireNonNull(mlpBias, "mlpBias");
        Objects.requireNonNull(qkNorm, "qkNorm");
        Objects.requireNonNull(parallelResidual, "parallelResidual");
        Objects.requireNonNull(tieWordEmbeddings, "tieWordEmbeddings");
        Objects.requireNonNull(tensorNames, "tensorNames");
        // The modules every model of the family needs must have names; optional ones (qk-norm,
        // post-attention norm of a shared-norm parallel block) are checked when a config asks for them.
        for (Module m : new Module[] {Module.EMBED_TOKENS, Module.LM_HEAD, Module.NORM, Module.INPUT_LAYERNORM,
                Module.O_PROJ, Module.UP_PROJ, Module.DOWN_PROJ}) {
            requireName(modelType, tensorNames, m, "every model");
        }
        if (qkvLayout == QkvLayout.SEPARATE) {
            for (Module m : new Module[] {Module.Q_PROJ, Module.K_PROJ, Module.V_PROJ}) {
                requireName(modelType, tensorNames, m, "separate q/k/v projections");
            }
        } else {
            requireName(modelType, tensorNames, Module.QUERY_KEY_VALUE, "a per-head interleaved query_key_value");
        }
        if (mlpKind == MlpKind.GATED) {
            requireName(modelType, tensorNames, Module.GATE_PROJ, "a gated MLP");
        }
    }

    private static void requireName(String modelType, TensorNames names, Module m, String why) {
        require(names.has(m), modelType + ": tensor_names has no \"" + m.key() + "\", which " + why + " needs");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** A builder holding this architecture's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Changes some values of an architecture; {@link #build()} checks the result. */
    public static final class Builder {
        private String modelType;
        private Family family;
        private NormKind normKind;
        private MlpKind mlpKind;
        private QkvLayout qkvLayout;
        private boolean parallelNormShared;
        private Text hiddenAct;
        private Value normEps;
        private Value ropeTheta;
        private Value partialRotaryFactor;
        private String kvHeadsKey;
        private Flag qkvBias;
        private Flag outputBias;
        private Flag mlpBias;
        private Flag qkNorm;
        private Flag parallelResidual;
        private Flag tieWordEmbeddings;
        private TensorNames tensorNames;

        private Builder(Architecture a) {
            modelType = a.modelType;
            family = a.family;
            normKind = a.normKind;
            mlpKind = a.mlpKind;
            qkvLayout = a.qkvLayout;
            parallelNormShared = a.parallelNormShared;
            hiddenAct = a.hiddenAct;
            normEps = a.normEps;
            ropeTheta = a.ropeTheta;
            partialRotaryFactor = a.partialRotaryFactor;
            kvHeadsKey = a.kvHeadsKey;
            qkvBias = a.qkvBias;
            outputBias = a.outputBias;
            mlpBias = a.mlpBias;
            qkNorm = a.qkNorm;
            parallelResidual = a.parallelResidual;
            tieWordEmbeddings = a.tieWordEmbeddings;
            tensorNames = a.tensorNames;
        }

        /** The {@code model_type} this describes (required; a copy starts with the original's). */
        public Builder setModelType(String modelType) {
            this.modelType = modelType;
            return this;
        }

        /** A built-in family of its own (declared architectures keep the family they copy). */
        Builder family(Family family) {
            this.family = family;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optNormKind(NormKind normKind) {
            this.normKind = normKind;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optMlpKind(MlpKind mlpKind) {
            this.mlpKind = mlpKind;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optQkvLayout(QkvLayout qkvLayout) {
            this.qkvLayout = qkvLayout;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optParallelNormShared(boolean shared) {
            this.parallelNormShared = shared;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optHiddenAct(Text hiddenAct) {
            this.hiddenAct = hiddenAct;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optNormEps(Value normEps) {
            this.normEps = normEps;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optRopeTheta(Value ropeTheta) {
            this.ropeTheta = ropeTheta;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optPartialRotaryFactor(Value partialRotaryFactor) {
            this.partialRotaryFactor = partialRotaryFactor;
            return this;
        }

        /** Default: the copied architecture's; null means as many kv heads as query heads. */
        public Builder optKvHeadsKey(String kvHeadsKey) {
            this.kvHeadsKey = kvHeadsKey;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optQkvBias(Flag qkvBias) {
            this.qkvBias = qkvBias;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optOutputBias(Flag outputBias) {
            this.outputBias = outputBias;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optMlpBias(Flag mlpBias) {
            this.mlpBias = mlpBias;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optQkNorm(Flag qkNorm) {
            this.qkNorm = qkNorm;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optParallelResidual(Flag parallelResidual) {
            this.parallelResidual = parallelResidual;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optTieWordEmbeddings(Flag tieWordEmbeddings) {
            this.tieWordEmbeddings = tieWordEmbeddings;
            return this;
        }

        /** Default: the copied architecture's. */
        public Builder optTensorNames(TensorNames tensorNames) {
            this.tensorNames = tensorNames;
            return this;
        }

        /** @throws IllegalArgumentException when a value is missing or the names lack a needed module */
        public Architecture build() {
            return new Architecture(modelType, family, normKind, mlpKind, qkvLayout, parallelNormShared, hiddenAct,
                    normEps, ropeTheta, partialRotaryFactor, kvHeadsKey, qkvBias, outputBias, mlpBias, qkNorm,
                    parallelResidual, tieWordEmbeddings, tensorNames);
        }
    }
}
