package dev.billionllm.server;

import dev.billionllm.core.Model;
import dev.billionllm.core.generate.Generator;
import java.util.Objects;

/**
 * One model the server answers for, under the id clients pass as {@code "model"}. The server does
 * not own the model: whoever loaded it closes it after the server has stopped.
 */
record ServedModel(String id, Model model, Generator generator, long createdEpochSeconds) {

    ServedModel {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(generator, "generator");
    }

    static ServedModel of(String id, Model model) {
        return new ServedModel(id, model, model.generator(), System.currentTimeMillis() / 1000);
    }

    /** Tokens the model can hold: prompt plus generated. */
    int contextLength() {
        return model.config().maxPositionEmbeddings();
    }
}
