package dev.billionllm.core.generate;

import dev.billionllm.core.chat.ChatMessage;
import dev.billionllm.core.chat.ChatTemplate;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.tokenize.IncrementalDecoder;
import dev.billionllm.core.tokenize.TextBounds;
import dev.billionllm.core.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;

/**
 * Generates text with any {@link CausalLM} (PyTorch, ONNX Runtime, {@code ScriptedLM}): from
 * text, token ids or a conversation; all at once, token by token through a {@link TokenListener},
 * or as a pull-based {@link TokenStream}; one prompt or a batch.
 *
 * <pre>{@code
 * Generator generator = Generator.builder(lm).optTokenizer(tokenizer).optChatTemplate(template).build();
 * GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(64).build();
 *
 * GenerationResult r = generator.generate("counting: one two three", config);
 * System.out.println(r.text() + " (" + r.finishReason() + ")");
 *
 * generator.generate(Prompt.chat(List.of(ChatMessage.user("hello"))), config,
 *         event -> System.out.print(event.text()));
 * }</pre>
 *
 * <p><b>Context length.</b> A prompt of {@code max_position_embeddings} tokens or more is
 * rejected up front with an {@link IllegalArgumentException}. A shorter prompt whose {@code
 * maxNewTokens} would go past the context generates until prompt plus output fill it and ends
 * with {@link FinishReason#CONTEXT_FULL}.
 *
 * <p><b>Threads.</b> A generator is immutable and thread-safe; so is the model, whose weights are
 * read-only. Every call makes its own KV cache, sampler and decoder, so any number of threads may
 * generate with one generator (or several generators over one model) at once, and each gets the
 * tokens it would get alone. A single call runs on the calling thread; the listener is called on
 * that thread. Cancel from another thread with a {@link CancellationToken}.
 *
 * <p><b>Ownership.</b> The generator does not own the model or the tokenizer: closing it cancels
 * the generations in flight and rejects new ones, but the caller closes the model and tokenizer.
 */
public final class Generator implements AutoCloseable {
    private final CausalLM lm;
    private final Tokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final GenerationConfig defaultConfig;
    private final int padTokenId;
    private final int explicitPadTokenId;
    private final DecodingStrategy strategy;
    private volatile boolean closed;

    private Generator(Builder b) {
        this.lm = b.lm;
        this.tokenizer = b.tokenizer;
        this.chatTemplate = b.chatTemplate;
        this.defaultConfig = b.defaultConfig;
        this.explicitPadTokenId = b.padTokenId;
        this.padTokenId = b.padTokenId >= 0 ? b.padTokenId : defaultPadId(b.lm, b.tokenizer);
        this.strategy = b.strategy;
    }

    /** A builder over {@code lm}. */
    public static Builder builder(CausalLM lm) {
        return new Builder(lm);
    }

    /**
     * A builder holding this generator's model, tokenizer, chat template, default configuration,
     * pad id and strategy (for instance, to make a speculative generator from a model's plain one).
     */
    public Builder toBuilder() {
        Builder b = new Builder(lm);
        b.tokenizer = tokenizer;
        b.chatTemplate = chatTemplate;
        b.defaultConfig = defaultConfig;
        b.padTokenId = explicitPadTokenId;
        b.strategy = strategy;
        return b;
    }

    /** The model. */
    public CausalLM model() {
        return lm;
    }

    /** The tokenizer, or null when the generator has none. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** How tokens are found: {@link DecodingStrategy#plain()} unless the builder chose another. */
    public DecodingStrategy strategy() {
        return strategy;
    }

    /** The configuration of the calls that take none. */
    public GenerationConfig defaultConfig() {
        return defaultConfig;
    }

    /** Continues {@code text} with the default configuration. */
    public GenerationResult generate(String text) {
        return generate(Prompt.text(text), defaultConfig);
    }

    /** Continues {@code text}. */
    public GenerationResult generate(String text, GenerationConfig config) {
        return generate(Prompt.text(text), config);
    }

    /** Answers a conversation, rendered with the chat template. */
    public GenerationResult chat(List<ChatMessage> messages, GenerationConfig config) {
        return generate(Prompt.chat(messages), config);
    }

    /** Continues {@code prompt}. */
    public GenerationResult generate(Prompt prompt, GenerationConfig config) {
        return generate(prompt, config, TokenListener.NONE, new CancellationToken());
    }

