package dev.billionllm.speculative;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.billionllm.core.Model;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.generate.DecodingStrategy;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bundled small-llama pair on PyTorch: every strategy's greedy output equals transformers'
 * greedy output in assisted-generation.json, token for token.
 */
class SmallLlamaPairTest {
    static final int NEW_TOKENS = 40;
    static Model target;
    static Model draft;

    @BeforeAll
    static void load() {
        LoadOptions options = LoadOptions.builder().optDevice("cpu").optThreads(1).build();
        target = Model.load(Fixtures.dir("small-llama-pair/small-llama-target"), options.toBuilder().optBackend("pytorch").build());
        draft = Model.load(Fixtures.dir("small-llama-pair/small-llama-draft"), options.toBuilder().optBackend("pytorch").build());
    }

    @AfterAll
    static void close() {
        if (draft != null) {
            draft.close();
        }
        if (target != null) {
            target.close();
        }
    }

    /** (prompt ids, transformers' greedy continuation) of assisted-generation.json. */
    static List<int[][]> cases() {
        Path file = Fixtures.dir("small-llama-pair").resolve("assisted-generation.json");
        try (HfTokenizer tokenizer = HfTokenizer.load(Fixtures.dir("small-llama-pair/small-llama-target"))) {
            List<int[][]> out = new ArrayList<>();
            for (JsonElement e : JsonParser.parseString(Files.readString(file)).getAsJsonArray()) {
                int[] all = e.getAsJsonObject().get("greedy").getAsJsonArray().asList().stream()
                        .mapToInt(JsonElement::getAsInt).toArray();
                int[] prompt = tokenizer.encode(e.getAsJsonObject().get("prompt").getAsString(), true);
                out.add(new int[][] {prompt, Arrays.copyOfRange(all, prompt.length, all.length)});
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Arguments> strategies() {
        return Stream.of(
                Arguments.of("draft fixed 4", (StrategyMaker) () -> SpeculativeDecoding.withDraftModel(draft.lm())
                        .optDraftTokenizer(draft.tokenizer()).optDraftTokens(4).build()),
                Arguments.of("draft adaptive p_min", (StrategyMaker) () -> SpeculativeDecoding.withDraftModel(draft.lm())
                        .optDraftTokenizer(draft.tokenizer()).optAdaptive(true).optMinDraftProbability(0.2).build()),
                Arguments.of("prompt lookup", (StrategyMaker) () -> SpeculativeDecoding.withPromptLookup().build()));
    }

    interface StrategyMaker {
        DecodingStrategy make();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void greedyEqualsTransformersGreedy(String name, StrategyMaker maker) {
        Generator g = target.generator().toBuilder().optDecodingStrategy(maker.make()).build();
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(NEW_TOKENS).optTemperature(0).build();
        long accepted = 0;
        for (int[][] c : cases()) {
            GenerationResult r = g.generate(Prompt.ids(c[0]), config);
            assertThat(r.tokenIdArray()).as(name + " on " + Arrays.toString(c[0])).containsExactly(c[1]);
            assertThat(r.metrics().rounds()).isLessThanOrEqualTo(NEW_TOKENS);
            accepted += r.metrics().acceptedTokens();
        }
        // the pair was trained together and the target repeats itself: every strategy must accept some
        assertThat(accepted).as(name + " accepted candidates").isPositive();
    }

    @Test
    void draftOfTheSameTokenizerPassesTheCheck() {
        assertThat(TokenizerCompatibility.compare(target.tokenizer(), draft.tokenizer()).compatible()).isTrue();
    }
}
