package dev.billionllm.speculative;

import dev.billionllm.core.generate.DecodingMetrics;
import dev.billionllm.core.generate.DecodingStrategy;
import dev.billionllm.core.generate.DraftProposer;
import dev.billionllm.core.generate.DraftVerifier;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.Sequence;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.tokenize.Tokenizer;
import java.time.Duration;
import java.util.Objects;

/**
 * Speculative decoding as a {@link DecodingStrategy}: each round a proposer (a draft model or prompt
 * lookup) drafts a few tokens and core's {@link DraftVerifier} checks them in one forward pass of
 * the target. Greedy output is the target's greedy output token for token; sampled output follows
 * the target's distribution. Stop strings, eos, limits, streaming and cancellation are the plain
 * generator's ({@link Sequence}).
 *
 * <pre>{@code
 * DecodingStrategy spec = SpeculativeDecoding.withDraftModel(draft.lm())
 *         .optDraftTokenizer(draft.tokenizer())
 *         .optDraftTokens(5).optAdaptive(true).optMinDraftProbability(0.3)
 *         .build();
 * Generator g = target.generator().toBuilder().optDecodingStrategy(spec).build();
 * GenerationResult r = g.generate("once upon a time", config);
 * System.out.println(r.metrics().acceptanceRate());
 * }</pre>
 *
 * <p>Before the first forward pass the draft's tokenizer is compared with the target's ({@link
 * TokenizerCompatibility}); a mismatch fails with an {@link IncompatibleDraftException} unless
 * cross-tokenizer mode is on (greedy only). One prompt per generation: batches are refused. The
 * strategy does not own the draft model; close it after the generators that use it.
 */
public final class SpeculativeDecoding implements DecodingStrategy {

    /** Default candidates per round of prompt lookup (transformers' {@code prompt_lookup_num_tokens}). */
    public static final int DEFAULT_LOOKUP_TOKENS = 10;
    /** Default longest n-gram of prompt lookup (transformers' {@code max_matching_ngram_size}). */
    public static final int DEFAULT_MAX_NGRAM = 2;

    private final CausalLM draft; // null: prompt lookup
    private final Tokenizer draftTokenizer;
    private final DraftSchedule schedule;
    private final double minProbability;
    private final int maxNgramSize;
    private final boolean crossTokenizer;
    private volatile Checked lastCheck;

    private record Checked(Tokenizer target, TokenizerCompatibility result) {}

    private SpeculativeDecoding(Builder b) {
        this.draft = b.draft;
        this.draftTokenizer = b.draftTokenizer;
        int tokens = b.draftTokens > 0 ? b.draftTokens
                : draft == null ? DEFAULT_LOOKUP_TOKENS : DraftSchedule.DEFAULT_DRAFT_TOKENS;
        this.schedule = new DraftSchedule(tokens, b.adaptive);
        this.minProbability = b.minProbability;
        this.maxNgramSize = b.maxNgramSize;
        this.crossTokenizer = b.crossTokenizer;
    }

    /** Speculative decoding with {@code draft} proposing candidates. */
    public static Builder withDraftModel(CausalLM draft) {
        return new Builder(Objects.requireNonNull(draft, "draft model"));
    }

    /** Prompt lookup decoding: candidates copied from earlier in the context; no draft model. */
    public static Builder withPromptLookup() {
        return new Builder(null);
    }

    @Override
    public String name() {
        return draft == null ? "prompt-lookup" : crossTokenizer ? "draft-model-cross-tokenizer" : "draft-model";
    }

    /** Candidates per round (the first round's, when adaptive). */
    public DraftSchedule schedule() {
        return schedule;
    }

    /**
     * Compares the draft's tokenizer with {@code target} (remembered for the last target asked).
     *
     * @throws IllegalStateException for prompt lookup or a draft built without a tokenizer
     */
    public TokenizerCompatibility compatibilityWith(Tokenizer target) {
        if (draftTokenizer == null) {
            throw new IllegalStateException("this strategy has no draft tokenizer to compare");
        }
        Checked c = lastCheck;
        if (c == null || c.target() != target) {
            c = new Checked(target, TokenizerCompatibility.compare(target, draftTokenizer));
            lastCheck = c;
        }
        return c.result();
    }