    /** Continues {@code prompt}, passing each token to {@code listener} as soon as it is picked. */
    public GenerationResult generate(Prompt prompt, GenerationConfig config, TokenListener listener) {
        return generate(prompt, config, listener, new CancellationToken());
    }

    /**
     * Continues {@code prompt}, passing each token to {@code listener}, until a stop condition or
     * until {@code cancel} is cancelled (from any thread).
     */
    public GenerationResult generate(Prompt prompt, GenerationConfig config, TokenListener listener,
            CancellationToken cancel) {
        return generateBatch(List.of(prompt), config, listener, cancel).get(0);
    }

    /** Continues several prompts together; see {@link #generateBatch(List, GenerationConfig, TokenListener, CancellationToken)}. */
    public List<GenerationResult> generateBatch(List<Prompt> prompts, GenerationConfig config) {
        return generateBatch(prompts, config, TokenListener.NONE, new CancellationToken());
    }

    /**
     * Continues several prompts in one batch: the prompts are left-padded to the longest, every
     * step runs one forward pass for all of them, and each row ends on its own stop conditions.
     * Row {@code r} samples with seed {@code seed + r}, so with a fixed seed (or greedy) each row
     * gets what {@link #generate} gives that prompt alone with seed {@code seed + r}.
     *
     * @param listener receives every row's tokens ({@link TokenEvent#row()} tells them apart)
     * @return one result per prompt, in order
     */
    public List<GenerationResult> generateBatch(List<Prompt> prompts, GenerationConfig config,
            TokenListener listener, CancellationToken cancel) {
        Objects.requireNonNull(listener, "listener (use TokenListener.NONE)");
        try (DecodeLoop loop = start(prompts, config, cancel, listener)) {
            while (!loop.isDone()) {
                loop.step();
            }
            return loop.results();
        }
    }

    /**
     * A pull-based stream of {@code prompt}'s tokens: each {@code next()} runs the forward pass it
     * needs on the calling thread. Close it (try-with-resources) to stop early and free the cache.
     *
     * <pre>{@code
     * try (TokenStream tokens = generator.stream(Prompt.text("once"), config)) {
     *     tokens.forEachRemaining(e -> System.out.print(e.text()));
     *     System.out.println(tokens.result().finishReason());
     * }
     * }</pre>
     */
    public TokenStream stream(Prompt prompt, GenerationConfig config) {
        return new TokenStream(start(List.of(prompt), config, new CancellationToken(), null));
    }

    /**
     * The token ids a prompt is fed as: text encoded with special tokens, a conversation rendered
     * with the generation prompt and encoded without adding special tokens again, ids unchanged.
     */
    public int[] encode(Prompt prompt) {
        Objects.requireNonNull(prompt, "prompt");
        if (prompt instanceof Prompt.Ids) {
            return ((Prompt.Ids) prompt).ids.clone();
        }
        if (tokenizer == null) {
            throw new IllegalStateException("a " + prompt + " needs a tokenizer: Generator.builder(lm).optTokenizer(...)");
        }
        int maxPositions = lm.config().maxPositionEmbeddings();
        if (prompt instanceof Prompt.Text) {
            String text = ((Prompt.Text) prompt).text;
            TextBounds.checkFits(text, tokenizer, maxPositions); // before tokenizing megabytes
            return tokenizer.encode(text, true);
        }
        if (chatTemplate == null) {
            throw new IllegalStateException("a chat prompt needs a chat template: Generator.builder(lm).optChatTemplate(...)");
        }
        // transformers' apply_chat_template tokenizes with add_special_tokens=False: the template
        // already writes BOS where the model wants one
        String rendered = chatTemplate.render(((Prompt.Chat) prompt).messages, true);
        TextBounds.checkFits(rendered, tokenizer, maxPositions);
        return tokenizer.encode(rendered, false);
    }

    /** The eos ids a configuration ends on: its own, else the model's, else the tokenizer's eos token. */
    public Set<Integer> eosTokenIds(GenerationConfig config) {
        if (config.eosTokenIds() != null) {
            return config.eosTokenIds();
        }
        Set<Integer> ids = new LinkedHashSet<>(lm.config().eosTokenIds());
        if (ids.isEmpty() && tokenizer != null && tokenizer.eosToken() != null) {
            int id = tokenizer.tokenToId(tokenizer.eosToken());
            if (id >= 0) {
                ids.add(id);
            }
        }
        return ids;
    }

