package dev.billionllm.core.spec;

import com.google.gson.JsonParser;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.GenerationDefaults;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The four seed models billion-llm supports out of the box, registered through
 * {@link ModelSpecProvider}. Each also ships its real config.json as a resource
 * ({@link #bundledConfig(String)}), so that a full-size model with random weights can be built
 * without downloading anything.
 *
 * <p>Recommended generation defaults, and where they come from:
 * <ul>
 *   <li>{@code tinyllama}: sampling, temperature 0.7, top-k 50, top-p 0.95, 256 new tokens: the
 *       settings of the TinyLlama-1.1B-Chat-v1.0 model card example.</li>
 *   <li>{@code llama-3.2-1b}: sampling, temperature 0.6, top-p 0.9: Meta's generation_config.json;
 *       256 new tokens is our choice.</li>
 *   <li>{@code stablelm-2-1.6b}: sampling, temperature 0.7, top-p 0.95, 256 new tokens: our choice
 *       (the model card samples at a moderate temperature); eos 100278 ({@code <|im_end|>}) as in its
 *       generation_config.json, so that a chat turn stops at the end of the answer.</li>
 *   <li>{@code pythia-1b}: a base model, which repeats itself under greedy decoding, so sampling at
 *       temperature 0.8, top-p 0.95 with repetition penalty 1.1 and 128 new tokens: our choice.</li>
 * </ul>
 * Token ids (bos, eos) are those of each model's generation_config.json.
 */
public final class SeedSpecs implements ModelSpecProvider {

    /** TinyLlama-1.1B-Chat-v1.0: llama, 22 layers, GQA 32/4 heads, Zephyr chat template. */
    public static final ModelSpec TINYLLAMA = ModelSpec.builder()
            .setId("tinyllama")
            .setRepoId("TinyLlama/TinyLlama-1.1B-Chat-v1.0")
            .setFamily(Family.LLAMA)
            .optLicence("apache-2.0")
            .optParameterCount(1_100_048_384L)
            .optHasChatTemplate(true)
            .optGenerationDefaults(GenerationDefaults.builder()
                    .optBosTokenId(1).optEosTokenIds(List.of(2))
                    .optDoSample(true).optTemperature(0.7).optTopK(50).optTopP(0.95).optMaxNewTokens(256)
                    .build())
            .optDescription("TinyLlama 1.1B chat (llama, 22 layers, GQA 32/4, Zephyr template), bf16 weights")
            .build();

    /** Llama-3.2-1B-Instruct: llama with llama3 rope scaling and tied embeddings; gated on the Hub. */
    public static final ModelSpec LLAMA_3_2_1B = ModelSpec.builder()
            .setId("llama-3.2-1b")
            .setRepoId("meta-llama/Llama-3.2-1B-Instruct")
            .setFamily(Family.LLAMA)
            .optGated(true)
            .optLicence("llama3.2")
            .optParameterCount(1_235_814_400L)
            .optHasChatTemplate(true)
            .optGenerationDefaults(GenerationDefaults.builder()
                    .optBosTokenId(128000).optEosTokenIds(List.of(128001, 128008, 128009))
                    .optDoSample(true).optTemperature(0.6).optTopP(0.9).optMaxNewTokens(256)
                    .build())
            .optDescription("Llama 3.2 1B Instruct (llama3 rope scaling, tied embeddings); gated: accept the"
                    + " Llama 3.2 Community License on the Hub and use a token")
            .build();

    /** stablelm-2-1_6b-chat: stablelm, LayerNorm, partial rotary 0.25, q/k/v bias, ChatML. */
    public static final ModelSpec STABLELM_2_1_6B = ModelSpec.builder()
            .setId("stablelm-2-1.6b")
            .setRepoId("stabilityai/stablelm-2-1_6b-chat")
            .setFamily(Family.STABLELM)
            .optLicence("stabilityai-community-license")
            .optParameterCount(1_644_515_328L)
            .optHasChatTemplate(true)
            .optGenerationDefaults(GenerationDefaults.builder()
                    .optBosTokenId(100257).optEosTokenIds(List.of(100278))
                    .optDoSample(true).optTemperature(0.7).optTopP(0.95).optMaxNewTokens(256)
                    .build())
            .optDescription("StableLM 2 1.6B chat (LayerNorm, partial rotary 0.25, q/k/v bias, ChatML),"
                    + " fp32 weights in 2 shards")
            .build();

    /** Pythia-1B: gpt_neox base model, fused qkv, parallel residual; no chat template. */
    public static final ModelSpec PYTHIA_1B = ModelSpec.builder()
            .setId("pythia-1b")
            .setRepoId("EleutherAI/pythia-1b")
            .setFamily(Family.GPT_NEOX)
            .optLicence("apache-2.0")
            .optParameterCount(1_011_781_632L)
            .optHasChatTemplate(false)
            .optGenerationDefaults(GenerationDefaults.builder()
                    .optBosTokenId(0).optEosTokenIds(List.of(0))
                    .optDoSample(true).optTemperature(0.8).optTopP(0.95).optRepetitionPenalty(1.1)
                    .optMaxNewTokens(128)
                    .build())
            .optDescription("Pythia 1B base model (gpt_neox, rotary 0.25, parallel residual), fp16 weights;"
                    + " no chat template")
            .build();

    private static final List<ModelSpec> ALL = List.of(TINYLLAMA, LLAMA_3_2_1B, STABLELM_2_1_6B, PYTHIA_1B);

    /** The four seed specs, in a fixed order. */
    @Override
    public List<ModelSpec> specs() {
        return ALL;
    }

    /**
     * The real config.json of a seed model, as bundled in this jar, or empty for another id.
     * Written with the keys and values of the Hub repository's config.json (transformers 4 style;
     * values not used by billion-llm, such as {@code _name_or_path}, may differ).
     */
    public static Optional<String> bundledConfigJson(String id) {
        String resource = id + "/config.json";
        try (InputStream in = SeedSpecs.class.getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException("cannot read bundled resource " + resource + ": " + e.getMessage(), e);
        }
    }

    /** The parsed config.json of a seed model (see {@link #bundledConfigJson(String)}), or empty. */
    public static Optional<ModelConfig> bundledConfig(String id) {
        return bundledConfigJson(id).map(text -> ModelConfigParser.parse(
                JsonParser.parseString(text).getAsJsonObject(), "bundled " + id + "/config.json"));
    }
}
