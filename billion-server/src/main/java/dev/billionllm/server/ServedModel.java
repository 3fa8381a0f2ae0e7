package dev.billionllm.server;

import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.tokenize.Tokenizer;
import java.util.Objects;

/**
 * One model the server answers for, under the id clients pass as {@code "model"}. The server does
 * not own it: whoever loaded the model closes it after the server has stopped.
 *
 * @param generator generates with the model's tokenizer and chat template; its default
 *     configuration is what requests override
 * @param tokenizer the generator's tokenizer, for token texts in logprobs
 */
record ServedModel(String id, Generator generator, Tokenizer tokenizer, long createdEpochSeconds) {

    ServedModel {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(generator, "generator");
        Objects.requireNonNull(tokenizer, "tokenizer");
    }

    static ServedModel of(String id, Generator generator, Tokenizer tokenizer) {
        return new ServedModel(id, generator, tokenizer, System.currentTimeMillis() / 1000);
    }

    CausalLM lm() {
        return generator.model();
    }

    /** The model's defaults (generation_config.json); request fields override them. */
    GenerationConfig defaultConfig() {
        return generator.defaultConfig();
    }

    /** Tokens the model can hold: prompt plus generated. */
    int contextLength() {
        return lm().config().maxPositionEmbeddings();
    }
}