    /** Cancels the generations in flight and rejects new ones. Leaves the model and tokenizer open. */
    @Override
    public void close() {
        closed = true;
    }

    private DecodeLoop start(List<Prompt> prompts, GenerationConfig config, CancellationToken cancel,
            TokenListener listener) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(cancel, "cancel");
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("generateBatch needs at least one prompt");
        }
        if (closed) {
            throw new IllegalStateException("this generator is closed");
        }
        long startNanos = System.nanoTime();
        List<int[]> ids = new ArrayList<>(prompts.size());
        for (Prompt p : prompts) {
            ids.add(encode(p));
        }
        long seed = config.seed().orElseGet(() -> ThreadLocalRandom.current().nextLong());
        IntFunction<IncrementalDecoder> decoders = r -> newDecoder(config);
        return new DecodeLoop(lm, strategy, ids, config, eosTokenIds(config), seed, padTokenId, tokenizer, decoders,
                () -> closed || cancel.isCancelled(), startNanos, listener);
    }

    /** The id that fills left padding in batches. */
    int padTokenId() {
        return padTokenId;
    }

    /** A fresh incremental decoder for one sequence's text, or null without a tokenizer. */
    IncrementalDecoder newDecoder(GenerationConfig config) {
        return tokenizer == null ? null : tokenizer.newIncrementalDecoder(config.skipSpecialTokens());
    }

    private static int defaultPadId(CausalLM lm, Tokenizer tokenizer) {
        // padding is masked, so its id only has to be a valid one
        if (lm.config().padTokenId() >= 0 && lm.config().padTokenId() < lm.config().vocabSize()) {
            return lm.config().padTokenId();
        }
        if (tokenizer != null && tokenizer.padToken() != null) {
            int id = tokenizer.tokenToId(tokenizer.padToken());
            if (id >= 0 && id < lm.config().vocabSize()) {
                return id;
            }
        }
        for (int id : lm.config().eosTokenIds()) {
            if (id < lm.config().vocabSize()) {
                return id;
            }
        }
        return 0;
    }

    /** Builds a {@link Generator}. */
    public static final class Builder {
        private final CausalLM lm;
        private Tokenizer tokenizer;
        private ChatTemplate chatTemplate;
        private GenerationConfig defaultConfig = GenerationConfig.defaults();
        private int padTokenId = -1;
        private DecodingStrategy strategy = DecodingStrategy.plain();

        private Builder(CausalLM lm) {
            this.lm = Objects.requireNonNull(lm, "lm");
        }

        /**
         * How tokens are found. Default: {@link DecodingStrategy#plain()}, one forward pass per
         * token; billion-speculative's strategies draft several tokens and verify them in one pass.
         */
        public Builder optDecodingStrategy(DecodingStrategy strategy) {
            this.strategy = Objects.requireNonNull(strategy, "decoding strategy");
            return this;
        }

        /**
         * The tokenizer, for text prompts and text output. Default: none, which allows only
         * {@link Prompt#ids} prompts and gives empty texts.
         */
        public Builder optTokenizer(Tokenizer tokenizer) {
            this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
            return this;
        }

        /** The chat template, for {@link Prompt#chat} prompts. Default: none (chat prompts fail). */
        public Builder optChatTemplate(ChatTemplate template) {
            this.chatTemplate = Objects.requireNonNull(template, "chat template");
            return this;
        }

        /**
         * The configuration of {@link Generator#generate(String)}. Default: {@link
         * GenerationConfig#defaults()}; pass {@code GenerationConfig.fromDefaults(...)} to use the
         * model's generation_config.json.
         */
        public Builder optDefaultConfig(GenerationConfig config) {
            this.defaultConfig = Objects.requireNonNull(config, "default config");
            return this;
        }

        /**
         * The id that fills left padding in batches (masked, so any valid id works). Default: the
         * model's pad id, else the tokenizer's pad token, else the first eos id, else 0.
         */
        public Builder optPadTokenId(int id) {
            if (id < 0 || id >= lm.config().vocabSize()) {
                throw new IllegalArgumentException("pad token id must be in [0, " + lm.config().vocabSize()
                        + "), got " + id);
            }
            this.padTokenId = id;
            return this;
        }

        public Generator build() {
            return new Generator(this);
        }
    }
}