    @Override
    public Decoding start(Request request) {
        if (request.sequences().size() != 1) {
            throw new IllegalArgumentException("speculative decoding runs one prompt at a time (" + request.sequences().size()
                    + " given): call generate for each prompt, or use plain decoding for batches");
        }
        CausalLM target = request.lm();
        Sequence sequence = request.sequences().get(0);
        GenerationConfig config = request.config();
        int capacity = sequence.promptLength() + sequence.remaining();
        DraftProposer proposer = proposer(request, sequence, capacity);
        return new State(name(), sequence, new DraftVerifier(target, proposer, config, sequence.seed(), capacity));
    }

    private DraftProposer proposer(Request request, Sequence sequence, int capacity) {
        CausalLM target = request.lm();
        GenerationConfig config = request.config();
        if (draft == null) {
            return new PromptLookupProposer(maxNgramSize, target.usableVocabSize());
        }
        int shared = Math.min(target.usableVocabSize(), draft.usableVocabSize());
        Tokenizer targetTokenizer = request.tokenizer();
        TokenizerCompatibility compatibility = null;
        if (targetTokenizer != null && draftTokenizer != null) {
            compatibility = compatibilityWith(targetTokenizer);
            shared = Math.min(shared, compatibility.sharedVocabSize());
        }
        boolean compatible = compatibility == null || compatibility.compatible();
        if (!compatible && !crossTokenizer) {
            throw new IncompatibleDraftException("the draft model's tokenizer differs from the target's: "
                    + String.join("; ", compatibility.differences()) + ". A draft model must share the target's "
                    + "tokenizer (pick one of the same family, e.g. a smaller or quantized export of the target), or "
                    + "enable cross-tokenizer mode (--cross-tokenizer; greedy only), which re-tokenizes the draft's text");
        }
        if (crossTokenizer && compatibility == null) {
            throw new IllegalArgumentException("cross-tokenizer mode needs both tokenizers: give the generator the "
                    + "target's (Generator.Builder.optTokenizer) and this strategy the draft's (optDraftTokenizer)");
        }
        if (!compatible) {
            if (!config.isGreedy()) {
                throw new IllegalArgumentException("cross-tokenizer speculative decoding is greedy only (temperature 0, got "
                        + config.temperature() + "): the draft has no probabilities for the target's tokens");
            }
            // the draft works in its own ids, whose count for the same text is not known up front
            int draftCapacity = Math.min(draft.config().maxPositionEmbeddings(), 4 * capacity + 64);
            DraftModelProposer inner = new DraftModelProposer(draft, config, sequence.seed(), draft.usableVocabSize(),
                    draftCapacity, schedule, minProbability);
            return new CrossTokenizerProposer(inner, targetTokenizer, draftTokenizer, target.usableVocabSize());
        }
        return new DraftModelProposer(draft, config, sequence.seed(), shared, capacity, schedule, minProbability);
    }

    @Override
    public String toString() {
        return "speculative decoding (" + name() + ", " + schedule.initial() + " tokens"
                + (schedule.adaptive() ? " adaptive" : "") + (minProbability > 0 ? ", p_min " + minProbability : "") + ")";
    }

    /** One generation: prefill, then one draft-and-verify round per step. */
    private static final class State implements Decoding {
        private final String name;
        private final Sequence sequence;
        private final DraftVerifier verifier;
        private long prefillNanos = -1;

        State(String name, Sequence sequence, DraftVerifier verifier) {
            this.name = name;
            this.sequence = sequence;
            this.verifier = verifier;
        }

        @Override
        public void step() {
            if (prefillNanos < 0) {
                prefillNanos = verifier.prefill(sequence.ids());
            }
            // the round always adds the target's own token, so drafting more than remaining - 1 is waste
            DraftVerifier.Round round = verifier.round(sequence.ids(), Math.max(0, sequence.remaining() - 1));
            for (int id : round.tokens()) {
                if (!sequence.append(id)) {
                    break; // eos, a stop string or a limit inside the accepted run: drop the rest
                }
            }
        }

