package dev.billionllm.core.internal.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Everything one forward pass shares across layers. All arrays except the caches belong to
 * {@code manager}, which the caller closes after the step.
 *
 * @param manager owner of this step's temporaries
 * @param cos rotary cosines {@code [batch, 1, seq, rotaryDim]}
 * @param sin rotary sines, same shape
 * @param mask additive attention mask {@code [batch, 1, 1, seq, past + seq]}: 0 where a query may
 *     look, a large negative number where it may not (future or padding)
 * @param past positions already in the caches; new keys and values go to {@code [past, past + seq)}
 * @param keys per layer, {@code [batch, kvHeads, capacity, headDim]}, written in place; null for a
 *     pass without a cache (training), where {@code past} must be 0
 * @param values per layer, same shape; null exactly when {@code keys} is
 */
public record Step(NDManager manager, NDArray cos, NDArray sin, NDArray mask, int past, List<NDArray> keys,
        List<NDArray> values) {}
