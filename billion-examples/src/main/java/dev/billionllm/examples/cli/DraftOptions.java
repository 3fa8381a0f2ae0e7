package dev.billionllm.examples.cli;

import com.google.gson.JsonObject;
import dev.billionllm.core.Model;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.generate.DecodingMetrics;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.speculative.SpeculativeDecoding;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/**
 * Speculative decoding options of {@code generate}, {@code chat} and {@code serve}: a draft model or
 * prompt lookup. The draft model, once loaded, belongs to these options: the command closes them
 * (try-with-resources) after the generators that use it.
 */
final class DraftOptions implements AutoCloseable {
    @Option(names = "--draft", paramLabel = "MODEL",
            description = "Draft model for speculative decoding: spec id, folder, bundled name or ONNX export folder.")
    String draft;

    @Option(names = "--draft-backend", paramLabel = "NAME",
            description = "Backend of the draft: pytorch or onnxruntime (default: as the folder suggests).")
    String draftBackend;

    @Option(names = "--draft-variant", paramLabel = "NAME",
            description = "ONNX file variant of the draft (fp32, int8, q4, ... or a file name).")
    String draftVariant;

    @Option(names = "--prompt-lookup", description = "Prompt lookup decoding: candidates copied from the context.")
    boolean promptLookup;

    @Option(names = "--draft-tokens", paramLabel = "N",
            description = "Candidates per round (default: 5 with a draft, 10 with prompt lookup).")
    Integer draftTokens;

    @Option(names = "--draft-schedule", paramLabel = "SCHEDULE", defaultValue = "fixed",
            description = "fixed or adaptive (+2 after a fully accepted round, -1 otherwise; default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--draft-min-prob", paramLabel = "P",
            description = "Stop drafting when the draft's top probability is below P (default: off).")
    Double minProbability;

    @Option(names = "--max-ngram", paramLabel = "N", description = "Longest n-gram prompt lookup matches (default: 2).")
    Integer maxNgram;

    @Option(names = "--cross-tokenizer",
            description = "Allow a draft with another tokenizer: its text is re-tokenized (greedy only).")
    boolean crossTokenizer;

    /** The draft model, loaded by the first {@link #apply} that needs it and shared by the later ones. */
    private Model draftModel;

    boolean enabled() {
        return draft != null || promptLookup;
    }

    /**
     * {@code target}'s generator, made speculative when these options ask for it. The draft model is
     * loaded (on {@code flags}' device and threads) on the first call and reused by the next ones
     * (serve shares one draft among its targets); {@link #close} closes it.
     */
    Generator apply(Model target, LoadFlags flags, PrintWriter err) {
        Generator plain = target.generator();
        if (!enabled()) {
            return plain;
        }
        if (draft != null && promptLookup) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--draft and --prompt-lookup exclude each other");
        }
        boolean adaptive = switch (schedule) {
            case "fixed" -> false;
            case "adaptive" -> true;
            default -> throw new IllegalArgumentException("--draft-schedule must be fixed or adaptive, got " + schedule);
        };
        SpeculativeDecoding.Builder b;
        if (promptLookup) {
            b = SpeculativeDecoding.withPromptLookup();
            if (maxNgram != null) {
                b.optMaxMatchingNgramSize(maxNgram);
            }
        } else {
            if (draftModel == null) {
                ModelOptions.noteBundled(draft, err);
                draftModel = Model.load(draft, LoadOptions.builder().optBackend(draftBackend).optDevice(flags.device)
                        .optThreads(flags.threads).optVariant(draftVariant).build());
            }
            Model d = draftModel;
            b = SpeculativeDecoding.withDraftModel(d.lm()).optDraftTokenizer(d.tokenizer()).optAdaptive(adaptive)
                    .optCrossTokenizer(crossTokenizer);
            if (minProbability != null) {
                b.optMinDraftProbability(minProbability);
            }
        }
        if (draftTokens != null) {
            b.optDraftTokens(draftTokens);
        }
        return plain.toBuilder().optDecodingStrategy(b.build()).build();
    }

    /** Closes the draft model, if one was loaded. */
    @Override
    public void close() {
        if (draftModel != null) {
            draftModel.close();
            draftModel = null;
        }
    }

    /** The {@code speculative} object of {@code generate --json}. */
    static JsonObject toJson(GenerationResult r, String draftName) {
        DecodingMetrics m = r.metrics();
        JsonObject o = new JsonObject();
        o.addProperty("strategy", m.strategy());
        if (draftName != null) {
            o.addProperty("draft", draftName);
        }
        o.addProperty("rounds", m.rounds());
        o.addProperty("drafted_tokens", m.draftedTokens());
        o.addProperty("accepted_tokens", m.acceptedTokens());
        o.addProperty("acceptance_rate", m.acceptanceRate());
        o.addProperty("mean_accepted_length", m.meanAcceptedLength());
        o.addProperty("tokens_per_round", m.meanTokensPerRound());
        o.addProperty("draft_ms", m.draftTime().toNanos() / 1e6);
        o.addProperty("target_ms", m.targetTime().toNanos() / 1e6);
        o.addProperty("tokens_per_second", tokensPerSecond(r));
        return o;
    }

    /** New tokens per second over the whole generation (time to first token plus decode); 0 if untimed. */
    static double tokensPerSecond(GenerationResult r) {
        long totalNanos = r.timings().timeToFirstToken().toNanos() + r.timings().decode().toNanos();
        return totalNanos > 0 ? r.tokenIds().size() * 1e9 / totalNanos : 0;
    }
}
