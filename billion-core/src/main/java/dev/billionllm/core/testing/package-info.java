/**
 * Test doubles for users who unit-test their own generation logic: {@link
 * dev.billionllm.core.testing.ScriptedLM}, a deterministic language model whose logits come from a
 * script or a function, and {@link dev.billionllm.core.testing.ScriptedTokenizer}, a tokenizer over
 * a list of strings. Both go through the real {@code Generator}. The bundled tiny fixture models
 * are reached through {@code dev.billionllm.core.testing.Fixtures} in billion-core's test-jar.
 *
 * <p>Nothing here loads weights or touches an engine.
 */
package dev.billionllm.core.testing;
