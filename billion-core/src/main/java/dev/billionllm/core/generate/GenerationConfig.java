package dev.billionllm.core.generate;

import dev.billionllm.core.config.GenerationDefaults;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * How to generate: length, stop conditions and sampling. Immutable; build one with {@link
 * #builder()} (every setter documents its default and rejects bad values at once) or start from a
 * model's generation_config.json with {@link #fromDefaults}.
 *
 * <pre>{@code
 * GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(64).build();
 * GenerationConfig creative = greedy.toBuilder()
 *         .optTemperature(0.7).optTopP(0.9).optSeed(42)
 *         .optStopStrings(List.of("\n\n"))
 *         .build();
 * }</pre>
 *
 * <p>Sampling follows transformers' {@code generate()}: the repetition penalty, then temperature,
 * top-k, top-p and min-p, in that order (see {@link Samplers#forConfig}). A temperature of 0 means
 * greedy decoding, where only the repetition penalty applies.
 */
public final class GenerationConfig {

    /** Default of {@link Builder#optMaxNewTokens}. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 256;

    private final int maxNewTokens;
    private final Set<Integer> eosTokenIds; // null = the model's
    private final List<String> stopStrings;
    private final double temperature;
    private final int topK;
    private final double topP;
    private final double minP;
    private final double repetitionPenalty;
    private final Long seed; // null = a fresh random seed per generation
    private final boolean skipSpecialTokens;

    private GenerationConfig(Builder b) {
        this.maxNewTokens = b.maxNewTokens;
        this.eosTokenIds = b.eosTokenIds == null ? null : Collections.unmodifiableSet(new LinkedHashSet<>(b.eosTokenIds));
        this.stopStrings = List.copyOf(b.stopStrings);
        this.temperature = b.temperature;
        this.topK = b.topK;
        this.topP = b.topP;
        this.minP = b.minP;
        this.repetitionPenalty = b.repetitionPenalty;
        this.seed = b.seed;
        this.skipSpecialTokens = b.skipSpecialTokens;
    }

    /** A builder with every default. */
    public static Builder builder() {
        return new Builder();
    }

    /** Greedy decoding of at most {@value #DEFAULT_MAX_NEW_TOKENS} tokens, ending on the model's eos ids. */
    public static GenerationConfig defaults() {
        return builder().build();
    }

    /**
     * The sampling defaults a model ships in its generation_config.json, as transformers applies
     * them: sampling settings only when {@code do_sample} is true (otherwise greedy), eos ids when
     * given, {@code max_new_tokens} when given. When {@code do_sample} is true and {@code top_k} is
     * absent, top-k is 50, transformers' default. {@code max_length} is not used: it counts the
     * prompt too, so its meaning depends on the prompt; use {@code max_new_tokens}.
     */
    public static GenerationConfig fromDefaults(GenerationDefaults defaults) {
        return builder().applyDefaults(defaults).build();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxNewTokens = maxNewTokens;
        b.eosTokenIds = eosTokenIds == null ? null : new LinkedHashSet<>(eosTokenIds);
        b.stopStrings = new ArrayList<>(stopStrings);
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.repetitionPenalty = repetitionPenalty;
        b.seed = seed;
        b.skipSpecialTokens = skipSpecialTokens;
        return b;
    }

    public int maxNewTokens() {
        return maxNewTokens;
    }

    /** The ids that end generation, or null to use the model's (config.json's {@code eos_token_id}). */
    public Set<Integer> eosTokenIds() {
        return eosTokenIds;
    }

    public List<String> stopStrings() {
        return stopStrings;
    }

    public double temperature() {
        return temperature;
    }

    /** Whether the next token is the most likely one (temperature 0). */
    public boolean isGreedy() {
        return temperature == 0;
    }

    public int topK() {
        return topK;
    }

    public double topP() {
        return topP;
    }

    public double minP() {
        return minP;
    }

    public double repetitionPenalty() {
        return repetitionPenalty;
    }

    /** The seed of the sampler, or empty for a fresh random seed per generation. */
    public OptionalLong seed() {
        return seed == null ? OptionalLong.empty() : OptionalLong.of(seed);
    }

    public boolean skipSpecialTokens() {
        return skipSpecialTokens;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GenerationConfig)) {
            return false;
        }
        GenerationConfig c = (GenerationConfig) o;
        return maxNewTokens == c.maxNewTokens && Objects.equals(eosTokenIds, c.eosTokenIds)
                && stopStrings.equals(c.stopStrings) && temperature == c.temperature && topK == c.topK
                && topP == c.topP && minP == c.minP && repetitionPenalty == c.repetitionPenalty
                && Objects.equals(seed, c.seed) && skipSpecialTokens == c.skipSpecialTokens;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxNewTokens, eosTokenIds, stopStrings, temperature, topK, topP, minP,
                repetitionPenalty, seed, skipSpecialTokens);
    }

    @Override
    public String toString() {
        return "GenerationConfig{maxNewTokens=" + maxNewTokens + ", eosTokenIds="
                + (eosTokenIds == null ? "model's" : eosTokenIds) + ", stopStrings=" + stopStrings
                + ", temperature=" + temperature + ", topK=" + topK + ", topP=" + topP + ", minP=" + minP
                + ", repetitionPenalty=" + repetitionPenalty + ", seed=" + (seed == null ? "random" : seed)
                + ", skipSpecialTokens=" + skipSpecialTokens + "}";
    }

    // The one validation of generation settings: the builder's setters, GenerationDefaults (every
    // setting it shares with this class goes through a builder) and the logits processors. Ranges
    // are transformers' (its logits warpers); messages name the generation_config.json key and the
    // Java setter.

    /** top_p: in (0, 1] (1 = disabled). */
    static void checkTopP(double p) {
        if (!(p > 0 && p <= 1)) {
            throw new IllegalArgumentException("top_p (topP) must be in (0, 1] (1 = disabled), got " + p);
        }
    }

    /**
     * min_p: in [0, 1] (0 = disabled), as transformers' MinPLogitsWarper accepts; 1 keeps only the
     * tokens as likely as the most likely one.
     */
    static void checkMinP(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("min_p (minP) must be in [0, 1] (0 = disabled), got " + p);
        }
    }

    /** repetition_penalty: finite and &gt; 0 (1 = disabled). */
    static void checkRepetitionPenalty(double r) {
        if (!(r > 0) || Double.isInfinite(r)) {
            throw new IllegalArgumentException(
                    "repetition_penalty (repetitionPenalty) must be finite and > 0 (1 = disabled), got " + r);
        }
    }

    /** Builds a {@link GenerationConfig}; each {@code opt*} method rejects a bad value immediately. */
    public static final class Builder {
        private int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
        private Set<Integer> eosTokenIds;
        private List<String> stopStrings = new ArrayList<>();
        private double temperature;
        private int topK;
        private double topP = 1.0;
        private double minP;
        private double repetitionPenalty = 1.0;
        private Long seed;
        private boolean skipSpecialTokens = true;

        private Builder() {}

        /**
         * Most tokens to generate. Default {@value GenerationConfig#DEFAULT_MAX_NEW_TOKENS}. The
         * model's context may end generation earlier (finish reason CONTEXT_FULL).
         *
         * @throws IllegalArgumentException unless {@code n >= 1}
         */
        public Builder optMaxNewTokens(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("max_new_tokens (maxNewTokens) must be > 0, got " + n);
            }
            this.maxNewTokens = n;
            return this;
        }

        /**
         * Ids that end generation (the id itself is part of the output ids). Default: the model's
         * {@code eos_token_id} from config.json (a number or a list). An empty set disables eos.
         *
         * @throws IllegalArgumentException for a negative id
         */
        public Builder optEosTokenIds(Collection<Integer> ids) {
            Objects.requireNonNull(ids, "eos token ids (pass an empty set to disable eos)");
            for (Integer id : ids) {
                if (Objects.requireNonNull(id, "eos token ids must not contain null") < 0) {
                    throw new IllegalArgumentException("eos_token_id (eosTokenIds) must be >= 0, got " + id);
                }
            }
            this.eosTokenIds = new LinkedHashSet<>(ids);
            return this;
        }

        /** Goes back to the model's eos ids (the default). */
        public Builder optModelEosTokenIds() {
            this.eosTokenIds = null;
            return this;
        }

        /**
         * Texts that end generation when they appear in the generated text, even across token
         * boundaries; the output text stops right before the first one. Default: none.
         *
         * @throws IllegalArgumentException for a null or empty string
         */
        public Builder optStopStrings(Collection<String> stops) {
            Objects.requireNonNull(stops, "stop strings");
            for (String s : stops) {
                if (s == null || s.isEmpty()) {
                    throw new IllegalArgumentException("stop strings must be non-empty, got " + stops);
                }
            }
            this.stopStrings = new ArrayList<>(stops);
            return this;
        }

        /**
         * Softmax temperature. Default 0: greedy decoding (top-k, top-p, min-p and the seed are then
         * ignored). Values in (0, 1) sharpen, values above 1 flatten the distribution.
         *
         * @throws IllegalArgumentException for a negative, NaN or infinite value
         */
        public Builder optTemperature(double t) {
            if (!(t >= 0) || Double.isInfinite(t)) {
                throw new IllegalArgumentException("temperature must be finite and >= 0 (0 = greedy), got " + t);
            }
            this.temperature = t;
            return this;
        }

        /**
         * Keeps only the {@code k} most likely tokens (ties at the k-th logit are kept, as in
         * transformers). Default 0: disabled.
         *
         * @throws IllegalArgumentException for a negative value
         */
        public Builder optTopK(int k) {
            if (k < 0) {
                throw new IllegalArgumentException("top_k (topK) must be >= 0 (0 = disabled), got " + k);
            }
            this.topK = k;
            return this;
        }

        /**
         * Nucleus sampling: keeps the most likely tokens whose probabilities add up to at least
         * {@code p}. Default 1.0: disabled.
         *
         * @throws IllegalArgumentException unless {@code 0 < p <= 1}
         */
        public Builder optTopP(double p) {
            checkTopP(p);
            this.topP = p;
            return this;
        }

        /**
         * Drops tokens whose probability is below {@code p} times the top token's. Default 0:
         * disabled; 1 keeps only the tokens as likely as the top one (transformers accepts [0, 1]).
         *
         * @throws IllegalArgumentException unless {@code 0 <= p <= 1}
         */
        public Builder optMinP(double p) {
            checkMinP(p);
            this.minP = p;
            return this;
        }

        /**
         * transformers' repetition penalty over the prompt and generated ids: a positive logit of a
         * seen token is divided by it, a negative one multiplied. Default 1.0: disabled.
         *
         * @throws IllegalArgumentException unless the value is finite and {@code > 0}
         */
        public Builder optRepetitionPenalty(double penalty) {
            checkRepetitionPenalty(penalty);
            this.repetitionPenalty = penalty;
            return this;
        }

        /**
         * Seed of the sampler: the same seed, prompt and model give the same tokens. Default: a
         * fresh random seed per generation.
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Goes back to a fresh random seed per generation (the default). */
        public Builder optRandomSeed() {
            this.seed = null;
            return this;
        }

        /**
         * Whether the output text leaves out special tokens such as eos (the ids always keep them).
         * Default true.
         */
        public Builder optSkipSpecialTokens(boolean skip) {
            this.skipSpecialTokens = skip;
            return this;
        }

        /**
         * Takes the values a model's generation_config.json gives, as transformers applies them;
         * see {@link GenerationConfig#fromDefaults}. Values the file leaves out keep this builder's.
         */
        public Builder applyDefaults(GenerationDefaults d) {
            Objects.requireNonNull(d, "generation defaults");
            d.maxNewTokens().ifPresent(this::optMaxNewTokens);
            if (!d.eosTokenIds().isEmpty()) {
                optEosTokenIds(d.eosTokenIds());
            }
            d.repetitionPenalty().ifPresent(this::optRepetitionPenalty);
            if (d.doSample().orElse(false)) {
                // transformers' GenerationConfig defaults: temperature 1.0, top_k 50, top_p 1.0
                optTemperature(d.temperature().orElse(1.0));
                optTopK(d.topK().orElse(50));
                d.topP().ifPresent(this::optTopP);
                d.minP().ifPresent(this::optMinP);
            } else {
                optTemperature(0);
            }
            return this;
        }

        /** The configuration. Every value was checked when it was set. */
        public GenerationConfig build() {
            return new GenerationConfig(this);
        }
    }
}
