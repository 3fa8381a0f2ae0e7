package dev.billionllm.core.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Generation settings a model ships with ({@code generation_config.json}) or that a
 * {@code ModelSpec} recommends. Every field is optional: an absent value means "not specified",
 * and the generator falls back to its own default. Values are checked when set, so an instance
 * never holds a temperature below zero or a top-p outside (0, 1].
 *
 * <pre>{@code
 * GenerationDefaults d = GenerationDefaults.builder()
 *         .optDoSample(true)
 *         .optTemperature(0.7)
 *         .optTopP(0.95)
 *         .build();
 * double t = d.temperature().orElse(1.0);
 * }</pre>
 *
 * @param bosTokenId beginning-of-sequence id ({@code bos_token_id})
 * @param eosTokenIds ids that stop generation ({@code eos_token_id}, a number or a list); empty when absent
 * @param padTokenId padding id ({@code pad_token_id})
 * @param doSample sample (true) or decode greedily (false) ({@code do_sample})
 * @param temperature softmax temperature, &ge; 0 ({@code temperature})
 * @param topK keep the k most likely tokens, 0 disables ({@code top_k})
 * @param topP nucleus mass in (0, 1] ({@code top_p})
 * @param minP drop tokens below this fraction of the top probability, in [0, 1] ({@code min_p})
 * @param repetitionPenalty CTRL-style penalty, &gt; 0, 1 disables ({@code repetition_penalty})
 * @param maxNewTokens tokens to generate after the prompt ({@code max_new_tokens})
 * @param maxLength prompt plus generated tokens ({@code max_length})
 */