        @Override
        public long prefillNanos() {
            return Math.max(0, prefillNanos);
        }

        @Override
        public DecodingMetrics metrics() {
            return new DecodingMetrics(name, verifier.rounds(), verifier.draftedTokens(), verifier.acceptedTokens(),
                    Duration.ofNanos(verifier.draftNanos()), Duration.ofNanos(verifier.targetNanos()));
        }

        @Override
        public void close() {
            verifier.close();
        }
    }

    /** Builds a {@link SpeculativeDecoding}; each {@code opt*} method rejects a bad value at once. */
    public static final class Builder {
        private final CausalLM draft;
        private Tokenizer draftTokenizer;
        private int draftTokens;
        private boolean adaptive;
        private double minProbability;
        private int maxNgramSize = DEFAULT_MAX_NGRAM;
        private boolean crossTokenizer;

        private Builder(CausalLM draft) {
            this.draft = draft;
        }

        /**
         * The draft's tokenizer, compared with the target's before the first forward pass. Default:
         * none; then only the usable vocabulary sizes are reconciled (ids past the smaller are never
         * proposed), which is right only when the caller knows the tokenizers are the same.
         */
        public Builder optDraftTokenizer(Tokenizer tokenizer) {
            requireDraft("a draft tokenizer");
            this.draftTokenizer = Objects.requireNonNull(tokenizer, "draft tokenizer");
            return this;
        }

        /**
         * Candidates per round (the first round's when adaptive). Default {@value
         * DraftSchedule#DEFAULT_DRAFT_TOKENS} for a draft model, {@value #DEFAULT_LOOKUP_TOKENS} for
         * prompt lookup.
         */
        public Builder optDraftTokens(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("draft tokens must be >= 1, got " + n);
            }
            this.draftTokens = n;
            return this;
        }

        /**
         * transformers' heuristic schedule: +2 candidates after a fully accepted round, -1 (down to 1)
         * otherwise. Default false (a fixed length). Draft models only.
         */
        public Builder optAdaptive(boolean adaptive) {
            if (adaptive) {
                requireDraft("an adaptive draft length");
            }
            this.adaptive = adaptive;
            return this;
        }

        /**
         * llama.cpp's {@code p_min}: the draft stops proposing when its most likely token's
         * probability is below {@code p}. Default 0 (off). Draft models only.
         */
        public Builder optMinDraftProbability(double p) {
            if (!(p >= 0 && p < 1)) {
                throw new IllegalArgumentException("the minimum draft probability must be in [0, 1), got " + p);
            }
            if (p > 0) {
                requireDraft("a minimum draft probability");
            }
            this.minProbability = p;
            return this;
        }

        /** Longest n-gram prompt lookup matches. Default {@value #DEFAULT_MAX_NGRAM}. Prompt lookup only. */
        public Builder optMaxMatchingNgramSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("max matching n-gram size must be >= 1, got " + n);
            }
            if (draft != null) {
                throw new IllegalArgumentException("the n-gram size applies to prompt lookup, not to a draft model");
            }
            this.maxNgramSize = n;
            return this;
        }

        /**
         * Allows a draft whose tokenizer differs from the target's: its output is decoded to text and
         * re-tokenized with the target's tokenizer (transformers' universal assisted decoding). Greedy
         * only. Default false: a different tokenizer is an error. Needs {@link #optDraftTokenizer}.
         */
        public Builder optCrossTokenizer(boolean cross) {
            if (cross) {
                requireDraft("cross-tokenizer mode");
            }
            this.crossTokenizer = cross;
            return this;
        }

        private void requireDraft(String what) {
            if (draft == null) {
                throw new IllegalArgumentException(what + " needs a draft model; prompt lookup has none");
            }
        }

        /** @throws IllegalArgumentException if cross-tokenizer mode has no draft tokenizer */
        public SpeculativeDecoding build() {
            if (crossTokenizer && draftTokenizer == null) {
                throw new IllegalArgumentException("cross-tokenizer mode needs the draft's tokenizer: optDraftTokenizer(...)");
            }
            return new SpeculativeDecoding(this);
        }
    }
}
