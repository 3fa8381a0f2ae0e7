package dev.billionllm.core.config;

import dev.billionllm.core.generate.GenerationConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Generation settings a model ships with ({@code generation_config.json}) or that a
 * {@code ModelSpec} recommends. Every field is optional: an absent value means "not specified",
 * and the generator falls back to its own default. Values are checked when set, so an instance
 * never holds a temperature below zero or a top-p outside (0, 1]: every setting that
 * {@link GenerationConfig} also has is checked by {@link GenerationConfig.Builder}'s setter (the
 * one validation of generation settings); only bos, pad and max_length, which it lacks, are
 * checked here. {@link GenerationConfigParser} adds the file and field to the message.
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
        doSample = doSample == null ? Optional.empty() : doSample;
        // Settings GenerationConfig also has are checked by its builder, the one validation of
        // generation settings: a value generation_config.json may hold is one a caller may set.
        GenerationConfig.Builder check = GenerationConfig.builder();
        if (!eosTokenIds.isEmpty()) {
            check.optEosTokenIds(eosTokenIds);
        }
        temperature.ifPresent(check::optTemperature);
        topK.ifPresent(check::optTopK);
        topP.ifPresent(check::optTopP);
        minP.ifPresent(check::optMinP);
        repetitionPenalty.ifPresent(check::optRepetitionPenalty);
        maxNewTokens.ifPresent(check::optMaxNewTokens);
        // Only here: GenerationConfig has no bos, pad or total length.
        bosTokenId.ifPresent(v -> checkOwn("bos_token_id", v, 0));
        padTokenId.ifPresent(v -> checkOwn("pad_token_id", v, 0));
        maxLength.ifPresent(v -> checkOwn("max_length", v, 1));
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

    private static void checkOwn(String field, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(field + " must be >= " + min + ", got " + value);
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
            checkOwn("bos_token_id", id, 0);
            bosTokenId = OptionalInt.of(id);
            return this;
        }

        /** Stop ids, each &ge; 0; replaces any set before. An empty list means absent. */
        public Builder optEosTokenIds(List<Integer> ids) {
            if (!ids.isEmpty()) {
                GenerationConfig.builder().optEosTokenIds(ids);
            }
            eosTokenIds = new ArrayList<>(ids);
            return this;
        }

        /** Padding id, &ge; 0. */
        public Builder optPadTokenId(int id) {
            checkOwn("pad_token_id", id, 0);
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
            GenerationConfig.builder().optTemperature(t);
            temperature = OptionalDouble.of(t);
            return this;
        }

        /** Top-k, &ge; 0 (0 disables). */
        public Builder optTopK(int k) {
            GenerationConfig.builder().optTopK(k);
            topK = OptionalInt.of(k);
            return this;
        }

        /** Top-p in (0, 1]. */
        public Builder optTopP(double p) {
            GenerationConfig.builder().optTopP(p);
            topP = OptionalDouble.of(p);
            return this;
        }

        /** Min-p in [0, 1]. */
        public Builder optMinP(double p) {
            GenerationConfig.builder().optMinP(p);
            minP = OptionalDouble.of(p);
            return this;
        }

        /** Repetition penalty, finite and &gt; 0 (1 disables). */
        public Builder optRepetitionPenalty(double r) {
            GenerationConfig.builder().optRepetitionPenalty(r);
            repetitionPenalty = OptionalDouble.of(r);
            return this;
        }

        /** New tokens to generate, &gt; 0. */
        public Builder optMaxNewTokens(int n) {
            GenerationConfig.builder().optMaxNewTokens(n);
            maxNewTokens = OptionalInt.of(n);
            return this;
        }

        /** Total length (prompt plus new tokens), &gt; 0. */
        public Builder optMaxLength(int n) {
            checkOwn("max_length", n, 1);
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