public record GenerationDefaults(
        OptionalInt bosTokenId,
        List<Integer> eosTokenIds,
        OptionalInt padTokenId,
        Optional<Boolean> doSample,
        OptionalDouble temperature,
        OptionalInt topK,
        OptionalDouble topP,
        OptionalDouble minP,
        OptionalDouble repetitionPenalty,
        OptionalInt maxNewTokens,
        OptionalInt maxLength) {

    private static final GenerationDefaults EMPTY = builder().build();

    public GenerationDefaults {
        eosTokenIds = List.copyOf(eosTokenIds);
        bosTokenId.ifPresent(v -> checkTokenId("bos_token_id", v));
        eosTokenIds.forEach(v -> checkTokenId("eos_token_id", v));
        padTokenId.ifPresent(v -> checkTokenId("pad_token_id", v));
        doSample = doSample == null ? Optional.empty() : doSample;
        temperature.ifPresent(GenerationDefaults::checkTemperature);
        topK.ifPresent(GenerationDefaults::checkTopK);
        topP.ifPresent(GenerationDefaults::checkTopP);
        minP.ifPresent(GenerationDefaults::checkMinP);
        repetitionPenalty.ifPresent(GenerationDefaults::checkRepetitionPenalty);
        maxNewTokens.ifPresent(v -> checkPositive("max_new_tokens", v));
        maxLength.ifPresent(v -> checkPositive("max_length", v));
    }

    /** Defaults with nothing specified (what a model folder without generation_config.json has). */
    public static GenerationDefaults empty() {
        return EMPTY;
    }

    /** A builder with every field absent. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this instance's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.bosTokenId = bosTokenId;
        b.eosTokenIds = new ArrayList<>(eosTokenIds);
        b.padTokenId = padTokenId;
        b.doSample = doSample;
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.repetitionPenalty = repetitionPenalty;
        b.maxNewTokens = maxNewTokens;
        b.maxLength = maxLength;
        return b;
    }

    /** True when no field is specified. */
    public boolean isEmpty() {
        return equals(EMPTY);
    }

    /**
     * Fills the fields this instance leaves absent from {@code fallback}; fields present here win.
     * Typical use: a model folder's generation_config.json over a spec's recommended defaults.
     */
    public GenerationDefaults orElse(GenerationDefaults fallback) {
        return new GenerationDefaults(
                bosTokenId.isPresent() ? bosTokenId : fallback.bosTokenId,
                !eosTokenIds.isEmpty() ? eosTokenIds : fallback.eosTokenIds,
                padTokenId.isPresent() ? padTokenId : fallback.padTokenId,
                doSample.isPresent() ? doSample : fallback.doSample,
                temperature.isPresent() ? temperature : fallback.temperature,
                topK.isPresent() ? topK : fallback.topK,
                topP.isPresent() ? topP : fallback.topP,
                minP.isPresent() ? minP : fallback.minP,
                repetitionPenalty.isPresent() ? repetitionPenalty : fallback.repetitionPenalty,
                maxNewTokens.isPresent() ? maxNewTokens : fallback.maxNewTokens,
                maxLength.isPresent() ? maxLength : fallback.maxLength);
    }

    // The one validation of generation settings: GenerationConfig's setters and the sampler's
    // processors call these too, so a value accepted in generation_config.json is accepted
    // everywhere. Ranges are transformers' (its logits warpers and GenerationConfig); each message
    // names the generation_config.json key and the Java setter.

    /** Token ids (bos, eos, pad) are &ge; 0. */
    public static void checkTokenId(String field, int id) {
        if (id < 0) {
            throw new IllegalArgumentException(field + " must be >= 0, got " + id);
        }
    }

    /** temperature: finite and &ge; 0 (0 = greedy). */
    public static void checkTemperature(double t) {
        if (!(t >= 0) || Double.isInfinite(t)) {
            throw new IllegalArgumentException("temperature must be finite and >= 0 (0 = greedy), got " + t);
        }
    }

    /** top_k: &ge; 0 (0 = disabled, as transformers skips its TopKLogitsWarper). */
    public static void checkTopK(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("top_k (topK) must be >= 0 (0 = disabled), got " + k);
        }
    }

    /** top_p: in (0, 1] (1 = disabled). */
    public static void checkTopP(double p) {
        if (!(p > 0 && p <= 1)) {
            throw new IllegalArgumentException("top_p (topP) must be in (0, 1] (1 = disabled), got " + p);
        }
    }

    /**
     * min_p: in [0, 1] (0 = disabled), as transformers' MinPLogitsWarper accepts; 1 keeps only the
     * tokens as likely as the most likely one.
     */
    public static void checkMinP(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("min_p (minP) must be in [0, 1] (0 = disabled), got " + p);
        }
    }

    /** repetition_penalty: finite and &gt; 0 (1 = disabled). */
    public static void checkRepetitionPenalty(double r) {
        if (!(r > 0) || Double.isInfinite(r)) {
            throw new IllegalArgumentException(
                    "repetition_penalty (repetitionPenalty) must be finite and > 0 (1 = disabled), got " + r);
        }
    }

    /** max_new_tokens and max_length: &gt; 0. */
    public static void checkPositive(String field, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, got " + v);
        }
    }

    /**
     * Builds {@link GenerationDefaults}. Every setter is optional; a field never set stays absent
     * ("not specified"). Each setter rejects an invalid value at once with an
     * {@link IllegalArgumentException}.
     */
    public static final class Builder {
        private OptionalInt bosTokenId = OptionalInt.empty();
        private List<Integer> eosTokenIds = new ArrayList<>();
        private OptionalInt padTokenId = OptionalInt.empty();
        private Optional<Boolean> doSample = Optional.empty();
        private OptionalDouble temperature = OptionalDouble.empty();
        private OptionalInt topK = OptionalInt.empty();
        private OptionalDouble topP = OptionalDouble.empty();
        private OptionalDouble minP = OptionalDouble.empty();
        private OptionalDouble repetitionPenalty = OptionalDouble.empty();
        private OptionalInt maxNewTokens = OptionalInt.empty();
        private OptionalInt maxLength = OptionalInt.empty();

        private Builder() {}

        /** Beginning-of-sequence id, &ge; 0. */
        public Builder optBosTokenId(int id) {
            checkTokenId("bos_token_id", id);
            bosTokenId = OptionalInt.of(id);
            return this;
        }

        /** Stop ids, each &ge; 0; replaces any set before. An empty list means absent. */
        public Builder optEosTokenIds(List<Integer> ids) {
            ids.forEach(v -> checkTokenId("eos_token_id", v));
            eosTokenIds = new ArrayList<>(ids);
            return this;
        }

        /** Padding id, &ge; 0. */
        public Builder optPadTokenId(int id) {
            checkTokenId("pad_token_id", id);
            padTokenId = OptionalInt.of(id);
            return this;
        }

        /** Sample (true) or greedy (false). */
        public Builder optDoSample(boolean sample) {
            doSample = Optional.of(sample);
            return this;
        }

        /** Temperature, finite and &ge; 0. */
        public Builder optTemperature(double t) {
            checkTemperature(t);
            temperature = OptionalDouble.of(t);
            return this;
        }

        /** Top-k, &ge; 0 (0 disables). */
        public Builder optTopK(int k) {
            checkTopK(k);
            topK = OptionalInt.of(k);
            return this;
        }

        /** Top-p in (0, 1]. */
        public Builder optTopP(double p) {
            checkTopP(p);
            topP = OptionalDouble.of(p);
            return this;
        }

        /** Min-p in [0, 1]. */
        public Builder optMinP(double p) {
            checkMinP(p);
            minP = OptionalDouble.of(p);
            return this;
        }

        /** Repetition penalty, finite and &gt; 0 (1 disables). */
        public Builder optRepetitionPenalty(double r) {
            checkRepetitionPenalty(r);
            repetitionPenalty = OptionalDouble.of(r);
            return this;
        }

        /** New tokens to generate, &gt; 0. */
        public Builder optMaxNewTokens(int n) {
            checkPositive("max_new_tokens", n);
            maxNewTokens = OptionalInt.of(n);
            return this;
        }

        /** Total length (prompt plus new tokens), &gt; 0. */
        public Builder optMaxLength(int n) {
            checkPositive("max_length", n);
            maxLength = OptionalInt.of(n);
            return this;
        }

        /** The immutable defaults. */
        public GenerationDefaults build() {
            return new GenerationDefaults(bosTokenId, eosTokenIds, padTokenId, doSample, temperature, topK,
                    topP, minP, repetitionPenalty, maxNewTokens, maxLength);
        }
    }
}
